use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{ObjectionState, RefusalGround};

#[derive(Debug, Clone)]
pub struct ObjectionRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub org_id: Uuid,
    pub objector_name: String,
    pub objector_email: String,
    /// The language of the objector's mail: `zh-CN` or `en`.
    pub objector_language: String,
    pub interest: String,
    pub grounds: String,
    pub token_hash: Vec<u8>,
    pub state: ObjectionState,
    pub decision_reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The grounds of an upheld objection.
    pub refusal_grounds: Option<Vec<RefusalGround>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The registry decides by then (`workflow.objection_decision_period`
    /// from filing).
    pub decision_due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ResponseRow {
    pub id: Uuid,
    pub objection_id: Uuid,
    pub org_id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, row: &ObjectionRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO objections (id, application_id, org_id, objector_name, objector_email, interest, grounds,
             token_hash, state, decision_due_at, created_at, objector_language)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11)",
        row.id,
        row.application_id,
        row.org_id,
        row.objector_name,
        row.objector_email,
        row.interest,
        row.grounds,
        row.token_hash,
        row.decision_due_at,
        row.created_at,
        row.objector_language,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ObjectionRow>> {
    sqlx::query_as!(
        ObjectionRow,
        r#"SELECT id, application_id, org_id, objector_name, objector_email, objector_language, interest, grounds, token_hash,
                state AS "state: ObjectionState", decision_reason, decided_by, decided_at,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", withdrawn_at, decision_due_at, created_at
           FROM objections WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// The objection, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ObjectionRow>> {
    sqlx::query_as!(
        ObjectionRow,
        r#"SELECT id, application_id, org_id, objector_name, objector_email, objector_language, interest, grounds, token_hash,
                state AS "state: ObjectionState", decision_reason, decided_by, decided_at,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", withdrawn_at, decision_due_at, created_at
           FROM objections WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// An application's objections, oldest first.
pub async fn of_application(conn: &mut PgConnection, application_id: Uuid) -> sqlx::Result<Vec<ObjectionRow>> {
    sqlx::query_as!(
        ObjectionRow,
        r#"SELECT id, application_id, org_id, objector_name, objector_email, objector_language, interest, grounds, token_hash,
                state AS "state: ObjectionState", decision_reason, decided_by, decided_at,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", withdrawn_at, decision_due_at, created_at
           FROM objections WHERE application_id = $1 ORDER BY id"#,
        application_id
    )
    .fetch_all(conn)
    .await
}

/// One page of objections in a state, across all applications, the
/// earliest decision deadline first (so the overdue lead), after the
/// (decision_due_at, id) key.
pub async fn list_by_state(
    conn: &mut PgConnection,
    state: ObjectionState,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ObjectionRow>> {
    let (after_due, after_id) = after.unzip();
    sqlx::query_as!(
        ObjectionRow,
        r#"SELECT id, application_id, org_id, objector_name, objector_email, objector_language, interest, grounds, token_hash,
                state AS "state: ObjectionState", decision_reason, decided_by, decided_at,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", withdrawn_at, decision_due_at, created_at
           FROM objections
           WHERE state = $1 AND ($2::timestamptz IS NULL OR (decision_due_at, id) > ($2, $3::uuid))
           ORDER BY decision_due_at, id LIMIT $4"#,
        state as ObjectionState,
        after_due,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await
}

pub async fn count_open(conn: &mut PgConnection, application_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM objections WHERE application_id = $1 AND state = 'open'"#,
        application_id
    )
    .fetch_one(conn)
    .await
}

/// The open objections of each application, zeros included, in the order given.
pub async fn count_open_each(conn: &mut PgConnection, application_ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, i64)>> {
    // One index probe per application (a subquery per row), whatever the
    // planner believes of the table: without statistics an `= ANY` over a
    // batch estimates most of the table and scans it.
    let rows = sqlx::query!(
        r#"SELECT t.id AS "application_id!",
                  (SELECT count(*) FROM objections o WHERE o.application_id = t.id AND o.state = 'open') AS "open!"
           FROM UNNEST($1::uuid[]) WITH ORDINALITY AS t(id, n) ORDER BY t.n"#,
        application_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.application_id, r.open)).collect())
}

/// A reviewer's decision on an objection.
pub struct Decision<'a> {
    pub state: ObjectionState,
    pub reason: &'a str,
    /// Named when the objection is upheld.
    pub refusal_grounds: Option<&'a [RefusalGround]>,
    pub decided_by: Uuid,
}

/// Records the decision on an open objection; false if it was not open.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    decision: &Decision<'_>,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE objections SET state = $2, decision_reason = $3, decided_by = $4, decided_at = $5, refusal_grounds = $6
         WHERE id = $1 AND state = 'open'",
        id,
        decision.state as ObjectionState,
        decision.reason,
        decision.decided_by,
        at,
        decision.refusal_grounds as Option<&[RefusalGround]>,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The objector withdraws an open objection; false if it was not open.
pub async fn withdraw(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE objections SET state = 'withdrawn', withdrawn_at = $2 WHERE id = $1 AND state = 'open'",
        id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes every open objection of an application that no longer needs
/// deciding (it was rejected or withdrawn), as dismissed with `reason`.
pub async fn close_open(
    conn: &mut PgConnection,
    application_id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE objections SET state = 'dismissed', decision_reason = $2, decided_at = $3
         WHERE application_id = $1 AND state = 'open'",
        application_id,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_response(conn: &mut PgConnection, row: &ResponseRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO objection_responses (id, objection_id, org_id, author_id, text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        row.id,
        row.objection_id,
        row.org_id,
        row.author_id,
        row.text,
        row.created_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The responses to several objections, oldest first.
pub async fn responses(conn: &mut PgConnection, objection_ids: &[Uuid]) -> sqlx::Result<Vec<ResponseRow>> {
    sqlx::query_as!(
        ResponseRow,
        "SELECT id, objection_id, org_id, author_id, text, created_at
         FROM objection_responses WHERE objection_id = ANY($1) ORDER BY id",
        objection_ids
    )
    .fetch_all(conn)
    .await
}
