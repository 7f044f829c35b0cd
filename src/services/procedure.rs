//! Moving an application through the procedure: every transition is checked
//! against the state machine, guarded in SQL by the expected state, and
//! recorded in the history in the same transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::services::{Error, Result};
use crate::{
    auth::Actor,
    db::{
        self,
        application_events::EventRow,
        applications::{ApplicationRow, Move, TransitionChanges},
    },
    domain::{Action, ApplicationState, HistoryAction, RefusalGround},
};

/// Who did something to an application, as its history shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventActor {
    /// A person or API key of the applicant organization.
    Applicant(Uuid),
    /// Registry staff.
    Reviewer(Uuid),
    /// Anyone, without credentials (objections).
    Public,
    /// The registry itself (deadlines).
    System,
}

impl EventActor {
    pub fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::Applicant(id) => ("applicant", Some(id)),
            Self::Reviewer(id) => ("reviewer", Some(id)),
            Self::Public => ("public", None),
            Self::System => ("system", None),
        }
    }
}

impl From<Actor> for EventActor {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::User(id) | Actor::ApiKey(id) => Self::Applicant(id),
        }
    }
}

/// One step of the procedure.
pub struct Step {
    pub action: Action,
    pub actor: EventActor,
    pub note: Option<String>,
    pub changes: TransitionChanges,
}

impl Step {
    pub fn new(action: Action, actor: EventActor) -> Self {
        Self { action, actor, note: None, changes: TransitionChanges::default() }
    }

    pub fn note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    pub fn changes(mut self, changes: TransitionChanges) -> Self {
        self.changes = changes;
        self
    }
}

/// The error for an action the procedure does not allow from `from`.
pub fn invalid(from: ApplicationState, action: Action) -> Error {
    Error::InvalidTransition { subject: "application", from: from.to_string(), action: action.to_string() }
}

/// Checks that `action` is allowed from the application's state.
pub fn check(application: &ApplicationRow, action: Action) -> Result<ApplicationState> {
    application.state.after(action).ok_or_else(|| invalid(application.state, action))
}

/// Takes the step: the state moves only if it is still what `application`
/// says (otherwise a concurrent change won and this is an invalid
/// transition), and the history records it.
pub async fn apply(
    conn: &mut PgConnection,
    application: &ApplicationRow,
    step: Step,
    now: DateTime<Utc>,
) -> Result<ApplicationRow> {
    let to = check(application, step.action)?;
    let Some(updated) =
        db::applications::transition(conn, application.id, application.state, to, &step.changes, now).await?
    else {
        let current = db::applications::find(conn, application.id).await?.ok_or(Error::NotFound)?;
        return Err(invalid(current.state, step.action));
    };
    record_entry(conn, &updated, Entry::of_step(step, application.state), now).await?;
    Ok(updated)
}

/// [`apply`] for many applications, set-based: every move in one UPDATE,
/// every history entry in one INSERT, in the order given. Like `apply`, it
/// fails as a whole when an application is no longer where its row says.
/// Returns the applications as they are now, in the same order.
pub async fn apply_each(
    conn: &mut PgConnection,
    steps: Vec<(&ApplicationRow, Step)>,
    now: DateTime<Utc>,
) -> Result<Vec<ApplicationRow>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let moves = steps
        .iter()
        .map(|(application, step)| {
            let to = check(application, step.action)?;
            Ok(Move { id: application.id, from: application.state, to, changes: &step.changes })
        })
        .collect::<Result<Vec<_>>>()?;
    let moved: HashSet<Uuid> = db::applications::transition_each(conn, &moves, now).await?.into_iter().collect();
    if let Some((application, step)) = steps.iter().find(|(application, _)| !moved.contains(&application.id)) {
        let current = db::applications::find(conn, application.id).await?.ok_or(Error::NotFound)?;
        return Err(invalid(current.state, step.action));
    }
    let ids: Vec<Uuid> = steps.iter().map(|(application, _)| application.id).collect();
    let mut now_rows: HashMap<Uuid, ApplicationRow> =
        db::applications::find_each(conn, &ids).await?.into_iter().map(|row| (row.id, row)).collect();
    let mut updated = Vec::with_capacity(steps.len());
    let mut events = Vec::with_capacity(steps.len());
    for (application, step) in steps {
        let row = now_rows.remove(&application.id).ok_or(Error::NotFound)?;
        let entry = Entry::of_step(step, application.state);
        events.push(event_row(&row, entry, now));
        updated.push(row);
    }
    db::application_events::insert_each(conn, &events).await?;
    Ok(updated)
}

/// One history entry about an application.
struct Entry {
    actor: EventActor,
    action: HistoryAction,
    from: Option<ApplicationState>,
    note: Option<String>,
    refusal_grounds: Option<Vec<RefusalGround>>,
}

impl Entry {
    /// The history entry of `step`, taken from the state `from`.
    fn of_step(step: Step, from: ApplicationState) -> Self {
        Self {
            actor: step.actor,
            action: step.action.into(),
            from: Some(from),
            note: step.note,
            refusal_grounds: step.changes.refusal_grounds,
        }
    }
}

/// Writes one history entry; `from` is the state before (for a change of
/// state) and the entry's `to` the application's state now.
pub async fn record(
    conn: &mut PgConnection,
    application: &ApplicationRow,
    actor: EventActor,
    action: HistoryAction,
    from: Option<ApplicationState>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    record_entry(conn, application, Entry { actor, action, from, note, refusal_grounds: None }, now).await
}

async fn record_entry(
    conn: &mut PgConnection,
    application: &ApplicationRow,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<()> {
    db::application_events::insert(conn, &event_row(application, entry, now)).await?;
    Ok(())
}

/// The history row of `entry`; `application` is as the entry leaves it.
fn event_row(application: &ApplicationRow, entry: Entry, now: DateTime<Utc>) -> EventRow {
    let (actor_kind, actor_id) = entry.actor.parts();
    EventRow {
        id: Uuid::now_v7(),
        application_id: application.id,
        org_id: application.org_id,
        at: now,
        actor_kind: actor_kind.to_owned(),
        actor_id,
        action: entry.action,
        from_state: entry.from.or(Some(application.state)),
        to_state: Some(application.state),
        note: entry.note,
        refusal_grounds: entry.refusal_grounds,
    }
}
