use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{MaterialHash, MaterialKind};

#[derive(Debug, Clone)]
pub struct MaterialRow {
    pub application_id: Uuid,
    pub org_id: Uuid,
    pub kind: MaterialKind,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_id: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

impl MaterialRow {
    /// The material as the public may see it.
    pub fn hash(&self) -> MaterialHash {
        MaterialHash { kind: self.kind, sha256: hex::encode(&self.sha256) }
    }
}

/// Stores the material, replacing any of the same kind.
pub async fn upsert(conn: &mut PgConnection, material: &MaterialRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO materials (application_id, org_id, kind, filename, media_type, size, sha256, blob_id, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (application_id, kind) DO UPDATE SET
             filename = EXCLUDED.filename, media_type = EXCLUDED.media_type, size = EXCLUDED.size,
             sha256 = EXCLUDED.sha256, blob_id = EXCLUDED.blob_id, uploaded_at = EXCLUDED.uploaded_at",
        material.application_id,
        material.org_id,
        material.kind as MaterialKind,
        material.filename,
        material.media_type,
        material.size,
        material.sha256,
        material.blob_id,
        material.uploaded_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut PgConnection,
    application_id: Uuid,
    kind: MaterialKind,
) -> sqlx::Result<Option<MaterialRow>> {
    sqlx::query_as!(
        MaterialRow,
        r#"SELECT application_id, org_id, kind AS "kind: MaterialKind", filename, media_type, size, sha256, blob_id,
                uploaded_at
           FROM materials WHERE application_id = $1 AND kind = $2"#,
        application_id,
        kind as MaterialKind
    )
    .fetch_optional(conn)
    .await
}

/// The materials of several applications, in kind order.
pub async fn of_applications(conn: &mut PgConnection, application_ids: &[Uuid]) -> sqlx::Result<Vec<MaterialRow>> {
    // One index range per application, a lateral subquery: without
    // statistics an `= ANY` over a batch of ids estimates most of the table
    // and scans all of it. The limit never cuts (one material per kind, the
    // primary key), but tells the planner, which would otherwise guess some
    // 1,500 rows per application and JIT-compile the statement.
    let kinds = i64::try_from(MaterialKind::ALL.len()).unwrap_or(i64::MAX);
    sqlx::query_as!(
        MaterialRow,
        r#"SELECT m.application_id AS "application_id!", m.org_id AS "org_id!", m.kind AS "kind!: MaterialKind",
                m.filename AS "filename!", m.media_type AS "media_type!", m.size AS "size!", m.sha256 AS "sha256!",
                m.blob_id AS "blob_id!", m.uploaded_at AS "uploaded_at!"
           FROM UNNEST($1::uuid[]) AS t(id)
           CROSS JOIN LATERAL (SELECT * FROM materials WHERE application_id = t.id LIMIT $2) AS m
           ORDER BY m.application_id, m.kind"#,
        application_ids,
        kinds
    )
    .fetch_all(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, application_id: Uuid, kind: MaterialKind) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM materials WHERE application_id = $1 AND kind = $2",
        application_id,
        kind as MaterialKind
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Bytes of the organization's materials, leaving out the one at
/// `(application_id, kind)` (which an upload is about to replace).
pub async fn bytes_of_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    application_id: Uuid,
    kind: MaterialKind,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(sum(size), 0)::bigint AS "bytes!" FROM materials
           WHERE org_id = $1 AND NOT (application_id = $2 AND kind = $3)"#,
        org_id,
        application_id,
        kind as MaterialKind
    )
    .fetch_one(conn)
    .await
}
