use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct StoredResponse {
    pub request_hash: Vec<u8>,
    pub response_status: i16,
    pub response_body: serde_json::Value,
}

/// Claims `key` for this request; false when it was used before. A
/// concurrent first use holds the key until its transaction ends, so the
/// second caller waits here and then sees the stored answer.
pub async fn claim(
    conn: &mut PgConnection,
    org_id: Uuid,
    key: &str,
    request_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let claimed = sqlx::query!(
        "INSERT INTO idempotency_keys (org_id, key, request_hash, response_status, response_body, created_at)
         VALUES ($1, $2, $3, 0, 'null', $4) ON CONFLICT (org_id, key) DO NOTHING",
        org_id,
        key,
        request_hash,
        now
    )
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn find(conn: &mut PgConnection, org_id: Uuid, key: &str) -> sqlx::Result<Option<StoredResponse>> {
    sqlx::query_as!(
        StoredResponse,
        "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE org_id = $1 AND key = $2",
        org_id,
        key
    )
    .fetch_optional(conn)
    .await
}

pub async fn store(
    conn: &mut PgConnection,
    org_id: Uuid,
    key: &str,
    status: i16,
    body: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE org_id = $1 AND key = $2",
        org_id,
        key,
        status,
        body
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_before(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < $1", before).execute(conn).await?;
    Ok(done.rows_affected())
}
