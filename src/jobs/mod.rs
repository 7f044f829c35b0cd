//! The background worker: a loop that, every `worker.interval`, runs each
//! job once. Jobs take their due rows with `FOR UPDATE SKIP LOCKED` and
//! re-check state guards, so several worker processes can run side by side.

mod anchors;
mod announcements;
mod expiry;
mod housekeeping;
mod ledger;
mod supplement_deadlines;

use tokio_util::sync::CancellationToken;

use crate::{config::Config, state::AppState};

pub struct Worker {
    state: AppState,
}

impl Worker {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Runs until `shutdown` is cancelled; a step in progress is finished
    /// first, never abandoned halfway.
    pub async fn run(self, shutdown: CancellationToken) {
        let interval = Config::exact(self.state.config.worker.interval);
        tracing::info!(?interval, "worker started");
        loop {
            self.step().await;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("worker stopped");
    }

    /// Runs every job once. A failing job is logged and retried next step;
    /// it does not stop the others.
    pub async fn step(&self) {
        let results = [
            ("supplement_deadlines", supplement_deadlines::run(&self.state).await),
            ("announcements", announcements::run(&self.state).await),
            ("expiry", expiry::run(&self.state).await),
            // After the jobs that record acts, so that they reach the ledger in the same step.
            ("ledger", ledger::run(&self.state).await),
            ("anchors", anchors::run(&self.state).await),
            ("housekeeping", housekeeping::run(&self.state).await),
        ];
        for (job, result) in results {
            if let Err(error) = result {
                tracing::error!(job, error = format!("{error:#}"), "job failed");
            }
        }
    }
}
