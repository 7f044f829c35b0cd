//! Watches: a signed-in user is told, by mail or through their
//! organization's webhooks, when an announcement opens for a product whose
//! name contains a phrase (NFKC-normalised, case and white space ignored),
//! from a credit code, or with a material of a given SHA-256. A party (a
//! bank, an exchange) watches certificates: each change of one, once in a
//! checkpoint, is told to it (see `certificate_events`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, Result, notifications, notifications::webhooks};
use crate::{
    auth::Tenant,
    db::{self, applications::ApplicationRow, watches::WatchRow},
    domain::{CreditCode, normalized_product_name},
    notifications::{EventKind, messages::Facts},
    state::AppState,
};

/// Watches one user may keep.
const MAX_WATCHES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WatchKind {
    /// A phrase of the product name.
    Name,
    /// The holder's unified social credit code. A natural person has none
    /// and is never watched by their identity number (only, like anyone, by
    /// a phrase of a product's name).
    CreditCode,
    /// The SHA-256 of a material, in hex.
    Sha256,
    /// A certificate, by its number: the party (not the user) watches it,
    /// and is told of each change once it is in a checkpoint.
    Certificate,
}

impl WatchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::CreditCode => "credit_code",
            Self::Sha256 => "sha256",
            Self::Certificate => "certificate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    /// The organization's webhooks subscribed to `watch.matched`.
    Webhook,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub kind: WatchKind,
    /// The phrase, credit code, hash or certificate number.
    #[schema(min_length = 1, max_length = 100, example = "交通")]
    pub value: String,
    /// `email`, `webhook` or both, each once. A certificate watch's mail
    /// goes to the party's members (as its other notices do).
    #[schema(min_items = 1, max_items = 2)]
    #[serde(deserialize_with = "crate::domain::fields::texts")]
    pub channels: Vec<Channel>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchView {
    pub id: Uuid,
    pub kind: String,
    pub value: String,
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<WatchRow> for WatchView {
    fn from(row: WatchRow) -> Self {
        Self { id: row.id, kind: row.kind, value: row.value, channels: row.channels, created_at: row.created_at }
    }
}

fn person(tenant: Tenant) -> Result<Uuid> {
    match tenant.actor {
        crate::auth::Actor::User(id) => Ok(id),
        crate::auth::Actor::ApiKey(_) => Err(Error::Forbidden("a watch is a person's: log in as one")),
    }
}

/// What a watch compares, or why the value cannot be watched.
fn normalized(kind: WatchKind, value: &str) -> Result<String> {
    let value = value.trim();
    let invalid = |message: &str| Error::field("value", message);
    match kind {
        WatchKind::Name => {
            let name = normalized_product_name(value);
            if name.is_empty() || value.chars().count() > 100 {
                return Err(invalid("must be 1 to 100 characters besides white space"));
            }
            Ok(name)
        }
        WatchKind::CreditCode => {
            CreditCode::parse(value).map(|code| code.as_str().to_owned()).map_err(|e| invalid(&e.to_string()))
        }
        WatchKind::Sha256 => {
            let hex = value.to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("must be 64 hexadecimal digits"));
            }
            Ok(hex)
        }
        WatchKind::Certificate => crate::domain::CertificateNumber::parse(value)
            .map(|number| number.as_str().to_owned())
            .map_err(|e| invalid(&e.to_string())),
    }
}

pub async fn create(state: &AppState, tenant: Tenant, request: NewWatch) -> Result<WatchView> {
    let user_id = match request.kind {
        WatchKind::Certificate => match tenant.actor {
            crate::auth::Actor::User(id) => Some(id),
            crate::auth::Actor::ApiKey(_) => None,
        },
        _ => Some(person(tenant)?),
    };
    let normalized = normalized(request.kind, &request.value)?;
    let mut channels: Vec<String> = request
        .channels
        .iter()
        .map(|c| match c {
            Channel::Email => "email".to_owned(),
            Channel::Webhook => "webhook".to_owned(),
        })
        .collect();
    channels.sort();
    channels.dedup();
    if channels.is_empty() || channels.len() != request.channels.len() {
        return Err(Error::field("channels", "name email, webhook or both, each once"));
    }
    let mut tx = state.db.begin().await?;
    match (request.kind, user_id) {
        (WatchKind::Certificate, _) => {
            if db::certificates::find_public(&mut tx, &normalized).await?.is_none() {
                return Err(Error::field("value", "no certificate of this number is on the register"));
            }
            let cap = state.config.quota.certificate_watches_per_party;
            let count = db::watches::count_of_party_locked(&mut tx, tenant.org_id).await?;
            if let Some(existing) = db::watches::of_party_on(&mut tx, tenant.org_id, &normalized).await? {
                return Err(Error::Conflict(format!("the party watches this certificate already (watch {existing})")));
            }
            if count >= i64::from(cap) {
                return Err(Error::QuotaExceeded(format!("a party may watch at most {cap} certificates")));
            }
        }
        (_, Some(user_id)) => {
            if db::watches::of_user(&mut tx, user_id).await?.len() >= MAX_WATCHES {
                return Err(Error::QuotaExceeded(format!("a user may keep at most {MAX_WATCHES} watches")));
            }
        }
        (_, None) => return Err(Error::Forbidden("a watch on announcements is a person's: log in as one")),
    }
    let row = WatchRow {
        id: Uuid::now_v7(),
        user_id,
        org_id: tenant.org_id,
        kind: request.kind.as_str().to_owned(),
        value: request.value.trim().to_owned(),
        normalized,
        channels,
        created_at: state.clock.now(),
    };
    db::watches::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The caller's watches on announcements (a person's), then the party's
/// on certificates.
pub async fn list(state: &AppState, tenant: Tenant) -> Result<Vec<WatchView>> {
    let mut conn = state.db.acquire().await?;
    let mut rows = match person(tenant) {
        Ok(user_id) => db::watches::of_user(&mut conn, user_id).await?,
        Err(_) => Vec::new(),
    };
    rows.extend(db::watches::of_party(&mut conn, tenant.org_id).await?);
    Ok(rows.into_iter().map(WatchView::from).collect())
}

pub async fn delete(state: &AppState, tenant: Tenant, id: Uuid) -> Result<()> {
    let user_id = person(tenant).ok();
    let mut conn = state.db.acquire().await?;
    let deleted = db::watches::delete(&mut conn, tenant.org_id, user_id, id, state.clock.now()).await?;
    deleted.then_some(()).ok_or(Error::NotFound)
}

/// Tells the watchers an application that just entered its announcement
/// matches, in the transaction that announced it.
pub async fn announced(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    now: DateTime<Utc>,
) -> Result<()> {
    for watch in db::watches::matching(conn, application.id).await? {
        let facts = Facts {
            product_name: Some(application.product_name.clone()),
            outcome: Some(format!("{}: {}", watch.kind, watch.value)),
            due: application.announcement_ends_at.map(|at| notifications::day(state, at)),
            link: Some(notifications::link(state, &format!("/announcements/{}", application.id))),
            ..Facts::default()
        };
        if let Some(user_id) = watch.user_id.filter(|_| watch.channels.iter().any(|c| c == "email")) {
            notifications::to_user(conn, state, user_id, EventKind::WatchMatched, &facts, now).await?;
        }
        if watch.channels.iter().any(|c| c == "webhook") {
            webhooks::enqueue(conn, watch.org_id, EventKind::WatchMatched, &facts, now).await?;
        }
    }
    Ok(())
}
