//! After registration: acts on a certificate. The holder files licenses,
//! pledges and their release, transfers, changes, renewals and
//! cancellation; a reviewer approves or rejects them; staff revoke. An
//! approved act changes the register and is written to the ledger, in one
//! transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Error, Fields, Result,
    idempotency::Idempotent,
    procedure::{self, EventActor},
};
use crate::{
    auth::{Actor, Staff, Tenant},
    db::{self, acts::ActRow, certificates::CertificateRow, licenses::LicenseRow, pledges::PledgeRow},
    domain::{ActKind, ActState, CertificateStatus, CreditCode, Name, Text},
    pagination::{Page, PageRequest},
    state::AppState,
};

/// A party named in an act.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Counterparty {
    pub name: String,
    /// Unified social credit code.
    pub credit_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// A decimal string: "5000000.00".
    pub amount: String,
    /// ISO 4217, e.g. CNY.
    pub currency: String,
}

/// An act as filed: `kind` and its fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewAct {
    License {
        licensee: Counterparty,
        exclusive: bool,
        scope: String,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    Pledge {
        pledgee: Counterparty,
        secured_amount: Money,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    PledgeRelease {
        pledge_id: Uuid,
    },
    /// To another organization registered here.
    Transfer {
        transferee_credit_code: String,
    },
    Change {
        product_name: Option<String>,
        #[serde(rename = "abstract")]
        #[schema(rename = "abstract")]
        summary: Option<String>,
    },
    /// Only inside the renewal window before `valid_until`.
    Renewal {},
    Cancellation {
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActView {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub kind: ActKind,
    pub state: ActState,
    /// The act's fields, as filed (and what it changed, once applied).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// The act's leaf in the ledger, once appended.
    pub ledger_index: Option<i64>,
}

impl From<ActRow> for ActView {
    fn from(row: ActRow) -> Self {
        Self {
            id: row.id,
            certificate_id: row.certificate_id,
            kind: row.kind,
            state: row.state,
            details: row.details,
            filed_at: row.filed_at,
            decided_at: row.decided_at,
            decision_reason: row.decision_reason,
            ledger_index: row.ledger_index,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActFilter {
    /// Default `pending`.
    pub state: Option<ActState>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectAct {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Revocation {
    pub grounds: String,
}

fn today(state: &AppState, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&state.config.registry.time_zone).date_naive()
}

/// Only active certificates within their validity take acts.
fn ensure_active(certificate: &CertificateRow, now: DateTime<Utc>) -> Result<()> {
    let from = match certificate.status {
        CertificateStatus::Active if certificate.valid_until > now => return Ok(()),
        // Past its validity, though the worker has not marked it yet.
        CertificateStatus::Active => "expired".to_owned(),
        status => format!("{status:?}").to_lowercase(),
    };
    Err(Error::InvalidTransition { subject: "certificate", from, action: "take new acts".into() })
}

async fn ensure_no_unreleased_pledge(conn: &mut PgConnection, certificate_id: Uuid, what: &str) -> Result<()> {
    let pledges = db::pledges::unreleased(conn, certificate_id).await?;
    match pledges.first() {
        None => Ok(()),
        Some(pledge) => Err(Error::Conflict(format!(
            "the certificate is pledged to {} (pledge {}); it cannot be {what} until the pledge is released",
            pledge.pledgee_name, pledge.act_id
        ))),
    }
}

fn counterparty(fields: &mut Fields, prefix: &str, party: &Counterparty) -> Option<Counterparty> {
    let name = fields.check(&format!("{prefix}.name"), Name::parse(&party.name, 200));
    let code = fields.check(&format!("{prefix}.credit_code"), CreditCode::parse(&party.credit_code));
    Some(Counterparty { name: name?.into_string(), credit_code: code?.to_string() })
}

fn term(fields: &mut Fields, starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) {
    if ends_on < starts_on {
        fields.add("ends_on", "must not be before starts_on");
    } else if ends_on < today {
        fields.add("ends_on", "the term has already ended");
    }
}

/// A decimal amount greater than zero, with at most two decimals.
fn amount(text: &str) -> std::result::Result<String, &'static str> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole, 15) || !(fraction.is_empty() || digits(fraction, 2)) || text.ends_with('.') {
        return Err("must be a decimal string such as \"5000000.00\"");
    }
    if text.bytes().all(|b| b == b'0' || b == b'.') {
        return Err("must be greater than zero");
    }
    Ok(text.to_owned())
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
    let today = today(state, now);
    let operation = format!("file_act:{certificate_id}");
    let idempotent = Idempotent::new(tenant.org_id, idempotency_key, &operation, &request)?;
    let mut tx = state.db.begin().await?;
    if let Some(idempotent) = &idempotent
        && let Some(earlier) = idempotent.earlier(&mut tx, now).await?
    {
        return Ok(earlier);
    }
    let certificate = db::certificates::find_for_update(&mut tx, certificate_id)
        .await?
        .filter(|c| c.org_id == tenant.org_id)
        .ok_or(Error::NotFound)?;
    ensure_active(&certificate, now)?;
    let mut fields = Fields::new();
    let (kind, details) = match request {
        NewAct::License { licensee, exclusive, scope, starts_on, ends_on } => {
            let licensee = counterparty(&mut fields, "licensee", &licensee);
            let scope = fields.check("scope", Text::parse(&scope, 2000));
            term(&mut fields, starts_on, ends_on, today);
            fields.finish()?;
            if exclusive && db::licenses::exclusive_overlaps(&mut tx, certificate_id, starts_on, ends_on).await? {
                return Err(overlap());
            }
            let (Some(licensee), Some(scope)) = (licensee, scope) else {
                return Err(Error::field("licensee", "invalid"));
            };
            let details = serde_json::json!({"licensee": licensee, "exclusive": exclusive, "scope": scope.into_string(),
                "starts_on": starts_on, "ends_on": ends_on});
            (ActKind::License, details)
        }
        NewAct::Pledge { pledgee, secured_amount, starts_on, ends_on } => {
            let pledgee = counterparty(&mut fields, "pledgee", &pledgee);
            let value = fields.check("secured_amount.amount", amount(&secured_amount.amount));
            let currency = secured_amount.currency.trim().to_ascii_uppercase();
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                fields.add("secured_amount.currency", "must be an ISO 4217 code such as CNY");
            }
            term(&mut fields, starts_on, ends_on, today);
            fields.finish()?;
            let (Some(pledgee), Some(value)) = (pledgee, value) else { return Err(Error::field("pledgee", "invalid")) };
            let details = serde_json::json!({"pledgee": pledgee, "secured_amount": {"amount": value, "currency": currency},
                "starts_on": starts_on, "ends_on": ends_on});
            (ActKind::Pledge, details)
        }
        NewAct::PledgeRelease { pledge_id } => {
            let unreleased = db::pledges::unreleased(&mut tx, certificate_id).await?;
            if !unreleased.iter().any(|p| p.act_id == pledge_id) {
                return Err(Error::field("pledge_id", "is not an unreleased pledge of this certificate"));
            }
            (ActKind::PledgeRelease, serde_json::json!({"pledge_id": pledge_id}))
        }
        NewAct::Transfer { transferee_credit_code } => {
            let code = CreditCode::parse(&transferee_credit_code)
                .map_err(|e| Error::field("transferee_credit_code", e.to_string()))?;
            let transferee =
                db::organizations::find_by_credit_code(&mut tx, code.as_str()).await?.ok_or_else(|| {
                    Error::field("transferee_credit_code", "no organization with this code is registered here")
                })?;
            if transferee.id == certificate.org_id {
                return Err(Error::field("transferee_credit_code", "is the holder itself"));
            }
            ensure_no_unreleased_pledge(&mut tx, certificate_id, "transferred").await?;
            let details = serde_json::json!({"transferee_credit_code": transferee.credit_code,
                "transferee": {"id": transferee.id, "name": transferee.name, "credit_code": transferee.credit_code}});
            (ActKind::Transfer, details)
        }
        NewAct::Change { product_name, summary } => {
            let name = product_name.as_deref().map(|n| fields.check("product_name", Name::parse(n, 100)));
            let text = summary.as_deref().map(|a| fields.check("abstract", Text::parse(a, 2000)));
            if name.is_none() && text.is_none() {
                fields.add("product_name", "give product_name, abstract, or both");
            }
            fields.finish()?;
            let mut details = serde_json::Map::new();
            if let Some(Some(name)) = name {
                details.insert("product_name".into(), name.into_string().into());
            }
            if let Some(Some(text)) = text {
                details.insert("abstract".into(), text.into_string().into());
            }
            (ActKind::Change, serde_json::Value::Object(details))
        }
        NewAct::Renewal {} => {
            ensure_renewable(state, &certificate, now)?;
            (ActKind::Renewal, serde_json::json!({}))
        }
        NewAct::Cancellation { reason } => {
            let reason = Text::parse(&reason, 2000).map_err(|m| Error::field("reason", m))?;
            ensure_no_unreleased_pledge(&mut tx, certificate_id, "cancelled").await?;
            (ActKind::Cancellation, serde_json::json!({"reason": reason.into_string()}))
        }
    };
    let filed_by = match tenant.actor {
        Actor::User(id) | Actor::ApiKey(id) => id,
    };
    let act = new_act(&certificate, kind, details, filed_by, now);
    db::acts::insert(&mut tx, &act).await?;
    let view = ActView::from(act);
    if let Some(idempotent) = &idempotent {
        idempotent.remember(&mut tx, &view).await?;
    }
    tx.commit().await?;
    tracing::info!(act_id = %view.id, kind = ?kind, "act filed");
    Ok(view)
}

fn overlap() -> Error {
    Error::Conflict("an exclusive license of this certificate already covers part of that term".into())
}

/// Renewal is open from `renewal_window` before `valid_until` until then.
fn ensure_renewable(state: &AppState, certificate: &CertificateRow, now: DateTime<Utc>) -> Result<()> {
    let opens = state
        .config
        .deadline_before(certificate.valid_until, state.config.workflow.renewal_window)
        .ok_or_else(|| anyhow::anyhow!("renewal window out of range"))?;
    if now < opens {
        return Err(Error::Conflict(format!(
            "renewal opens at {} ({} before the end of validity)",
            opens.to_rfc3339(),
            state.config.workflow.renewal_window
        )));
    }
    Ok(())
}

/// The certificate's acts, oldest first, for its holder.
pub async fn list(state: &AppState, tenant: Tenant, certificate_id: Uuid) -> Result<Vec<ActView>> {
    let mut conn = state.db.acquire().await?;
    let certificate = db::certificates::find(&mut conn, certificate_id).await?;
    certificate.filter(|c| c.org_id == tenant.org_id).ok_or(Error::NotFound)?;
    Ok(db::acts::of_certificate(&mut conn, certificate_id).await?.into_iter().map(ActView::from).collect())
}

/// Acts in a state (default pending) across all certificates, oldest first.
pub async fn for_review(state: &AppState, filter: ActFilter, page: PageRequest<Uuid>) -> Result<Page<ActView>> {
    let mut conn = state.db.acquire().await?;
    let wanted = filter.state.unwrap_or(ActState::Pending);
    let rows = db::acts::list_by_state(&mut conn, wanted, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, ActView::from))
}

/// Rejects a pending act.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, act_id = %id))]
pub async fn reject(state: &AppState, staff: Staff, id: Uuid, request: RejectAct) -> Result<ActView> {
    let now = state.clock.now();
    let reason = Text::parse(&request.reason, 2000).map_err(|m| Error::field("reason", m))?.into_string();
    let mut tx = state.db.begin().await?;
    let act = pending(&mut tx, id).await?;
    db::acts::decide(&mut tx, id, ActState::Rejected, &act.details, Some(staff.user_id), Some(&reason), now).await?;
    let view = db::acts::find(&mut tx, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(view.into())
}

async fn pending(conn: &mut PgConnection, id: Uuid) -> Result<ActRow> {
    let act = db::acts::find_for_update(conn, id).await?.ok_or(Error::NotFound)?;
    if act.state != ActState::Pending {
        return Err(Error::InvalidTransition {
            subject: "act",
            from: format!("{:?}", act.state).to_lowercase(),
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
    ensure_active(&certificate, now)?;
    let view = take_effect(&mut tx, state, &act, &certificate, staff, now).await?;
    tx.commit().await?;
    tracing::info!(kind = ?act.kind, "act approved");
    Ok(view.into())
}

/// A pending act on the certificate, as filed now.
fn new_act(
    certificate: &CertificateRow,
    kind: ActKind,
    details: serde_json::Value,
    filed_by: Uuid,
    now: DateTime<Utc>,
) -> ActRow {
    ActRow {
        id: Uuid::now_v7(),
        certificate_id: certificate.id,
        org_id: certificate.org_id,
        kind,
        state: ActState::Pending,
        details,
        filed_by: Some(filed_by),
        filed_at: now,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        ledger_index: None,
    }
}

/// An approved act takes effect: applied to the register, marked approved,
/// queued for the ledger and recorded in the registration's history.
async fn take_effect(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    certificate: &CertificateRow,
    staff: Staff,
    now: DateTime<Utc>,
) -> Result<ActRow> {
    let details = apply(conn, state, act, certificate, now).await?;
    // The act is locked by this transaction: it is still pending.
    if !db::acts::decide(conn, act.id, ActState::Approved, &details, Some(staff.user_id), None, now).await? {
        return Err(anyhow::anyhow!("act {} stopped being pending while locked", act.id).into());
    }
    record(conn, certificate, act, &details, EventActor::Reviewer(staff.user_id), now).await?;
    db::acts::find(conn, act.id).await?.ok_or(Error::NotFound)
}

/// Applies an act to the register; answers its details as recorded.
async fn apply(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    certificate: &CertificateRow,
    now: DateTime<Utc>,
) -> Result<serde_json::Value> {
    let mut details = act.details.clone();
    let field = |name: &str| act.details.get(name).cloned().unwrap_or_default();
    let date =
        |value: serde_json::Value| serde_json::from_value::<NaiveDate>(value).map_err(|e| Error::Internal(e.into()));
    let mut register = certificate.register();
    match act.kind {
        ActKind::License => {
            let licensee: Counterparty =
                serde_json::from_value(field("licensee")).map_err(|e| Error::Internal(e.into()))?;
            let license = LicenseRow {
                act_id: act.id,
                certificate_id: certificate.id,
                org_id: certificate.org_id,
                licensee_name: licensee.name,
                licensee_credit_code: licensee.credit_code,
                exclusive: field("exclusive").as_bool().unwrap_or(false),
                scope: field("scope").as_str().unwrap_or_default().to_owned(),
                starts_on: date(field("starts_on"))?,
                ends_on: date(field("ends_on"))?,
            };
            db::licenses::insert(conn, &license).await.map_err(|e| match db::violated_constraint(&e) {
                Some("licenses_exclusive_overlap") => overlap(),
                _ => e.into(),
            })?;
        }
        ActKind::Pledge => {
            let pledgee: Counterparty =
                serde_json::from_value(field("pledgee")).map_err(|e| Error::Internal(e.into()))?;
            let money: Money =
                serde_json::from_value(field("secured_amount")).map_err(|e| Error::Internal(e.into()))?;
            let pledge = PledgeRow {
                act_id: act.id,
                certificate_id: certificate.id,
                org_id: certificate.org_id,
                pledgee_name: pledgee.name,
                pledgee_credit_code: pledgee.credit_code,
                amount: money.amount,
                currency: money.currency,
                starts_on: date(field("starts_on"))?,
                ends_on: date(field("ends_on"))?,
                released_at: None,
            };
            db::pledges::insert(conn, &pledge).await?;
        }
        ActKind::PledgeRelease => {
            let pledge_id: Uuid = serde_json::from_value(field("pledge_id")).map_err(|e| Error::Internal(e.into()))?;
            if !db::pledges::release(conn, certificate.id, pledge_id, act.id, now).await? {
                return Err(Error::Conflict("that pledge is no longer unreleased".into()));
            }
        }
        ActKind::Transfer => {
            ensure_no_unreleased_pledge(conn, certificate.id, "transferred").await?;
            let code = field("transferee_credit_code").as_str().unwrap_or_default().to_owned();
            let transferee = db::organizations::find_by_credit_code(conn, &code)
                .await?
                .ok_or_else(|| Error::Conflict("the transferee is no longer registered here".into()))?;
            let from = db::organizations::find(conn, certificate.org_id).await?.ok_or(Error::NotFound)?;
            register.org_id = transferee.id;
            db::acts::move_to(conn, certificate.id, transferee.id).await?;
            details["transferor"] = serde_json::json!({"name": from.name, "credit_code": from.credit_code});
        }
        ActKind::Change => {
            if let Some(name) = field("product_name").as_str() {
                details["previous_product_name"] = register.product_name.clone().into();
                register.product_name = name.to_owned();
            }
            if let Some(text) = field("abstract").as_str() {
                register.r#abstract = text.to_owned();
            }
        }
        ActKind::Renewal => {
            ensure_renewable(state, certificate, now)?;
            register.valid_until = state
                .config
                .deadline(certificate.valid_until, state.config.workflow.certificate_validity)
                .ok_or_else(|| anyhow::anyhow!("validity out of range"))?;
            details["previous_valid_until"] = serde_json::to_value(certificate.valid_until).unwrap_or_default();
            details["valid_until"] = serde_json::to_value(register.valid_until).unwrap_or_default();
        }
        ActKind::Cancellation => {
            ensure_no_unreleased_pledge(conn, certificate.id, "cancelled").await?;
            register.status = CertificateStatus::Cancelled;
        }
        ActKind::Revocation => register.status = CertificateStatus::Revoked,
    }
    let updated = db::certificates::update_active(conn, certificate.id, &register, now).await?;
    if !updated {
        return Err(Error::InvalidTransition {
            subject: "certificate",
            from: "inactive".into(),
            action: "take new acts".into(),
        });
    }
    // The certificate's other pending acts can no longer apply.
    let moot = match act.kind {
        ActKind::Transfer => Some("moot: the certificate was transferred"),
        ActKind::Cancellation => Some("moot: the certificate was cancelled"),
        ActKind::Revocation => Some("moot: the certificate was revoked"),
        _ => None,
    };
    if let Some(reason) = moot {
        db::acts::reject_pending(conn, &[certificate.id], Some(act.id), reason, now).await?;
    }
    Ok(details)
}

/// The ledger entry and history record of an approved act.
async fn record(
    conn: &mut PgConnection,
    certificate: &CertificateRow,
    act: &ActRow,
    details: &serde_json::Value,
    actor: EventActor,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut entry = serde_json::json!({
        "type": act.kind.entry_type(),
        "certificate_number": certificate.certificate_number,
        "registration_number": certificate.registration_number,
        "act_id": act.id,
        "at": now,
    });
    if let (Some(entry), Some(details)) = (entry.as_object_mut(), details.as_object()) {
        for (key, value) in details {
            entry.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    let bytes = crate::signing::canonical_json(&entry)?;
    db::ledger::enqueue_act(conn, &bytes, act.id, now).await?;
    let application = db::applications::find(conn, certificate.application_id).await?.ok_or(Error::NotFound)?;
    let note =
        Some(format!("{} on certificate {} (act {})", act.kind.entry_type(), certificate.certificate_number, act.id));
    procedure::record(conn, &application, actor, act.kind.entry_type(), None, note, now).await
}

/// Revokes a certificate on the registry's own authority, with grounds.
#[tracing::instrument(skip_all, fields(reviewer_id = %staff.user_id, certificate_id = %certificate_id))]
pub async fn revoke(state: &AppState, staff: Staff, certificate_id: Uuid, request: Revocation) -> Result<ActView> {
    let now = state.clock.now();
    let grounds = Text::parse(&request.grounds, 2000).map_err(|m| Error::field("grounds", m))?.into_string();
    let mut tx = state.db.begin().await?;
    let certificate = db::certificates::find_for_update(&mut tx, certificate_id).await?.ok_or(Error::NotFound)?;
    ensure_active(&certificate, now)?;
    let act = new_act(&certificate, ActKind::Revocation, serde_json::json!({"grounds": grounds}), staff.user_id, now);
    db::acts::insert(&mut tx, &act).await?;
    let view = take_effect(&mut tx, state, &act, &certificate, staff, now).await?;
    tx.commit().await?;
    tracing::info!("certificate revoked");
    Ok(view.into())
}

/// What the public sees of a certificate's encumbrances and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicLicense {
    pub licensee_name: String,
    pub exclusive: bool,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPledge {
    pub pledgee_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Shown only where the registry's configuration allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secured_amount: Option<Money>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAct {
    pub kind: ActKind,
    pub approved_at: Option<DateTime<Utc>>,
    pub ledger_index: Option<i64>,
}

/// The certificate's current licenses and unreleased pledges, and its
/// approved acts; pending and rejected acts are not public.
pub async fn public_record(
    conn: &mut PgConnection,
    state: &AppState,
    certificate_id: Uuid,
) -> Result<(Vec<PublicLicense>, Vec<PublicPledge>, Vec<PublicAct>)> {
    let today = today(state, state.clock.now());
    let licenses = db::licenses::current(conn, certificate_id, today)
        .await?
        .into_iter()
        .map(|l| PublicLicense {
            licensee_name: l.licensee_name,
            exclusive: l.exclusive,
            starts_on: l.starts_on,
            ends_on: l.ends_on,
        })
        .collect();
    let show_amounts = state.config.registry.public_pledge_amounts;
    let pledges = db::pledges::unreleased(conn, certificate_id)
        .await?
        .into_iter()
        .map(|p| PublicPledge {
            pledgee_name: p.pledgee_name,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            secured_amount: show_amounts.then_some(Money { amount: p.amount, currency: p.currency }),
        })
        .collect();
    let history = db::acts::of_certificate(conn, certificate_id)
        .await?
        .into_iter()
        .filter(|a| a.state == ActState::Approved)
        .map(|a| PublicAct { kind: a.kind, approved_at: a.decided_at, ledger_index: a.ledger_index })
        .collect();
    Ok((licenses, pledges, history))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_decimals() {
        assert_eq!(amount("5000000.00"), Ok("5000000.00".into()));
        assert_eq!(amount(" 12.5 "), Ok("12.5".into()));
        for bad in ["", "0", "0.00", "-1", "1.234", "1e6", "1,000", "1.", ".5", "１２"] {
            assert!(amount(bad).is_err(), "{bad}");
        }
    }
}
