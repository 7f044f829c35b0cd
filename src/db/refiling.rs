//! Finding the same product filed twice: an organization's live filings and
//! recent withdrawals of a name, and the filings of any organization that
//! resemble an application. "Live" is an application from `submitted` to
//! `objection_review`, or a registration whose certificate is active and in
//! its validity (by its current name and holder).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{ApplicationState, Category, HistoryAction};

/// The organization's live filing of a product of this name (normal form)
/// and category, other than `except`: the earliest, if any.
pub async fn live_of_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    normalized_name: &str,
    category: Category,
    except: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(Uuid, ApplicationState)>> {
    let found = sqlx::query!(
        r#"SELECT id AS "id!", state AS "state!: ApplicationState" FROM (
             SELECT a.id, a.state, a.submitted_at AS since FROM applications a
             WHERE a.org_id = $1 AND a.normalized_product_name = $2 AND a.category = $3 AND a.id <> $4
               AND a.state IN ('submitted', 'under_review', 'supplement_requested', 'in_announcement',
                               'objection_review')
             UNION ALL
             SELECT c.application_id, 'registered'::application_state, c.issued_at FROM certificates c
             WHERE c.org_id = $1 AND c.normalized_product_name = $2 AND c.category = $3 AND c.application_id <> $4
               AND c.status = 'active' AND c.valid_until > $5
           ) AS live
           ORDER BY since LIMIT 1"#,
        org_id,
        normalized_name,
        category as Category,
        except,
        now,
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|row| (row.id, row.state)))
}

/// The organization's applications of this name (normal form) that were
/// submitted and then withdrawn by the applicant itself (not deemed
/// withdrawn) after `since`, other than `except`: with when, latest first.
pub async fn withdrawn_by_applicant(
    conn: &mut PgConnection,
    org_id: Uuid,
    normalized_name: &str,
    except: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(Uuid, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, e.at FROM applications a
           JOIN application_events e ON e.application_id = a.id AND e.action = $5
           WHERE a.org_id = $1 AND a.normalized_product_name = $2 AND a.id <> $3 AND a.state = 'withdrawn'
             AND a.submitted_at IS NOT NULL AND e.at > $4
           ORDER BY e.at DESC"#,
        org_id,
        normalized_name,
        except,
        since,
        HistoryAction::Withdraw as HistoryAction,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.at)).collect())
}

/// A live filing that resembles an application, with what they share.
#[derive(Debug, Clone)]
pub struct SimilarRow {
    pub application_id: Uuid,
    pub application_number: Option<String>,
    pub state: ApplicationState,
    /// The certificate's current name for a registration.
    pub product_name: String,
    pub category: Category,
    /// The filing organization, or the certificate's current holder.
    pub organization_id: Uuid,
    pub organization_name: String,
    pub registration_number: Option<String>,
    pub certificate_number: Option<String>,
    /// `product_name`, and the kinds of the materials with the same bytes.
    pub matches: Vec<String>,
}

/// Live filings of any organization that share with application `id` its
/// product name (normal form) or the bytes of one of its summary,
/// processing and innovation, scenarios or sample (material for material of
/// the same kind), most shared first, then the earliest filed; at most
/// `limit`.
pub async fn similar_to(
    conn: &mut PgConnection,
    id: Uuid,
    normalized_name: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<SimilarRow>> {
    // Blobs are stored once per SHA-256: the same blob is the same hash.
    sqlx::query_as!(
        SimilarRow,
        r#"WITH mine AS (
               SELECT kind, blob_id FROM materials
               WHERE application_id = $1
                 AND kind IN ('summary', 'processing_innovation', 'application_scenarios', 'sample')
           ),
           signals AS (
               SELECT m.application_id, m.kind::text AS signal
               FROM mine JOIN materials m ON m.blob_id = mine.blob_id AND m.kind = mine.kind
               WHERE m.application_id <> $1
               UNION
               SELECT a.id, 'product_name' FROM applications a
               WHERE a.normalized_product_name = $2 AND a.id <> $1
                 AND a.state IN ('submitted', 'under_review', 'supplement_requested', 'in_announcement',
                                 'objection_review')
               UNION
               SELECT c.application_id, 'product_name' FROM certificates c
               WHERE c.normalized_product_name = $2 AND c.application_id <> $1
                 AND c.status = 'active' AND c.valid_until > $3
           )
           SELECT a.id AS "application_id!", a.application_number, a.state AS "state!: ApplicationState",
                  COALESCE(c.product_name, a.product_name) AS "product_name!", a.category AS "category!: Category",
                  o.id AS "organization_id!", o.name AS "organization_name!", a.registration_number,
                  c.certificate_number AS "certificate_number?", array_agg(s.signal) AS "matches!"
           FROM signals s
           JOIN applications a ON a.id = s.application_id
           LEFT JOIN certificates c ON c.application_id = a.id
           JOIN organizations o ON o.id = COALESCE(c.org_id, a.org_id)
           WHERE a.state IN ('submitted', 'under_review', 'supplement_requested', 'in_announcement',
                             'objection_review')
              OR (a.state = 'registered' AND c.status = 'active' AND c.valid_until > $3)
           GROUP BY a.id, c.id, o.id
           ORDER BY count(*) DESC, a.submitted_at, a.id
           LIMIT $4"#,
        id,
        normalized_name,
        now,
        limit,
    )
    .fetch_all(conn)
    .await
}
