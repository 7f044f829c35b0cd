//! The change feed: PostgreSQL notifies `dataip_public` whenever a
//! transaction changes what the public may read (triggers on the tables
//! behind the public views, for the rows and columns the public sees,
//! delivered at commit to every process listening). Each process counts
//! the changes it hears of in a generation: whatever it keeps of the public
//! views is keyed by the generation it was read in, so nothing read before
//! a change is served after it.
//!
//! While the feed is not listening (starting, or reconnecting after its
//! connection broke) changes may go unheard, so there is no generation and
//! nothing may be served from a cache; every reconnection starts a new
//! generation, which flushes what was kept before.
//!
//! A connection can also go silent without breaking (half-open: a peer or
//! a middlebox gone without a word, which TCP keepalive finds out only
//! hours later). So the feed sends itself an echo through its own
//! connection every quarter of `server.public_cache_max_age` and must hear
//! it within another quarter (`listen::Heartbeat`); on a miss it stops
//! listening, which flushes, and subscribes again on a new connection. A
//! silent feed is noticed within half the max age, and the cache serves
//! nothing older than the max age meanwhile.
//!
//! A writer reads its own write at once, yet a write the public cannot see
//! flushes nothing: before its answer, a write through this process waits
//! until the feed has heard an echo sent after the write committed
//! (`catch_up`). Notifications arrive in commit order, so by then the feed
//! has heard the write's own notification, if the write made one, and
//! started a new generation for it; a write no trigger reported (a draft
//! edited, an API key made, an act filed and still pending) leaves the
//! generation, and the replica's use, as they were. An echo not heard
//! within `CATCH_UP_LIMIT` starts a new generation anyway, as if the write
//! had changed something public.
//!
//! With a read replica, the feed also notes the primary's WAL position after
//! each change: public reads go to the replica only once it has replayed
//! that far, so caches never refill with rows from before the change.

mod echo;
mod listen;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use self::echo::{ECHO_CHANNEL, Echoes};
pub use self::listen::{APPLICATION_NAME, Heartbeat, Subscription};

/// The channel the triggers notify (see the migration `public_reads`).
pub const CHANNEL: &str = "dataip_public";

/// The WAL position nobody knows yet: public reads go to the primary.
const UNKNOWN_POSITION: u64 = u64::MAX;

/// How long to wait before listening again after the connection failed.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// How long a writer waits for its echo before starting a new generation
/// instead: far longer than an echo takes on a healthy connection, short
/// enough that a write during a silence (until the heartbeat notices it)
/// is not held up for long.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct ChangeFeed {
    generation: AtomicU64,
    listening: AtomicBool,
    /// The primary's WAL position after the latest change heard of, as
    /// bytes from 0/0; `UNKNOWN_POSITION` until known.
    fresh_from: AtomicU64,
    echoes: Echoes,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            fresh_from: AtomicU64::new(0),
            echoes: Echoes::default(),
        }
    }
}

impl ChangeFeed {
    /// The current generation, or `None` while changes may go unheard.
    pub fn generation(&self) -> Option<u64> {
        // Acquire pairs with the Release of `start_listening`: a generation
        // read as live was made after the listener was subscribed.
        self.listening.load(Ordering::Acquire).then(|| self.generation.load(Ordering::Acquire))
    }

    /// A change made by this process, committed, that the feed may not
    /// have heard of: seen here at once. Its WAL position is not known, so
    /// public reads go to the primary until the next notification.
    pub fn changed_here(&self) {
        self.fresh_from.store(UNKNOWN_POSITION, Ordering::Release);
        self.advance();
    }

    /// Returns once the feed has heard of every change committed before
    /// the call (see the module's documentation), or has started a new
    /// generation as if it had.
    pub async fn catch_up(&self, db: &PgPool) {
        if self.generation().is_some() {
            let echo = self.echoes.make();
            let heard = tokio::time::timeout(CATCH_UP_LIMIT, async {
                let sent =
                    sqlx::query("SELECT pg_notify($1, $2)").bind(ECHO_CHANNEL).bind(&echo.payload).execute(db).await;
                if sent.is_ok() {
                    self.echoes.heard(echo.number).await;
                }
                sent.map(drop)
            })
            .await;
            match heard {
                Ok(Ok(())) => return,
                Ok(Err(error)) => tracing::warn!(%error, "could not send a write's echo"),
                Err(_) => tracing::warn!(limit = ?CATCH_UP_LIMIT, "a write's echo was not heard in time"),
            }
            metrics::counter!("change_feed_catch_up_failures_total").increment(1);
        }
        self.changed_here();
    }

    /// The WAL position a replica must have replayed to serve public reads;
    /// `None`: read from the primary.
    pub fn fresh_from(&self) -> Option<u64> {
        Some(self.fresh_from.load(Ordering::Acquire)).filter(|&position| position != UNKNOWN_POSITION)
    }

    /// As if listening, for tests of what reads the generation.
    #[cfg(test)]
    pub(crate) fn pretend_listening(&self) {
        self.listening.store(true, Ordering::Release);
    }

    fn advance(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        metrics::counter!("public_cache_generations_total").increment(1);
    }

    /// A new generation, live: the listener is subscribed.
    fn start_listening(&self) {
        self.advance();
        self.listening.store(true, Ordering::Release);
    }

    /// Listens until `shutdown`, reconnecting whenever the connection
    /// breaks or goes silent.
    pub async fn listen(self: Arc<Self>, subscription: Subscription, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                ended = self.listen_once(&subscription) => {
                    self.listening.store(false, Ordering::Release);
                    self.advance();
                    if let Err(error) = ended {
                        tracing::warn!(%error, "the change feed lost its connection; public caches are off until it is back");
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RECONNECT_DELAY) => {}
            }
        }
    }

    async fn note_position(&self, pool: &PgPool, track_position: bool) -> sqlx::Result<()> {
        if !track_position {
            return Ok(());
        }
        let position: i64 =
            sqlx::query_scalar("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint").fetch_one(pool).await?;
        self.fresh_from.store(u64::try_from(position).unwrap_or(UNKNOWN_POSITION), Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_generation_until_listening_and_local_changes_advance_it() {
        let feed = ChangeFeed::default();
        assert_eq!(feed.generation(), None, "not listening yet");
        feed.pretend_listening();
        let first = feed.generation().expect("listening");
        feed.changed_here();
        assert_eq!(feed.generation(), Some(first + 1));
        assert_eq!(feed.fresh_from(), None, "a local change sends reads to the primary");
    }
}
