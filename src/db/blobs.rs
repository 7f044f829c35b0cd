//! File contents, stored in chunks and addressed by SHA-256.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert_chunk(
    conn: &mut PgConnection,
    blob_id: Uuid,
    seq: i32,
    data: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO blob_chunks (blob_id, seq, data, written_at) VALUES ($1, $2, $3, $4)",
        blob_id,
        seq,
        data,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the chunks of an upload that did not finish.
pub async fn delete_chunks(conn: &mut PgConnection, blob_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM blob_chunks WHERE blob_id = $1", blob_id).execute(conn).await?;
    Ok(())
}

/// Deletes chunks written before `before` that belong to no blob: uploads
/// abandoned halfway.
pub async fn delete_abandoned_chunks(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM blob_chunks c WHERE c.written_at < $1 AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.id = c.blob_id)",
        before
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records the chunks written under `blob_id` as the blob with this hash,
/// unless that content is stored already: then the new chunks are dropped
/// and the existing blob's id returned, locked against deletion until the
/// transaction ends.
pub async fn finish(
    conn: &mut PgConnection,
    blob_id: Uuid,
    sha256: &[u8],
    size: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    loop {
        let inserted = sqlx::query_scalar!(
            "INSERT INTO blobs (id, sha256, size, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING RETURNING id",
            blob_id,
            sha256,
            size,
            now
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = inserted {
            return Ok(id);
        }
        let existing = sqlx::query_scalar!("SELECT id FROM blobs WHERE sha256 = $1 FOR KEY SHARE", sha256)
            .fetch_optional(&mut *conn)
            .await?;
        // None: the stored copy was purged just now; store ours after all.
        if let Some(id) = existing {
            sqlx::query!("DELETE FROM blob_chunks WHERE blob_id = $1", blob_id).execute(&mut *conn).await?;
            return Ok(id);
        }
    }
}

/// The chunk `seq` of a blob, if there is one.
pub async fn chunk(conn: &mut PgConnection, blob_id: Uuid, seq: i32) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!("SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2", blob_id, seq)
        .fetch_optional(conn)
        .await
}

/// Deletes up to `limit` blobs that no material, business licence,
/// objection evidence, preservation order or act document refers to,
/// skipping any that a concurrent transaction holds.
pub async fn delete_unused(conn: &mut PgConnection, limit: i64) -> sqlx::Result<u64> {
    let unused = sqlx::query_scalar!(
        "SELECT b.id FROM blobs b
         WHERE NOT EXISTS (SELECT 1 FROM materials m WHERE m.blob_id = b.id)
           AND NOT EXISTS (SELECT 1 FROM business_licences l WHERE l.blob_id = b.id)
           AND NOT EXISTS (SELECT 1 FROM objection_evidence e WHERE e.blob_id = b.id)
           AND NOT EXISTS (SELECT 1 FROM preservation_measures p WHERE p.document_blob_id = b.id)
           AND NOT EXISTS (SELECT 1 FROM act_documents d WHERE d.blob_id = b.id)
         LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    if unused.is_empty() {
        return Ok(0);
    }
    sqlx::query!("DELETE FROM blob_chunks WHERE blob_id = ANY($1)", &unused).execute(&mut *conn).await?;
    let done = sqlx::query!("DELETE FROM blobs WHERE id = ANY($1)", &unused).execute(conn).await?;
    Ok(done.rows_affected())
}
