//! Licences recorded on certificates: to whom, exclusive or not, and when.

use chrono::NaiveDate;
use sqlx::{PgConnection, postgres::types::PgRange};
use uuid::Uuid;

use crate::domain::PartyKind;

#[derive(Debug, Clone)]
pub struct LicenseRow {
    pub act_id: Uuid,
    pub certificate_id: Uuid,
    pub org_id: Uuid,
    pub licensee_kind: PartyKind,
    pub licensee_name: String,
    /// An organization licensee's credit code; none for a person, whose
    /// number only the act's openings keep.
    pub licensee_credit_code: Option<String>,
    pub exclusive: bool,
    pub scope: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// `[starts_on, ends_on]` with both days included.
fn term(starts_on: NaiveDate, ends_on: NaiveDate) -> PgRange<NaiveDate> {
    PgRange { start: std::ops::Bound::Included(starts_on), end: std::ops::Bound::Included(ends_on) }
}

/// Stores a license; an exclusive one overlapping another exclusive one
/// violates `licenses_exclusive_overlap`.
pub async fn insert(conn: &mut PgConnection, license: &LicenseRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO licenses (act_id, certificate_id, org_id, licensee_kind, licensee_name, licensee_credit_code,
             exclusive, scope, term)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        license.act_id,
        license.certificate_id,
        license.org_id,
        license.licensee_kind as PartyKind,
        license.licensee_name,
        license.licensee_credit_code,
        license.exclusive,
        license.scope,
        term(license.starts_on, license.ends_on),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether an exclusive license of the certificate overlaps the term.
pub async fn exclusive_overlaps(
    conn: &mut PgConnection,
    certificate_id: Uuid,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM licenses WHERE certificate_id = $1 AND exclusive AND term && $2) AS "overlaps!""#,
        certificate_id,
        term(starts_on, ends_on)
    )
    .fetch_one(conn)
    .await
}

/// The certificate's licenses whose term has not ended by `today`.
pub async fn current(conn: &mut PgConnection, certificate_id: Uuid, today: NaiveDate) -> sqlx::Result<Vec<LicenseRow>> {
    sqlx::query_as!(
        LicenseRow,
        r#"SELECT act_id, certificate_id, org_id, licensee_kind AS "licensee_kind: PartyKind", licensee_name,
                licensee_credit_code, exclusive, scope,
                lower(term) AS "starts_on!", (upper(term) - 1) AS "ends_on!"
           FROM licenses WHERE certificate_id = $1 AND upper(term) > $2 ORDER BY lower(term), act_id"#,
        certificate_id,
        today
    )
    .fetch_all(conn)
    .await
}
