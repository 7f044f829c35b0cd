//! Proving an address: a one-time link is mailed to it when an account is
//! made (signup, a member or staff added through the API) and on request;
//! the page it opens has a button that posts its token (mail scanners
//! follow links, not buttons), or a client posts the token to
//! `POST /auth/confirm-email`. Until then the address receives little: the
//! confirmation itself and, for an account its holder made, the mail of its
//! own organization's filings, within a budget (see
//! `notifications::Mailable`).

use std::{fmt, net::IpAddr};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Lang;
use crate::services::{
    Error, Result, notifications,
    throttle::{Throttle, address_key},
};
use crate::{
    auth::{EMAIL_CONFIRMATION_PREFIX, OpaqueToken},
    config::Config,
    db::{self, email_confirmations::EmailConfirmationRow, users::UserRow},
    notifications::{EventKind, messages::Facts},
    state::AppState,
};

/// How long a mailed link works: a week, for a mailbox read on Mondays.
pub const CONFIRMATION_TTL: Duration = Duration::days(7);

/// `POST /auth/confirm-email`.
#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationRequest {
    /// The token from the mailed link (`dipm_…`).
    pub token: String,
}

impl fmt::Debug for ConfirmationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmationRequest(..)")
    }
}

/// The address just proven.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedAddress {
    pub email: String,
    pub email_confirmed_at: DateTime<Utc>,
}

/// Mails `user` a new link proving their address, in the caller's
/// transaction; earlier unused links stop working. The mail, like all mail
/// to an unproven address, is within that address's hourly budget.
pub async fn send(conn: &mut PgConnection, state: &AppState, user: &UserRow, now: DateTime<Utc>) -> Result<()> {
    let secret = OpaqueToken::generate()?;
    let expires_at = now + CONFIRMATION_TTL;
    db::email_confirmations::expire_unused_of_user(conn, user.id, now).await?;
    let row = EmailConfirmationRow {
        id: secret.id,
        user_id: user.id,
        email: user.email.clone(),
        secret_hash: secret.secret_hash(),
        created_at: now,
        expires_at,
        used_at: None,
    };
    db::email_confirmations::insert(conn, &row).await?;
    let token = secret.render(EMAIL_CONFIRMATION_PREFIX);
    let facts = Facts {
        link: Some(notifications::link(state, &format!("/confirm-email?token={token}"))),
        due: Some(notifications::day(state, expires_at)),
        ..Facts::default()
    };
    let lang = db::outbox::language(conn, user.id).await?.as_deref().and_then(Lang::parse).unwrap_or(Lang::ZhCn);
    notifications::to_address(conn, state, &user.email, lang, EventKind::EmailConfirmation, &facts, now).await
}

/// One answer for a token that is malformed, unknown, forged, used, expired,
/// for an address the account no longer has, or of a disabled account.
fn invalid_token() -> Error {
    Error::field("token", "is invalid, expired or already used; ask for a new link")
}

/// Failed confirmations per client address.
fn confirm_throttle(config: &Config) -> Throttle {
    Throttle::failed_tokens_per_address(&config.throttle, "email_confirmation.address")
}

/// Proves the address the token was mailed to. Confirming again with the
/// same token, once used, is refused like any invalid token.
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &AppState, token: &str, client: IpAddr) -> Result<ConfirmedAddress> {
    let now = state.clock.now();
    let throttle = confirm_throttle(&state.config);
    let client = address_key(client);
    let mut tx = state.db.begin().await?;
    // Counted before the token is looked up, taken back when it works.
    throttle.take(&mut tx, &client, now).await?;
    tx.commit().await?;
    let presented = OpaqueToken::parse(EMAIL_CONFIRMATION_PREFIX, token.trim()).ok_or_else(invalid_token)?;

    let mut tx = state.db.begin().await?;
    let row = db::email_confirmations::find_for_update(&mut tx, presented.id)
        .await?
        .filter(|row| presented.matches(&row.secret_hash) && row.used_at.is_none() && row.expires_at > now)
        .ok_or_else(invalid_token)?;
    let user = db::users::find_for_update(&mut tx, row.user_id)
        .await?
        .filter(|user| user.disabled_at.is_none())
        .ok_or_else(invalid_token)?;
    if !db::users::confirm_email(&mut tx, user.id, &row.email, now).await? {
        return Err(invalid_token());
    }
    db::email_confirmations::mark_used(&mut tx, row.id, now).await?;
    throttle.give_back(&mut tx, &client, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "e-mail address confirmed");
    Ok(ConfirmedAddress { email: row.email, email_confirmed_at: user.email_confirmed_at.unwrap_or(now) })
}

/// Links one user may ask for per window: each is a mail to their address.
fn resend_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "email_confirmation.resend",
        limit: config.throttle.confirmation_resends_per_user,
        window: config.throttle.confirmation_resend_window.get(),
    }
}

/// Mails the signed-in user a new link; 409 once their address is proven.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn resend(state: &AppState, user_id: Uuid) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = db::users::find_for_update(&mut tx, user_id)
        .await?
        .filter(|user| user.disabled_at.is_none())
        .ok_or(Error::Unauthorized("this account no longer exists"))?;
    if user.email_confirmed_at.is_some() {
        return Err(Error::Conflict("this address is confirmed already".into()));
    }
    resend_throttle(&state.config).take(&mut tx, user.id.as_bytes(), now).await?;
    send(&mut tx, state, &user, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes links that expired more than a day ago, used or not.
pub async fn purge_expired(state: &AppState, now: DateTime<Utc>) -> Result<u64> {
    let before = now - Duration::days(1);
    Ok(db::email_confirmations::delete_expired(&mut *state.db.acquire().await?, before).await?)
}
