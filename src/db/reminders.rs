//! Reminders sent once: certificates before they expire, staff before an
//! objection's decision is due.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ExpiringRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub certificate_number: String,
    pub product_name: String,
    pub valid_until: DateTime<Utc>,
}

/// Active certificates ending after `from` and by `to` whose current term
/// has not been reminded `days_before`; each is marked reminded in the same
/// statement, so a certificate is reminded once however many workers run.
pub async fn claim_expiring(
    conn: &mut PgConnection,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    days_before: i32,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<ExpiringRow>> {
    sqlx::query_as!(
        ExpiringRow,
        r#"WITH due AS (
               SELECT c.id, c.valid_until FROM certificates c
               WHERE c.status = 'active' AND c.valid_until <= $1 AND c.valid_until > $5
                 AND NOT EXISTS (SELECT 1 FROM certificate_reminders r
                                 WHERE r.certificate_id = c.id AND r.valid_until = c.valid_until AND r.days_before = $2)
               ORDER BY c.valid_until LIMIT $4 FOR UPDATE SKIP LOCKED),
           marked AS (
               INSERT INTO certificate_reminders (certificate_id, valid_until, days_before, sent_at)
               SELECT id, valid_until, $2, $3 FROM due ON CONFLICT DO NOTHING RETURNING certificate_id)
           SELECT c.id, c.org_id, c.certificate_number, c.product_name, c.valid_until
           FROM certificates c JOIN marked m ON m.certificate_id = c.id"#,
        to,
        days_before,
        now,
        limit,
        from
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct DueObjectionRow {
    pub id: Uuid,
    pub product_name: String,
    pub decision_due_at: DateTime<Utc>,
    pub reviewer_id: Option<Uuid>,
}

/// Open objections due before `horizon` and not yet reminded, marked
/// reminded in the same statement.
pub async fn claim_due_objections(
    conn: &mut PgConnection,
    horizon: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueObjectionRow>> {
    sqlx::query_as!(
        DueObjectionRow,
        r#"WITH due AS (
               SELECT o.id FROM objections o
               WHERE o.state = 'open' AND o.decision_due_at <= $1
                 AND NOT EXISTS (SELECT 1 FROM objection_reminders r WHERE r.objection_id = o.id)
               ORDER BY o.decision_due_at LIMIT $3 FOR UPDATE SKIP LOCKED),
           marked AS (
               INSERT INTO objection_reminders (objection_id, sent_at) SELECT id, $2 FROM due
               ON CONFLICT DO NOTHING RETURNING objection_id)
           SELECT o.id, a.product_name, o.decision_due_at, a.reviewer_id
           FROM objections o JOIN marked m ON m.objection_id = o.id JOIN applications a ON a.id = o.application_id"#,
        horizon,
        now,
        limit
    )
    .fetch_all(conn)
    .await
}
