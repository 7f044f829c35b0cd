//! An organization's members and API keys, managed by its owners.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{
    Error, Fields, Result,
    accounts::{self, NewAccount, UserView},
    throttle::Throttle,
};
use crate::{
    auth::{API_KEY_PREFIX, OpaqueToken, Owner},
    config::Config,
    db::{self, api_keys::ApiKeyRow},
    domain::{DisplayName, KeyName, OrgRole, Role},
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(format = Email, max_length = 254)]
    #[schema(example = "li.na@example.com")]
    pub email: String,
    /// At least 10 characters, at most 1024 bytes.
    #[schema(format = Password, min_length = 10, max_length = 1024)]
    pub password: String,
    pub display_name: DisplayName,
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub role: OrgRole,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "ERP integration".
    pub name: KeyName,
}

/// An API key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// A key just created: the only time `key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: Uuid,
    pub name: String,
    /// Use as `Authorization: Bearer <key>`. Store it now: it cannot be shown again.
    pub key: String,
    pub created_at: DateTime<Utc>,
}

/// Members added per organization: each costs a password hash.
fn members_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "members.organization",
        limit: config.throttle.members_per_organization,
        window: config.throttle.members_window.get(),
    }
}

#[tracing::instrument(skip_all, fields(org_id = %owner.org_id))]
pub async fn add_member(state: &AppState, owner: Owner, request: NewMember) -> Result<UserView> {
    let mut fields = Fields::new();
    let account = NewAccount { email: request.email, password: request.password, display_name: request.display_name };
    let account = account.parse(&mut fields, "").ok_or_else(|| fields.into_error())?;
    let now = state.clock.now();
    members_throttle(&state.config).take(&mut *state.db.acquire().await?, owner.org_id.as_bytes(), now).await?;
    let account = account.hash(state).await?;
    let mut tx = state.db.begin().await?;
    let address = accounts::NewAddress::ToConfirm { added_by: Some(owner.user_id) };
    let user =
        accounts::insert_user(&mut tx, state, account, request.role.into(), Some(owner.org_id), address, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "member added");
    Ok(user.into())
}

pub async fn list_members(state: &AppState, org_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<UserView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::users::list_in_org(&mut conn, org_id, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, UserView::from))
}

/// Removes a user from the organization. The account is disabled rather
/// than deleted (histories name it): it cannot log in, its sessions end, its
/// access tokens are refused from the next request, and it leaves the member
/// list. Its e-mail address stays taken. The organization always keeps an
/// owner, so the last one cannot be removed (not even by themselves).
#[tracing::instrument(skip_all, fields(org_id = %owner.org_id, member_id = %id))]
pub async fn remove_member(state: &AppState, owner: Owner, id: Uuid) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The owners first, all of them: two owners removing each other at the
    // same moment take turns, and the second sees one owner left.
    let owners = db::users::lock_active_owners(&mut tx, owner.org_id).await?;
    if !owners.contains(&owner.user_id) {
        // Removed by a co-owner a moment ago.
        return Err(Error::Forbidden("only an owner of the organization may do this"));
    }
    let member = db::users::find_active_in_org_for_update(&mut tx, owner.org_id, id).await?.ok_or(Error::NotFound)?;
    if member.role == Role::Owner && owners.iter().all(|other| *other == member.id) {
        return Err(Error::Conflict(
            "this is the organization's last owner and cannot be removed; add another owner first".into(),
        ));
    }
    db::users::disable(&mut tx, member.id, now).await?;
    let sessions = db::refresh_tokens::revoke_all_of_user(&mut tx, member.id, now).await?;
    tx.commit().await?;
    tracing::info!(removed_by = %owner.user_id, sessions, "member removed");
    Ok(())
}

/// API keys an organization may create per window: each mails its owners.
fn api_keys_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "api_keys.organization",
        limit: config.throttle.api_keys_per_organization,
        window: config.throttle.api_key_window.get(),
    }
}

#[tracing::instrument(skip_all, fields(org_id = %owner.org_id))]
pub async fn create_api_key(state: &AppState, owner: Owner, request: NewApiKey) -> Result<CreatedApiKey> {
    let name = request.name.parse().map_err(|message| Error::field("name", message))?;
    let now = state.clock.now();
    api_keys_throttle(&state.config).take(&mut *state.db.acquire().await?, owner.org_id.as_bytes(), now).await?;
    let token = OpaqueToken::generate()?;
    let row = ApiKeyRow {
        id: token.id,
        org_id: owner.org_id,
        name: name.into_string(),
        secret_hash: token.secret_hash(),
        created_by: owner.user_id,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = state.db.begin().await?;
    db::api_keys::insert(&mut tx, &row).await?;
    let facts = crate::notifications::messages::Facts::default();
    let kind = crate::notifications::EventKind::ApiKeyCreated;
    crate::services::notifications::to_owners(&mut tx, state, owner.org_id, kind, &facts, row.created_at).await?;
    tx.commit().await?;
    tracing::info!(api_key_id = %row.id, "API key created");
    Ok(CreatedApiKey { id: row.id, name: row.name, key: token.render(API_KEY_PREFIX), created_at: row.created_at })
}

pub async fn list_api_keys(state: &AppState, owner: Owner, page: PageRequest<Uuid>) -> Result<Page<ApiKeyView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::api_keys::list(&mut conn, owner.org_id, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, ApiKeyView::from))
}

#[tracing::instrument(skip_all, fields(org_id = %owner.org_id, api_key_id = %id))]
pub async fn revoke_api_key(state: &AppState, owner: Owner, id: Uuid) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    if db::api_keys::revoke(&mut conn, owner.org_id, id, state.clock.now()).await? {
        tracing::info!("API key revoked");
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
