use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{AuditAction, AuditTarget};

pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub struct NewAuditRow<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    pub target_type: AuditTarget,
    pub target_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn insert(conn: &mut PgConnection, row: &NewAuditRow<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (at, actor, actor_id, action, target_type, target_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.at,
        row.actor,
        row.actor_id,
        row.action as AuditAction,
        row.target_type as AuditTarget,
        row.target_id,
        row.before,
        row.after
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What to list: every filter is optional.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first, before the row `before` (a cursor), at most `limit`.
pub async fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as!(
        AuditRow,
        "SELECT id, at, actor, actor_id, action, target_type, target_id, before, after FROM audit_log
         WHERE ($1::uuid IS NULL OR actor_id = $1)
           AND ($2::text IS NULL OR action = $2)
           AND ($3::uuid IS NULL OR target_id = $3)
           AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5)
           AND ($6::bigint IS NULL OR id < $6)
         ORDER BY id DESC LIMIT $7",
        filter.actor_id,
        filter.action,
        filter.target_id,
        filter.since,
        filter.until,
        before,
        limit
    )
    .fetch_all(conn)
    .await
}
