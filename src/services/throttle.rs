//! Fixed-window throttles kept in the database, so every replica shares one
//! budget. Keys are hashed: no e-mail address or IP is stored in clear.

use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::services::{Error, Result};
use crate::{config::ThrottleConfig, db, domain::ExactDuration};

/// One kind of limited action.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub bucket: &'static str,
    pub limit: u32,
    pub window: Duration,
}

impl Throttle {
    /// Failed redemptions of a mailed or issued token (`bucket`) per client
    /// address. Tokens carry 256 random bits, so this is defence in depth
    /// against probing, and reuses the failed-login limit and window rather
    /// than adding settings.
    pub fn failed_tokens_per_address(throttle: &ThrottleConfig, bucket: &'static str) -> Self {
        Self { bucket, limit: throttle.login_failures_per_address, window: throttle.login_window.get() }
    }

    /// Counts one use of `key` and fails if it went over the limit.
    pub async fn take(&self, conn: &mut PgConnection, key: &[u8], now: DateTime<Utc>) -> Result<()> {
        let (start, retry_after) = self.window_of(now);
        let hits = db::throttle::hit(conn, self.bucket, &hash(self.bucket, key), start).await?;
        self.judge(hits - 1, retry_after)
    }

    /// Counts `uses` uses of `key` at once (a bulk query's numbers); over
    /// the limit, none counts and the answer is `RateLimited`.
    pub async fn take_many(&self, conn: &mut PgConnection, key: &[u8], uses: u32, now: DateTime<Utc>) -> Result<()> {
        let (start, retry_after) = self.window_of(now);
        let uses = i32::try_from(uses).unwrap_or(i32::MAX);
        let key = hash(self.bucket, key);
        let hits = db::throttle::hit_by(conn, self.bucket, &key, start, uses).await?;
        if i64::from(hits) > i64::from(self.limit) {
            db::throttle::hit_by(conn, self.bucket, &key, start, -uses).await?;
            return Err(Error::RateLimited { retry_after });
        }
        Ok(())
    }

    /// Takes back one use of `key` (one that turned out not to count).
    pub async fn give_back(&self, conn: &mut PgConnection, key: &[u8], now: DateTime<Utc>) -> Result<()> {
        let (start, _) = self.window_of(now);
        let (buckets, keys) = ([self.bucket.to_owned()], [hash(self.bucket, key)]);
        Ok(db::throttle::unhit_each(conn, &buckets, &keys, start).await?)
    }

    fn judge(&self, earlier_hits: i32, retry_after: Duration) -> Result<()> {
        if i64::from(earlier_hits) >= i64::from(self.limit) { Err(Error::RateLimited { retry_after }) } else { Ok(()) }
    }

    /// The start of the window holding `now`, and the time left in it.
    fn window_of(&self, now: DateTime<Utc>) -> (DateTime<Utc>, Duration) {
        let window_ms = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX).max(1);
        let now_ms = now.timestamp_millis();
        let start_ms = now_ms - now_ms.rem_euclid(window_ms);
        let start = DateTime::from_timestamp_millis(start_ms).unwrap_or(now);
        let left_ms = u64::try_from(start_ms + window_ms - now_ms).unwrap_or(0);
        (start, Duration::from_millis(left_ms))
    }
}

/// Login attempts, and password changes' checks of the current password.
///
/// Each attempt is counted before the password is checked, in one
/// statement, so that N concurrent guesses let at most the limit through;
/// an attempt whose password was right is taken back. Three counts per
/// window (`throttle.login_window`):
///
/// - per account and client address (`login_failures_per_account_address`):
///   one guesser's budget against one account;
/// - per client address (`login_failures_per_address`): one guesser's budget
///   over all accounts;
/// - per account (`login_failures_per_account`): a ceiling for guesses from
///   many addresses. Past it, an address that has already failed for the
///   account in this window is refused, but one that has not may still try:
///   an attack from a thousand addresses cannot lock the owner out, who
///   logs in from their own (clean) address.
///
/// A refusal is 429 with `Retry-After` the rest of the window; nothing
/// sleeps on the server.
pub struct LoginLimits {
    window: Duration,
    per_account_address: u32,
    per_address: u32,
    per_account: u32,
}

/// One counted login attempt; see [`LoginLimits`].
#[must_use = "an attempt whose password was right must be taken back"]
pub struct LoginAttempt {
    buckets: Vec<String>,
    keys: Vec<Vec<u8>>,
    window_start: DateTime<Utc>,
}

const LOGIN_BUCKETS: [&str; 3] = ["login.account_address", "login.address", "login.account"];

impl LoginLimits {
    pub fn new(throttle: &ThrottleConfig) -> Self {
        Self {
            window: throttle.login_window.get(),
            per_account_address: throttle.login_failures_per_account_address,
            per_address: throttle.login_failures_per_address,
            per_account: throttle.login_failures_per_account,
        }
    }

    /// Counts an attempt on `account` (its e-mail address, as typed) from
    /// `client`, and fails with `RateLimited` if it may not be checked.
    pub async fn attempt(
        &self,
        conn: &mut PgConnection,
        account: &str,
        client: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<LoginAttempt> {
        let throttle = Throttle { bucket: "login", limit: 0, window: self.window };
        let (window_start, retry_after) = throttle.window_of(now);
        let address = address_key(client);
        let pair = [account.as_bytes(), &[0], &address].concat();
        let keys: Vec<Vec<u8>> = LOGIN_BUCKETS
            .iter()
            .zip([&pair, &address, &account.as_bytes().to_vec()])
            .map(|(bucket, key)| hash(bucket, key))
            .collect();
        let buckets: Vec<String> = LOGIN_BUCKETS.iter().map(|bucket| (*bucket).to_owned()).collect();
        let counts = db::throttle::hit_each(conn, &buckets, &keys, window_start).await?;
        let attempt = LoginAttempt { buckets, keys, window_start };
        let [pair, address, account] = [0, 1, 2].map(|i| u32::try_from(counts[i]).unwrap_or(u32::MAX));
        let refused =
            pair > self.per_account_address || address > self.per_address || (account > self.per_account && pair > 1);
        match refused {
            true => Err(Error::RateLimited { retry_after }),
            false => Ok(attempt),
        }
    }
}

impl LoginAttempt {
    /// The password was right (or it could not be checked): the attempt
    /// does not count against anyone.
    pub async fn take_back(self, conn: &mut PgConnection) -> Result<()> {
        Ok(db::throttle::unhit_each(conn, &self.buckets, &self.keys, self.window_start).await?)
    }
}

fn hash(bucket: &str, key: &[u8]) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(bucket.as_bytes());
    digest.update([0]);
    digest.update(key);
    digest.finalize().to_vec()
}

/// The throttling key of a client address: IPv6 clients are grouped by /64,
/// since one client usually holds a whole /64.
pub fn address_key(address: IpAddr) -> Vec<u8> {
    match address {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    }
}

/// Deletes throttle windows that ended (all older than the longest window).
pub async fn purge(state: &crate::state::AppState, now: DateTime<Utc>) -> Result<u64> {
    let throttle = &state.config.throttle;
    let longest = [
        throttle.login_window,
        throttle.signup_window,
        throttle.objection_window,
        throttle.members_window,
        throttle.evidence_window,
        throttle.verify_upload_window,
        throttle.webhook_ping_window,
        throttle.webhook_redelivery_window,
        throttle.api_key_window,
        throttle.confirmation_resend_window,
        throttle.password_reset_window,
        throttle.status_query_window,
    ]
    .into_iter()
    .map(ExactDuration::get)
    // The hourly mail budgets (services::notifications) have windows of their own.
    .chain([std::time::Duration::from_secs(3600)])
    .max()
    .unwrap_or_default();
    let before = now - chrono::Duration::from_std(longest).unwrap_or(chrono::Duration::days(1));
    Ok(db::throttle::delete_before(&mut *state.db.acquire().await?, before).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_report_the_time_left() {
        let throttle = Throttle { bucket: "t", limit: 1, window: Duration::from_secs(60) };
        let now: DateTime<Utc> = "2026-11-26T10:00:45Z".parse().expect("time");
        let (start, left) = throttle.window_of(now);
        assert_eq!(start, "2026-11-26T10:00:00Z".parse::<DateTime<Utc>>().expect("time"));
        assert_eq!(left, Duration::from_secs(15));
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(mapped), vec![10, 0, 0, 1]);
    }
}
