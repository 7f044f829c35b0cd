//! Acts on certificates: filed, decided, and once recorded on the ledger,
//! with the openings of their entry's commitments.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::domain::{ActDetails, ActKind, ActState};
use tlog::commitment::Openings;

#[derive(Debug, Clone)]
pub struct ActRow {
    pub id: Uuid,
    pub certificate_id: Uuid,
    /// The certificate's current holder (moves with it on a transfer).
    pub org_id: Uuid,
    /// The organization that held the certificate when the act was filed
    /// and recorded: the one whose terms these are.
    pub holder_org_id: Uuid,
    pub kind: ActKind,
    pub state: ActState,
    pub details: Json<ActDetails>,
    /// The values and salts behind the commitments of the act's ledger
    /// entry (empty until recorded, and for kinds with nothing private).
    pub openings: Json<Openings>,
    pub filed_by: Option<Uuid>,
    pub filed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub ledger_index: Option<i64>,
}

pub async fn insert(conn: &mut PgConnection, act: &ActRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO certificate_acts (id, certificate_id, org_id, holder_org_id, kind, state, details, openings,
             filed_by, filed_at, decided_by, decided_at, decision_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        act.id,
        act.certificate_id,
        act.org_id,
        act.holder_org_id,
        act.kind as ActKind,
        act.state as ActState,
        &act.details as _,
        &act.openings as _,
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
        r#"SELECT id, certificate_id, org_id, holder_org_id, kind AS "kind: ActKind", state AS "state: ActState",
                details AS "details: Json<ActDetails>", openings AS "openings: Json<Openings>", filed_by, filed_at,
                decided_by, decided_at, decision_reason, ledger_index
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
        r#"SELECT id, certificate_id, org_id, holder_org_id, kind AS "kind: ActKind", state AS "state: ActState",
                details AS "details: Json<ActDetails>", openings AS "openings: Json<Openings>", filed_by, filed_at,
                decided_by, decided_at, decision_reason, ledger_index
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
        r#"SELECT id, certificate_id, org_id, holder_org_id, kind AS "kind: ActKind", state AS "state: ActState",
                details AS "details: Json<ActDetails>", openings AS "openings: Json<Openings>", filed_by, filed_at,
                decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE certificate_id = $1 ORDER BY id"#,
        certificate_id
    )
    .fetch_all(conn)
    .await
}

/// One page of acts in a state, across all certificates, oldest first.
/// The oldest act of one of `kinds` still waiting on the certificate.
pub async fn waiting_of_kinds(
    conn: &mut PgConnection,
    certificate_id: Uuid,
    kinds: &[ActKind],
) -> sqlx::Result<Option<(Uuid, ActKind)>> {
    let found = sqlx::query!(
        r#"SELECT id, kind AS "kind: ActKind" FROM certificate_acts
           WHERE certificate_id = $1 AND state IN ('pending', 'awaiting_confirmation') AND kind = ANY($2)
           ORDER BY id LIMIT 1"#,
        certificate_id,
        kinds as &[ActKind]
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|row| (row.id, row.kind)))
}

pub async fn list_by_state(
    conn: &mut PgConnection,
    state: ActState,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT id, certificate_id, org_id, holder_org_id, kind AS "kind: ActKind", state AS "state: ActState",
                details AS "details: Json<ActDetails>", openings AS "openings: Json<Openings>", filed_by, filed_at,
                decided_by, decided_at, decision_reason, ledger_index
           FROM certificate_acts WHERE state = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        state as ActState,
        after,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Rejects a pending act; false if it was no longer pending.
pub async fn reject(
    conn: &mut PgConnection,
    id: Uuid,
    decided_by: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE certificate_acts SET state = 'rejected', decided_by = $2, decision_reason = $3, decided_at = $4
         WHERE id = $1 AND state = 'pending'",
        id,
        decided_by,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an act awaiting its counterparty's word on: to `pending` when
/// confirmed, to `rejected` (with `reason`) when declined. False if it no
/// longer awaited it.
pub async fn answered(
    conn: &mut PgConnection,
    id: Uuid,
    confirmed: bool,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let to = if confirmed { ActState::Pending } else { ActState::Rejected };
    let decided_at = (!confirmed).then_some(at);
    let done = sqlx::query!(
        "UPDATE certificate_acts SET state = $2, decision_reason = $3, decided_at = $4
         WHERE id = $1 AND state = 'awaiting_confirmation'",
        id,
        to as ActState,
        reason,
        decided_at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Approves a pending act with what it changed and the openings of its
/// ledger entry; false if it was no longer pending.
pub async fn approve(
    conn: &mut PgConnection,
    id: Uuid,
    details: &ActDetails,
    openings: &Openings,
    decided_by: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE certificate_acts SET state = 'approved', details = $2, openings = $3, decided_by = $4, decided_at = $5
         WHERE id = $1 AND state = 'pending'",
        id,
        Json(details) as _,
        Json(openings) as _,
        decided_by,
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
         WHERE certificate_id = ANY($1) AND state IN ('pending', 'awaiting_confirmation')
           AND ($2::uuid IS NULL OR id <> $2)",
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
