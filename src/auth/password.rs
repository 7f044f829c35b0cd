//! Argon2id password hashing, off the async threads and bounded in
//! parallelism (each hash takes 19 MiB and a core for tens of milliseconds)
//! and in queue length: when as many requests wait as the queue holds, the
//! next is refused at once (503) rather than queued behind everyone's
//! logins, so no one client can make every login slow.
//!
//! The 19 MiB of working memory are allocated once per hasher and reused:
//! allocated per hash, glibc keeps each freed block in the arena of the
//! thread that hashed, and a login storm over the many blocking threads
//! left the process hundreds of MiB larger for good.

use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use tokio::sync::Semaphore;

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

#[derive(Clone)]
pub struct PasswordHasher {
    /// Hashes computed at once.
    permits: Arc<Semaphore>,
    /// Hashes computed or waiting: `concurrency + queue`.
    admitted: Arc<Semaphore>,
    /// Working memory of finished hashes, for the next: at most one per
    /// permit.
    spare: Arc<Mutex<Vec<Vec<Block>>>>,
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
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            admitted: Arc::new(Semaphore::new(concurrency.saturating_add(queue))),
            spare: Arc::default(),
        }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashingError> {
        let password = password.expose().to_owned();
        let spare = self.spare.clone();
        self.run(move || {
            let mut salt = [0u8; SALT_LEN];
            getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for a salt: {e}"))?;
            let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
            with_memory(&spare, |memory| {
                argon2().hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, memory)
            })
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
        let spare = self.spare.clone();
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
            Ok(known && matches(&spare, password.as_bytes(), &hash))
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashingError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| HashingError::Busy)?;
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        Ok(tokio::task::spawn_blocking(work).await.context("password hashing task failed")??)
    }
}

/// Runs `hash` in working memory of the current parameters: spare memory
/// of an earlier hash, or new.
fn with_memory<T>(spare: &Mutex<Vec<Vec<Block>>>, hash: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = spare.lock().ok().and_then(|mut spare| spare.pop());
    let mut memory = taken.unwrap_or_else(|| vec![Block::default(); params().block_count()]);
    let result = hash(&mut memory);
    if let Ok(mut spare) = spare.lock() {
        spare.push(memory);
    }
    result
}

/// Whether `password` is the one `stored` (a PHC string) was made of,
/// compared in constant time. Hashes of the current parameters are checked
/// in reused memory; older ones the crate's own way.
fn matches(spare: &Mutex<Vec<Vec<Block>>>, password: &[u8], stored: &str) -> bool {
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
    let hashed = with_memory(spare, |memory| {
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut computed, memory)
    });
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
        assert!(hasher.spare.lock().expect("lock").len() <= 2, "working memory reused, one per hasher at most");
    }

    #[test]
    fn hashes_of_other_parameters_and_of_the_crate_still_verify() {
        let spare = Mutex::default();
        let theirs = argon2().hash_password(b"correct horse battery").expect("hash").to_string();
        assert!(matches(&spare, b"correct horse battery", &theirs), "the crate's own hash of the same parameters");
        let light = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).expect("params"));
        let older = light.hash_password(b"correct horse battery").expect("hash").to_string();
        assert!(matches(&spare, b"correct horse battery", &older), "other parameters");
        assert!(!matches(&spare, b"wrong horse battery", &older));
        assert!(!matches(&spare, b"correct horse battery", "not a hash"));
    }
}
