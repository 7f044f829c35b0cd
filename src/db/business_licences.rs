//! Each organization's business licence: the latest its owner uploaded.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct BusinessLicenceRow {
    pub org_id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_id: Uuid,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

/// Stores the licence, replacing the organization's earlier one.
pub async fn upsert(conn: &mut PgConnection, licence: &BusinessLicenceRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO business_licences (org_id, filename, media_type, size, sha256, blob_id, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (org_id) DO UPDATE SET
             filename = EXCLUDED.filename, media_type = EXCLUDED.media_type, size = EXCLUDED.size,
             sha256 = EXCLUDED.sha256, blob_id = EXCLUDED.blob_id, uploaded_by = EXCLUDED.uploaded_by,
             uploaded_at = EXCLUDED.uploaded_at",
        licence.org_id,
        licence.filename,
        licence.media_type,
        licence.size,
        licence.sha256,
        licence.blob_id,
        licence.uploaded_by,
        licence.uploaded_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Option<BusinessLicenceRow>> {
    sqlx::query_as!(
        BusinessLicenceRow,
        "SELECT org_id, filename, media_type, size, sha256, blob_id, uploaded_by, uploaded_at
         FROM business_licences WHERE org_id = $1",
        org_id
    )
    .fetch_optional(conn)
    .await
}

/// The licences of several organizations.
pub async fn of_organizations(conn: &mut PgConnection, org_ids: &[Uuid]) -> sqlx::Result<Vec<BusinessLicenceRow>> {
    sqlx::query_as!(
        BusinessLicenceRow,
        "SELECT org_id, filename, media_type, size, sha256, blob_id, uploaded_by, uploaded_at
         FROM business_licences WHERE org_id = ANY($1)",
        org_ids
    )
    .fetch_all(conn)
    .await
}

/// Deletes the identity documents of natural persons with nothing under
/// way since `before`: no application changed, no certificate valid or
/// ended, no act filed or decided, and the document itself older. Their
/// blobs go with the next sweep of unused blobs. Answers how many.
pub async fn delete_idle_identity_documents(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM business_licences l USING organizations o
         WHERE o.id = l.org_id AND o.kind = 'person' AND l.uploaded_at < $1
           AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.org_id = o.id AND a.updated_at >= $1)
           AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.org_id = o.id
                           AND (c.status = 'active' OR c.valid_until >= $1 OR c.status_changed_at >= $1))
           AND NOT EXISTS (SELECT 1 FROM certificate_acts t WHERE (t.holder_org_id = o.id OR t.org_id = o.id)
                           AND (t.filed_at >= $1 OR t.decided_at >= $1))",
        before
    )
    .execute(conn)
    .await?;
    Ok(deleted.rows_affected())
}
