//! The reviewers' side: the queue across all organizations, claiming an
//! application, and deciding on it.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{
    Error, Fields, Result,
    accounts::PartyView,
    audit::{self, Audit, AuditActor},
    procedure::{self, EventActor, Step},
    registration::application_views::{ApplicationView, EventView},
    registration::refiling::{self, SimilarFiling},
};
use crate::{
    auth::Staff,
    db::{
        self,
        applications::{ApplicationRow, TransitionChanges},
    },
    domain::{
        Action, ApplicationState, AuditAction, Comment, IsoDuration, Reason, RefusalGround, RegistrationNumber, Role,
        Text, authorization,
    },
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// Applications in this state (default `submitted`); drafts are private.
    pub state: Option<ApplicationState>,
}

/// An application as a reviewer sees it: with its organization, who has
/// claimed it, and its whole history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    #[serde(flatten)]
    pub application: ApplicationView,
    pub organization: Option<PartyView>,
    /// The reviewer who claimed it.
    pub reviewer_id: Option<Uuid>,
    pub events: Vec<EventView>,
    /// Other live applications and registrations, of any organization, that
    /// share this one's product name (ignoring case, width and white space)
    /// or the SHA-256 of its summary, processing and innovation, scenarios
    /// or sample: the most alike first, at most 20. Staff only.
    pub similar_filings: Vec<SimilarFiling>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    /// What is missing or must change.
    pub reason: Reason,
    /// Calendar days to answer (1 to 365); a due date on a rest day moves to
    /// the next working day. Give this or `due_in_working_days`, or neither
    /// for the configured supplement period.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default)]
    pub due_in_days: Option<u32>,
    /// Working days to answer (1 to 250), counted on the registry's working
    /// calendar (public holidays off, make-up working days on).
    #[schema(minimum = 1, maximum = 250)]
    #[serde(default)]
    pub due_in_working_days: Option<u32>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why, in words; the applicant reads it as the `decision_reason`.
    pub reason: Reason,
    /// The grounds of the refusal (Shanghai measures, art. 7): at least
    /// one, each once; `other` when the reason names another.
    #[schema(min_items = 1, max_items = 7)]
    #[serde(deserialize_with = "crate::domain::fields::texts")]
    pub refusal_grounds: Vec<RefusalGround>,
}

#[derive(Debug, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// In up to 2000 characters; empty means none.
    #[serde(default)]
    pub comment: Option<Comment>,
}

/// The queue: applications in a state, oldest submission first.
pub async fn queue(
    state: &AppState,
    filter: QueueFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<ApplicationView>> {
    let wanted = filter.state.unwrap_or(ApplicationState::Submitted);
    if wanted == ApplicationState::Draft {
        return Err(Error::field("state", "drafts are private to their organization"));
    }
    let mut conn = state.db.acquire().await?;
    let rows = db::applications::queue(&mut conn, wanted, page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| (row.submitted_at.unwrap_or(row.created_at), row.id), |row| row);
    Ok(Page { items: ApplicationView::load_many(&mut conn, rows.items).await?, next_cursor: rows.next_cursor })
}

/// One application with its materials, organization and history.
pub async fn get(state: &AppState, id: Uuid) -> Result<ReviewView> {
    let mut conn = state.db.acquire().await?;
    let row = visible(db::applications::find(&mut conn, id).await?)?;
    let organization = db::parties::find(&mut conn, row.org_id).await?.map(PartyView::from);
    let events =
        db::application_events::of_application(&mut conn, id).await?.into_iter().map(EventView::from).collect();
    let reviewer_id = row.reviewer_id;
    let similar_filings = refiling::similar_filings(&mut conn, &row, state.clock.now()).await?;
    Ok(ReviewView {
        application: ApplicationView::load(&mut conn, row).await?,
        organization,
        reviewer_id,
        events,
        similar_filings,
    })
}

/// Only the reviewer who claimed an application, or an admin, decides on
/// it: its review, and the objections to its announcement.
pub fn ensure_decider(application: &ApplicationRow, staff: Staff) -> Result<()> {
    if application.reviewer_id != Some(staff.user_id) && staff.role != Role::Admin {
        return Err(Error::Forbidden("only the reviewer who claimed this application, or an admin, may decide on it"));
    }
    Ok(())
}

/// Why staff get 404 for an application that exists: said, so that a
/// reviewer handed an id by an applicant knows to wait for the submission.
pub const DRAFT_NOT_VISIBLE: &str =
    "this application has not been submitted: drafts are visible only to their organization";

/// Staff never see an application that was never submitted (a draft, or a
/// draft withdrawn): it is the applicant's until submitted.
fn visible(row: Option<ApplicationRow>) -> Result<ApplicationRow> {
    match row {
        None => Err(Error::NotFound),
        Some(row) if !row.ever_submitted() => Err(Error::NotFoundBecause(DRAFT_NOT_VISIBLE)),
        Some(row) => Ok(row),
    }
}

/// Takes a submitted application for examination. One that another reviewer
/// holds (claimed before a supplement request) stays theirs.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, application_id = %id))]
pub async fn claim(state: &AppState, staff: Staff, id: Uuid) -> Result<ApplicationView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = visible(db::applications::find(&mut tx, id).await?)?;
    procedure::check(&current, Action::Claim)?;
    if current.reviewer_id.is_some_and(|reviewer| reviewer != staff.user_id) && staff.role != Role::Admin {
        return Err(Error::Conflict("another reviewer has already claimed this application".into()));
    }
    let changes = TransitionChanges { reviewer_id: Some(staff.user_id), ..TransitionChanges::default() };
    let step = Step::new(Action::Claim, EventActor::Reviewer(staff.user_id)).changes(changes);
    let row = procedure::apply(&mut tx, &current, step, now).await?;
    audit_decision(&mut tx, staff, AuditAction::ApplicationClaim, &current, &row, None, now).await?;
    let view = ApplicationView::load(&mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, application_id = %id))]
pub async fn request_supplement(
    state: &AppState,
    staff: Staff,
    id: Uuid,
    request: SupplementRequest,
) -> Result<ApplicationView> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let reason = fields.check("reason", request.reason.parse());
    let period = match (request.due_in_days, request.due_in_working_days) {
        (None, None) => Some(state.config.workflow.supplement_period),
        (Some(days @ 1..=365), None) => Some(IsoDuration::days(days)),
        (None, Some(days @ 1..=250)) => Some(IsoDuration::working_days(days)),
        (Some(_), Some(_)) => {
            fields.add("due_in_working_days", "give either due_in_days or due_in_working_days, not both");
            None
        }
        (Some(_), None) => {
            fields.add("due_in_days", "must be between 1 and 365");
            None
        }
        (None, Some(_)) => {
            fields.add("due_in_working_days", "must be between 1 and 250");
            None
        }
    };
    let (Some(reason), Some(period)) = (reason, period) else {
        return Err(fields.into_error());
    };
    let due_at = state.config.calendar.due(now, period).ok_or_else(|| anyhow::anyhow!("deadline out of range"))?;
    let reason = reason.into_string();
    let changes =
        TransitionChanges { supplement: Some(Some((reason.clone(), due_at))), ..TransitionChanges::default() };
    decide(state, staff, id, Action::RequestSupplement, Some(reason), changes, now).await
}

#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, application_id = %id))]
pub async fn reject(state: &AppState, staff: Staff, id: Uuid, request: RejectRequest) -> Result<ApplicationView> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let reason = fields.check("reason", request.reason.parse());
    let grounds = fields.check("refusal_grounds", RefusalGround::check_list(&request.refusal_grounds));
    let (Some(reason), Some(())) = (reason, grounds) else {
        return Err(fields.into_error());
    };
    let reason = reason.into_string();
    let changes = TransitionChanges {
        decision_reason: Some(reason.clone()),
        refusal_grounds: Some(request.refusal_grounds),
        ..TransitionChanges::default()
    };
    decide(state, staff, id, Action::Reject, Some(reason), changes, now).await
}

/// Approves the application: it gets its registration number and its public
/// announcement opens for the configured period.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, application_id = %id))]
pub async fn approve(state: &AppState, staff: Staff, id: Uuid, request: ApproveRequest) -> Result<ApplicationView> {
    let now = state.clock.now();
    let comment = match &request.comment {
        None => None,
        Some(comment) => comment.parse().map_err(|m| Error::field("comment", m))?.map(Text::into_string),
    };
    let ends_at = state
        .config
        .calendar
        .due(now, state.config.workflow.announcement_period)
        .ok_or_else(|| anyhow::anyhow!("announcement end out of range"))?;
    let changes = TransitionChanges { announcement: Some((now, ends_at)), ..TransitionChanges::default() };
    decide(state, staff, id, Action::Approve, comment, changes, now).await
}

/// The audit row of a reviewer's step on an application: its state and
/// reviewer before and after, and the note (reason, comment) it carries.
async fn audit_decision(
    conn: &mut PgConnection,
    staff: Staff,
    action: AuditAction,
    before: &ApplicationRow,
    after: &ApplicationRow,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let audit = Audit {
        action,
        target_id: after.id,
        before: Some(json!({"state": before.state.as_str(), "reviewer_id": before.reviewer_id})),
        after: Some(json!({"state": after.state.as_str(), "reviewer_id": after.reviewer_id, "note": note})),
    };
    audit::record(conn, AuditActor::Staff(staff.user_id), now, audit).await
}

/// An application is not approved once one of its data-source agreements
/// has ended (the announcement would end in a certificate the data's
/// authorization no longer supports): 422 naming each such source.
fn ensure_agreements_in_force(state: &AppState, application: &ApplicationRow, now: DateTime<Utc>) -> Result<()> {
    let today = state.config.calendar.today(now);
    let mut fields = Fields::new();
    for agreement in authorization::ended(&application.data_sources.0, today) {
        fields.add(
            &format!("data_sources[{}].agreement_ends_on", agreement.index),
            format!(
                "the agreement of {agreement} ended on {}: the application cannot be approved; request a \
                 supplement with the renewed agreement, or reject it",
                agreement.ends_on
            ),
        );
    }
    fields.finish()
}

/// A reviewer's decision on an application under review: only the reviewer
/// who claimed it, or an admin, may take it.
async fn decide(
    state: &AppState,
    staff: Staff,
    id: Uuid,
    action: Action,
    note: Option<String>,
    mut changes: TransitionChanges,
    now: DateTime<Utc>,
) -> Result<ApplicationView> {
    let audited =
        AuditAction::of_review(action).ok_or_else(|| anyhow::anyhow!("{action} is no reviewer's decision"))?;
    let mut tx = state.db.begin().await?;
    let current = visible(db::applications::find(&mut tx, id).await?)?;
    procedure::check(&current, action)?;
    ensure_decider(&current, staff)?;
    if action == Action::Approve {
        ensure_agreements_in_force(state, &current, now)?;
        let serial = db::applications::next_registration_serial(&mut tx).await?;
        let year = now.with_timezone(&state.config.calendar.zone).year();
        let number =
            RegistrationNumber::new(&state.config.registry.code, year, u64::try_from(serial).unwrap_or(u64::MAX))
                .map_err(|e| Error::Internal(e.into()))?;
        changes.registration_number = Some(number.to_string());
    }
    let step = Step::new(action, EventActor::Reviewer(staff.user_id)).note(note.clone()).changes(changes);
    let row = procedure::apply(&mut tx, &current, step, now).await?;
    audit_decision(&mut tx, staff, audited, &current, &row, note, now).await?;
    crate::services::notifications::application_changed(&mut tx, state, &row, now).await?;
    let view = ApplicationView::load(&mut tx, row).await?;
    tx.commit().await?;
    tracing::info!(action = action.as_str(), "decision recorded");
    Ok(view)
}
