//! Watches: users' on new announcements, parties' on certificates.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct WatchRow {
    pub id: Uuid,
    /// Who made it, if a person did (a certificate watch may be an API key's).
    pub user_id: Option<Uuid>,
    pub org_id: Uuid,
    pub kind: String,
    pub value: String,
    pub normalized: String,
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, row: &WatchRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO watches (id, user_id, org_id, kind, value, normalized, channels, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.id,
        row.user_id,
        row.org_id,
        row.kind,
        row.value,
        row.normalized,
        &row.channels,
        row.created_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's watches on announcements.
pub async fn of_user(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<Vec<WatchRow>> {
    sqlx::query_as!(
        WatchRow,
        "SELECT id, user_id, org_id, kind, value, normalized, channels, created_at FROM watches
         WHERE user_id = $1 AND kind <> 'certificate' AND deleted_at IS NULL ORDER BY id",
        user_id
    )
    .fetch_all(conn)
    .await
}

/// Stops a watch: a user's on announcements, or (`user_id` none) any of
/// the party's on certificates.
pub async fn delete(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Option<Uuid>,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE watches SET deleted_at = $4
         WHERE id = $3 AND deleted_at IS NULL
           AND ((kind = 'certificate' AND org_id = $1) OR (kind <> 'certificate' AND user_id = $2))",
        org_id,
        user_id,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The watches an announced application matches: its normalised name holds
/// the phrase, its holder has the credit code, or one of its materials has
/// the hash. Users no longer active are left out.
pub async fn matching(conn: &mut PgConnection, application_id: Uuid) -> sqlx::Result<Vec<WatchRow>> {
    sqlx::query_as!(
        WatchRow,
        "SELECT w.id, w.user_id, w.org_id, w.kind, w.value, w.normalized, w.channels, w.created_at
         FROM applications a
         JOIN organizations o ON o.id = a.org_id
         JOIN watches w ON w.deleted_at IS NULL AND (
                (w.kind = 'name' AND strpos(a.normalized_product_name, w.normalized) > 0)
             OR (w.kind = 'credit_code' AND o.credit_code = w.normalized)
             OR (w.kind = 'sha256' AND EXISTS (SELECT 1 FROM materials m
                                               WHERE m.application_id = a.id AND encode(m.sha256, 'hex') = w.normalized)))
         JOIN users u ON u.id = w.user_id AND u.disabled_at IS NULL
         WHERE a.id = $1
         ORDER BY w.id",
        application_id
    )
    .fetch_all(conn)
    .await
}

/// A party's watches on certificates, by id.
pub async fn of_party(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Vec<WatchRow>> {
    sqlx::query_as!(
        WatchRow,
        "SELECT id, user_id, org_id, kind, value, normalized, channels, created_at FROM watches
         WHERE org_id = $1 AND kind = 'certificate' AND deleted_at IS NULL ORDER BY id",
        org_id
    )
    .fetch_all(conn)
    .await
}

/// How many certificates the party watches, counted with its row locked,
/// so that concurrent watches cannot pass the cap together.
pub async fn count_of_party_locked(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query!("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", org_id).fetch_optional(&mut *conn).await?;
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM watches WHERE org_id = $1 AND kind = 'certificate' AND deleted_at IS NULL"#,
        org_id
    )
    .fetch_one(conn)
    .await
}

/// The party's watch on a certificate, if it has one.
pub async fn of_party_on(conn: &mut PgConnection, org_id: Uuid, number: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM watches WHERE org_id = $1 AND kind = 'certificate' AND normalized = $2 AND deleted_at IS NULL",
        org_id,
        number
    )
    .fetch_optional(conn)
    .await
}
