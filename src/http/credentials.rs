//! The extractors that demand a kind of caller. Each answers 401 without
//! valid credentials and 403 for the wrong role.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::error::ApiError;
use crate::{
    auth::{API_KEY_PREFIX, Actor, Admin, OpaqueToken, Owner, Principal, Staff, Tenant, TokenRejection},
    db,
    domain::Role,
    services::Error,
    state::AppState,
};

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(*principal);
        }
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(Error::Unauthorized("this endpoint needs an Authorization: Bearer token"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(Error::Unauthorized("the Authorization header must be \"Bearer <token>\""))?;
        let principal = if token.starts_with(API_KEY_PREFIX) {
            api_key(state, token).await?
        } else {
            let claims = state.jwt.verify(token, state.clock.now()).map_err(|rejection| match rejection {
                TokenRejection::Invalid => Error::Unauthorized("the access token is invalid or has expired"),
                TokenRejection::Expired => {
                    Error::Unauthorized("the access token has expired; obtain a new one with POST /api/v1/auth/refresh")
                }
            })?;
            // JWTs are otherwise checked without the database; this one
            // primary-key lookup is what makes disabling an account, or
            // changing or resetting its password, take effect at once
            // instead of when its last token expires. (API keys are looked up
            // on every request already.)
            if !db::users::accepts_token(&mut *state.db.acquire().await?, claims.sub, claims.generation).await? {
                return Err(Error::Unauthorized(
                    "this account has been disabled, or its password changed, since this token was issued; log in again",
                )
                .into());
            }
            Principal::User { id: claims.sub, org_id: claims.org, role: claims.role }
        };
        parts.extensions.insert(principal);
        Ok(principal)
    }
}

async fn api_key(state: &AppState, token: &str) -> Result<Principal, Error> {
    const INVALID: Error = Error::Unauthorized("the API key is invalid or has been revoked");
    let parsed = OpaqueToken::parse(API_KEY_PREFIX, token).ok_or(INVALID)?;
    let mut conn = state.db.acquire().await?;
    let row = db::api_keys::find_active(&mut conn, parsed.id).await?;
    match row {
        Some(row) if parsed.matches(&row.secret_hash) => {
            db::api_keys::touch(&mut conn, row.id, state.clock.now()).await?;
            Ok(Principal::ApiKey { id: row.id, org_id: row.org_id })
        }
        _ => Err(INVALID),
    }
}

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User { id, org_id: Some(org_id), .. } => Ok(Tenant { org_id, actor: Actor::User(id) }),
            Principal::ApiKey { id, org_id } => Ok(Tenant { org_id, actor: Actor::ApiKey(id) }),
            Principal::User { org_id: None, .. } => {
                Err(Error::Forbidden("registry staff do not act for an applicant organization").into())
            }
        }
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User { id, org_id: Some(org_id), role: Role::Owner, .. } => Ok(Owner { user_id: id, org_id }),
            _ => Err(Error::Forbidden("only an owner of the organization may do this").into()),
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User { id, role, .. } if role.is_staff() => Ok(Staff { user_id: id, role }),
            _ => Err(Error::Forbidden("only registry staff may do this").into()),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User { id, role: Role::Admin, .. } => Ok(Admin { user_id: id }),
            _ => Err(Error::Forbidden("only a registry admin may do this").into()),
        }
    }
}

/// Who asks a status endpoint: anyone, by client address, or a verified
/// relying party by its API key. The key raises the allowance and does
/// nothing else; any other credential is refused (401), and a key of an
/// organization that is not a verified relying party too (403).
impl FromRequestParts<AppState> for crate::services::accounts::relying_parties::StatusAsker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        use crate::services::accounts::relying_parties::{StatusAsker, asker_of_key};
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            let super::client_addr::ClientAddr(address) =
                super::client_addr::ClientAddr::from_request_parts(parts, state).await?;
            return Ok(StatusAsker::Address(address));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|token| token.starts_with(API_KEY_PREFIX))
            .ok_or(Error::Unauthorized(
                "public endpoints take no credential but a relying party's API key (\"Bearer dipk_…\"), which raises \
                 its status allowance; send none otherwise",
            ))?;
        match api_key(state, token).await? {
            Principal::ApiKey { org_id, .. } => Ok(asker_of_key(state, org_id).await?),
            Principal::User { .. } => Err(Error::Unauthorized("the API key is invalid or has been revoked").into()),
        }
    }
}
