//! Registry staff: reviewers and admins, created by an admin or from the
//! command line, and disabled or enabled again from the command line.

use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{
    Error, Fields, Result,
    accounts::{self, NewAccount, UserView},
    audit::{self, Audit, AuditActor},
};
use crate::{
    db::{self, users::UserRow},
    domain::{AuditAction, DisplayName, Email, StaffRole},
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    #[schema(format = Email, max_length = 254)]
    #[schema(example = "wang.shen@registry.example")]
    pub email: String,
    /// At least 10 characters, at most 1024 bytes.
    #[schema(format = Password, min_length = 10, max_length = 1024)]
    pub password: String,
    pub display_name: DisplayName,
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub role: StaffRole,
}

#[tracing::instrument(skip_all, fields(role = ?request.role))]
pub async fn add(state: &AppState, actor: AuditActor, request: NewStaff) -> Result<UserView> {
    let mut fields = Fields::new();
    let account = NewAccount { email: request.email, password: request.password, display_name: request.display_name };
    let account = account.parse(&mut fields, "").ok_or_else(|| fields.into_error())?;
    let account = account.hash(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // An operator at the command line vouches for the address; an admin
    // adding a colleague through the API has it proven like anyone's.
    let address = match actor {
        AuditActor::Cli => accounts::NewAddress::Vouched,
        AuditActor::Staff(admin) => accounts::NewAddress::ToConfirm { added_by: Some(admin) },
    };
    let user = accounts::insert_user(&mut tx, state, account, request.role.into(), None, address, now).await?;
    let after = json!({"email": user.email, "role": user.role.as_str()});
    audit::record(&mut tx, actor, now, staff_audit(AuditAction::StaffAdd, user.id, None, after)).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "staff member added");
    Ok(user.into())
}

pub async fn list(state: &AppState, page: PageRequest<Uuid>) -> Result<Page<UserView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::users::list_staff(&mut conn, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, UserView::from))
}

/// Every staff member with their role and whether they are disabled, oldest
/// first (for `dataip staff list`; staff are few, so no paging).
pub async fn list_all(state: &AppState) -> Result<Vec<UserView>> {
    let mut conn = state.db.acquire().await?;
    Ok(db::users::list_all_staff(&mut conn).await?.into_iter().map(UserView::from).collect())
}

const NO_SUCH_STAFF: Error = Error::NotFoundBecause("no staff member with that e-mail address");

/// Disables a staff member: they can no longer log in, their sessions end
/// now, and access tokens already issued are refused from their next
/// request. Disabling a disabled account changes nothing.
#[tracing::instrument(skip_all)]
pub async fn disable(state: &AppState, actor: AuditActor, email: &str) -> Result<UserView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let staff = find_staff(&mut tx, email).await?;
    let user = db::users::disable(&mut tx, staff.id, now).await?.ok_or(NO_SUCH_STAFF)?;
    let sessions = db::refresh_tokens::revoke_all_of_user(&mut tx, user.id, now).await?;
    let (before, after) = (json!({"disabled_at": staff.disabled_at}), json!({"disabled_at": user.disabled_at}));
    audit::record(&mut tx, actor, now, staff_audit(AuditAction::StaffDisable, user.id, Some(before), after)).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, sessions, "staff member disabled");
    Ok(user.into())
}

/// Lets a disabled staff member log in again (with their old password).
#[tracing::instrument(skip_all)]
pub async fn enable(state: &AppState, actor: AuditActor, email: &str) -> Result<UserView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let staff = find_staff(&mut tx, email).await?;
    let user = db::users::enable(&mut tx, staff.id).await?.ok_or(NO_SUCH_STAFF)?;
    let (before, after) = (json!({"disabled_at": staff.disabled_at}), json!({"disabled_at": user.disabled_at}));
    audit::record(&mut tx, actor, now, staff_audit(AuditAction::StaffEnable, user.id, Some(before), after)).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "staff member enabled");
    Ok(user.into())
}

fn staff_audit(
    action: AuditAction,
    user_id: Uuid,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Audit {
    Audit { action, target_id: user_id, before, after: Some(after) }
}

/// The staff member with this address; applicants' accounts are not staff
/// and answer the same as unknown addresses.
async fn find_staff(conn: &mut sqlx::PgConnection, email: &str) -> Result<UserRow> {
    let email = Email::parse(email).map_err(|_| NO_SUCH_STAFF)?;
    db::users::find_by_email(conn, email.as_str()).await?.filter(|user| user.role.is_staff()).ok_or(NO_SUCH_STAFF)
}
