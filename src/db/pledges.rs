use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, postgres::types::PgRange};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PledgeRow {
    pub act_id: Uuid,
    pub certificate_id: Uuid,
    pub org_id: Uuid,
    pub pledgee_name: String,
    pub pledgee_credit_code: String,
    pub amount: String,
    pub currency: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub released_at: Option<DateTime<Utc>>,
    /// 1 for the first pledge; later ones rank after those of record.
    pub rank: i32,
}

pub async fn insert(conn: &mut PgConnection, pledge: &PledgeRow) -> sqlx::Result<()> {
    let term =
        PgRange { start: std::ops::Bound::Included(pledge.starts_on), end: std::ops::Bound::Included(pledge.ends_on) };
    sqlx::query!(
        "INSERT INTO pledges (act_id, certificate_id, org_id, pledgee_name, pledgee_credit_code, amount, currency, term,
                              rank)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        pledge.act_id,
        pledge.certificate_id,
        pledge.org_id,
        pledge.pledgee_name,
        pledge.pledgee_credit_code,
        pledge.amount,
        pledge.currency,
        term,
        pledge.rank,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The certificate's pledges not yet released, by rank.
pub async fn unreleased(conn: &mut PgConnection, certificate_id: Uuid) -> sqlx::Result<Vec<PledgeRow>> {
    sqlx::query_as!(
        PledgeRow,
        r#"SELECT act_id, certificate_id, org_id, pledgee_name, pledgee_credit_code, amount, currency,
                lower(term) AS "starts_on!", (upper(term) - 1) AS "ends_on!", released_at, rank
           FROM pledges WHERE certificate_id = $1 AND released_at IS NULL ORDER BY rank, act_id"#,
        certificate_id
    )
    .fetch_all(conn)
    .await
}

/// Releases an unreleased pledge of the certificate; false if there is none.
pub async fn release(
    conn: &mut PgConnection,
    certificate_id: Uuid,
    pledge_id: Uuid,
    by_act: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE pledges SET released_at = $4, released_by_act = $3
         WHERE act_id = $2 AND certificate_id = $1 AND released_at IS NULL",
        certificate_id,
        pledge_id,
        by_act,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
