//! Password resets: a one-time token for an account, which an operator
//! issues (`dataip` on the command line) and hands to its owner, or which is
//! mailed to the account's address when someone asks for it at
//! POST /auth/password-reset/request; the owner sets a new password with it
//! at POST /auth/password-reset.

use std::{fmt, net::IpAddr};

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{
    Error, Result,
    accounts::UserView,
    notifications,
    throttle::{Throttle, address_key},
};
use crate::{
    auth::{OpaqueToken, PASSWORD_RESET_PREFIX},
    config::Config,
    db::{self, password_resets::PasswordResetRow, users::UserRow},
    domain::{Email, Lang, Password},
    notifications::{EventKind, messages::Facts},
    state::AppState,
};

/// How long an issued reset works: time enough for the operator to pass it
/// on and its owner to use it, short enough that a token left in a chat or
/// a mailbox is soon worthless.
pub const RESET_TOKEN_TTL: Duration = Duration::hours(1);

/// A reset just issued: the only time its token exists in clear.
pub struct PasswordReset {
    /// Hand this to the user; only its hash is kept.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Whose password it resets.
    pub user: UserView,
}

impl fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordReset")
            .field("token", &"..")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The one-time token the registry issued (`dipw_…`).
    pub token: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    #[schema(format = Password)]
    pub new_password: String,
}

/// `POST /auth/password-reset/request`.
#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetLinkRequest {
    /// The account's e-mail address. Any string is taken: the answer is the
    /// same whether or not it is an account's.
    #[schema(example = "zhang.wei@example.com")]
    pub email: String,
}

impl fmt::Debug for PasswordResetLinkRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordResetLinkRequest(..)")
    }
}

const NO_SUCH_USER: Error = Error::NotFoundBecause("no user with that e-mail address");

/// Why no reset was made for an address.
enum NoReset {
    /// No account has it (or it is no address at all).
    Unknown,
    /// Its account is disabled: a new password would not let it log in.
    Disabled,
}

/// A reset made in the caller's transaction, not yet committed.
struct NewReset {
    id: Uuid,
    token: String,
    expires_at: DateTime<Utc>,
    /// Earlier unused resets of the account that stopped working.
    superseded: u64,
    user: UserRow,
}

/// Makes a reset for the account with this e-mail address (staff or
/// applicant), valid for `RESET_TOKEN_TTL`, in the caller's transaction;
/// earlier unused resets of the account stop working. The one way resets
/// are made, for an operator ([`issue`]) and by mail ([`request`]).
async fn make(conn: &mut PgConnection, email: &str, now: DateTime<Utc>) -> Result<Result<NewReset, NoReset>> {
    let Ok(email) = Email::parse(email) else { return Ok(Err(NoReset::Unknown)) };
    let Some(found) = db::users::find_by_email(conn, email.as_str()).await? else { return Ok(Err(NoReset::Unknown)) };
    // Locked so that two resets made at once leave only one working.
    let Some(user) = db::users::find_for_update(conn, found.id).await? else { return Ok(Err(NoReset::Unknown)) };
    if user.disabled_at.is_some() {
        return Ok(Err(NoReset::Disabled));
    }
    let secret = OpaqueToken::generate()?;
    let expires_at = now + RESET_TOKEN_TTL;
    let superseded = db::password_resets::expire_unused_of_user(conn, user.id, now).await?;
    let row = PasswordResetRow {
        id: secret.id,
        user_id: user.id,
        secret_hash: secret.secret_hash(),
        created_at: now,
        expires_at,
        used_at: None,
    };
    db::password_resets::insert(conn, &row).await?;
    Ok(Ok(NewReset { id: row.id, token: secret.render(PASSWORD_RESET_PREFIX), expires_at, superseded, user }))
}

/// Issues a reset for the account with this e-mail address (staff or
/// applicant), valid for `RESET_TOKEN_TTL`; earlier unused resets of the
/// account stop working. A disabled account gets none: it could not log in
/// with the new password anyway.
#[tracing::instrument(skip_all)]
pub async fn issue(state: &AppState, email: &str) -> Result<PasswordReset> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let reset = match make(&mut tx, email, now).await? {
        Ok(reset) => reset,
        Err(NoReset::Unknown) => return Err(NO_SUCH_USER),
        Err(NoReset::Disabled) => {
            return Err(Error::Conflict("that account is disabled: a new password would not let it log in".into()));
        }
    };
    let user = reset.user;
    // Issued by an operator (`dataip user reset-password`).
    let audit = crate::services::audit::Audit {
        action: crate::domain::AuditAction::UserResetPassword,
        target_id: user.id,
        before: None,
        after: Some(
            serde_json::json!({"reset_id": reset.id, "expires_at": reset.expires_at, "superseded": reset.superseded}),
        ),
    };
    crate::services::audit::record(&mut tx, crate::services::audit::AuditActor::Cli, now, audit).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, reset_id = %reset.id, superseded = reset.superseded, "password reset issued");
    Ok(PasswordReset { token: reset.token, expires_at: reset.expires_at, user: user.into() })
}

/// Links asked for from one client address per window: past it, 429.
fn request_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "password_reset.request_address",
        limit: config.throttle.password_resets_per_address,
        window: config.throttle.password_reset_window.get(),
    }
}

/// Links mailed to one address per window: past it, nothing is sent, and
/// the answer stays the same.
fn recipient_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "password_reset.recipient",
        limit: config.throttle.password_resets_per_recipient,
        window: config.throttle.password_reset_window.get(),
    }
}

/// Mails a one-time reset link, `{public_url}/password-reset?token=dipw_…`
/// valid for `RESET_TOKEN_TTL`, to the account with this e-mail address, in
/// its user's language; earlier unused resets of the account stop working.
///
/// Whether the address is an account's is never told: an unknown address,
/// a disabled account's, one that is no address at all, or one whose
/// budget of links is spent (`throttle.password_resets_per_recipient`) all
/// succeed and send nothing. Only the client's budget
/// (`throttle.password_resets_per_address`) answers `RateLimited`.
#[tracing::instrument(skip_all)]
pub async fn request(state: &AppState, email: &str, client: IpAddr) -> Result<()> {
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    request_throttle(&state.config).take(&mut conn, &address_key(client), now).await?;
    // Counted for every address, known or not, so that how soon it runs out
    // tells nothing either.
    let recipient = Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |email| email.as_str().to_owned());
    match recipient_throttle(&state.config).take(&mut conn, recipient.as_bytes(), now).await {
        Ok(()) => {}
        Err(Error::RateLimited { .. }) => {
            tracing::info!("password reset link asked for an address over its budget: nothing sent");
            return Ok(());
        }
        Err(error) => return Err(error),
    }
    drop(conn);
    if state.mailer.is_none() {
        tracing::info!("password reset link asked for, but mail is off: nothing made");
        return Ok(());
    }

    let mut tx = state.db.begin().await?;
    let reset = match make(&mut tx, email, now).await? {
        Ok(reset) => reset,
        Err(NoReset::Unknown | NoReset::Disabled) => {
            tracing::info!("password reset link asked for an unknown or disabled account: nothing sent");
            return Ok(());
        }
    };
    let until = reset.expires_at.with_timezone(&state.config.calendar.zone).format("%Y-%m-%d %H:%M %:z");
    let facts = Facts {
        link: Some(notifications::link(state, &format!("/password-reset?token={}", reset.token))),
        due: Some(until.to_string()),
        ..Facts::default()
    };
    let user = &reset.user;
    let lang = db::outbox::language(&mut tx, user.id).await?.as_deref().and_then(Lang::parse).unwrap_or(Lang::ZhCn);
    notifications::to_address(&mut tx, state, &user.email, lang, EventKind::PasswordResetLink, &facts, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, reset_id = %reset.id, superseded = reset.superseded, "password reset link mailed");
    Ok(())
}

/// One answer for a token that is malformed, unknown, forged, used, expired
/// or whose account was disabled since: a client cannot tell them apart, so
/// tokens cannot be probed.
fn invalid_token() -> Error {
    Error::field("token", "is invalid, expired or already used; ask the registry for a new one")
}

/// Failed redemptions per client address.
fn redeem_throttle(config: &Config) -> Throttle {
    Throttle::failed_tokens_per_address(&config.throttle, "password_reset.address")
}

/// Sets a new password with a reset token: the password changes, the token
/// is used up and every session of the user ends, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn redeem(state: &AppState, request: PasswordResetRequest, client: IpAddr) -> Result<()> {
    let now = state.clock.now();
    let new_password = Password::parse(&request.new_password).map_err(|m| Error::field("new_password", m))?;
    let throttle = redeem_throttle(&state.config);
    let client = address_key(client);
    let mut conn = state.db.acquire().await?;
    // Counted before the token is looked up (so that concurrent probes are
    // counted too), and taken back when the token works.
    throttle.take(&mut conn, &client, now).await?;

    // Checked before hashing, so that made-up tokens cost no argon2 work;
    // checked again under lock below.
    let Some(presented) = working_token(&mut conn, &request.token, now).await? else {
        tracing::info!("password reset with an invalid token");
        return Err(invalid_token());
    };
    throttle.give_back(&mut conn, &client, now).await?;
    drop(conn);
    let new_hash = state.passwords.hash(&new_password).await?;

    let mut tx = state.db.begin().await?;
    // A second use racing this one waits here and then finds it used.
    let reset = db::password_resets::find_for_update(&mut tx, presented.id)
        .await?
        .filter(|reset| presented.matches(&reset.secret_hash) && usable(reset, now))
        .ok_or_else(invalid_token)?;
    let user = db::users::find_for_update(&mut tx, reset.user_id)
        .await?
        .filter(|user| user.disabled_at.is_none())
        .ok_or_else(invalid_token)?;
    db::users::set_password_hash(&mut tx, user.id, &new_hash).await?;
    db::password_resets::mark_used(&mut tx, reset.id, now).await?;
    let sessions = db::refresh_tokens::revoke_all_of_user(&mut tx, user.id, now).await?;
    let facts = crate::notifications::messages::Facts::default();
    let kind = crate::notifications::EventKind::PasswordReset;
    crate::services::notifications::to_user(&mut tx, state, user.id, kind, &facts, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, reset_id = %reset.id, sessions, "password reset");
    Ok(())
}

/// The presented token, if it is genuine, usable and its account active.
async fn working_token(conn: &mut PgConnection, text: &str, now: DateTime<Utc>) -> Result<Option<OpaqueToken>> {
    let Some(presented) = OpaqueToken::parse(PASSWORD_RESET_PREFIX, text.trim()) else {
        return Ok(None);
    };
    match db::password_resets::find(conn, presented.id).await? {
        Some(reset) if presented.matches(&reset.secret_hash) && usable(&reset, now) => {
            let active = db::users::find(conn, reset.user_id).await?.is_some_and(|user| user.disabled_at.is_none());
            Ok(active.then_some(presented))
        }
        _ => Ok(None),
    }
}

/// Unused and unexpired (the secret is compared by the caller).
fn usable(reset: &PasswordResetRow, now: DateTime<Utc>) -> bool {
    reset.used_at.is_none() && reset.expires_at > now
}

/// Deletes resets that expired more than a day ago, used or not.
pub async fn purge_expired(state: &AppState, now: DateTime<Utc>) -> Result<u64> {
    let before = now - Duration::days(1);
    Ok(db::password_resets::delete_expired(&mut *state.db.acquire().await?, before).await?)
}
