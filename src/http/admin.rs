//! /admin/*: registry staff management.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiResult, Problem},
    extract::{Json, Query},
};
use crate::{
    auth::Admin,
    pagination::{Page, PageQuery},
    services::{
        accounts::UserView,
        staff::{self, NewStaff},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_staff, list_staff))
}

/// Adds a reviewer or admin.
#[utoipa::path(post, path = "/admin/staff", tag = "admin", security(("bearer" = [])), request_body = NewStaff, responses(
    (status = 201, body = UserView),
    (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "e-mail address already registered", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn add_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Json(request): Json<NewStaff>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(staff::add(&state, request).await?)))
}

/// Registry staff, oldest first.
#[utoipa::path(get, path = "/admin/staff", tag = "admin", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<UserView>),
    (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
))]
async fn list_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    Ok(Json(staff::list(&state, page.parse()?).await?))
}
