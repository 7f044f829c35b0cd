//! /admin/*: registry staff management.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiResult, Problem},
    extract::{Json, Query},
    responses::{Always, AsAdmin, JsonBody, Paged},
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
#[utoipa::path(post, path = "/admin/staff", tag = "admin", operation_id = "addStaff", security(("bearer" = [])),
    request_body = NewStaff, responses(
    (status = 201, description = "The new staff member", body = UserView),
    Always, JsonBody, AsAdmin,
    (status = 409, description = "The e-mail address is already registered (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, an e-mail address that is not one, or a password under 10 characters", body = Problem, content_type = "application/problem+json"),
))]
async fn add_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Json(request): Json<NewStaff>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(staff::add(&state, request).await?)))
}

/// Registry staff, oldest first.
#[utoipa::path(get, path = "/admin/staff", tag = "admin", operation_id = "listStaff", security(("bearer" = [])),
    params(PageQuery), responses(
    (status = 200, description = "A page of staff", body = Page<UserView>),
    Always, Paged, AsAdmin,
))]
async fn list_staff(
    State(state): State<AppState>,
    _admin: Admin,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    Ok(Json(staff::list(&state, page.parse()?).await?))
}
