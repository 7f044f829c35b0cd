//! Closing the announcements whose window has ended, a batch at a time and
//! set-based: with no objection open an application is registered and its
//! certificate issued (or, should a data-source agreement have ended
//! meanwhile, it is refused as the single path refuses it); otherwise it
//! waits for the reviewers' decisions. Each kind of row a batch writes is
//! one statement, so the cost per application is what the database does
//! per row, not round trips.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::services::{
    Result, certificates, notifications,
    procedure::{self, EventActor, Step},
};
use crate::{
    db::{self, applications::ApplicationRow},
    domain::Action,
    state::AppState,
};

/// Applications per transaction. Larger batches spread the per-statement
/// cost thinner but hold their locks and memory longer; measured in
/// BENCHMARKS.md (the worker).
pub const BATCH: i64 = 1000;

/// Closes the due announcements, a batch per transaction; safe with
/// several workers at once (each locks its batch, skipping others').
/// Returns how many were closed.
pub async fn close_due(state: &AppState, batch: i64) -> Result<u64> {
    let mut closed = 0;
    loop {
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let due = db::applications::lock_due_announcements(&mut tx, now, batch).await?;
        close(&mut tx, state, &due, now).await?;
        tx.commit().await?;
        closed += due.len() as u64;
        if (due.len() as i64) < batch {
            return Ok(closed);
        }
    }
}

/// What an announcement's end comes to.
enum Outcome {
    /// Objections are open: the reviewers decide.
    AwaitObjections(i64),
    /// A data-source agreement ended: refused, with this reason.
    Lapsed(String),
    Register,
}

/// Closes the locked applications `due`, in their order.
async fn close(conn: &mut PgConnection, state: &AppState, due: &[ApplicationRow], now: DateTime<Utc>) -> Result<()> {
    if due.is_empty() {
        return Ok(());
    }
    let ids: Vec<_> = due.iter().map(|application| application.id).collect();
    let open = db::objections::count_open_each(conn, &ids).await?;
    let outcomes = due
        .iter()
        .zip(&open)
        .map(|(application, &(_, open))| {
            if open > 0 {
                return Ok(Outcome::AwaitObjections(open));
            }
            procedure::check(application, Action::CloseAnnouncement)?;
            Ok(match certificates::lapsed_authorization(state, application, now) {
                Some(reason) => Outcome::Lapsed(reason),
                None => Outcome::Register,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let registering: Vec<&ApplicationRow> = due
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| matches!(outcome, Outcome::Register))
        .map(|(application, _)| application)
        .collect();
    let mut numbers = certificates::issue_each(conn, state, &registering, now).await?.into_iter();
    let mut steps = Vec::with_capacity(due.len());
    for (application, outcome) in due.iter().zip(outcomes) {
        let step = match outcome {
            Outcome::AwaitObjections(open) => {
                let note = Some(format!("the announcement ended with {open} objection(s) open"));
                Step::new(Action::AwaitObjections, EventActor::System).note(note)
            }
            Outcome::Lapsed(reason) => {
                tracing::info!(application_id = %application.id, "not registered: a data-source agreement ended");
                certificates::lapse_step(reason)
            }
            Outcome::Register => {
                let number = numbers.next().ok_or_else(|| anyhow::anyhow!("a certificate per registration"))?;
                let note = Some("the announcement ended with no objection".to_owned());
                certificates::registration_step(Action::CloseAnnouncement, EventActor::System, note, number)
            }
        };
        steps.push((application, step));
    }
    let updated = procedure::apply_each(conn, steps, now).await?;
    // Registered and refused applications tell their organization; those
    // awaiting objections tell nobody, as in the single path.
    notifications::applications_changed(conn, state, &updated, now).await?;
    tracing::debug!(closed = due.len(), issued = registering.len(), "a batch of announcements closed");
    Ok(())
}
