use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Records `hits` hits at once and returns the window's count including them.
pub async fn hit_by(
    conn: &mut PgConnection,
    bucket: &str,
    key: &[u8],
    window_start: DateTime<Utc>,
    hits: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "INSERT INTO throttle_windows (bucket, key, window_start, hits) VALUES ($1, $2, $3, $4)
         ON CONFLICT (bucket, key, window_start) DO UPDATE SET hits = throttle_windows.hits + $4
         RETURNING hits",
        bucket,
        key,
        window_start,
        hits
    )
    .fetch_one(conn)
    .await
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

/// Records one hit on each `(bucket, key)` of one window, in one statement
/// (so that concurrent attempts are counted one after another), and returns
/// each count including it, in the order given. Rows are taken in
/// `(bucket, key)` order, as `unhit_each` takes them: in any other order
/// two concurrent logins of one account deadlocked (a 500 after a second).
pub async fn hit_each(
    conn: &mut PgConnection,
    buckets: &[String],
    keys: &[Vec<u8>],
    window_start: DateTime<Utc>,
) -> sqlx::Result<Vec<i32>> {
    let rows = sqlx::query!(
        r#"INSERT INTO throttle_windows (bucket, key, window_start, hits)
           SELECT bucket, key, $3, 1 FROM UNNEST($1::text[], $2::bytea[]) AS t(bucket, key) ORDER BY bucket, key
           ON CONFLICT (bucket, key, window_start) DO UPDATE SET hits = throttle_windows.hits + 1
           RETURNING bucket, hits"#,
        buckets,
        keys,
        window_start
    )
    .fetch_all(conn)
    .await?;
    Ok(buckets.iter().map(|bucket| rows.iter().find(|row| &row.bucket == bucket).map_or(0, |row| row.hits)).collect())
}

/// Takes back one hit on each `(bucket, key)` of one window.
pub async fn unhit_each(
    conn: &mut PgConnection,
    buckets: &[String],
    keys: &[Vec<u8>],
    window_start: DateTime<Utc>,
) -> sqlx::Result<()> {
    // Locked in `(bucket, key)` order first, as `hit_each` takes them.
    sqlx::query!(
        "WITH taken AS (
             SELECT w.bucket, w.key FROM throttle_windows w
             JOIN UNNEST($1::text[], $2::bytea[]) AS t(bucket, key) ON w.bucket = t.bucket AND w.key = t.key
             WHERE w.window_start = $3 AND w.hits > 0
             ORDER BY w.bucket, w.key FOR UPDATE OF w
         )
         UPDATE throttle_windows SET hits = hits - 1 FROM taken
         WHERE throttle_windows.bucket = taken.bucket AND throttle_windows.key = taken.key
           AND throttle_windows.window_start = $3",
        buckets,
        keys,
        window_start
    )
    .execute(conn)
    .await?;
    Ok(())
}
