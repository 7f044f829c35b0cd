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

/// One page of current announcements, newest first: `pattern` is an ILIKE
/// pattern over product name, abstract and holder name.
pub async fn search(
    conn: &mut PgConnection,
    category: Option<Category>,
    pattern: Option<&str>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<AnnouncementRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract", a.announcement_starts_at AS starts_at,
                a.announcement_ends_at AS ends_at, a.state AS "state: ApplicationState",
                NULL::text AS certificate_number
           FROM applications a JOIN organizations o ON o.id = a.org_id
           WHERE a.state = 'in_announcement'
             AND ($1::product_category IS NULL OR a.category = $1)
             AND ($2::text IS NULL OR a.product_name ILIKE $2 OR a.abstract ILIKE $2 OR o.name ILIKE $2)
             AND ($3::timestamptz IS NULL OR (a.announcement_starts_at, a.id) < ($3, $4::uuid))
           ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT $5"#,
        category as Option<Category>,
        pattern,
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
/// first, with what they came to.
pub async fn search_past(
    conn: &mut PgConnection,
    category: Option<Category>,
    pattern: Option<&str>,
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
             AND ($2::text IS NULL OR a.product_name ILIKE $2 OR a.abstract ILIKE $2 OR o.name ILIKE $2)
             AND ($3::timestamptz IS NULL OR (a.announcement_ends_at, a.id) < ($3, $4::uuid))
           ORDER BY a.announcement_ends_at DESC, a.id DESC LIMIT $5"#,
        category as Option<Category>,
        pattern,
        before_at,
        before_id,
        limit
    )
    .fetch_all(conn)
    .await
}
