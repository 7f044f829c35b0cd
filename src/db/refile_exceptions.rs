use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// An admin's exception to the re-filing bar for one organization and one
/// product name.
#[derive(Debug, Clone)]
pub struct RefileExceptionRow {
    pub id: Uuid,
    pub org_id: Uuid,
    /// As the admin wrote it.
    pub product_name: String,
    pub normalized_product_name: String,
    pub reason: String,
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    /// The application whose submission took it.
    pub used_by: Option<Uuid>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, row: &RefileExceptionRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO refile_exceptions (id, org_id, product_name, normalized_product_name, reason, granted_by,
             granted_at, used_by, used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        row.id,
        row.org_id,
        row.product_name,
        row.normalized_product_name,
        row.reason,
        row.granted_by,
        row.granted_at,
        row.used_by,
        row.used_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The exception that lets application `application_id` through: the one it
/// took already (a resubmission), or else the oldest unused one of its
/// organization and name, which it takes now. `None` when there is none.
pub async fn take(
    conn: &mut PgConnection,
    org_id: Uuid,
    normalized_name: &str,
    application_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    let taken = sqlx::query_scalar!(
        "SELECT id FROM refile_exceptions WHERE org_id = $1 AND normalized_product_name = $2 AND used_by = $3",
        org_id,
        normalized_name,
        application_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Ok(taken);
    }
    sqlx::query_scalar!(
        "UPDATE refile_exceptions SET used_by = $3, used_at = $4
         WHERE id = (SELECT id FROM refile_exceptions
                     WHERE org_id = $1 AND normalized_product_name = $2 AND used_by IS NULL
                     ORDER BY granted_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id",
        org_id,
        normalized_name,
        application_id,
        now
    )
    .fetch_optional(conn)
    .await
}
