//! One-time tokens that prove an address (see the migration
//! `email_confirmation`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct EmailConfirmationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The address the token was mailed to: it proves that one only.
    pub email: String,
    pub secret_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, row: &EmailConfirmationRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO email_confirmations (id, user_id, email, secret_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        row.id,
        row.user_id,
        row.email,
        row.secret_hash,
        row.created_at,
        row.expires_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The token, locked until the transaction ends, so that two uses of one
/// token are serialized.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<EmailConfirmationRow>> {
    sqlx::query_as!(
        EmailConfirmationRow,
        "SELECT id, user_id, email, secret_hash, created_at, expires_at, used_at
         FROM email_confirmations WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Ends the user's unused tokens that still run: only the latest works.
pub async fn expire_unused_of_user(conn: &mut PgConnection, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE email_confirmations SET expires_at = $2 WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
        user_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE email_confirmations SET used_at = $2 WHERE id = $1", id, at).execute(conn).await?;
    Ok(())
}

/// Forgets tokens that expired before `before`, used or not.
pub async fn delete_expired(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM email_confirmations WHERE expires_at < $1", before).execute(conn).await?;
    Ok(done.rows_affected())
}
