//! The workbench's sessions (see the migration `web_sessions`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Role;

#[derive(Debug, Clone)]
pub struct WebSessionRow {
    pub id: Uuid,
    pub id_hash: Vec<u8>,
    pub user_id: Uuid,
    pub token_generation: i32,
    pub csrf_token: String,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A live session and who holds it.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub org_id: Option<Uuid>,
    pub role: Role,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, row: &WebSessionRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO web_sessions (id, id_hash, user_id, token_generation, csrf_token, user_agent, created_at,
                                   last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        row.id,
        row.id_hash,
        row.user_id,
        row.token_generation,
        row.csrf_token,
        row.user_agent,
        row.created_at,
        row.last_seen_at,
        row.expires_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The session whose cookie hashes to `id_hash`, if it still works at
/// `now`: not ended, not past its lifetime, used within `idle_since`, and
/// its user enabled and at the generation it signed in with.
pub async fn find_live(
    conn: &mut PgConnection,
    id_hash: &[u8],
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> sqlx::Result<Option<LiveSession>> {
    sqlx::query_as!(
        LiveSession,
        r#"SELECT s.id, s.user_id, u.org_id, u.role AS "role: Role", s.csrf_token, s.last_seen_at
           FROM web_sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3
             AND u.disabled_at IS NULL AND u.token_generation = s.token_generation"#,
        id_hash,
        now,
        idle_since,
    )
    .fetch_optional(conn)
    .await
}

pub async fn touch(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE web_sessions SET last_seen_at = $2 WHERE id = $1", id, at).execute(conn).await?;
    Ok(())
}

/// Ends one session of the user (`id` another user's ends nothing).
pub async fn end(conn: &mut PgConnection, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE web_sessions SET ended_at = $3 WHERE id = $2 AND user_id = $1 AND ended_at IS NULL",
        user_id,
        id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn end_by_hash(conn: &mut PgConnection, id_hash: &[u8], at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("UPDATE web_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL", id_hash, at)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

pub async fn end_all_of_user(conn: &mut PgConnection, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("UPDATE web_sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL", user_id, at)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

/// The user's sessions that may still work, newest first (those idle too
/// long are left to the sessions page to show as such).
pub async fn list_open(conn: &mut PgConnection, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<WebSessionRow>> {
    sqlx::query_as!(
        WebSessionRow,
        "SELECT id, id_hash, user_id, token_generation, csrf_token, user_agent, created_at, last_seen_at, expires_at
         FROM web_sessions
         WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2
           AND token_generation = (SELECT token_generation FROM users WHERE id = $1)
         ORDER BY created_at DESC LIMIT 100",
        user_id,
        now
    )
    .fetch_all(conn)
    .await
}

/// Forgets sessions that ended or expired before `before`.
pub async fn purge(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("DELETE FROM web_sessions WHERE expires_at < $1 OR ended_at < $1 OR last_seen_at < $1", before)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}
