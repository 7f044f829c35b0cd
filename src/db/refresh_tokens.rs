use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub secret_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user's credential generation it was issued at: it works only
    /// while that is still theirs.
    pub token_generation: i32,
}

pub async fn insert(conn: &mut PgConnection, token: &RefreshTokenRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, created_at, expires_at, token_generation)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        token.id,
        token.family_id,
        token.user_id,
        token.secret_hash,
        token.created_at,
        token.expires_at,
        token.token_generation,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The token, locked until the transaction ends so that two concurrent uses
/// of one token are serialized (the second sees it used).
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<RefreshTokenRow>> {
    sqlx::query_as!(
        RefreshTokenRow,
        "SELECT id, family_id, user_id, secret_hash, created_at, expires_at, used_at, revoked_at, token_generation
         FROM refresh_tokens WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1", id, at).execute(conn).await?;
    Ok(())
}

pub async fn revoke_family(conn: &mut PgConnection, family_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends every session of the user: their password changed or was reset, or
/// the account was disabled.
pub async fn revoke_all_of_user(conn: &mut PgConnection, user_id: Uuid, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets tokens that expired before `before`; they can no longer be used
/// nor reveal a reuse.
pub async fn delete_expired(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM refresh_tokens WHERE expires_at < $1", before).execute(conn).await?;
    Ok(done.rows_affected())
}
