//! Relying parties: a bank, an exchange or a court asks to rely on the
//! registry's signed status answers; staff verify it as they verify
//! organizations. A verified relying party's API keys raise its
//! status-query allowance (the only thing a key does on a public endpoint),
//! and its queries are counted per day in the database (never in metric
//! labels, and the numbers asked are not logged unless the operator says).

use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{
    Error, Result,
    audit::{self, Audit, AuditActor},
    notifications,
    throttle::{Throttle, address_key},
};
use crate::{
    auth::{Owner, Staff, Tenant},
    db::{self, relying_parties::RelyingPartyRow},
    domain::{AuditAction, PartyKind, Verification},
    notifications::{EventKind, messages::Facts},
    pagination::{Page, PageRequest},
    state::AppState,
};

/// What kind of institution relies on the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelyingPartyKind {
    Bank,
    Exchange,
    Court,
    Other,
}

impl RelyingPartyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Bank => "bank",
            Self::Exchange => "exchange",
            Self::Court => "court",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelyingPartyRequest {
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub kind: RelyingPartyKind,
    /// What the organization relies on the registry's answers for.
    #[schema(min_length = 1, max_length = 500, example = "数据资产质押融资的贷前与贷后核验")]
    pub purpose: String,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelyingPartyRefusal {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelyingPartyFilter {
    /// `pending` (default), `verified` or `refused`.
    pub state: Option<String>,
}

/// Status queries counted on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyQueries {
    pub day: NaiveDate,
    /// Certificate numbers asked (a bulk query counts each).
    pub numbers: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelyingPartyView {
    pub org_id: Uuid,
    pub name: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub purpose: String,
    /// `pending`, `verified` or `refused`.
    pub state: String,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
    /// The allowance of a verified relying party's keys, per `window`.
    pub allowance: u32,
    /// ISO 8601.
    pub window: String,
    /// The last 31 days with queries, newest first.
    pub queries: Vec<DailyQueries>,
}

const HISTORY_DAYS: i64 = 31;

async fn view(state: &AppState, conn: &mut sqlx::PgConnection, row: RelyingPartyRow) -> Result<RelyingPartyView> {
    let queries = db::status::queries(conn, row.org_id, HISTORY_DAYS).await?;
    let throttle = &state.config.throttle;
    Ok(RelyingPartyView {
        org_id: row.org_id,
        name: row.name,
        credit_code: row.credit_code,
        kind: row.kind,
        purpose: row.purpose,
        state: row.state,
        requested_at: row.requested_at,
        decided_at: row.decided_at,
        refusal_reason: row.refusal_reason,
        allowance: throttle.status_queries_per_relying_party,
        window: throttle.status_query_window.to_string(),
        queries: queries.into_iter().map(|(day, numbers)| DailyQueries { day, numbers }).collect(),
    })
}

/// An owner asks for the organization to be a relying party (again, after
/// a refusal). Only a verified organization may: a natural person, or an
/// organization staff have not verified, is refused (403, 409).
pub async fn request(state: &AppState, owner: Owner, request: RelyingPartyRequest) -> Result<RelyingPartyView> {
    let purpose = request.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(Error::field("purpose", "must be 1 to 500 characters besides white space"));
    }
    let mut tx = state.db.begin().await?;
    let party = db::parties::find(&mut tx, owner.org_id).await?.ok_or(Error::NotFound)?;
    if party.kind != PartyKind::Organization {
        return Err(Error::Forbidden("a relying party is an organization (a bank, an exchange, a court)"));
    }
    if party.verification != Verification::Verified {
        return Err(Error::OrganizationUnverified(
            "staff verify the organization's business licence before it may ask to be a relying party".into(),
        ));
    }
    let now = state.clock.now();
    if !db::relying_parties::request(&mut tx, owner.org_id, request.kind.as_str(), purpose, owner.user_id, now).await? {
        return Err(Error::Conflict("the organization is a verified relying party already".into()));
    }
    let row = db::relying_parties::find(&mut tx, owner.org_id).await?.ok_or(Error::NotFound)?;
    let view = view(state, &mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// The organization's standing as a relying party; 404 if it never asked.
pub async fn get(state: &AppState, tenant: Tenant) -> Result<RelyingPartyView> {
    let mut conn = state.db.acquire().await?;
    let row = db::relying_parties::find(&mut conn, tenant.org_id).await?.ok_or(Error::NotFound)?;
    view(state, &mut conn, row).await
}

/// Staff's queue: requests in a state, oldest first.
pub async fn queue(
    state: &AppState,
    filter: RelyingPartyFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<RelyingPartyView>> {
    let wanted = filter.state.as_deref().unwrap_or("pending");
    if !["pending", "verified", "refused"].contains(&wanted) {
        return Err(Error::field("state", "must be pending, verified or refused"));
    }
    let mut conn = state.db.acquire().await?;
    let rows = db::relying_parties::queue(&mut conn, wanted, page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| (row.requested_at, row.org_id), |row| row);
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        items.push(view(state, &mut conn, row).await?);
    }
    Ok(Page { items, next_cursor: rows.next_cursor })
}

/// One request, for staff.
pub async fn get_as_staff(state: &AppState, org_id: Uuid) -> Result<RelyingPartyView> {
    let mut conn = state.db.acquire().await?;
    let row = db::relying_parties::find(&mut conn, org_id).await?.ok_or(Error::NotFound)?;
    view(state, &mut conn, row).await
}

/// Staff verify or refuse a pending request (409 when it is not pending);
/// the organization is told.
pub async fn decide(state: &AppState, staff: Staff, org_id: Uuid, refusal: Option<String>) -> Result<RelyingPartyView> {
    let reason = refusal.as_deref().map(str::trim);
    if reason.is_some_and(|r| r.is_empty() || r.chars().count() > 2000) {
        return Err(Error::field("reason", "must be 1 to 2000 characters besides white space"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = db::relying_parties::find(&mut tx, org_id).await?.ok_or(Error::NotFound)?;
    if !db::relying_parties::decide(&mut tx, org_id, reason.is_none(), reason, staff.user_id, now).await? {
        return Err(Error::InvalidTransition {
            subject: "relying party request",
            from: before.state,
            action: if reason.is_none() { "verify it".into() } else { "refuse it".into() },
        });
    }
    let action = if reason.is_none() { AuditAction::RelyingPartyVerify } else { AuditAction::RelyingPartyRefuse };
    let after = match reason {
        Some(reason) => serde_json::json!({"state": "refused", "reason": reason}),
        None => serde_json::json!({"state": "verified"}),
    };
    let audit = Audit {
        action,
        target_id: org_id,
        before: Some(serde_json::json!({"state": before.state, "kind": before.kind})),
        after: Some(after),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    let (kind, reason) = match reason {
        None => (EventKind::RelyingPartyVerified, None),
        Some(reason) => (EventKind::RelyingPartyRefused, Some(reason.to_owned())),
    };
    let facts = Facts {
        organization_name: Some(before.name.clone()),
        reason,
        link: Some(notifications::link(state, "/api/v1/organization/relying-party")),
        ..Facts::default()
    };
    notifications::to_organization(&mut tx, state, org_id, kind, &facts, now).await?;
    let row = db::relying_parties::find(&mut tx, org_id).await?.ok_or(Error::NotFound)?;
    let view = view(state, &mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// Who asks the status endpoints: a client address, or a verified relying
/// party by one of its API keys.
#[derive(Debug, Clone, Copy)]
pub enum StatusAsker {
    Address(IpAddr),
    RelyingParty(Uuid),
}

/// Counts `numbers` status queries against the asker's allowance
/// (`throttle.status_queries_per_*`), or answers 429 with `Retry-After`;
/// a relying party's are also counted for its day in the database.
pub async fn admit(state: &AppState, asker: StatusAsker, numbers: usize) -> Result<()> {
    let throttle = &state.config.throttle;
    let window: Duration = throttle.status_query_window.get();
    let uses = u32::try_from(numbers).unwrap_or(u32::MAX);
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    match asker {
        StatusAsker::Address(address) => {
            let limit = throttle.status_queries_per_address;
            Throttle { bucket: "status.address", limit, window }
                .take_many(&mut conn, &address_key(address), uses, now)
                .await
        }
        StatusAsker::RelyingParty(org_id) => {
            let limit = throttle.status_queries_per_relying_party;
            Throttle { bucket: "status.relying_party", limit, window }
                .take_many(&mut conn, org_id.as_bytes(), uses, now)
                .await?;
            let day = state.config.calendar.today(now);
            Ok(db::status::count_queries(&mut conn, org_id, day, i64::from(uses)).await?)
        }
    }
}

/// The asker a request's API key names: a verified relying party, or 403.
pub async fn asker_of_key(state: &AppState, org_id: Uuid) -> Result<StatusAsker> {
    let mut conn = state.db.acquire().await?;
    match db::relying_parties::is_verified(&mut conn, org_id).await? {
        true => Ok(StatusAsker::RelyingParty(org_id)),
        false => Err(Error::Forbidden(
            "on public endpoints an API key only raises a verified relying party's status allowance, and this \
             organization is not one: ask with PUT /api/v1/organization/relying-party, or send no key",
        )),
    }
}
