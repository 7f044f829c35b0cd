//! Parties: the organizations and natural persons who apply for and hold
//! registrations (the table is `organizations`; see the parties migration).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{FormerHolder, PartyKind, RegisteredParty, Verification, mask_id_number};

/// What names a party: the one identifier its kind has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    CreditCode(&'a str),
    IdNumber(&'a str),
}

/// Its `Debug` masks a person's number, so a row in a log or a panic
/// message never carries it.
#[derive(Clone)]
pub struct PartyRow {
    pub id: Uuid,
    pub kind: PartyKind,
    pub name: String,
    /// An organization's unified social credit code (none for a person).
    pub credit_code: Option<String>,
    /// A person's resident identity number, in clear: for the person and
    /// staff only (none for an organization). Everyone else sees it masked.
    pub id_number: Option<String>,
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

impl std::fmt::Debug for PartyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartyRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("credit_code", &self.credit_code)
            .field("id_number", &self.id_number.as_deref().map(mask_id_number))
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

impl PartyRow {
    /// What names it: an organization's credit code or a person's identity
    /// number (the table's CHECK keeps exactly one of the two).
    pub fn identity(&self) -> Identity<'_> {
        match (&self.credit_code, &self.id_number) {
            (Some(credit_code), _) => Identity::CreditCode(credit_code),
            (None, Some(id_number)) => Identity::IdNumber(id_number),
            (None, None) => Identity::CreditCode(""),
        }
    }

    /// What names it to anyone but the person and staff: the credit code,
    /// or the identity number masked.
    pub fn shown_identity(&self) -> String {
        match self.identity() {
            Identity::CreditCode(credit_code) => credit_code.to_owned(),
            Identity::IdNumber(id_number) => mask_id_number(id_number),
        }
    }

    /// The party as a transfer names its transferee (the number masked).
    pub fn as_transferee(&self) -> RegisteredParty {
        let former = self.as_former_holder();
        RegisteredParty {
            id: self.id,
            kind: former.kind,
            name: former.name,
            credit_code: former.credit_code,
            id_number_masked: former.id_number_masked,
        }
    }

    /// The party as a transfer names the holder it moved the certificate
    /// from (the number masked).
    pub fn as_former_holder(&self) -> FormerHolder {
        FormerHolder {
            kind: self.kind,
            name: self.name.clone(),
            credit_code: self.credit_code.clone(),
            id_number_masked: self.id_number.as_deref().map(mask_id_number),
        }
    }

    /// A new organization, unverified as of `now`.
    pub fn organization(name: String, credit_code: String, now: DateTime<Utc>) -> Self {
        Self::new(PartyKind::Organization, name, Some(credit_code), None, now)
    }

    /// A new natural person, unverified as of `now`.
    pub fn person(name: String, id_number: String, now: DateTime<Utc>) -> Self {
        Self::new(PartyKind::Person, name, None, Some(id_number), now)
    }

    fn new(
        kind: PartyKind,
        name: String,
        credit_code: Option<String>,
        id_number: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind,
            name,
            credit_code,
            id_number,
            created_at: now,
            verification: Verification::Unverified,
            verification_changed_at: now,
            verification_decided_by: None,
            refusal_reason: None,
        }
    }
}

pub async fn insert(conn: &mut PgConnection, org: &PartyRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO organizations (id, kind, name, credit_code, id_number, created_at, verification,
             verification_changed_at, verification_decided_by, refusal_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        org.id,
        org.kind as PartyKind,
        org.name,
        org.credit_code,
        org.id_number,
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

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Organizations by id, in any order; ids not found are left out.
pub async fn find_each(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// The organization, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every organization that claims the credit code, oldest first: at most
/// one of them verified.
pub async fn with_credit_code(conn: &mut PgConnection, credit_code: &str) -> sqlx::Result<Vec<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
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
) -> sqlx::Result<Option<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE credit_code = $1 AND verification = 'verified'"#,
        credit_code
    )
    .fetch_optional(conn)
    .await
}

/// Every person who claims the identity number, oldest first: at most one
/// of them verified.
pub async fn with_id_number(conn: &mut PgConnection, id_number: &str) -> sqlx::Result<Vec<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at,
                verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id_number = $1 ORDER BY id"#,
        id_number
    )
    .fetch_all(conn)
    .await
}

/// The verified person who holds the identity number, if one does.
pub async fn find_verified_by_id_number(conn: &mut PgConnection, id_number: &str) -> sqlx::Result<Option<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at,
                verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations WHERE id_number = $1 AND verification = 'verified'"#,
        id_number
    )
    .fetch_optional(conn)
    .await
}

/// Every party, verified or not, that claims this identity.
pub async fn with_identity(conn: &mut PgConnection, identity: Identity<'_>) -> sqlx::Result<Vec<PartyRow>> {
    match identity {
        Identity::CreditCode(credit_code) => with_credit_code(conn, credit_code).await,
        Identity::IdNumber(id_number) => with_id_number(conn, id_number).await,
    }
}

/// The verified party named by `identity`, if there is one.
pub async fn find_verified(conn: &mut PgConnection, identity: Identity<'_>) -> sqlx::Result<Option<PartyRow>> {
    match identity {
        Identity::CreditCode(credit_code) => find_verified_by_credit_code(conn, credit_code).await,
        Identity::IdNumber(id_number) => find_verified_by_id_number(conn, id_number).await,
    }
}

/// One page of the parties in a verification state (of one kind, or of
/// both), the longest in it first.
pub async fn list_by_verification(
    conn: &mut PgConnection,
    verification: Verification,
    kind: Option<PartyKind>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<PartyRow>> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as!(
        PartyRow,
        r#"SELECT id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at,
                verification AS "verification: Verification",
                verification_changed_at, verification_decided_by, refusal_reason
           FROM organizations
           WHERE verification = $1 AND ($5::text IS NULL OR kind = $5)
             AND ($2::timestamptz IS NULL OR (verification_changed_at, id) > ($2, $3::uuid))
           ORDER BY verification_changed_at, id LIMIT $4"#,
        verification as Verification,
        after_at,
        after_id,
        limit,
        kind as Option<PartyKind>,
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
) -> sqlx::Result<Option<PartyRow>> {
    sqlx::query_as!(
        PartyRow,
        r#"UPDATE organizations
           SET verification = $3, verification_changed_at = $4, verification_decided_by = $5, refusal_reason = $6,
               name = coalesce($7, name)
           WHERE id = $1 AND verification = $2
           RETURNING id, kind AS "kind: PartyKind", name, credit_code, id_number, created_at, verification AS "verification: Verification",
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
