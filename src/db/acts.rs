use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{ActKind, ActState};

#[derive(Debug, Clone)]
pub struct ActRow {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub org_id: Uuid,
    pub kind: ActKind,
    pub state: ActState,
    pub details: serde_json::Value,
    pub filed_by: Option<Uuid>,
    pub filed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub ledger_index: Option<i64>,
}

pub async fn insert(conn: &mut PgConnection, act: &ActRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO certificate_acts (id, certificate_id, org_id, kind, state, details, filed_by, filed_at, decided_by,
             decided_at, decision_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        act.id,
        act.certificate_id,
        act.org_id,
        act.kind as ActKind,
        act.state as ActState,
        act.details,
        act.filed_by,
        act.filed_at,
        act.decided_by,
        act.decided_at,
        act.decision_reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT id, certificate_id, org_id, kind AS "kind: ActKind", state AS "state: ActState", details, filed_by,
                filed_at, decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// The act, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT id, certificate_id, org_id, kind AS "kind: ActKind", state AS "state: ActState", details, filed_by,
                filed_at, decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A certificate's acts, oldest first.
pub async fn of_certificate(conn: &mut PgConnection, certificate_id: Uuid) -> sqlx::Result<Vec<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT id, certificate_id, org_id, kind AS "kind: ActKind", state AS "state: ActState", details, filed_by,
                filed_at, decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE certificate_id = $1 ORDER BY id"#,
        certificate_id
    )
    .fetch_all(conn)
    .await
}

/// One page of acts in a state, across all certificates, oldest first.
pub async fn list_by_state(
    conn: &mut PgConnection,
    state: ActState,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT id, certificate_id, org_id, kind AS "kind: ActKind", state AS "state: ActState", details, filed_by,
                filed_at, decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE state = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        state as ActState,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Decides a pending act; false if it was no longer pending.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    state: ActState,
    details: &serde_json::Value,
    decided_by: Option<Uuid>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE certificate_acts SET state = $2, details = $3, decided_by = $4, decision_reason = $5, decided_at = $6
         WHERE id = $1 AND state = 'pending'",
        id,
        state as ActState,
        details,
        decided_by,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Rejects certificates' pending acts that can no longer apply, saying why;
/// `except` is the act being applied.
pub async fn reject_pending(
    conn: &mut PgConnection,
    certificate_ids: &[Uuid],
    except: Option<Uuid>,
    reason: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE certificate_acts SET state = 'rejected', decision_reason = $3, decided_at = $4
         WHERE certificate_id = ANY($1) AND state = 'pending' AND ($2::uuid IS NULL OR id <> $2)",
        certificate_ids,
        except,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records where the acts' entries landed in the ledger.
pub async fn set_ledger_indexes(conn: &mut PgConnection, act_ids: &[Uuid], indexes: &[i64]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE certificate_acts a SET ledger_index = t.idx
         FROM UNNEST($1::uuid[], $2::bigint[]) AS t(id, idx) WHERE a.id = t.id",
        act_ids,
        indexes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a certificate's acts, licenses and pledges to its new holder.
pub async fn move_to(conn: &mut PgConnection, certificate_id: Uuid, org_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("UPDATE certificate_acts SET org_id = $2 WHERE certificate_id = $1", certificate_id, org_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("UPDATE licenses SET org_id = $2 WHERE certificate_id = $1", certificate_id, org_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("UPDATE pledges SET org_id = $2 WHERE certificate_id = $1", certificate_id, org_id)
        .execute(conn)
        .await?;
    Ok(())
}
