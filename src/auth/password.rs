//! Argon2id password hashing on threads of its own, bounded in parallelism
//! (each hash takes 19 MiB and a core for tens of milliseconds) and in
//! queue length: when as many requests wait as the queue holds, the next is
//! refused at once (503) rather than queued behind everyone's logins, so no
//! one client can make every login slow.
//!
//! The hashers run at the lowest CPU priority (nice 19): a storm of logins
//! takes the cores only while nothing else wants them, so the registry's
//! other requests keep their latency (BENCHMARKS.md, the login storm).
//! Each hasher allocates its 19 MiB of working memory once and reuses it:
//! allocated per hash, glibc kept each freed block in the arena of the
//! thread that hashed, and a login storm over many threads left the process
//! hundreds of MiB larger for good.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, OnceLock, mpsc},
};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use tokio::sync::{Semaphore, oneshot};

use crate::domain::Password;

/// OWASP's recommended Argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Bytes of salt in a new hash.
const SALT_LEN: usize = 16;

/// Work for a hasher thread, given its working memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

#[derive(Clone)]
pub struct PasswordHasher {
    /// Hashes computed or waiting: `concurrency + queue`.
    admitted: Arc<Semaphore>,
    /// To the `concurrency` hasher threads, which stop when every clone of
    /// this is gone.
    jobs: mpsc::Sender<Job>,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every hasher is busy and the queue is full: retry shortly.
    #[error("every password hasher is busy")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl PasswordHasher {
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, waiting) = mpsc::channel::<Job>();
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..concurrency {
            let waiting = waiting.clone();
            let spawned = std::thread::Builder::new().name("password-hasher".into()).spawn(move || hasher(&waiting));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hasher");
            }
        }
        Self { admitted: Arc::new(Semaphore::new(concurrency.saturating_add(queue))), jobs }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashingError> {
        let password = password.expose().to_owned();
        self.run(move |memory| {
            let mut salt = [0u8; SALT_LEN];
            getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for a salt: {e}"))?;
            let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
            argon2()
                .hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, working_memory(memory))
                .map_err(anyhow::Error::msg)?;
            let hash = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params()).map_err(anyhow::Error::msg)?,
                salt: Some(Salt::new(&salt).map_err(anyhow::Error::msg)?),
                hash: Some(Output::new(&output).map_err(anyhow::Error::msg)?),
            };
            Ok(hash.to_string())
        })
        .await
    }

    /// Checks `password` against `stored`. With no stored hash (unknown
    /// account) it checks against a dummy hash, so that both failures cost
    /// the same time, and answers false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, HashingError> {
        let password = password.to_owned();
        self.run(move |memory| {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
            Ok(known && matches(memory, password.as_bytes(), &hash))
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashingError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| HashingError::Busy)?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // A request given up while it waited is not worth a hash.
            if !done.is_closed() {
                let _ = done.send(work(memory));
            }
        });
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the password hashers have stopped"))?;
        Ok(result.await.context("password hashing failed")??)
    }
}

/// A hasher thread: lowers its own priority, then runs jobs one at a time
/// in its working memory until the hasher is dropped.
fn hasher(waiting: &Mutex<mpsc::Receiver<Job>>) {
    if let Err(error) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
        tracing::warn!(?error, "password hashing runs at normal priority");
    }
    let mut memory = Vec::new();
    loop {
        let job = match waiting.lock() {
            Ok(waiting) => waiting.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panicking hash fails its own request (its answer is dropped),
        // not the hasher.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
    }
}

/// The hasher's working memory, sized for the current parameters on first
/// use and reused by every later hash.
fn working_memory(memory: &mut Vec<Block>) -> &mut [Block] {
    memory.resize(params().block_count(), Block::default());
    memory
}

/// Whether `password` is the one `stored` (a PHC string) was made of,
/// compared in constant time. Hashes of the current parameters are checked
/// in reused memory; older ones the crate's own way.
fn matches(memory: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let current = Params::try_from(&hash).is_ok_and(|p| p.block_count() == params().block_count());
    let same_kind = hash.algorithm == Algorithm::Argon2id.ident() && hash.version == Some(Version::V0x13.into());
    let (Some(salt), Some(expected), true, true) = (&hash.salt, &hash.hash, current, same_kind) else {
        return argon2().verify_password(password, &hash).is_ok();
    };
    let Ok(argon2) = Params::try_from(&hash).map(|p| Argon2::new(Algorithm::Argon2id, Version::V0x13, p)) else {
        return false;
    };
    let mut computed = vec![0u8; expected.len()];
    let hashed = argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut computed, working_memory(memory));
    // Output's equality is constant-time.
    hashed.is_ok() && Output::new(&computed).is_ok_and(|computed| &computed == expected)
}

/// A hash of a random password with the same parameters as real ones,
/// computed once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        let _ = getrandom::fill(&mut random);
        argon2().hash_password(&random).map(|hash| hash.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let hasher = PasswordHasher::new(1, 1);
        let password = Password::parse("correct horse battery").expect("valid");
        let (first, second, third) = tokio::join!(hasher.hash(&password), hasher.hash(&password), async {
            tokio::task::yield_now().await;
            hasher.hash(&password).await
        });
        assert!(first.is_ok() && second.is_ok(), "one hashing, one waiting");
        assert!(matches!(third, Err(HashingError::Busy)), "the third is refused: {third:?}");
        assert!(hasher.hash(&password).await.is_ok(), "free again");
    }

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let hasher = PasswordHasher::new(2, 0);
        let password = Password::parse("correct horse battery").expect("valid");
        let first = hasher.hash(&password).await.expect("hash");
        let second = hasher.hash(&password).await.expect("hash");
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{first}");
        assert_ne!(first, second, "salts differ");
        assert!(hasher.verify("correct horse battery", Some(first.clone())).await.expect("verify"));
        assert!(!hasher.verify("wrong horse battery", Some(first)).await.expect("verify"));
        assert!(!hasher.verify("correct horse battery", None).await.expect("verify"));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashers_run_at_the_lowest_priority() {
        let hasher = PasswordHasher::new(1, 0);
        // The niceness is the 19th field of the thread's stat, the 17th after its name.
        let stat = hasher.run(|_| Ok(std::fs::read_to_string("/proc/thread-self/stat")?)).await.expect("ran");
        let nice = stat.rsplit_once(')').and_then(|(_, fields)| fields.split_whitespace().nth(16));
        assert_eq!(nice, Some("19"), "{stat}");
    }

    #[test]
    fn hashes_of_other_parameters_and_of_the_crate_still_verify() {
        let spare = &mut Vec::new();
        let theirs = argon2().hash_password(b"correct horse battery").expect("hash").to_string();
        assert!(matches(spare, b"correct horse battery", &theirs), "the crate's own hash of the same parameters");
        let light = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).expect("params"));
        let older = light.hash_password(b"correct horse battery").expect("hash").to_string();
        assert!(matches(spare, b"correct horse battery", &older), "other parameters");
        assert!(!matches(spare, b"wrong horse battery", &older));
        assert!(!matches(spare, b"correct horse battery", "not a hash"));
    }
}
