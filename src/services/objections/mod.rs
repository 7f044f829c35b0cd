//! Objections: filed by anyone during an announcement, answered by the
//! holder, decided by the registry's reviewers. Objectors follow theirs with
//! a tracking token; their contact details stay with the registry. Long
//! because an objection's whole life is one concern, each step guarded by
//! the same state checks (its evidence is `evidence`).

pub mod evidence;

use std::{collections::HashMap, net::IpAddr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use serde_json::json;

use crate::domain::Lang;
use crate::services::{
    Error, Fields, Result,
    audit::{self, Audit, AuditActor},
    certificates,
    idempotency::Idempotent,
    notifications,
    objections::evidence::EvidenceView,
    procedure::{self, EventActor, Step},
    throttle::{Throttle, address_key},
};
use crate::{
    auth::{OpaqueToken, Staff, Tenant},
    config::Config,
    db::{
        self,
        applications::{ApplicationRow, TransitionChanges},
        objections::{Decision, ObjectionRow, ResponseRow},
    },
    domain::{
        Action, ApplicationState, AuditAction, Email, HistoryAction, ObjectionDecision, ObjectionState, ObjectorName,
        Reason, RefusalGround, Statement,
    },
    pagination::{Page, PageRequest},
    state::AppState,
};

const TRACKING_TOKEN_PREFIX: &str = "dipo_";

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObjection {
    pub objector: Objector,
    /// How the objector's rights or interests are concerned.
    pub interest: Reason,
    /// Why the registration should not stand.
    pub grounds: Statement,
    /// The language of the mail the objector receives: `zh-CN` (the
    /// default) or `en`.
    #[serde(default)]
    #[schema(example = "zh-CN", pattern = "^(zh-CN|en)$")]
    pub language: Option<String>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Objector {
    pub name: ObjectorName,
    #[schema(format = Email, max_length = 254)]
    pub contact_email: String,
}

/// The answer to a filed objection: the token is shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledObjection {
    pub id: Uuid,
    pub state: ObjectionState,
    /// Pass as `?token=` to /public/objections/{id} to follow the objection.
    pub tracking_token: String,
}

/// What the objector may read: where the objection stands, the holder's
/// answers, the decision with its grounds, and the evidence they attached.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionStatus {
    pub id: Uuid,
    pub state: ObjectionState,
    /// Why it was decided so (once `upheld` or `dismissed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    /// The grounds of refusal an upheld objection named; empty otherwise.
    pub refusal_grounds: Vec<RefusalGround>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub filed_at: DateTime<Utc>,
    /// The registry decides by then.
    pub decision_due_at: DateTime<Utc>,
    /// The holder's answers, oldest first.
    pub responses: Vec<ResponseView>,
    /// The files the objector attached.
    pub evidence: Vec<EvidenceView>,
}

impl ObjectionStatus {
    fn new(row: ObjectionRow, responses: Vec<ResponseView>, evidence: Vec<EvidenceView>) -> Self {
        Self {
            id: row.id,
            state: row.state,
            decision_reason: row.decision_reason,
            refusal_grounds: row.refusal_grounds.unwrap_or_default(),
            decided_at: row.decided_at,
            withdrawn_at: row.withdrawn_at,
            filed_at: row.created_at,
            decision_due_at: row.decision_due_at,
            responses,
            evidence,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackingQuery {
    /// The tracking token given when the objection was filed.
    #[param(min_length = 1)]
    pub token: String,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseRequest {
    pub text: Statement,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResponseView {
    pub id: Uuid,
    pub objection_id: Uuid,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl From<ResponseRow> for ResponseView {
    fn from(row: ResponseRow) -> Self {
        Self { id: row.id, objection_id: row.objection_id, text: row.text, created_at: row.created_at }
    }
}

/// An objection as the holder sees it: without the objector's contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolderObjectionView {
    pub id: Uuid,
    pub state: ObjectionState,
    pub objector_name: String,
    pub interest: String,
    pub grounds: String,
    pub decision_reason: Option<String>,
    /// The grounds of refusal an upheld objection named; empty otherwise.
    pub refusal_grounds: Vec<RefusalGround>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The registry decides by then.
    pub decision_due_at: DateTime<Utc>,
    pub responses: Vec<ResponseView>,
    /// The files the objector attached; download each from
    /// `/applications/{id}/objections/{objection_id}/evidence/{evidence_id}`.
    pub evidence: Vec<EvidenceView>,
    pub created_at: DateTime<Utc>,
}

/// An objection as reviewers see it, contact included.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewObjectionView {
    pub id: Uuid,
    pub application_id: Uuid,
    pub state: ObjectionState,
    pub objector_name: String,
    pub objector_email: String,
    pub interest: String,
    pub grounds: String,
    pub decision_reason: Option<String>,
    /// The grounds of refusal an upheld objection named; empty otherwise.
    pub refusal_grounds: Vec<RefusalGround>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The registry decides by then (`workflow.objection_decision_period`
    /// from filing).
    pub decision_due_at: DateTime<Utc>,
    /// Open past its `decision_due_at`.
    pub overdue: bool,
    pub responses: Vec<ResponseView>,
    /// The files the objector attached; download each from
    /// `/applications/{application_id}/objections/{id}/evidence/{evidence_id}`.
    pub evidence: Vec<EvidenceView>,
    pub created_at: DateTime<Utc>,
    /// The application's state after this objection's decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_state: Option<ApplicationState>,
}

impl ReviewObjectionView {
    fn new(row: ObjectionRow, related: Related, now: DateTime<Utc>) -> Self {
        Self {
            id: row.id,
            application_id: row.application_id,
            overdue: row.state == ObjectionState::Open && row.decision_due_at <= now,
            state: row.state,
            objector_name: row.objector_name,
            objector_email: row.objector_email,
            interest: row.interest,
            grounds: row.grounds,
            decision_reason: row.decision_reason,
            refusal_grounds: row.refusal_grounds.unwrap_or_default(),
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            withdrawn_at: row.withdrawn_at,
            decision_due_at: row.decision_due_at,
            responses: related.responses,
            evidence: related.evidence,
            created_at: row.created_at,
            application_state: None,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectionFilter {
    /// Default `open`.
    pub state: Option<ObjectionState>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub decision: ObjectionDecision,
    pub reason: Reason,
    /// Required to uphold (the application is refused on these grounds,
    /// Shanghai measures art. 7): at least one, each once. Left out to
    /// dismiss.
    #[schema(min_items = 1, max_items = 7)]
    #[serde(default, deserialize_with = "crate::domain::fields::texts")]
    pub refusal_grounds: Vec<RefusalGround>,
}

fn throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "objection.address",
        limit: config.throttle.objections_per_address,
        window: config.throttle.objection_window.get(),
    }
}

/// Files an objection to an announced application while its window is open.
#[tracing::instrument(skip_all, fields(application_id = %application_id))]
pub async fn file(
    state: &AppState,
    application_id: Uuid,
    request: NewObjection,
    client: IpAddr,
) -> Result<FiledObjection> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let name = fields.check("objector.name", request.objector.name.parse());
    let email = fields.check("objector.contact_email", Email::parse(&request.objector.contact_email));
    let interest = fields.check("interest", request.interest.parse());
    let grounds = fields.check("grounds", request.grounds.parse());
    let language = match request.language.as_deref() {
        None => Some(Lang::ZhCn),
        Some(tag) => fields.check("language", Lang::parse(tag).filter(|l| l.tag() == tag).ok_or("must be zh-CN or en")),
    };
    let (Some(name), Some(email), Some(interest), Some(grounds), Some(language)) =
        (name, email, interest, grounds, language)
    else {
        return Err(fields.into_error());
    };
    let decision_due_at = state
        .config
        .calendar
        .deadline(now, state.config.workflow.objection_decision_period)
        .ok_or_else(|| anyhow::anyhow!("objection decision deadline out of range"))?;
    throttle(&state.config).take(&mut *state.db.acquire().await?, &address_key(client), now).await?;

    let mut tx = state.db.begin().await?;
    // Locked: the window cannot close while the objection is being filed.
    let application = db::applications::find_for_update(&mut tx, application_id).await?.ok_or(Error::NotFound)?;
    let open = application.state == ApplicationState::InAnnouncement
        && application.announcement_ends_at.is_some_and(|ends| now < ends);
    if !open {
        return Err(match application.announcement_ends_at {
            Some(_) => Error::Conflict("the announcement window has closed; objections are no longer accepted".into()),
            None => Error::NotFound,
        });
    }
    let token = OpaqueToken::generate()?;
    let row = ObjectionRow {
        id: token.id,
        application_id,
        org_id: application.org_id,
        objector_name: name.into_string(),
        objector_email: email.to_string(),
        objector_language: language.tag().to_owned(),
        interest: interest.into_string(),
        grounds: grounds.into_string(),
        token_hash: token.secret_hash(),
        state: ObjectionState::Open,
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        refusal_grounds: None,
        withdrawn_at: None,
        decision_due_at,
        created_at: now,
    };
    db::objections::insert(&mut tx, &row).await?;
    let note = format!("objection {} by {}", row.id, row.objector_name);
    procedure::record(&mut tx, &application, EventActor::Public, HistoryAction::Object, None, Some(note), now).await?;
    let tracking_token = token.render(TRACKING_TOKEN_PREFIX);
    notify_filed(&mut tx, state, &application, &row, &tracking_token, language, now).await?;
    tx.commit().await?;
    tracing::info!(objection_id = %row.id, "objection filed");
    Ok(FiledObjection { id: row.id, state: ObjectionState::Open, tracking_token })
}

/// The objector's confirmation with the tracking link (the only time it
/// can be sent: the registry keeps its hash), the applicant, and the
/// reviewer who claimed the application.
async fn notify_filed(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    objection: &ObjectionRow,
    tracking_token: &str,
    language: Lang,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::notifications::{
        EventKind::ObjectionFiled,
        messages::{Audience, Facts},
    };
    let product_name = Some(application.product_name.clone());
    let mut tracking = format!("/objections/{}?token={tracking_token}", objection.id);
    if language == Lang::En {
        tracking.push_str("&lang=en");
    }
    let objector = Facts {
        audience: Audience::Objector,
        product_name: product_name.clone(),
        link: Some(notifications::link(state, &tracking)),
        ..Facts::default()
    };
    notifications::to_address(conn, state, &objection.objector_email, language, ObjectionFiled, &objector, now).await?;
    let holder = Facts {
        product_name: product_name.clone(),
        link: Some(notifications::link(state, &format!("/announcements/{}", application.id))),
        ..Facts::default()
    };
    notifications::to_organization(conn, state, application.org_id, ObjectionFiled, &holder, now).await?;
    if let Some(reviewer) = application.reviewer_id {
        let staff = Facts {
            audience: Audience::Staff,
            product_name,
            due: Some(notifications::day(state, objection.decision_due_at)),
            ..Facts::default()
        };
        notifications::to_user(conn, state, reviewer, ObjectionFiled, &staff, now).await?;
    }
    Ok(())
}

/// The applicant and the objector hear of a decision; the objector is
/// pointed to the tracking link they kept (never sent again). An upheld
/// objection's refusal reaches the applicant as `application.rejected` too.
async fn notify_decided(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    objection: &ObjectionRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::notifications::{
        EventKind::ObjectionDecided,
        messages::{Audience, Facts},
    };
    let facts = Facts {
        product_name: Some(application.product_name.clone()),
        outcome: Some(objection.state.as_str().to_owned()),
        reason: Some(reason.to_owned()),
        ..Facts::default()
    };
    notifications::to_organization(conn, state, application.org_id, ObjectionDecided, &facts, now).await?;
    if application.state == ApplicationState::Rejected {
        notifications::application_changed(conn, state, application, now).await?;
    }
    let objector = Facts { audience: Audience::Objector, reason: None, ..facts };
    let language = Lang::parse(&objection.objector_language).unwrap_or(Lang::ZhCn);
    notifications::to_address(conn, state, &objection.objector_email, language, ObjectionDecided, &objector, now).await
}

/// The objection `id`, if `token` is its tracking token (locked until the
/// transaction ends when `lock`); otherwise not found, as if it did not
/// exist.
pub(super) async fn tracked(conn: &mut PgConnection, id: Uuid, token: &str, lock: bool) -> Result<ObjectionRow> {
    let presented =
        OpaqueToken::parse(TRACKING_TOKEN_PREFIX, token.trim()).filter(|t| t.id == id).ok_or(Error::NotFound)?;
    let row = match lock {
        true => db::objections::find_for_update(conn, id).await?,
        false => db::objections::find(conn, id).await?,
    };
    row.filter(|row| presented.matches(&row.token_hash)).ok_or(Error::NotFound)
}

/// The objection as the holder of its tracking token sees it.
pub async fn track(state: &AppState, id: Uuid, token: &str) -> Result<ObjectionStatus> {
    let mut conn = state.db.acquire().await?;
    let row = tracked(&mut conn, id, token, false).await?;
    let related = related_of(&mut conn, std::slice::from_ref(&row)).await?.remove(&id).unwrap_or_default();
    Ok(ObjectionStatus::new(row, related.responses, related.evidence))
}

/// The objector withdraws an open objection. If the announcement has ended
/// and it was the last one open, no objection stands: the application is
/// registered and its certificate issued, as when the last is dismissed.
/// While the announcement runs, it simply no longer counts when the window
/// closes.
#[tracing::instrument(skip_all, fields(objection_id = %id))]
pub async fn withdraw(state: &AppState, id: Uuid, token: &str) -> Result<ObjectionStatus> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The objection, then its application, locked in the order deciding
    // takes them.
    let objection = tracked(&mut tx, id, token, true).await?;
    if objection.state != ObjectionState::Open {
        return Err(Error::InvalidTransition {
            subject: "objection",
            from: objection.state.as_str().into(),
            action: "withdraw".into(),
        });
    }
    let application =
        db::applications::find_for_update(&mut tx, objection.application_id).await?.ok_or(Error::NotFound)?;
    db::objections::withdraw(&mut tx, id, now).await?;
    let facts = crate::notifications::messages::Facts {
        product_name: Some(application.product_name.clone()),
        link: Some(notifications::link(state, &format!("/announcements/{}", application.id))),
        ..Default::default()
    };
    let withdrawn = crate::notifications::EventKind::ObjectionWithdrawn;
    notifications::to_organization(&mut tx, state, application.org_id, withdrawn, &facts, now).await?;
    let note = Some(format!("objection {id} withdrawn by the objector"));
    procedure::record(&mut tx, &application, EventActor::Public, HistoryAction::WithdrawObjection, None, note, now)
        .await?;
    let last = db::objections::count_open(&mut tx, application.id).await? == 0;
    if last && application.state == ApplicationState::ObjectionReview {
        let note = Some("no objection stands: the last open one was withdrawn".to_owned());
        certificates::register(&mut tx, state, &application, Action::DismissObjections, EventActor::System, note, now)
            .await?;
    }
    let row = db::objections::find(&mut tx, id).await?.ok_or(Error::NotFound)?;
    let related = related_of(&mut tx, std::slice::from_ref(&row)).await?.remove(&id).unwrap_or_default();
    tx.commit().await?;
    tracing::info!("objection withdrawn");
    Ok(ObjectionStatus::new(row, related.responses, related.evidence))
}

/// The holder answers an open objection to its application.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, objection_id = %objection_id))]
pub async fn respond(
    state: &AppState,
    tenant: Tenant,
    application_id: Uuid,
    objection_id: Uuid,
    request: ResponseRequest,
    idempotency_key: Option<String>,
) -> Result<ResponseView> {
    let now = state.clock.now();
    let operation = format!("respond:{objection_id}");
    let idempotent = Idempotent::new(tenant.org_id, idempotency_key, &operation, &request)?;
    let text = request.text.parse().map_err(|m| Error::field("text", m))?.into_string();
    let mut tx = state.db.begin().await?;
    if let Some(idempotent) = &idempotent
        && let Some(earlier) = idempotent.earlier(&mut tx, now).await?
    {
        return Ok(earlier);
    }
    let application =
        db::applications::find_in_org(&mut tx, tenant.org_id, application_id).await?.ok_or(Error::NotFound)?;
    let objection = db::objections::find_for_update(&mut tx, objection_id)
        .await?
        .filter(|o| o.application_id == application.id)
        .ok_or(Error::NotFound)?;
    if objection.state != ObjectionState::Open {
        return Err(Error::Conflict(format!(
            "this objection is {}, no longer open; it takes no more responses",
            objection.state.as_str()
        )));
    }
    let author_id = match tenant.actor {
        crate::auth::Actor::User(id) | crate::auth::Actor::ApiKey(id) => id,
    };
    let row = ResponseRow { id: Uuid::now_v7(), objection_id, org_id: tenant.org_id, author_id, text, created_at: now };
    db::objections::insert_response(&mut tx, &row).await?;
    let note = Some(format!("response to objection {objection_id}"));
    procedure::record(&mut tx, &application, tenant.actor.into(), HistoryAction::RespondObjection, None, note, now)
        .await?;
    let view = ResponseView::from(row);
    if let Some(idempotent) = &idempotent {
        idempotent.remember(&mut tx, &view).await?;
    }
    tx.commit().await?;
    Ok(view)
}

/// The objections to one of the organization's applications.
pub async fn for_holder(state: &AppState, tenant: Tenant, application_id: Uuid) -> Result<Vec<HolderObjectionView>> {
    let mut conn = state.db.acquire().await?;
    db::applications::find_in_org(&mut conn, tenant.org_id, application_id).await?.ok_or(Error::NotFound)?;
    let rows = db::objections::of_application(&mut conn, application_id).await?;
    let mut related = related_of(&mut conn, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let related = related.remove(&row.id).unwrap_or_default();
            HolderObjectionView {
                responses: related.responses,
                evidence: related.evidence,
                id: row.id,
                state: row.state,
                objector_name: row.objector_name,
                interest: row.interest,
                grounds: row.grounds,
                decision_reason: row.decision_reason,
                refusal_grounds: row.refusal_grounds.unwrap_or_default(),
                decided_at: row.decided_at,
                withdrawn_at: row.withdrawn_at,
                decision_due_at: row.decision_due_at,
                created_at: row.created_at,
            }
        })
        .collect())
}

/// What an objection's views show besides its own row.
#[derive(Default)]
struct Related {
    responses: Vec<ResponseView>,
    evidence: Vec<EvidenceView>,
}

/// The holder's responses and the objector's evidence of several
/// objections, by objection, with two queries.
async fn related_of(conn: &mut PgConnection, rows: &[ObjectionRow]) -> Result<HashMap<Uuid, Related>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut by_objection: HashMap<Uuid, Related> = HashMap::new();
    for response in db::objections::responses(conn, &ids).await? {
        by_objection.entry(response.objection_id).or_default().responses.push(response.into());
    }
    for evidence in db::objection_evidence::of_objections(conn, &ids).await? {
        by_objection.entry(evidence.objection_id).or_default().evidence.push(evidence.into());
    }
    Ok(by_objection)
}

/// Objections in a state (default open), the earliest decision deadline
/// first: the overdue lead the list.
pub async fn for_review(
    state: &AppState,
    filter: ObjectionFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<ReviewObjectionView>> {
    let wanted = filter.state.unwrap_or(ObjectionState::Open);
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let rows = db::objections::list_by_state(&mut conn, wanted, page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| (row.decision_due_at, row.id), |row| row);
    let mut related = related_of(&mut conn, &rows.items).await?;
    let items = rows
        .items
        .into_iter()
        .map(|row| {
            let own = related.remove(&row.id).unwrap_or_default();
            ReviewObjectionView::new(row, own, now)
        })
        .collect();
    Ok(Page { items, next_cursor: rows.next_cursor })
}

/// The reason and, to uphold, the grounds of a decision; every problem at
/// once.
fn checked_decision(request: &DecisionRequest) -> Result<String> {
    let mut fields = Fields::new();
    let reason = fields.check("reason", request.reason.parse());
    match request.decision {
        ObjectionDecision::Upheld => {
            fields.check("refusal_grounds", RefusalGround::check_list(&request.refusal_grounds));
        }
        ObjectionDecision::Dismissed if !request.refusal_grounds.is_empty() => {
            fields.add("refusal_grounds", "only an upheld objection names refusal grounds; leave them out to dismiss");
        }
        ObjectionDecision::Dismissed => {}
    }
    match reason {
        Some(reason) if fields.is_empty() => Ok(reason.into_string()),
        _ => Err(fields.into_error()),
    }
}

/// Decides an open objection. Upheld, it rejects the application at once
/// on the grounds it names; dismissed, and the announcement over with no
/// objection left open, the application is registered and its certificate
/// issued.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, objection_id = %id))]
pub async fn decide(state: &AppState, staff: Staff, id: Uuid, request: DecisionRequest) -> Result<ReviewObjectionView> {
    let now = state.clock.now();
    let reason = checked_decision(&request)?;
    let grounds = match request.decision {
        ObjectionDecision::Upheld => Some(request.refusal_grounds),
        ObjectionDecision::Dismissed => None,
    };
    let mut tx = state.db.begin().await?;
    let objection = db::objections::find_for_update(&mut tx, id).await?.ok_or(Error::NotFound)?;
    if objection.state != ObjectionState::Open {
        return Err(Error::InvalidTransition {
            subject: "objection",
            from: objection.state.as_str().into(),
            action: "decide".into(),
        });
    }
    let application =
        db::applications::find_for_update(&mut tx, objection.application_id).await?.ok_or(Error::NotFound)?;
    crate::services::registration::review::ensure_decider(&application, staff)?;
    let decision = Decision {
        state: request.decision.into(),
        reason: &reason,
        refusal_grounds: grounds.as_deref(),
        decided_by: staff.user_id,
    };
    db::objections::decide(&mut tx, id, &decision, now).await?;
    let reviewer = EventActor::Reviewer(staff.user_id);
    let application = match request.decision {
        ObjectionDecision::Upheld => {
            let changes = TransitionChanges {
                decision_reason: Some(reason.clone()),
                refusal_grounds: grounds,
                ..Default::default()
            };
            let note = Some(format!("objection {id} upheld: {reason}"));
            let step = Step::new(Action::UpholdObjection, reviewer).note(note).changes(changes);
            let rejected = procedure::apply(&mut tx, &application, step, now).await?;
            close_moot(&mut tx, &rejected, "the application was rejected on another objection", now).await?;
            rejected
        }
        ObjectionDecision::Dismissed => {
            let note = Some(format!("objection {id} dismissed: {reason}"));
            procedure::record(&mut tx, &application, reviewer, HistoryAction::DismissObjection, None, note, now)
                .await?;
            let last = db::objections::count_open(&mut tx, application.id).await? == 0;
            if last && application.state == ApplicationState::ObjectionReview {
                let note = Some("no objection stands".to_owned());
                certificates::register(&mut tx, state, &application, Action::DismissObjections, reviewer, note, now)
                    .await?;
            }
            db::applications::find(&mut tx, application.id).await?.ok_or(Error::NotFound)?
        }
    };
    let objection = db::objections::find(&mut tx, id).await?.ok_or(Error::NotFound)?;
    let audit = Audit {
        action: AuditAction::ObjectionDecide,
        target_id: id,
        before: Some(json!({"state": ObjectionState::Open.as_str()})),
        after: Some(
            json!({"state": objection.state.as_str(), "reason": reason, "application_state": application.state.as_str()}),
        ),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    notify_decided(&mut tx, state, &application, &objection, &reason, now).await?;
    let related = related_of(&mut tx, std::slice::from_ref(&objection)).await?.remove(&id).unwrap_or_default();
    tx.commit().await?;
    let mut view = ReviewObjectionView::new(objection, related, now);
    view.application_state = Some(application.state);
    Ok(view)
}

/// Open objections of an application that ended otherwise no longer need a
/// decision: they are closed as dismissed, saying why.
pub async fn close_moot(
    conn: &mut PgConnection,
    application: &ApplicationRow,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let closed = db::objections::close_open(conn, application.id, &format!("moot: {why}"), now).await?;
    if closed > 0 {
        let note = Some(format!("{closed} open objection(s) closed: {why}"));
        procedure::record(conn, application, EventActor::System, HistoryAction::CloseObjections, None, note, now)
            .await?;
    }
    Ok(())
}
