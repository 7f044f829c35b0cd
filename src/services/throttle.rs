//! Fixed-window throttles kept in the database, so every replica shares one
//! budget. Keys are hashed: no e-mail address or IP is stored in clear.

use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::{Error, Result};
use crate::{config::Config, db};

/// One kind of limited action.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub bucket: &'static str,
    pub limit: u32,
    pub window: Duration,
}

impl Throttle {
    /// Fails with `RateLimited` when `key` has used up this window.
    pub async fn check(&self, conn: &mut PgConnection, key: &[u8], now: DateTime<Utc>) -> Result<()> {
        let (start, retry_after) = self.window_of(now);
        let hits = db::throttle::hits(conn, self.bucket, &hash(self.bucket, key), start).await?;
        self.judge(hits, retry_after)
    }

    /// Counts one use of `key`.
    pub async fn record(&self, conn: &mut PgConnection, key: &[u8], now: DateTime<Utc>) -> Result<()> {
        let (start, _) = self.window_of(now);
        db::throttle::hit(conn, self.bucket, &hash(self.bucket, key), start).await?;
        Ok(())
    }

    /// Counts one use of `key` and fails if it went over the limit.
    pub async fn take(&self, conn: &mut PgConnection, key: &[u8], now: DateTime<Utc>) -> Result<()> {
        let (start, retry_after) = self.window_of(now);
        let hits = db::throttle::hit(conn, self.bucket, &hash(self.bucket, key), start).await?;
        self.judge(hits - 1, retry_after)
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
    let longest = Config::exact(throttle.login_window).max(Config::exact(throttle.signup_window));
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
