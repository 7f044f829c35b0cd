use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Hits recorded in one window.
pub async fn hits(conn: &mut PgConnection, bucket: &str, key: &[u8], window_start: DateTime<Utc>) -> sqlx::Result<i32> {
    let hits = sqlx::query_scalar!(
        "SELECT hits FROM throttle_windows WHERE bucket = $1 AND key = $2 AND window_start = $3",
        bucket,
        key,
        window_start
    )
    .fetch_optional(conn)
    .await?;
    Ok(hits.unwrap_or(0))
}

/// Records one hit and returns the window's count including it.
pub async fn hit(conn: &mut PgConnection, bucket: &str, key: &[u8], window_start: DateTime<Utc>) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "INSERT INTO throttle_windows (bucket, key, window_start, hits) VALUES ($1, $2, $3, 1)
         ON CONFLICT (bucket, key, window_start) DO UPDATE SET hits = throttle_windows.hits + 1
         RETURNING hits",
        bucket,
        key,
        window_start
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_before(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM throttle_windows WHERE window_start < $1", before).execute(conn).await?;
    Ok(done.rows_affected())
}
