//! The feed's connection: subscribing, hearing, and the heartbeat that
//! finds out when the connection has gone silent without breaking.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use super::{CHANNEL, ChangeFeed, echo::ECHO_CHANNEL};

/// The listening connection's name in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "dataip change feed";

/// How the feed checks that its connection still hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// How long after the last echo heard the next is sent.
    pub every: Duration,
    /// How long an echo may take to be heard (and a new connection to
    /// subscribe) before the connection is given up.
    pub deadline: Duration,
}

impl Heartbeat {
    /// A quarter of the public cache's max age each: a feed gone silent is
    /// noticed within half of it, well before an entry kept from before
    /// the silence would expire anyway.
    pub fn within(max_age: Duration) -> Self {
        let quarter = max_age / 4;
        Self { every: quarter, deadline: quarter }
    }
}

/// Where and how the feed listens.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// `database.listen_url`, else the primary's own options: it must reach
    /// the primary, directly or through a session-pooling proxy.
    pub listen_on: PgConnectOptions,
    /// The primary, for its WAL position and for ending a silent
    /// connection's backend.
    pub db: PgPool,
    /// Note the primary's WAL position after each change (when public
    /// reads may go to a replica).
    pub track_position: bool,
    pub heartbeat: Heartbeat,
}

/// Why a connection's life ended.
#[derive(Debug, thiserror::Error)]
pub(super) enum Ended {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the connection closed")]
    Closed,
    #[error("nothing heard within {0:?} ({1})")]
    Silent(Duration, &'static str),
}

/// The server process behind a listening connection, as
/// `pg_terminate_backend` needs it (its start tells it from a later
/// process given the same pid).
struct Backend {
    pid: i32,
    started: DateTime<Utc>,
}

impl ChangeFeed {
    /// One connection's life: subscribe, start a new generation (anything
    /// may have changed unheard before), then advance on every change heard
    /// until the connection breaks or its heartbeat is missed.
    pub(super) async fn listen_once(&self, subscription: &Subscription) -> Result<(), Ended> {
        let deadline = subscription.heartbeat.deadline;
        let (mut listener, backend) = timeout(deadline, subscribe(&subscription.listen_on))
            .await
            .map_err(|_| Ended::Silent(deadline, "subscribing"))??;
        self.note_position(&subscription.db, subscription.track_position).await?;
        self.start_listening();
        tracing::debug!("the change feed is listening");
        let ended = self.hear(&mut listener, subscription).await;
        if let Err(Ended::Silent(..)) = &ended {
            metrics::counter!("change_feed_heartbeats_missed_total").increment(1);
            // The server would otherwise keep the silent connection's
            // process, and the notifications queued for it, until TCP
            // keepalive gives up on it: hours.
            terminate(&subscription.db, &backend, deadline).await;
        }
        ended
    }

    /// Hears changes and echoes, sending an echo through the connection
    /// itself every `heartbeat.every`; ends when one is not heard within
    /// `heartbeat.deadline`.
    async fn hear(&self, listener: &mut PgListener, subscription: &Subscription) -> Result<(), Ended> {
        let Heartbeat { every, deadline } = subscription.heartbeat;
        // The echo awaited, if any, and when the next beat (or the miss) is due.
        let mut awaited: Option<u64> = None;
        let mut due = Instant::now() + every;
        loop {
            // Cancelling `try_recv` loses nothing: it takes a message off
            // the connection only whole.
            let received = tokio::select! {
                received = listener.try_recv() => received?,
                () = sleep_until(due) => {
                    if awaited.is_some() {
                        return Err(Ended::Silent(deadline, "heartbeat"));
                    }
                    due = Instant::now() + deadline;
                    let echo = self.echoes.make();
                    let send = sqlx::query("SELECT pg_notify($1, $2)").bind(ECHO_CHANNEL).bind(&echo.payload);
                    timeout_at(due, send.execute(&mut *listener))
                        .await
                        .map_err(|_| Ended::Silent(deadline, "heartbeat"))??;
                    awaited = Some(echo.number);
                    continue;
                }
            };
            // None: the connection broke; this connection's life is over,
            // whatever it would reconnect to.
            let notification = received.ok_or(Ended::Closed)?;
            if notification.channel() == CHANNEL {
                self.note_position(&subscription.db, subscription.track_position).await?;
                self.advance();
            } else if let Some(number) = self.echoes.hear(notification.payload())
                && awaited.is_some_and(|awaited| number >= awaited)
            {
                awaited = None;
                due = Instant::now() + every;
            }
        }
    }
}

/// A listener on a connection of its own (a pool of one): a silent
/// connection is never handed to anything else, and dropping it (which
/// sends `UNLISTEN` on it, and may wait on it for as long as it is silent)
/// holds up no other connection, its replacement's included.
async fn subscribe(options: &PgConnectOptions) -> sqlx::Result<(PgListener, Backend)> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options.clone().application_name(APPLICATION_NAME));
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.ignore_pool_close_event(true);
    // A broken connection must end this connection's life (see `hear`),
    // not be replaced behind the feed's back.
    listener.eager_reconnect(false);
    listener.listen_all([CHANNEL, ECHO_CHANNEL]).await?;
    let (pid, started) = sqlx::query_as("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        .fetch_one(&mut listener)
        .await?;
    Ok((listener, Backend { pid, started }))
}

/// Ends a silent connection's server process, if it is still there; a
/// failure is only logged (the process ends anyway, later).
async fn terminate(db: &PgPool, backend: &Backend, deadline: Duration) {
    let terminated =
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2")
            .bind(backend.pid)
            .bind(backend.started)
            .execute(db);
    match timeout(deadline, terminated).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, pid = backend.pid, "could not end the silent listener's backend"),
        Err(_) => tracing::warn!(pid = backend.pid, "could not end the silent listener's backend in time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_feed_is_noticed_within_half_the_max_age() {
        let heartbeat = Heartbeat::within(Duration::from_secs(60));
        assert_eq!(heartbeat, Heartbeat { every: Duration::from_secs(15), deadline: Duration::from_secs(15) });
        assert!(heartbeat.every + heartbeat.deadline <= Duration::from_secs(30));
    }
}
