//! /auth/* and /me: signing up, logging in, sessions.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiResult, Problem},
    extract::{ClientAddr, Json},
};
use crate::{
    auth::Principal,
    services::{
        Error,
        sessions::{self, LoginRequest, MeResponse, RefreshRequest, SignupRequest, SignupResponse, TokenPair},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Registers an organization and its first owner, and logs the owner in.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", request_body = SignupRequest, responses(
    (status = 201, body = SignupResponse),
    (status = 409, description = "e-mail address or credit code already registered", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many signups from this address", body = Problem, content_type = "application/problem+json"),
))]
async fn signup(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(request): Json<SignupRequest>,
) -> ApiResult<(StatusCode, Json<SignupResponse>)> {
    Ok((StatusCode::CREATED, Json(sessions::signup(&state, request, client).await?)))
}

/// Exchanges an e-mail address and password for a token pair.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, description = "wrong e-mail address or password", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many failed logins; see Retry-After", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, description = "invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
))]
async fn refresh(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> ApiResult<Json<TokenPair>> {
    Ok(Json(sessions::refresh(&state, request).await?))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "the session is over (or never existed)"),
))]
async fn logout(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> ApiResult<StatusCode> {
    sessions::logout(&state, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user and their organization (null for staff).
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeResponse),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "an API key has no user", body = Problem, content_type = "application/problem+json"),
))]
async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MeResponse>> {
    match principal {
        Principal::User { id, .. } => Ok(Json(sessions::me(&state, id).await?)),
        Principal::ApiKey { .. } => {
            Err(Error::Forbidden("an API key acts for its organization and has no user; log in as a person").into())
        }
    }
}
