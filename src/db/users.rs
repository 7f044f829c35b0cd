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
}

pub async fn insert(conn: &mut PgConnection, user: &UserRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO users (id, org_id, email, password_hash, display_name, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        user.id,
        user.org_id,
        user.email,
        user.password_hash,
        user.display_name,
        user.role as Role,
        user.created_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn find_by_email(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(conn)
    .await
}

/// One page of an organization's users in creation order (ids are UUIDv7).
pub async fn list_in_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at
           FROM users
           WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
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
        r#"SELECT id, org_id, email, password_hash, display_name, role AS "role: Role", created_at
           FROM users
           WHERE org_id IS NULL AND ($1::uuid IS NULL OR id > $1)
           ORDER BY id LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}
