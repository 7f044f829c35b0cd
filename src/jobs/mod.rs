//! The background worker: every `worker.interval` it runs each job once.
//! Jobs take their due rows with `FOR UPDATE SKIP LOCKED` (anchoring: with
//! a lease) and re-check state guards, so several worker processes can run
//! side by side.

mod anchors;
mod announcements;
mod expiry;
mod housekeeping;
mod ledger;
mod notifications;
mod reminders;
mod supplement_deadlines;
mod webhooks;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{config::Config, services::transparency::witnessing, state::AppState};

pub struct Worker {
    state: AppState,
}

impl Worker {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Runs until `shutdown` is cancelled. Anchoring, mail and webhooks each
    /// run in a task of their own, on the same interval, so that a slow or
    /// silent chain, mail server or endpoint delays only its own work, never
    /// issuance, announcements, expiry, the ledger, or one another (each
    /// webhook endpoint on its own, too).
    /// On shutdown the other jobs finish the step in progress, never
    /// abandoned halfway, while a publication in progress is dropped (its
    /// claim runs out and it is retried); returns once both have stopped.
    pub async fn run(self, shutdown: CancellationToken) {
        let interval = Config::exact(self.state.config.worker.interval);
        tracing::info!(?interval, "worker started");
        let stop_anchoring = shutdown.child_token();
        // Should this future be dropped rather than stopped, anchoring stops too.
        let _stop_anchoring_on_drop = stop_anchoring.clone().drop_guard();
        let anchoring = tokio::spawn(anchor_loop(self.state.clone(), interval, stop_anchoring));
        let mail = tokio::spawn(mail_loop(self.state.clone(), interval, shutdown.clone()));
        let webhooks = tokio::spawn(webhooks::run_until_stopped(self.state.clone(), interval, shutdown.clone()));
        let witnesses: Vec<_> = (0..self.state.config.ledger.witnesses.len())
            .map(|peer| tokio::spawn(witness_loop(self.state.clone(), peer, interval, shutdown.clone())))
            .collect();
        loop {
            self.jobs_step().await;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        if let Err(error) = anchoring.await {
            tracing::error!(%error, "the anchoring task failed");
        }
        if let Err(error) = mail.await {
            tracing::error!(%error, "the mail task failed");
        }
        if let Err(error) = webhooks.await {
            tracing::error!(%error, "the webhooks task failed");
        }
        for witness in witnesses {
            if let Err(error) = witness.await {
                tracing::error!(%error, "a witness task failed");
            }
        }
        tracing::info!("worker stopped");
    }

    /// Runs every job once, anchoring last, one after the other: for tests,
    /// which move the worker by hand.
    pub async fn step(&self) {
        self.jobs_step().await;
        self.anchor_step().await;
        self.mail_step().await;
    }

    /// Delivers the outbox once: the mail and the webhooks that are due,
    /// side by side.
    pub async fn mail_step(&self) {
        let stop = CancellationToken::new();
        let (mail, webhooks) = tokio::join!(notifications::run(&self.state, &stop), webhooks::run(&self.state));
        report("notifications", mail);
        report("webhooks", webhooks);
    }

    /// Submits the latest checkpoint to every configured witness, once.
    pub async fn witness_step(&self) {
        let client = witnessing::client();
        for peer in &self.state.config.ledger.witnesses {
            report("witnesses", witnessing::submit(&self.state, &client, peer).await.map(drop));
        }
    }

    /// Publishes the checkpoints due to the chain, once.
    pub async fn anchor_step(&self) {
        report("anchors", anchors::run(&self.state, &CancellationToken::new()).await);
    }

    /// Runs every job but anchoring once. A failing job is logged and
    /// retried next step; it does not stop the others.
    async fn jobs_step(&self) {
        report("supplement_deadlines", supplement_deadlines::run(&self.state).await);
        report("announcements", announcements::run(&self.state).await);
        report("expiry", expiry::run(&self.state).await);
        // After the jobs that record acts, so that they reach the ledger in the same step.
        report("ledger", ledger::run(&self.state).await);
        report("housekeeping", housekeeping::run(&self.state).await);
        report("reminders", reminders::run(&self.state).await);
    }
}

/// Anchoring's own loop: a publication in progress is dropped as soon as
/// `shutdown` is cancelled.
async fn anchor_loop(state: AppState, interval: Duration, shutdown: CancellationToken) {
    loop {
        report("anchors", anchors::run(&state, &shutdown).await);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// Mail's own loop; the message in hand is delivered before it stops.
async fn mail_loop(state: AppState, interval: Duration, shutdown: CancellationToken) {
    loop {
        report("notifications", notifications::run(&state, &shutdown).await);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// One witness's own loop: a witness that is down or slow delays only its
/// own cosignatures.
async fn witness_loop(state: AppState, peer: usize, interval: Duration, shutdown: CancellationToken) {
    let client = witnessing::client();
    let peer = state.config.ledger.witnesses[peer].clone();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            result = witnessing::submit(&state, &client, &peer) => report("witnesses", result.map(drop)),
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

fn report(job: &str, result: anyhow::Result<()>) {
    if let Err(error) = result {
        tracing::error!(job, error = format!("{error:#}"), "job failed");
    }
}
