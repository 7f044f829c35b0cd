use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PasswordResetRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub secret_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, reset: &PasswordResetRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO password_resets (id, user_id, secret_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        reset.id,
        reset.user_id,
        reset.secret_hash,
        reset.created_at,
        reset.expires_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PasswordResetRow>> {
    sqlx::query_as!(
        PasswordResetRow,
        "SELECT id, user_id, secret_hash, created_at, expires_at, used_at FROM password_resets WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The reset, locked until the transaction ends, so that two uses of one
/// token are serialized (the second sees it used).
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PasswordResetRow>> {
    sqlx::query_as!(
        PasswordResetRow,
        "SELECT id, user_id, secret_hash, created_at, expires_at, used_at
         FROM password_resets WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Ends the user's unused resets that still run, by making them expire now.
pub async fn expire_unused_of_user(conn: &mut PgConnection, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE password_resets SET expires_at = $2 WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
        user_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE password_resets SET used_at = $2 WHERE id = $1", id, at).execute(conn).await?;
    Ok(())
}

/// Forgets resets that expired before `before`, used or not.
pub async fn delete_expired(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM password_resets WHERE expires_at < $1", before).execute(conn).await?;
    Ok(done.rows_affected())
}
