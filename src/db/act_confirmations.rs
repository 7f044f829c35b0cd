//! Acts waiting for their counterparty's word: who must answer, by when,
//! and the answer (confirmed or declined, by whom, from which address).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::acts::ActRow;
use crate::domain::{ActDetails, ActKind, ActState};
use tlog::commitment::Openings;

/// Who must confirm `act_id`, by when.
pub async fn insert(
    conn: &mut PgConnection,
    act_id: Uuid,
    counterparty_org_id: Uuid,
    due_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO act_confirmations (act_id, counterparty_org_id, due_at) VALUES ($1, $2, $3)",
        act_id,
        counterparty_org_id,
        due_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The acts awaiting this party's word, oldest first.
pub async fn awaiting(conn: &mut PgConnection, counterparty_org_id: Uuid) -> sqlx::Result<Vec<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT a.id, a.certificate_id, a.org_id, a.holder_org_id, a.kind AS "kind: ActKind",
                a.state AS "state: ActState", a.details AS "details: Json<ActDetails>",
                a.openings AS "openings: Json<Openings>", a.filed_by, a.filed_at, a.decided_by, a.decided_at,
                a.decision_reason, a.ledger_index
           FROM act_confirmations c JOIN certificate_acts a ON a.id = c.act_id
           WHERE c.counterparty_org_id = $1 AND c.answered_at IS NULL AND a.state = 'awaiting_confirmation'
           ORDER BY a.id"#,
        counterparty_org_id
    )
    .fetch_all(conn)
    .await
}

/// The party whose word `act_id` awaits, if it still awaits one.
pub async fn awaited_from(conn: &mut PgConnection, act_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT counterparty_org_id FROM act_confirmations WHERE act_id = $1 AND answered_at IS NULL",
        act_id
    )
    .fetch_optional(conn)
    .await
}

/// Records the counterparty's answer.
pub async fn answer(
    conn: &mut PgConnection,
    act_id: Uuid,
    confirmed: bool,
    by: Option<Uuid>,
    from: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE act_confirmations SET answered_at = $2, answered_by = $3, answered_from = $4, confirmed = $5
         WHERE act_id = $1",
        act_id,
        now,
        by,
        from,
        confirmed
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks up to `limit` acts whose counterparty did not answer by `now`
/// lapsed; answers them.
pub async fn lapse_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    let lapsed = sqlx::query!(
        r#"UPDATE certificate_acts a SET state = 'lapsed', decided_at = $1,
               decision_reason = 'lapsed: the counterparty did not answer in time'
           WHERE a.id IN (SELECT c.act_id FROM act_confirmations c JOIN certificate_acts w ON w.id = c.act_id
                          WHERE c.answered_at IS NULL AND c.due_at <= $1 AND w.state = 'awaiting_confirmation'
                          ORDER BY c.due_at LIMIT $2 FOR UPDATE OF w SKIP LOCKED)
           RETURNING a.id, a.holder_org_id AS "holder_org_id!""#,
        now,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(lapsed.into_iter().map(|row| (row.id, row.holder_org_id)).collect())
}
