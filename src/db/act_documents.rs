//! The document an act carries: a pledgee's written consent, uploaded by
//! the holder, for staff to review with the act.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ActDocumentRow {
    pub act_id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_id: Uuid,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

/// Stores the act's document, replacing one uploaded before.
pub async fn put(conn: &mut PgConnection, document: &ActDocumentRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO act_documents (act_id, filename, media_type, size, sha256, blob_id, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (act_id) DO UPDATE SET filename = $2, media_type = $3, size = $4, sha256 = $5, blob_id = $6,
             uploaded_by = $7, uploaded_at = $8",
        document.act_id,
        document.filename,
        document.media_type,
        document.size,
        document.sha256,
        document.blob_id,
        document.uploaded_by,
        document.uploaded_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, act_id: Uuid) -> sqlx::Result<Option<ActDocumentRow>> {
    sqlx::query_as!(
        ActDocumentRow,
        "SELECT act_id, filename, media_type, size, sha256, blob_id, uploaded_by, uploaded_at
           FROM act_documents WHERE act_id = $1",
        act_id
    )
    .fetch_optional(conn)
    .await
}
