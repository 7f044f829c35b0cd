use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, key: &ApiKeyRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO api_keys (id, org_id, name, secret_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        key.id,
        key.org_id,
        key.name,
        key.secret_hash,
        key.created_by,
        key.created_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_active(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as!(
        ApiKeyRow,
        "SELECT id, org_id, name, secret_hash, created_by, created_at, last_used_at, revoked_at
         FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Records use at most once a minute per key, so authenticating with a key
/// is not a write on every request.
pub async fn touch(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_keys SET last_used_at = $2
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')",
        id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One page of an organization's active keys in creation order.
pub async fn list(
    conn: &mut PgConnection,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ApiKeyRow>> {
    sqlx::query_as!(
        ApiKeyRow,
        "SELECT id, org_id, name, secret_hash, created_by, created_at, last_used_at, revoked_at
         FROM api_keys
         WHERE org_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
        org_id,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Revokes a key of the organization; false when it has no such active key.
pub async fn revoke(conn: &mut PgConnection, org_id: Uuid, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
        id,
        org_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
