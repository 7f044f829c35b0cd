//! Building and running the application: the HTTP server and the worker
//! under one graceful shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use axum::{Router, middleware};
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    api,
    change_feed::{Heartbeat, Subscription},
    clock::SharedClock,
    config::Config,
    db,
    http::{
        self,
        public_cache::{self, PublicReads},
        serve::{Limits, serve},
    },
    jobs::Worker,
    portal,
    state::AppState,
    workbench,
};

pub struct Application {
    listener: TcpListener,
    /// `server.metrics_addr`'s, when set.
    metrics_listener: Option<TcpListener>,
    /// Where the change feed listens.
    listen_on: PgConnectOptions,
    state: AppState,
}

impl Application {
    /// Creates the database if missing, applies migrations, and binds the
    /// listen addresses (port 0 picks a free port; see `port`).
    pub async fn build(mut config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let pool = db::prepare(&config.database).await?;
        let (addr, metrics_addr) = (config.server.addr, config.server.metrics_addr);
        let listener = bind(addr).await?;
        config.settle(Some(listener.local_addr()?));
        let replica = db::connect_replica(&config.database).await?;
        let listen_on = db::listen_options(&config.database, &pool)?;
        let mut state = AppState::new(config, pool, clock)?;
        state.replica = replica;
        crate::services::transparency::ledger::check_signing_key(&state).await?;
        warn_if_the_calendar_ends_soon(&state);
        let metrics_listener = match metrics_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(Self { listener, metrics_listener, listen_on, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|addr| addr.port()).unwrap_or_default()
    }

    /// The port of `server.metrics_addr`, when set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|listener| listener.local_addr().ok()).map(|addr| addr.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves requests and runs the worker until `shutdown` is cancelled;
    /// then stops accepting, lets in-flight requests finish and the worker
    /// end its current step, for at most `server.shutdown_grace`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let config = self.state.config.clone();
        let grace = config.server.shutdown_grace.get();
        let limits = Limits::of(&config.server);
        let worker = tokio::spawn(Worker::new(self.state.clone()).run(shutdown.clone()));
        tokio::spawn(crate::telemetry::metrics_upkeep(self.state.metrics.clone(), shutdown.clone()));
        let subscription = Subscription {
            listen_on: self.listen_on,
            db: self.state.db.clone(),
            track_position: self.state.replica.is_some(),
            heartbeat: Heartbeat::within(config.server.public_cache_max_age.get()),
        };
        tokio::spawn(self.state.changes.clone().listen(subscription, shutdown.clone()));
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        let mut servers = tokio::task::JoinSet::new();
        if let Some(listener) = self.metrics_listener {
            tracing::info!(addr = %listener.local_addr()?, "serving /metrics");
            let router = api::metrics_router(self.state.clone());
            servers.spawn(serve(listener, router, limits.clone(), shutdown.clone(), grace));
        }
        servers.spawn(serve(self.listener, web_app(self.state), limits, shutdown.clone(), grace));

        shutdown.cancelled().await;
        let deadline = tokio::time::Instant::now() + grace;
        let drained = tokio::time::timeout_at(deadline, async {
            while servers.join_next().await.is_some() {}
            worker.await
        })
        .await;
        match drained {
            Ok(worker) => worker.context("worker task failed"),
            Err(_) => {
                tracing::warn!(?grace, "the shutdown grace period ended before the worker's step did; stopping");
                Ok(())
            }
        }
    }
}

/// The web edge: the API's, the portal's and the workbench's routers under the middleware
/// every request passes through.
pub fn web_app(state: AppState) -> Router {
    let config = state.config.clone();
    let app = api::router(&config)
        .merge(portal::router())
        .merge(workbench::router(state.clone()))
        .layer(middleware::from_fn_with_state(PublicReads::new(state.clone()), public_cache::track))
        .with_state(state);
    http::with_middleware(app, &config)
}

/// Deadlines in working days past the calendar's last listed year count
/// only the week; the operator should add the next year's holidays.
fn warn_if_the_calendar_ends_soon(state: &AppState) {
    let today = state.config.calendar.today(state.clock.now());
    let covered_until = state.config.calendar.working_days.covered_until();
    if covered_until.is_none_or(|last| last < today + chrono::Days::new(90)) {
        tracing::warn!(
            covered_until = ?covered_until,
            "the working calendar (workflow.calendar_file) ends within 90 days: add the next year's public holidays \
             and make-up working days when the State Council publishes them"
        );
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("could not listen on {addr}"))
}

/// A token cancelled on ctrl-c or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    cancel.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down: draining requests, finishing the worker's step");
        cancel.cancel();
    });
    token
}
