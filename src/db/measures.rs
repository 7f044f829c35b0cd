//! Preservation measures on certificates: recorded, their scanned order
//! attached, lifted by staff or by the end of their term.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::MeasureKind;

#[derive(Debug, Clone)]
pub struct MeasureRow {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub authority: String,
    pub kind: MeasureKind,
    pub document_number: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub document_filename: Option<String>,
    pub document_media_type: Option<String>,
    pub document_size: Option<i64>,
    pub document_sha256: Option<Vec<u8>>,
    pub document_blob_id: Option<Uuid>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<Uuid>,
    pub lift_reason: Option<String>,
}

/// The scanned order of a measure, as stored.
#[derive(Debug, Clone)]
pub struct OrderDocument {
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub blob_id: Uuid,
}

pub async fn insert(conn: &mut PgConnection, measure: &MeasureRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO preservation_measures (id, certificate_id, authority, kind, document_number, starts_on, ends_on,
             recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        measure.id,
        measure.certificate_id,
        measure.authority,
        measure.kind as MeasureKind,
        measure.document_number,
        measure.starts_on,
        measure.ends_on,
        measure.recorded_by,
        measure.recorded_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The certificate's measure, locked.
pub async fn find_for_update(
    conn: &mut PgConnection,
    certificate_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<MeasureRow>> {
    sqlx::query_as!(
        MeasureRow,
        r#"SELECT id, certificate_id, authority, kind AS "kind: MeasureKind", document_number, starts_on, ends_on,
                recorded_by, recorded_at, document_filename, document_media_type, document_size, document_sha256,
                document_blob_id, lifted_at, lifted_by, lift_reason
           FROM preservation_measures WHERE certificate_id = $1 AND id = $2 FOR UPDATE"#,
        certificate_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every measure of the certificate, in force or lifted, oldest first.
pub async fn of_certificate(conn: &mut PgConnection, certificate_id: Uuid) -> sqlx::Result<Vec<MeasureRow>> {
    sqlx::query_as!(
        MeasureRow,
        r#"SELECT id, certificate_id, authority, kind AS "kind: MeasureKind", document_number, starts_on, ends_on,
                recorded_by, recorded_at, document_filename, document_media_type, document_size, document_sha256,
                document_blob_id, lifted_at, lifted_by, lift_reason
           FROM preservation_measures WHERE certificate_id = $1 ORDER BY recorded_at, id"#,
        certificate_id
    )
    .fetch_all(conn)
    .await
}

/// The oldest measure in force on the certificate, if any.
pub async fn first_in_force(conn: &mut PgConnection, certificate_id: Uuid) -> sqlx::Result<Option<MeasureRow>> {
    sqlx::query_as!(
        MeasureRow,
        r#"SELECT id, certificate_id, authority, kind AS "kind: MeasureKind", document_number, starts_on, ends_on,
                recorded_by, recorded_at, document_filename, document_media_type, document_size, document_sha256,
                document_blob_id, lifted_at, lifted_by, lift_reason
           FROM preservation_measures WHERE certificate_id = $1 AND lifted_at IS NULL
           ORDER BY recorded_at, id LIMIT 1"#,
        certificate_id
    )
    .fetch_optional(conn)
    .await
}

/// Attaches (or replaces) the measure's scanned order.
pub async fn set_document(conn: &mut PgConnection, id: Uuid, document: &OrderDocument) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE preservation_measures SET document_filename = $2, document_media_type = $3, document_size = $4,
             document_sha256 = $5, document_blob_id = $6
         WHERE id = $1",
        id,
        document.filename,
        document.media_type,
        document.size,
        document.sha256,
        document.blob_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Lifts a measure in force; false if it was lifted already.
pub async fn lift(
    conn: &mut PgConnection,
    id: Uuid,
    lifted_by: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let lifted = sqlx::query!(
        "UPDATE preservation_measures SET lifted_at = $2, lifted_by = $3, lift_reason = $4
         WHERE id = $1 AND lifted_at IS NULL",
        id,
        now,
        lifted_by,
        reason
    )
    .execute(conn)
    .await?;
    Ok(lifted.rows_affected() == 1)
}

/// Up to `limit` measures in force whose term ended before `today`,
/// locked, skipping any another worker holds.
pub async fn ended_before(conn: &mut PgConnection, today: NaiveDate, limit: i64) -> sqlx::Result<Vec<MeasureRow>> {
    sqlx::query_as!(
        MeasureRow,
        r#"SELECT id, certificate_id, authority, kind AS "kind: MeasureKind", document_number, starts_on, ends_on,
                recorded_by, recorded_at, document_filename, document_media_type, document_size, document_sha256,
                document_blob_id, lifted_at, lifted_by, lift_reason
           FROM preservation_measures WHERE lifted_at IS NULL AND ends_on < $1
           ORDER BY ends_on, id LIMIT $2 FOR UPDATE SKIP LOCKED"#,
        today,
        limit
    )
    .fetch_all(conn)
    .await
}
