use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Role;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    /// `None` for registry staff.
    pub org_id: Option<Uuid>,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Set while the account is switched off (staff disabled by an
    /// operator, members removed from their organization).
    pub disabled_at: Option<DateTime<Utc>>,
    /// When its holder proved they receive mail at `email`.
    pub email_confirmed_at: Option<DateTime<Utc>>,
    /// Which of the user's credentials still work: those issued at this
    /// generation (see the migration `token_generation`).
    pub token_generation: i32,
}

/// Stores a user; `added_by` names whoever added the account for someone
/// else (see the migration `addresses_and_evidence`).
pub async fn insert(conn: &mut PgConnection, user: &UserRow, added_by: Option<Uuid>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO users (id, org_id, email, password_hash, display_name, role, created_at, email_confirmed_at,
                            added_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        user.id,
        user.org_id,
        user.email,
        user.password_hash,
        user.display_name,
        user.role as Role,
        user.created_at,
        user.email_confirmed_at,
        added_by,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn find_by_email(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(conn)
    .await
}

/// One page of an organization's users in creation order (ids are UUIDv7);
/// removed (disabled) members are no longer the organization's.
pub async fn list_in_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users
           WHERE org_id = $1 AND disabled_at IS NULL AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        org_id,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// One page of registry staff in creation order.
pub async fn list_staff(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users
           WHERE org_id IS NULL AND ($1::uuid IS NULL OR id > $1)
           ORDER BY id LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Every staff member, disabled ones included, in creation order (for the
/// command line: staff are few).
pub async fn list_all_staff(conn: &mut PgConnection) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users WHERE org_id IS NULL ORDER BY id"#
    )
    .fetch_all(conn)
    .await
}

/// Whether an access token of credential generation `generation` still
/// speaks for the user: they exist, are not disabled, and have not changed
/// their password, had it reset or been disabled since it was issued.
/// Checked on every request made with an access token.
pub async fn accepts_token(conn: &mut PgConnection, id: Uuid, generation: i32) -> sqlx::Result<bool> {
    let accepted = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL AND token_generation = $2)
           AS "accepted!""#,
        id,
        generation
    )
    .fetch_one(conn)
    .await?;
    Ok(accepted)
}

/// Sets a new password and ends every credential issued under the old one.
pub async fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, token_generation = token_generation + 1 WHERE id = $1",
        id,
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every credential of the user (access tokens, refresh tokens,
/// workbench sessions) without changing the password:
/// "sign out everywhere".
pub async fn end_credentials(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("UPDATE users SET token_generation = token_generation + 1 WHERE id = $1", id).execute(conn).await?;
    Ok(())
}

/// Disables the user (keeping the first `disabled_at` if already disabled),
/// ending every credential issued before: enabling them again revives none.
pub async fn disable(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"UPDATE users SET disabled_at = COALESCE(disabled_at, $2), token_generation = token_generation + 1
           WHERE id = $1
           RETURNING id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                     disabled_at, email_confirmed_at, token_generation"#,
        id,
        at
    )
    .fetch_optional(conn)
    .await
}

pub async fn enable(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"UPDATE users SET disabled_at = NULL WHERE id = $1
           RETURNING id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                     disabled_at, email_confirmed_at, token_generation"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// An active user of the organization, locked until the transaction ends.
pub async fn find_active_in_org_for_update(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users WHERE id = $1 AND org_id = $2 AND disabled_at IS NULL FOR UPDATE"#,
        id,
        org_id
    )
    .fetch_optional(conn)
    .await
}

/// The organization's active owners, locked (in id order, so that two
/// removals queue instead of deadlocking) until the transaction ends: two
/// owners removing each other at once cannot leave none.
pub async fn lock_active_owners(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE org_id = $1 AND role = 'owner' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
        org_id
    )
    .fetch_all(conn)
    .await
}

/// The user, locked until the transaction ends, so that changes to one
/// account (its password, its resets) are serialized.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at,
                  disabled_at, email_confirmed_at, token_generation
           FROM users WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Marks the user's address proven, if it is still `email`: false when
/// the address changed since (the proof was for another one).
pub async fn confirm_email(conn: &mut PgConnection, id: Uuid, email: &str, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, $3) WHERE id = $1 AND email = $2",
        id,
        email,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
