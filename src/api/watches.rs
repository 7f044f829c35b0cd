//! /watches: a user's watches on new announcements.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsTenant, BadRequest, JsonBody};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    auth::Tenant,
    services::notifications::watches::{self, NewWatch, WatchView},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_watch, list_watches)).routes(routes!(delete_watch))
}

/// Watches new announcements for a phrase of the product name (NFKC,
/// case and white space ignored), a holder's credit code or a material's
/// SHA-256; a match is told by mail (`watch.matched`) or through the
/// organization's webhooks subscribed to it.
#[utoipa::path(post, path = "/watches", tag = "auth", operation_id = "createWatch",
    security(("bearer" = [])), request_body = NewWatch, responses(
    (status = 201, description = "The watch", body = WatchView),
    Always, JsonBody, AsTenant,
    (status = 409, description = "The user keeps 100 watches already (`code`: `quota_exceeded`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A value of the wrong form for its kind (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn create_watch(
    State(state): State<AppState>,
    tenant: Tenant,
    Json(request): Json<NewWatch>,
) -> ApiResult<(StatusCode, Json<WatchView>)> {
    Ok((StatusCode::CREATED, Json(watches::create(&state, tenant, request).await?)))
}

/// The caller's watches.
#[utoipa::path(get, path = "/watches", tag = "auth", operation_id = "listWatches",
    security(("bearer" = [])), responses(
    (status = 200, description = "The watches", body = Vec<WatchView>),
    Always, AsTenant,
))]
async fn list_watches(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Json<Vec<WatchView>>> {
    Ok(Json(watches::list(&state, tenant).await?))
}

/// Stops a watch.
#[utoipa::path(delete, path = "/watches/{id}", tag = "auth", operation_id = "deleteWatch",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The watch's id")), responses(
    (status = 204, description = "Stopped"),
    Always, BadRequest, AsTenant,
    (status = 404, description = "No such watch of the caller's (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn delete_watch(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    watches::delete(&state, tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
