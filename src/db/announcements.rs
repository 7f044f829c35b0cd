//! The public announcement: applications now in their objection window.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{ApplicationState, Category};

#[derive(Debug, Clone)]
pub struct AnnouncementRow {
    pub id: Uuid,
    pub registration_number: Option<String>,
    pub product_name: String,
    pub category: Category,
    pub holder_name: String,
    pub holder_verified: bool,
    pub r#abstract: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Where the application stands now (`in_announcement` in lists).
    pub state: ApplicationState,
    /// The certificate issued once the application was registered.
    pub certificate_number: Option<String>,
}

/// How many of the newest announcements a search reads before it asks the
/// index: a common term fills its page among them at once, where the index
/// would hand over nearly every announcement to be sorted.
const NEWEST_FIRST: i64 = 100;

/// One page of current announcements, newest first, whose product name,
/// abstract or holder name hold every one of `terms`.
pub async fn search(
    conn: &mut PgConnection,
    category: Option<Category>,
    terms: Option<&[String]>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let Some(terms) = terms else {
        return newest(conn, category, before, limit).await;
    };
    let found = newest_matching(conn, category, terms, before, NEWEST_FIRST.max(limit), limit).await?;
    if found.len() as i64 >= limit {
        return Ok(found);
    }
    indexed(conn, category, terms, before, limit).await
}

/// The newest current announcements.
async fn newest(
    conn: &mut PgConnection,
    category: Option<Category>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract",
                a.announcement_starts_at AS starts_at, a.announcement_ends_at AS ends_at,
                a.state AS "state: ApplicationState", NULL::text AS certificate_number
           FROM applications a JOIN organizations o ON o.id = a.org_id
           WHERE a.state = 'in_announcement'
             AND ($1::product_category IS NULL OR a.category = $1)
             AND ($2::timestamptz IS NULL OR (a.announcement_starts_at, a.id) < ($2, $3::uuid))
           ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT $4"#,
        category as Option<Category>,
        before_at,
        before_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Of the `window` newest current announcements, those holding every one of
/// `terms`. (A statement of its own rather than an optional condition of
/// `newest`: PostgreSQL turns only a plain EXISTS into a join, and `$1 IS
/// NULL OR EXISTS` ran ten times slower.)
async fn newest_matching(
    conn: &mut PgConnection,
    category: Option<Category>,
    terms: &[String],
    before: Option<(DateTime<Utc>, Uuid)>,
    window: i64,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id AS "id!", a.registration_number, a.product_name AS "product_name!",
                a.category AS "category!: Category", o.name AS holder_name,
                o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract!",
                a.announcement_starts_at AS starts_at, a.announcement_ends_at AS ends_at,
                a.state AS "state!: ApplicationState", NULL::text AS certificate_number
           FROM (SELECT * FROM applications
                  WHERE state = 'in_announcement'
                    AND ($1::product_category IS NULL OR category = $1)
                    AND ($3::timestamptz IS NULL OR (announcement_starts_at, id) < ($3, $4::uuid))
                  ORDER BY announcement_starts_at DESC, id DESC LIMIT $5) AS a
           JOIN organizations o ON o.id = a.org_id
           WHERE EXISTS (
                 SELECT FROM announcement_search s
                  WHERE s.application_id = a.id
                    AND NOT EXISTS (SELECT FROM unnest($2::text[]) AS t(term) WHERE strpos(s.document, lower(term)) = 0))
           ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT $6"#,
        category as Option<Category>,
        terms,
        before_at,
        before_id,
        window,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Current announcements matching every term, found through the index of
/// their characters and character pairs.
async fn indexed(
    conn: &mut PgConnection,
    category: Option<Category>,
    terms: &[String],
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract",
                a.announcement_starts_at AS starts_at, a.announcement_ends_at AS ends_at,
                a.state AS "state: ApplicationState", NULL::text AS certificate_number
           FROM announcement_search s
           JOIN applications a ON a.id = s.application_id
           JOIN organizations o ON o.id = a.org_id
           WHERE search_grams(s.document) @> search_query_grams($2)
             AND NOT EXISTS (SELECT FROM unnest($2) AS t(term) WHERE strpos(s.document, lower(term)) = 0)
             AND a.state = 'in_announcement'
             AND ($1::product_category IS NULL OR a.category = $1)
             AND ($3::timestamptz IS NULL OR (a.announcement_starts_at, a.id) < ($3, $4::uuid))
           ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT $5"#,
        category as Option<Category>,
        terms,
        before_at,
        before_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// One application that was announced, whether its window is open or
/// closed, with the certificate it led to.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<AnnouncementRow>> {
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract", a.announcement_starts_at AS starts_at,
                a.announcement_ends_at AS ends_at, a.state AS "state: ApplicationState",
                c.certificate_number AS "certificate_number?"
           FROM applications a JOIN organizations o ON o.id = a.org_id
           LEFT JOIN certificates c ON c.application_id = a.id
           WHERE a.id = $1 AND a.announcement_starts_at IS NOT NULL"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Applications in their announcement now.
pub async fn count_open(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM applications WHERE state = 'in_announcement'"#)
        .fetch_one(conn)
        .await
}

/// One page of announcements whose window has closed, the latest closed
/// first, with what they came to, whose product name, abstract or holder
/// name match every one of `patterns` (ILIKE). Searched in that order: no
/// index serves the past announcements' text.
pub async fn search_past(
    conn: &mut PgConnection,
    category: Option<Category>,
    patterns: Option<&[String]>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract", a.announcement_starts_at AS starts_at,
                a.announcement_ends_at AS ends_at, a.state AS "state: ApplicationState",
                c.certificate_number AS "certificate_number?"
           FROM applications a JOIN organizations o ON o.id = a.org_id
           LEFT JOIN certificates c ON c.application_id = a.id
           WHERE a.announcement_starts_at IS NOT NULL AND a.state <> 'in_announcement'
             AND ($1::product_category IS NULL OR a.category = $1)
             AND ($2::text[] IS NULL OR NOT EXISTS (
                  SELECT FROM unnest($2) AS p(pattern)
                   WHERE NOT (a.product_name ILIKE pattern OR a.abstract ILIKE pattern OR o.name ILIKE pattern)))
             AND ($3::timestamptz IS NULL OR (a.announcement_ends_at, a.id) < ($3, $4::uuid))
           ORDER BY a.announcement_ends_at DESC, a.id DESC LIMIT $5"#,
        category as Option<Category>,
        patterns,
        before_at,
        before_id,
        limit
    )
    .fetch_all(conn)
    .await
}
