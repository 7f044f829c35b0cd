//! Files an objector attaches to an objection.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct EvidenceRow {
    pub id: Uuid,
    pub objection_id: Uuid,
    /// The holder organization.
    pub org_id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_id: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, row: &EvidenceRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO objection_evidence (id, objection_id, org_id, filename, media_type, size, sha256, blob_id,
             uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        row.id,
        row.objection_id,
        row.org_id,
        row.filename,
        row.media_type,
        row.size,
        row.sha256,
        row.blob_id,
        row.uploaded_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The evidence of several objections, oldest first.
pub async fn of_objections(conn: &mut PgConnection, objection_ids: &[Uuid]) -> sqlx::Result<Vec<EvidenceRow>> {
    sqlx::query_as!(
        EvidenceRow,
        "SELECT id, objection_id, org_id, filename, media_type, size, sha256, blob_id, uploaded_at
         FROM objection_evidence WHERE objection_id = ANY($1) ORDER BY objection_id, id",
        objection_ids
    )
    .fetch_all(conn)
    .await
}

/// One file of an objection's evidence.
pub async fn find(conn: &mut PgConnection, objection_id: Uuid, id: Uuid) -> sqlx::Result<Option<EvidenceRow>> {
    sqlx::query_as!(
        EvidenceRow,
        "SELECT id, objection_id, org_id, filename, media_type, size, sha256, blob_id, uploaded_at
         FROM objection_evidence WHERE objection_id = $1 AND id = $2",
        objection_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn count(conn: &mut PgConnection, objection_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM objection_evidence WHERE objection_id = $1"#, objection_id)
        .fetch_one(conn)
        .await
}

/// Bytes of evidence stored: `(on the objection, on every objection to its
/// application, by everyone since since)`.
pub async fn bytes_used(
    conn: &mut PgConnection,
    objection_id: Uuid,
    application_id: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT
             (SELECT COALESCE(SUM(size), 0) FROM objection_evidence WHERE objection_id = $1)::bigint AS "objection!",
             (SELECT COALESCE(SUM(e.size), 0) FROM objection_evidence e
                JOIN objections o ON o.id = e.objection_id WHERE o.application_id = $2)::bigint AS "announcement!",
             (SELECT COALESCE(SUM(size), 0) FROM objection_evidence WHERE uploaded_at >= $3)::bigint AS "day!""#,
        objection_id,
        application_id,
        since
    )
    .fetch_one(conn)
    .await?;
    Ok((row.objection, row.announcement, row.day))
}

/// Serializes the checks of evidence quotas with the insertion that follows
/// them, until the transaction ends: uploads to different objections of one
/// application, or on one day, cannot both slip under a quota.
pub async fn lock_quotas(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('dataip.objection_evidence'))").execute(conn).await?;
    Ok(())
}
