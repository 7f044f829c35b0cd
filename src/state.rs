//! Everything a request handler or a job needs, cheap to clone.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::{PgPool, Postgres, pool::PoolConnection};

use crate::{
    auth::{JwtKeys, PasswordHasher},
    change_feed::ChangeFeed,
    clock::SharedClock,
    config::Config,
    ledger::anchor::EvmAnchor,
    notifications::{mail::Mailer, webhook_client},
    secrets,
};
use tlog::signing::Signer;

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    /// A streaming replica for public reads (`database.read_url`); `None`:
    /// the primary serves them.
    pub replica: Option<PgPool>,
    /// Tells this process when the public views may have changed.
    pub changes: Arc<ChangeFeed>,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub passwords: PasswordHasher,
    pub jwt: Arc<JwtKeys>,
    pub metrics: PrometheusHandle,
    pub signer: Arc<Signer>,
    /// Publishes checkpoints to a chain; `None` unless configured.
    pub anchor: Option<Arc<EvmAnchor>>,
    /// Sends mail through the operator's SMTP server; `None` unless configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Delivers webhooks: no redirects, public addresses only (unless
    /// configured otherwise).
    pub webhook_client: reqwest::Client,
    /// Signs one-click unsubscribe links; derived from the token secret.
    pub unsubscribe_key: Arc<aws_lc_rs::hmac::Key>,
}

impl AppState {
    /// Over a configuration whose derived settings are settled
    /// ([`Config::settle`]).
    pub fn new(config: Config, db: PgPool, clock: SharedClock) -> anyhow::Result<Self> {
        let jwt_secret = match config.auth.jwt_secret.expose() {
            // Outside production only (production refuses to start without
            // one): kept in the data directory, so tokens outlive restarts.
            "" => {
                let path = config.token_secret_file();
                let (secret, created) = secrets::read_or_create(&path)?;
                if created {
                    tracing::info!(path = %path.display(), "created the token secret of this data directory");
                }
                secret.to_vec()
            }
            secret => secret.as_bytes().to_vec(),
        };
        let anchor = match config.anchor.enabled() {
            true => Some(Arc::new(EvmAnchor::new(&config.anchor)?)),
            false => None,
        };
        // A key of its own, so that no other use of the token secret can
        // produce an unsubscribe token, nor the reverse.
        let derived = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &jwt_secret),
            b"dataip one-click unsubscribe",
        );
        Ok(Self {
            unsubscribe_key: Arc::new(aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, derived.as_ref())),
            anchor,
            mailer: Mailer::new(&config.mail)?.map(Arc::new),
            webhook_client: webhook_client::client(&config.webhooks)?,
            signer: Arc::new(crate::secrets::signing_key(&config)?),
            jwt: Arc::new(JwtKeys::new(&jwt_secret, config.auth.access_token_ttl)),
            passwords: PasswordHasher::new(config.auth.hashing_concurrency, config.auth.hashing_queue),
            metrics: crate::telemetry::metrics_handle(),
            changes: Arc::default(),
            replica: None,
            config: Arc::new(config),
            db,
            clock,
        })
    }
}

impl AppState {
    /// A connection for a public read: the replica once it has replayed the
    /// latest change the change feed heard of, else the primary. Reads from
    /// the replica may be a moment old; they are never older than a change
    /// this process knows of, so nothing from before it is cached again.
    pub async fn public_read(&self) -> sqlx::Result<PoolConnection<Postgres>> {
        let (Some(replica), Some(fresh_from)) = (&self.replica, self.changes.fresh_from()) else {
            return self.db.acquire().await;
        };
        let mut conn = replica.acquire().await?;
        // NULL when the "replica" is not in recovery: then it is a primary
        // itself, and current.
        let replayed: Option<i64> = sqlx::query_scalar("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
            .fetch_one(&mut *conn)
            .await?;
        match replayed.map(|position| u64::try_from(position).unwrap_or_default()) {
            Some(position) if position < fresh_from => self.db.acquire().await,
            _ => Ok(conn),
        }
    }
}
