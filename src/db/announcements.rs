//! The public announcement: applications now in their objection window.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Category;

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
                a.announcement_ends_at AS ends_at
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

/// One current announcement.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<AnnouncementRow>> {
    sqlx::query_as!(
        AnnouncementRow,
        r#"SELECT a.id, a.registration_number, a.product_name, a.category AS "category: Category",
                o.name AS holder_name, o.verification = 'verified' AS "holder_verified!", a.abstract AS "abstract", a.announcement_starts_at AS starts_at,
                a.announcement_ends_at AS ends_at
           FROM applications a JOIN organizations o ON o.id = a.org_id
           WHERE a.id = $1 AND a.state = 'in_announcement'"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Announcements whose window has closed, locked for this worker and
/// skipped by any other.
pub async fn lock_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM applications
         WHERE state = 'in_announcement' AND announcement_ends_at <= $1
         ORDER BY announcement_ends_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit
    )
    .fetch_all(conn)
    .await
}
