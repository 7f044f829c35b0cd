use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Verification;

#[derive(Debug, Clone)]
pub struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub created_at: DateTime<Utc>,
    pub verification: Verification,
    /// When it entered its current verification state.
    pub verification_changed_at: DateTime<Utc>,
    /// The staff member who verified or refused it (none for an operator's
    /// verification from the command line).
    pub verification_decided_by: Option<Uuid>,
    /// Why staff refused its licence, while it is refused.
    pub refusal_reason: Option<String>,
}

impl OrganizationRow {
    /// A new organization, unverified as of `now`.
    pub fn new(name: String, credit_code: String, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            name,
            credit_code,
            created_at: now,
            verification: Verification::Unverified,
            verification_changed_at: now,
            verification_decided_by: None,
            refusal_reason: None,
        }
    }
}

pub async fn insert(conn: &mut PgConnection, org: &OrganizationRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO organizations (id, name, credit_code, created_at, verification, verification_changed_at,
             verification_decided_by, refusal_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        org.id,
        org.name,
        org.credit_code,
        org.created_at,
        org.verification as Verification,
        org.verification_changed_at,
        org.verification_decided_by,
        org.refusal_reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Organizations by id, in any order; ids not found are left out.
pub async fn find_each(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// The organization, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every organization that claims the credit code, oldest first: at most
/// one of them verified.
pub async fn with_credit_code(conn: &mut PgConnection, credit_code: &str) -> sqlx::Result<Vec<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE credit_code = $1 ORDER BY id"#,
        credit_code
    )
    .fetch_all(conn)
    .await
}

/// The verified organization that holds the credit code, if one does.
pub async fn find_verified_by_credit_code(
    conn: &mut PgConnection,
    credit_code: &str,
) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE credit_code = $1 AND verification = 'verified'"#,
        credit_code
    )
    .fetch_optional(conn)
    .await
}

/// One page of the organizations in a verification state, the longest in
/// it first.
pub async fn list_by_verification(
    conn: &mut PgConnection,
    verification: Verification,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<OrganizationRow>> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as!(
        OrganizationRow,
        r#"SELECT id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations
           WHERE verification = $1
             AND ($2::timestamptz IS NULL OR (verification_changed_at, id) > ($2, $3::uuid))
           ORDER BY verification_changed_at, id LIMIT $4"#,
        verification as Verification,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// What a verification step changes.
pub struct VerificationChange<'a> {
    pub to: Verification,
    pub decided_by: Option<Uuid>,
    pub refusal_reason: Option<&'a str>,
    /// A corrected name (staff match it to the licence when verifying).
    pub name: Option<&'a str>,
}

/// Moves the organization from `from` to `change.to`, guarded: None when it
/// is no longer in `from`. A second verified organization with the same
/// credit code violates `organizations_verified_credit_code_key`.
pub async fn change_verification(
    conn: &mut PgConnection,
    id: Uuid,
    from: Verification,
    change: VerificationChange<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        r#"UPDATE organizations
           SET verification = $3, verification_changed_at = $4, verification_decided_by = $5, refusal_reason = $6,
               name = coalesce($7, name)
           WHERE id = $1 AND verification = $2
           RETURNING id, name, credit_code, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason"#,
        id,
        from as Verification,
        change.to as Verification,
        now,
        change.decided_by,
        change.refusal_reason,
        change.name,
    )
    .fetch_optional(conn)
    .await
}

/// Locks the organization's row until the transaction ends: changes that
/// check one of its quotas take their turn.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", id).fetch_optional(conn).await?;
    Ok(())
}
