//! Watches: a signed-in user is told, by mail or through their
//! organization's webhooks, when an announcement opens for a product whose
//! name contains a phrase (NFKC-normalised, case and white space ignored),
//! from a credit code, or with a material of a given SHA-256.

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
}

impl WatchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::CreditCode => "credit_code",
            Self::Sha256 => "sha256",
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
    /// The phrase, credit code or hash.
    #[schema(min_length = 1, max_length = 100, example = "交通")]
    pub value: String,
    /// `email`, `webhook` or both, each once.
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
    }
}

pub async fn create(state: &AppState, tenant: Tenant, request: NewWatch) -> Result<WatchView> {
    let user_id = person(tenant)?;
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
    if db::watches::of_user(&mut tx, user_id).await?.len() >= MAX_WATCHES {
        return Err(Error::QuotaExceeded(format!("a user may keep at most {MAX_WATCHES} watches")));
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

pub async fn list(state: &AppState, tenant: Tenant) -> Result<Vec<WatchView>> {
    let rows = db::watches::of_user(&mut *state.db.acquire().await?, person(tenant)?).await?;
    Ok(rows.into_iter().map(WatchView::from).collect())
}

pub async fn delete(state: &AppState, tenant: Tenant, id: Uuid) -> Result<()> {
    let deleted = db::watches::delete(&mut *state.db.acquire().await?, person(tenant)?, id, state.clock.now()).await?;
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
        if watch.channels.iter().any(|c| c == "email") {
            notifications::to_user(conn, state, watch.user_id, EventKind::WatchMatched, &facts, now).await?;
        }
        if watch.channels.iter().any(|c| c == "webhook") {
            webhooks::enqueue(conn, watch.org_id, EventKind::WatchMatched, &facts, now).await?;
        }
    }
    Ok(())
}
