//! Everything a request handler or a job needs, cheap to clone.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::{
    auth::{JwtKeys, PasswordHasher},
    clock::SharedClock,
    config::Config,
    ledger::anchor::EvmAnchor,
    notifications::mail::Mailer,
    secrets,
    signing::Signer,
};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
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
    pub fn new(mut config: Config, db: PgPool, clock: SharedClock) -> anyhow::Result<Self> {
        config.resolve_origin();
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
            webhook_client: crate::services::webhooks::client(&config.webhooks)?,
            signer: Arc::new(Signer::load(&config)?),
            jwt: Arc::new(JwtKeys::new(&jwt_secret, config.auth.access_token_ttl)),
            passwords: PasswordHasher::new(config.auth.hashing_concurrency, config.auth.hashing_queue),
            metrics: crate::http::metrics::handle(),
            config: Arc::new(config),
            db,
            clock,
        })
    }
}
