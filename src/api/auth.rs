//! /auth/* and /me: signing up, logging in, sessions.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{Always, Authenticated, JsonBody};
use crate::http::{
    client_addr::ClientAddr,
    error::{ApiResult, Problem},
    extract::Json,
};
use crate::{
    auth::Principal,
    services::{
        Error,
        accounts::email_confirmations::{self, ConfirmationRequest, ConfirmedAddress},
        accounts::password_resets::{self, PasswordResetLinkRequest, PasswordResetRequest},
        accounts::passwords::{self, PasswordChange},
        accounts::sessions::{
            self, LoginRequest, MeResponse, RefreshRequest, SignupRequest, SignupResponse, TokenPair,
        },
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(reset_password))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_email))
        .routes(routes!(resend_confirmation))
        .routes(routes!(me))
}

/// Registers an organization and its first owner, and logs the owner in.
///
/// The organization is `unverified`: it may prepare applications, and
/// submits them once registry staff have checked its business licence (PUT
/// /organization/business-licence). Several unverified organizations may
/// claim one credit code; once one of them is verified, the code is its.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", operation_id = "signUp", security(),
    request_body = SignupRequest, responses(
    (status = 201, description = "The organization (`unverified`), its owner, and the owner's tokens", body = SignupResponse),
    Always, JsonBody,
    (status = 409, description = "The e-mail address is already registered, or a verified organization holds the credit code (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, a `credit_code` whose check character (GB 32100-2015) is wrong, an e-mail address that is not one, or a password under 10 characters", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many signups from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn signup(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<SignupRequest>,
) -> ApiResult<(StatusCode, Json<SignupResponse>)> {
    Ok((StatusCode::CREATED, Json(sessions::signup(&state, request, client).await?)))
}

/// Exchanges an e-mail address and password for a token pair.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "logIn", security(),
    request_body = LoginRequest, responses(
    (status = 200, description = "A new session's tokens", body = TokenPair),
    Always, JsonBody,
    (status = 401, description = "Wrong e-mail address or password, or a disabled account; all alike (`code`: `unauthorized`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed logins for this account or from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    Ok(Json(sessions::login(&state, request, client).await?))
}

/// Exchanges a refresh token for a new pair; the old refresh token stops
/// working, and presenting it again ends the session.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", operation_id = "refreshTokens", security(),
    request_body = RefreshRequest, responses(
    (status = 200, description = "The new pair; the refresh token presented no longer works", body = TokenPair),
    Always, JsonBody,
    (status = 401, description = "An invalid, expired, revoked or reused refresh token, or a disabled account (`code`: `unauthorized`); a reused one also ends its session", body = Problem, content_type = "application/problem+json"),
))]
async fn refresh(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> ApiResult<Json<TokenPair>> {
    Ok(Json(sessions::refresh(&state, request).await?))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", operation_id = "logOut", security(),
    request_body = RefreshRequest, responses(
    (status = 204, description = "The session is over (or never existed)"),
    Always, JsonBody,
))]
async fn logout(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> ApiResult<StatusCode> {
    sessions::logout(&state, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password.
///
/// Needs a person's access token (API keys are refused with 403). A wrong
/// `current_password` answers 422 with that field in `errors`, and counts as
/// a failed login of the account (see the 429 of /auth/login). On success
/// every session of the user ends, this one too: all their refresh tokens
/// are revoked and every access token issued before is refused from then
/// on (401), even one issued in the same second; the caller signs in again
/// with the new password.
#[utoipa::path(post, path = "/auth/password", tag = "auth", operation_id = "changePassword", security(("bearer" = [])),
    request_body = PasswordChange, responses(
    (status = 204, description = "Changed; every session of the user ends, this one too (refresh tokens revoked, earlier access tokens refused): sign in again"),
    Always, JsonBody, Authenticated,
    (status = 403, description = "An API key has no password (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The password changed meanwhile, by another change or a reset (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`current_password` is wrong, or `new_password` breaks the rules: at least 10 characters, at most 1024 bytes, not the current one (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many wrong passwords for this account or from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(client): ClientAddr,
    Json(request): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    let Principal::User { id, .. } = principal else {
        return Err(Error::Forbidden("an API key has no password; log in as a person to change yours").into());
    };
    passwords::change(&state, id, request, client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password with a one-time reset token issued by the registry.
///
/// No credentials needed: the token is the proof, issued by an operator or
/// mailed on request (`POST /auth/password-reset/request`). It works once,
/// for an hour after it was issued, and only the latest issued for an
/// account works. A token that is malformed, unknown, used or expired gets one and
/// the same 422 naming `token`, and nothing changes. On success the token is
/// used up and every session of the user ends: all refresh tokens are
/// revoked and every access token issued before is refused (401).
/// Failed attempts are limited per client address.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", operation_id = "resetPassword", security(),
    request_body = PasswordResetRequest, responses(
    (status = 204, description = "The password is set; log in with it"),
    Always, JsonBody,
    (status = 422, description = "An invalid, used or expired `token`, or a `new_password` that breaks the rules: at least 10 characters, at most 1024 bytes (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn reset_password(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    password_resets::redeem(&state, request, client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a one-time link to set a new password to the account with this
/// e-mail address, if there is one.
///
/// No credentials needed. The answer is `202`, and the same, whatever the
/// address: an account's, unknown, a disabled account's, or not an address
/// at all; only an active account's address (staff or applicant) is mailed,
/// in its user's language, a link `{public_url}/password-reset?token=dipw_…`
/// whose token sets a new password at `POST /auth/password-reset`. It works
/// once, for an hour, and earlier unused resets of the account stop working.
/// Links are limited per client address
/// (`throttle.password_resets_per_address` per `throttle.password_reset_window`;
/// then `429`) and per address asked for
/// (`throttle.password_resets_per_recipient`; then nothing more is sent, and
/// the answer is still `202`).
#[utoipa::path(post, path = "/auth/password-reset/request", tag = "auth", operation_id = "requestPasswordReset",
    security(), request_body = PasswordResetLinkRequest, responses(
    (status = 202, description = "Taken: if the address is an active account's, a link is on its way (the answer does not say whether it is)"),
    Always, JsonBody,
    (status = 429, description = "Too many links asked for from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn request_password_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<PasswordResetLinkRequest>,
) -> ApiResult<StatusCode> {
    password_resets::request(&state, &request.email, client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Proves the caller's address with the token mailed to it.
///
/// No credentials needed: the token is the proof. Every new account's
/// address (a signup, a member an owner adds, staff an admin adds) is
/// mailed a link, `{public_url}/confirm-email?token=…`, whose page posts
/// here; the link works once, for a week, and only the latest mailed to an
/// account works. Until its address is proven an account receives only the
/// link and, when its holder made it, the mail of its organization's own
/// filings (at most 10 an hour); security mail, watches and the mail of a
/// member or staff account someone else added wait until it is proven
/// (`email_confirmed_at` in `GET /me`). A token that is malformed, unknown,
/// used, expired, or for an address the account no longer has gets one and
/// the same 422 naming `token`. Failed attempts are limited per client
/// address.
#[utoipa::path(post, path = "/auth/confirm-email", tag = "auth", operation_id = "confirmEmail", security(),
    request_body = ConfirmationRequest, responses(
    (status = 200, description = "The address is proven", body = ConfirmedAddress),
    Always, JsonBody,
    (status = 422, description = "An invalid, used or expired `token` (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn confirm_email(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<ConfirmationRequest>,
) -> ApiResult<Json<ConfirmedAddress>> {
    Ok(Json(email_confirmations::confirm(&state, &request.token, client).await?))
}

/// Mails the caller a new link proving their address; earlier links stop
/// working.
///
/// Needs a person's access token. Limited per user
/// (`throttle.confirmation_resends_per_user` per
/// `throttle.confirmation_resend_window`), and like every mail to an
/// unproven address within its hourly budget.
#[utoipa::path(post, path = "/auth/confirm-email/resend", tag = "auth", operation_id = "resendEmailConfirmation",
    security(("bearer" = [])), responses(
    (status = 202, description = "A new link is on its way"),
    Always, Authenticated,
    (status = 403, description = "An API key has no address of its own (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The address is proven already (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many links asked for (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn resend_confirmation(State(state): State<AppState>, principal: Principal) -> ApiResult<StatusCode> {
    let Principal::User { id, .. } = principal else {
        return Err(Error::Forbidden("an API key has no address of its own; log in as a person").into());
    };
    email_confirmations::resend(&state, id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The logged-in user and their organization (null for staff).
#[utoipa::path(get, path = "/me", tag = "auth", operation_id = "getMe", security(("bearer" = [])), responses(
    (status = 200, description = "The caller and their organization", body = MeResponse),
    Always, Authenticated,
    (status = 403, description = "An API key has no user (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
))]
async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MeResponse>> {
    match principal {
        Principal::User { id, .. } => Ok(Json(sessions::me(&state, id).await?)),
        Principal::ApiKey { .. } => {
            Err(Error::Forbidden("an API key acts for its organization and has no user; log in as a person").into())
        }
    }
}
