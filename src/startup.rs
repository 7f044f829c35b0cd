//! Building and running the application: the HTTP server and the worker
//! under one graceful shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{clock::SharedClock, config::Config, db, http, jobs::Worker, state::AppState};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Creates the database if missing, applies migrations, and binds the
    /// listen address (port 0 picks a free port; see `port`).
    pub async fn build(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let pool = db::prepare(&config).await?;
        let addr = config.server.addr;
        let state = AppState::new(config, pool, clock)?;
        crate::services::ledger::check_signing_key(&state).await?;
        let listener = TcpListener::bind(addr).await.with_context(|| format!("could not listen on {addr}"))?;
        Ok(Self { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|addr| addr.port()).unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves requests and runs the worker until `shutdown` is cancelled;
    /// then stops accepting, lets in-flight requests finish and the worker
    /// end its current step.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let worker = tokio::spawn(Worker::new(self.state.clone()).run(shutdown.clone()));
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        let app = http::router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await;
        shutdown.cancel();
        worker.await.context("worker task failed")?;
        served.context("server failed")
    }
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
