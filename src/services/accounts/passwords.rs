//! A signed-in user changing their own password.

use std::net::IpAddr;

use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, Result, throttle::LoginLimits};
use crate::{db, domain::Password, notifications::EventKind, state::AppState};

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(format = Password)]
    pub current_password: String,
    /// At least 10 characters, and not the current password.
    #[schema(min_length = 10, max_length = 1024)]
    #[schema(format = Password)]
    pub new_password: String,
}

/// Replaces the user's password after checking the current one, and ends
/// every session of the user, the one the request was made in too: every
/// refresh token is revoked and every access token issued so far refused
/// (the user's credential generation moves on), so the caller signs in
/// again with the new password.
///
/// A wrong current password is 422 naming `current_password`, and counts as
/// a failed login of the account and of the client address: a stolen access
/// token must not become a way to guess the password without limit.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn change(state: &AppState, user_id: Uuid, request: PasswordChange, client: IpAddr) -> Result<()> {
    let now = state.clock.now();
    let new_password = Password::parse(&request.new_password).map_err(|m| Error::field("new_password", m))?;

    let mut conn = state.db.acquire().await?;
    let user = db::users::find(&mut conn, user_id)
        .await?
        .filter(|user| user.disabled_at.is_none())
        .ok_or(Error::Unauthorized("this account has been disabled"))?;
    let attempt = LoginLimits::new(&state.config.throttle).attempt(&mut conn, &user.email, client, now).await?;
    drop(conn);

    // The same hash-and-compare as a login, so the answer takes as long
    // whether the password was right or wrong.
    let verified = state.passwords.verify(&request.current_password, Some(user.password_hash.clone())).await;
    if !matches!(verified, Ok(false)) {
        // Right, or not checked at all: it does not count.
        attempt.take_back(&mut *state.db.acquire().await?).await?;
    }
    if !verified? {
        tracing::info!("password change with a wrong current password");
        return Err(Error::field("current_password", "is not your current password"));
    }
    if request.new_password == request.current_password {
        return Err(Error::field("new_password", "must differ from the current password"));
    }
    let new_hash = state.passwords.hash(&new_password).await?;

    let mut tx = state.db.begin().await?;
    let locked = db::users::find_for_update(&mut tx, user.id)
        .await?
        .filter(|locked| locked.disabled_at.is_none())
        .ok_or(Error::Unauthorized("this account has been disabled"))?;
    // Another change (or a reset) won the race after the check above: the
    // password verified is no longer the current one.
    if locked.password_hash != user.password_hash {
        return Err(Error::Conflict("the password was changed meanwhile; try again with the current one".into()));
    }
    db::users::set_password_hash(&mut tx, user.id, &new_hash).await?;
    let sessions = db::refresh_tokens::revoke_all_of_user(&mut tx, user.id, now).await?;
    let facts = crate::notifications::messages::Facts::default();
    crate::services::notifications::to_user(&mut tx, state, user.id, EventKind::PasswordChanged, &facts, now).await?;
    tx.commit().await?;
    tracing::info!(sessions, "password changed; every session of the user ended");
    Ok(())
}
