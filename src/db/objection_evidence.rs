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
