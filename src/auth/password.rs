//! Argon2id password hashing, off the async threads and bounded in
//! parallelism (each hash takes 19 MiB and a core for tens of milliseconds)
//! and in queue length: when as many requests wait as the queue holds, the
//! next is refused at once (503) rather than queued behind everyone's
//! logins, so no one client can make every login slow.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// OWASP's recommended Argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    /// Hashes computed at once.
    permits: Arc<Semaphore>,
    /// Hashes computed or waiting: `concurrency + queue`.
    admitted: Arc<Semaphore>,
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
        }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashingError> {
        let password = password.expose().to_owned();
        self.run(move || {
            argon2().hash_password(password.as_bytes()).map(|hash| hash.to_string()).map_err(anyhow::Error::msg)
        })
        .await
    }

    /// Checks `password` against `stored`. With no stored hash (unknown
    /// account) it checks against a dummy hash, so that both failures cost
    /// the same time, and answers false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, HashingError> {
        let password = password.to_owned();
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
            let matches = argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok();
            Ok(known && matches)
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
}
