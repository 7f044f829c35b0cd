//! The background worker: every `worker.interval` it runs each job once.
//! Jobs take their due rows with `FOR UPDATE SKIP LOCKED` (anchoring: with
//! a lease) and re-check state guards, so several worker processes can run
//! side by side.

mod webhooks;

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::{
    services::{
        self, accounts, certificates, notifications,
        registration::{applications, closing, materials},
        throttle,
        transparency::{anchoring, ledger, witnessing},
    },
    state::AppState,
};

/// One job of the worker's step: its name in the log, what it does (how
/// many things it did), and how the log says so when it did something
/// (`None`: it does not; operators count by these fields).
struct Job {
    name: &'static str,
    run: for<'a> fn(&'a AppState) -> BoxFuture<'a, services::Result<u64>>,
    done: Option<fn(u64)>,
}

/// The jobs of every step, in order: the ledger after the jobs that record
/// acts, so that these reach it in the same step. A new job is a row here.
const STEP: [Job; 9] = [
    Job {
        name: "supplement_deadlines",
        run: |state| Box::pin(applications::lapse_due_supplements(state, 100)),
        done: Some(|lapsed| tracing::info!(lapsed, "supplement deadlines passed: applications deemed withdrawn")),
    },
    Job {
        name: "announcements",
        run: |state| Box::pin(closing::close_due(state, closing::BATCH)),
        done: Some(|closed| tracing::info!(closed, "announcement windows closed")),
    },
    Job {
        name: "expiry",
        run: |state| Box::pin(certificates::expire_due(state, 500)),
        done: Some(|expired| tracing::info!(expired, "certificates expired")),
    },
    Job {
        name: "confirmations",
        run: |state| Box::pin(certificates::acts::confirmations::lapse_due(state)),
        done: Some(|lapsed| tracing::info!(lapsed, "acts lapsed unconfirmed by their counterparty")),
    },
    Job {
        name: "measures",
        run: |state| Box::pin(certificates::measures::lift_ended(state)),
        done: Some(|lifted| tracing::info!(lifted, "preservation measures lifted at the end of their term")),
    },
    Job { name: "ledger", run: |state| Box::pin(ledger::append_pending(state)), done: None },
    Job {
        name: "certificate_events",
        run: |state| Box::pin(notifications::certificate_events::tell_due(state)),
        done: Some(|told| tracing::info!(told, "watched certificates' changes told")),
    },
    Job { name: "housekeeping", run: |state| Box::pin(housekeeping(state)), done: None },
    Job {
        name: "reminders",
        run: |state| Box::pin(notifications::remind(state)),
        done: Some(|sent| tracing::info!(sent, "reminders queued")),
    },
];

/// Forgets what can no longer matter: expired refresh tokens, workbench
/// sessions, password resets and confirmation links, old throttle windows, day-old
/// idempotency keys, persons' identity documents past their retention,
/// and file contents nothing uses.
async fn housekeeping(state: &AppState) -> services::Result<u64> {
    let now = state.clock.now();
    let tokens = accounts::sessions::purge_expired(state, now).await?
        + accounts::password_resets::purge_expired(state, now).await?
        + accounts::email_confirmations::purge_expired(state, now).await?
        + accounts::web_sessions::purge_expired(state, now).await?;
    let windows = throttle::purge(state, now).await?;
    let keys = applications::purge_idempotency_keys(state, now).await?
        + accounts::verification::purge_idle_identity_documents(state, now).await?;
    let blobs = materials::purge_unused_blobs(state).await?;
    if tokens + windows + keys + blobs > 0 {
        tracing::debug!(tokens, windows, keys, blobs, "housekeeping");
    }
    Ok(tokens + windows + keys + blobs)
}

/// Publishes the checkpoints due to the configured chain; when `stop` is
/// cancelled, returns at once, even mid-publication. Runs in a loop of its
/// own: it waits on a chain that may be slow or gone.
async fn anchor_due(state: &AppState, stop: &CancellationToken) -> anyhow::Result<()> {
    if let Some(anchor) = &state.anchor {
        anchoring::publish_due(state, anchor.as_ref(), stop).await?;
    }
    Ok(())
}

/// Delivers the mail of the outbox that is due.
async fn mail_due(state: &AppState, stop: &CancellationToken) -> anyhow::Result<()> {
    let delivered = notifications::deliver_mail_due(state, stop).await?;
    if delivered > 0 {
        tracing::info!(delivered, "mail delivered");
    }
    Ok(())
}

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
        let interval = self.state.config.worker.interval.get();
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
        let (mail, webhooks) = tokio::join!(mail_due(&self.state, &stop), webhooks::run(&self.state));
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
        report("anchors", anchor_due(&self.state, &CancellationToken::new()).await);
    }

    /// Runs every job of [`STEP`] once. A failing job is logged and
    /// retried next step; it does not stop the others.
    async fn jobs_step(&self) {
        for job in &STEP {
            match (job.run)(&self.state).await {
                Ok(count) if count > 0 => {
                    if let Some(done) = job.done {
                        done(count);
                    }
                }
                Ok(_) => {}
                Err(error) => report(job.name, Err(error.into())),
            }
        }
    }
}

/// Anchoring's own loop: a publication in progress is dropped as soon as
/// `shutdown` is cancelled.
async fn anchor_loop(state: AppState, interval: Duration, shutdown: CancellationToken) {
    loop {
        report("anchors", anchor_due(&state, &shutdown).await);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// Mail's own loop; the message in hand is delivered before it stops.
async fn mail_loop(state: AppState, interval: Duration, shutdown: CancellationToken) {
    loop {
        report("notifications", mail_due(&state, &shutdown).await);
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
