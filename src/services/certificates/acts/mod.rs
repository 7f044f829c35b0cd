//! After registration: acts on a certificate. The holder files licenses,
//! pledges and their release, transfers, changes, renewals and
//! cancellation; a reviewer approves or rejects them; staff revoke. An
//! approved act changes the register and is written to the ledger, in one
//! transaction.
//!
//! `terms` checks what is filed, `confirmations` the words an act waits
//! for (and `written_consent` the one given on paper), `rules` holds what
//! must stay true,
//! `effect` applies an act to the register, `record` decides what the
//! ledger shows of it, and `public` what the public record shows.

pub mod confirmations;
mod effect;
mod public;
mod record;
mod rules;
mod terms;
pub mod written_consent;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, types::Json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use self::{
    public::{PublicAct, PublicLicense, PublicPledge, public_record},
    record::disclosure,
    rules::ensure_active,
    terms::NewAct,
};
use serde_json::json;

use crate::services::{
    Error, Result,
    audit::{self, Audit, AuditActor},
    idempotency::Idempotent,
    procedure::{self, EventActor},
    theirs,
    transparency::ledger::{self, Recording},
};
use crate::{
    auth::{Actor, Staff, Tenant},
    db::{self, acts::ActRow, certificates::CertificateRow},
    domain::{ActDetails, ActKind, ActState, AuditAction, HistoryAction, Reason},
    notifications::{EventKind, messages::Facts},
    pagination::{Page, PageRequest},
    state::AppState,
};
use tlog::commitment::Openings;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActView {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub kind: ActKind,
    pub state: ActState,
    /// The act's terms, as filed (and what it changed, once applied). Null
    /// for an act recorded while another organization held the
    /// certificate: those terms are that holder's (the public record and
    /// the ledger show what is public of them).
    pub details: Option<ActDetails>,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// The act's leaf in the ledger, once appended.
    pub ledger_index: Option<i64>,
    /// The words the act waits for before review, as its filing answers
    /// them (with each single-use link when the registry sends no mail).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting: Vec<confirmations::AwaitedWord>,
}

impl ActView {
    /// The act as its holder at the time, and staff, see it.
    fn full(row: ActRow) -> Self {
        Self {
            id: row.id,
            certificate_id: row.certificate_id,
            kind: row.kind,
            state: row.state,
            details: Some(row.details.0),
            filed_at: row.filed_at,
            decided_at: row.decided_at,
            decision_reason: row.decision_reason,
            ledger_index: row.ledger_index,
            awaiting: Vec::new(),
        }
    }

    /// The act as a party asked for its word sees it: the terms without
    /// the contacts the filer gave.
    fn for_counterparty(row: ActRow) -> Self {
        let mut view = Self::full(row);
        view.details = view.details.map(ActDetails::without_contacts);
        view
    }

    /// The act as organization `org_id`, now holding the certificate, sees it.
    fn for_holder(row: ActRow, org_id: Uuid) -> Self {
        let theirs = row.holder_org_id == org_id;
        let mut view = Self::full(row);
        if !theirs {
            view.details = None;
        }
        view
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActFilter {
    /// Default `pending`.
    pub state: Option<ActState>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectAct {
    pub reason: Reason,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub grounds: Reason,
}

/// The registry's calendar date at `now`.
fn today(state: &AppState, now: DateTime<Utc>) -> NaiveDate {
    state.config.calendar.today(now)
}

/// Files an act on one of the organization's certificates.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, certificate_id = %certificate_id))]
pub async fn file(
    state: &AppState,
    tenant: Tenant,
    certificate_id: Uuid,
    request: NewAct,
    idempotency_key: Option<String>,
) -> Result<ActView> {
    let now = state.clock.now();
    let operation = format!("file_act:{certificate_id}");
    let idempotent = Idempotent::new(tenant.org_id, idempotency_key, &operation, &request)?;
    let mut tx = state.db.begin().await?;
    if let Some(idempotent) = &idempotent
        && let Some(earlier) = idempotent.earlier(&mut tx, now).await?
    {
        return Ok(earlier);
    }
    let found = db::certificates::find_for_update(&mut tx, certificate_id).await?;
    // A pledgee releases its own pledge on a certificate it does not hold.
    let by_pledgee = match (&request, &found) {
        (NewAct::PledgeRelease(release), Some(certificate)) if certificate.org_id != tenant.org_id => {
            rules::is_pledgee(&mut tx, tenant.org_id, certificate.id, release.pledge_id).await?
        }
        _ => false,
    };
    let certificate = match by_pledgee {
        true => found.ok_or(Error::NotFound)?,
        false => theirs(&tenant, found)?,
    };
    rules::ensure_active(&certificate, now)?;
    rules::ensure_no_waiting_disposal(&mut tx, certificate.id, request.kind()).await?;
    super::measures::ensure_not_held(&mut tx, certificate.id, request.kind()).await?;
    let transferee_contact = match &request {
        NewAct::Transfer(transfer) => {
            confirmations::contact("transferee_contact_email", transfer.transferee_contact_email.as_deref())?
        }
        _ => None,
    };
    let (details, filed) = terms::parse(&mut tx, state, &certificate, request, today(state, now)).await?;
    let filed_by = match tenant.actor {
        Actor::User(id) | Actor::ApiKey(id) => id,
    };
    let words = confirmations::wanted(&mut tx, state, certificate.id, &details, transferee_contact, by_pledgee).await?;
    let mut act = new_act(&certificate, details, filed_by, now);
    act.openings = Json(filed);
    if !words.is_empty() {
        act.state = ActState::AwaitingConfirmation;
    }
    db::acts::insert(&mut tx, &act).await?;
    let awaiting = confirmations::ask(&mut tx, state, &act, words, now).await?;
    let view = ActView { awaiting, ..ActView::full(act) };
    if let Some(idempotent) = &idempotent {
        // A replay answers the act without its links: the registry keeps
        // no link in clear.
        let mut remembered = view.clone();
        remembered.awaiting.iter_mut().for_each(|word| word.link = None);
        idempotent.remember(&mut tx, &remembered).await?;
    }
    tx.commit().await?;
    tracing::info!(act_id = %view.id, kind = ?view.kind, "act filed");
    Ok(view)
}

/// The certificate's acts, oldest first, for its holder.
pub async fn list(state: &AppState, tenant: Tenant, certificate_id: Uuid) -> Result<Vec<ActView>> {
    let mut conn = state.db.acquire().await?;
    theirs(&tenant, db::certificates::find(&mut conn, certificate_id).await?)?;
    let acts = db::acts::of_certificate(&mut conn, certificate_id).await?;
    Ok(acts.into_iter().map(|act| ActView::for_holder(act, tenant.org_id)).collect())
}

/// Acts in a state (default pending) across all certificates, oldest first.
pub async fn for_review(state: &AppState, filter: ActFilter, page: PageRequest<Uuid>) -> Result<Page<ActView>> {
    let mut conn = state.db.acquire().await?;
    let wanted = filter.state.unwrap_or(ActState::Pending);
    let rows = db::acts::list_by_state(&mut conn, wanted, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, ActView::full))
}

/// Rejects a pending act.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, act_id = %id))]
pub async fn reject(state: &AppState, staff: Staff, id: Uuid, request: RejectAct) -> Result<ActView> {
    let now = state.clock.now();
    let reason = request.reason.parse().map_err(|m| Error::field("reason", m))?.into_string();
    let mut tx = state.db.begin().await?;
    pending(&mut tx, id).await?;
    db::acts::reject(&mut tx, id, staff.user_id, &reason, now).await?;
    let view = db::acts::find(&mut tx, id).await?.ok_or(Error::NotFound)?;
    audit_act(&mut tx, staff, AuditAction::ActReject, &view, Some(reason.clone()), now).await?;
    notify_decided(&mut tx, state, &view, Some(reason), now).await?;
    tx.commit().await?;
    Ok(ActView::full(view))
}

/// The audit row of a decision on an act.
async fn audit_act(
    conn: &mut PgConnection,
    staff: Staff,
    action: AuditAction,
    act: &ActRow,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let audit = Audit {
        action,
        target_id: act.id,
        before: Some(json!({"state": ActState::Pending.as_str()})),
        after: Some(json!({"state": act.state.as_str(), "reason": reason})),
    };
    audit::record(conn, AuditActor::Staff(staff.user_id), now, audit).await
}

/// The organization that filed the act hears of the decision.
async fn notify_decided(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let certificate = db::certificates::find(conn, act.certificate_id).await?.ok_or(Error::NotFound)?;
    let facts = certificate_facts(state, &certificate, reason, Some(act.state.as_str()));
    crate::services::notifications::to_organization(conn, state, act.holder_org_id, EventKind::ActDecided, &facts, now)
        .await
}

/// What a notification about a certificate says.
fn certificate_facts(
    state: &AppState,
    certificate: &CertificateRow,
    reason: Option<String>,
    outcome: Option<&str>,
) -> Facts {
    let number = &certificate.certificate_number;
    Facts {
        product_name: Some(certificate.product_name.clone()),
        certificate_number: Some(number.clone()),
        reason,
        outcome: outcome.map(str::to_owned),
        link: Some(crate::services::notifications::link(state, &format!("/certificates/{number}"))),
        ..Facts::default()
    }
}

/// The act, locked, if it is still pending.
async fn pending(conn: &mut PgConnection, id: Uuid) -> Result<ActRow> {
    let act = db::acts::find_for_update(conn, id).await?.ok_or(Error::NotFound)?;
    if act.state != ActState::Pending {
        return Err(Error::InvalidTransition {
            subject: "act",
            from: act.state.as_str().into(),
            action: "decide".into(),
        });
    }
    Ok(act)
}

/// Approves a pending act: it takes effect on the register, its ledger
/// entry is queued and the registration's history records it, all at once.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, act_id = %id))]
pub async fn approve(state: &AppState, staff: Staff, id: Uuid) -> Result<ActView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let act = pending(&mut tx, id).await?;
    let certificate = db::certificates::find_for_update(&mut tx, act.certificate_id).await?.ok_or(Error::NotFound)?;
    rules::ensure_active(&certificate, now)?;
    // A measure recorded since the filing holds it back too, and a pledge
    // recorded since, unless its pledgee consented.
    super::measures::ensure_not_held(&mut tx, certificate.id, act.kind).await?;
    confirmations::ensure_pledgees_consented(&mut tx, &act).await?;
    let view = take_effect(&mut tx, state, &act, &certificate, staff, now).await?;
    audit_act(&mut tx, staff, AuditAction::ActApprove, &view, None, now).await?;
    notify_decided(&mut tx, state, &view, None, now).await?;
    tx.commit().await?;
    tracing::info!(kind = ?act.kind, "act approved");
    Ok(ActView::full(view))
}

/// A pending act on the certificate, as filed now by its holder.
fn new_act(certificate: &CertificateRow, details: ActDetails, filed_by: Uuid, now: DateTime<Utc>) -> ActRow {
    ActRow {
        id: Uuid::now_v7(),
        certificate_id: certificate.id,
        org_id: certificate.org_id,
        holder_org_id: certificate.org_id,
        kind: details.kind(),
        state: ActState::Pending,
        details: Json(details),
        openings: Json(Openings::new()),
        filed_by: Some(filed_by),
        filed_at: now,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        ledger_index: None,
    }
}

/// An approved act takes effect: applied to the register, marked approved
/// with the openings of its entry, queued for the ledger and recorded in
/// the registration's history.
async fn take_effect(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    certificate: &CertificateRow,
    staff: Staff,
    now: DateTime<Utc>,
) -> Result<ActRow> {
    let details = effect::apply(conn, state, act, certificate, now).await?;
    let (entry, openings) = record::entry(conn, state, certificate, &details, &act.openings.0, now).await?;
    // The act is locked by this transaction: it is still pending.
    if !db::acts::approve(conn, act.id, &details, &openings, staff.user_id, now).await? {
        return Err(anyhow::anyhow!("act {} stopped being pending while locked", act.id).into());
    }
    ledger::enqueue(conn, &entry, Recording::Act(act.id), now).await?;
    let application = db::applications::find(conn, certificate.application_id).await?.ok_or(Error::NotFound)?;
    let action = HistoryAction::from(act.kind);
    debug_assert_eq!(action.as_str(), entry.type_name(), "the history names an act as its ledger entry");
    let note = Some(format!("{action} on certificate {} (act {})", certificate.certificate_number, act.id));
    procedure::record(conn, &application, EventActor::Reviewer(staff.user_id), action, None, note, now).await?;
    db::acts::find(conn, act.id).await?.ok_or(Error::NotFound)
}

/// Revokes a certificate on the registry's own authority, with grounds.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, certificate_id = %certificate_id))]
pub async fn revoke(state: &AppState, staff: Staff, certificate_id: Uuid, request: Revocation) -> Result<ActView> {
    let now = state.clock.now();
    let grounds = request.grounds.parse().map_err(|m| Error::field("grounds", m))?.into_string();
    let mut tx = state.db.begin().await?;
    let certificate = db::certificates::find_for_update(&mut tx, certificate_id).await?.ok_or(Error::NotFound)?;
    rules::ensure_active(&certificate, now)?;
    let act = new_act(&certificate, ActDetails::Revocation { grounds: grounds.clone() }, staff.user_id, now);
    db::acts::insert(&mut tx, &act).await?;
    let view = take_effect(&mut tx, state, &act, &certificate, staff, now).await?;
    let audit = Audit {
        action: AuditAction::CertificateRevoke,
        target_id: certificate_id,
        before: Some(json!({"status": "valid"})),
        after: Some(json!({"status": "revoked", "act_id": view.id})),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    let facts = certificate_facts(state, &certificate, Some(grounds), None);
    let revoked = EventKind::CertificateRevoked;
    crate::services::notifications::to_organization(&mut tx, state, certificate.org_id, revoked, &facts, now).await?;
    tx.commit().await?;
    tracing::info!("certificate revoked");
    Ok(ActView::full(view))
}
