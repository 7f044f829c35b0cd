//! Relying parties: organizations that asked to rely on the registry's
//! signed answers, and staff's decisions on them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RelyingPartyRow {
    pub org_id: Uuid,
    pub name: String,
    pub credit_code: Option<String>,
    pub kind: String,
    pub purpose: String,
    /// `pending`, `verified` or `refused`.
    pub state: String,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
}

/// Asks (again): the request is pending whatever it was, unless verified.
/// False when the organization is verified already.
pub async fn request(
    conn: &mut PgConnection,
    org_id: Uuid,
    kind: &str,
    purpose: &str,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO relying_parties (org_id, kind, purpose, state, requested_by, requested_at)
         VALUES ($1, $2, $3, 'pending', $4, $5)
         ON CONFLICT (org_id) DO UPDATE SET kind = $2, purpose = $3, state = 'pending', requested_by = $4,
                                            requested_at = $5, decided_by = NULL, decided_at = NULL,
                                            refusal_reason = NULL
         WHERE relying_parties.state <> 'verified'",
        org_id,
        kind,
        purpose,
        user_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Option<RelyingPartyRow>> {
    sqlx::query_as!(
        RelyingPartyRow,
        "SELECT r.org_id, o.name, o.credit_code, r.kind, r.purpose, r.state, r.requested_at, r.decided_at,
                r.refusal_reason
         FROM relying_parties r JOIN organizations o ON o.id = r.org_id WHERE r.org_id = $1",
        org_id
    )
    .fetch_optional(conn)
    .await
}

/// Whether the organization is a verified relying party.
pub async fn is_verified(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<bool> {
    let verified = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM relying_parties WHERE org_id = $1 AND state = 'verified') AS "verified!""#,
        org_id
    )
    .fetch_one(conn)
    .await?;
    Ok(verified)
}

/// Requests in a state, oldest first, after the cursor.
pub async fn queue(
    conn: &mut PgConnection,
    state: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<RelyingPartyRow>> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as!(
        RelyingPartyRow,
        "SELECT r.org_id, o.name, o.credit_code, r.kind, r.purpose, r.state, r.requested_at, r.decided_at,
                r.refusal_reason
         FROM relying_parties r JOIN organizations o ON o.id = r.org_id
         WHERE r.state = $1 AND ($2::timestamptz IS NULL OR (r.requested_at, r.org_id) > ($2, $3))
         ORDER BY r.requested_at, r.org_id LIMIT $4",
        state,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Decides a pending request; false when it is not pending.
pub async fn decide(
    conn: &mut PgConnection,
    org_id: Uuid,
    verified: bool,
    reason: Option<&str>,
    staff: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE relying_parties SET state = CASE WHEN $2 THEN 'verified' ELSE 'refused' END,
                refusal_reason = $3, decided_by = $4, decided_at = $5
         WHERE org_id = $1 AND state = 'pending'",
        org_id,
        verified,
        reason,
        staff,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
