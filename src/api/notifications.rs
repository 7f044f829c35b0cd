//! /me/notifications and the language of a user's mail.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, Authenticated, JsonBody};
use crate::http::{
    error::{ApiResult, Problem},
    extract::Json,
};
use crate::{
    auth::Principal,
    services::{
        Error,
        notifications::{self, LanguageUpdate, NotificationPreferences, NotificationSettings},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_me)).routes(routes!(get_settings, put_settings))
}

fn person(principal: Principal) -> Result<Uuid, Error> {
    match principal {
        Principal::User { id, .. } => Ok(id),
        Principal::ApiKey { .. } => {
            Err(Error::Forbidden("an API key acts for its organization and has no user; log in as a person"))
        }
    }
}

/// Sets the language of the caller's mail (`zh-CN`, the default, or `en`).
#[utoipa::path(patch, path = "/me", tag = "auth", operation_id = "updateMe", security(("bearer" = [])),
    request_body = LanguageUpdate, responses(
    (status = 204, description = "Saved"),
    Always, Authenticated, JsonBody,
    (status = 403, description = "An API key has no user (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A language other than `zh-CN` or `en` (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn update_me(
    State(state): State<AppState>,
    principal: Principal,
    Json(update): Json<LanguageUpdate>,
) -> ApiResult<StatusCode> {
    notifications::set_language(&state, person(principal)?, &update.language).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's mail settings: language, and each kind of notification
/// with whether it is mailed (security mail always is).
#[utoipa::path(get, path = "/me/notifications", tag = "auth", operation_id = "getNotificationSettings",
    security(("bearer" = [])), responses(
    (status = 200, description = "The settings", body = NotificationSettings),
    Always, Authenticated,
    (status = 403, description = "An API key has no user (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
))]
async fn get_settings(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(notifications::settings(&state, person(principal)?).await?))
}

/// Switches kinds of mail on or off; kinds not listed keep their setting.
#[utoipa::path(put, path = "/me/notifications", tag = "auth", operation_id = "putNotificationSettings",
    security(("bearer" = [])), request_body = NotificationPreferences, responses(
    (status = 200, description = "The settings now", body = NotificationSettings),
    Always, Authenticated, JsonBody,
    (status = 403, description = "An API key has no user (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "An unknown kind, or security mail switched off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    Json(preferences): Json<NotificationPreferences>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(notifications::set_preferences(&state, person(principal)?, preferences).await?))
}
