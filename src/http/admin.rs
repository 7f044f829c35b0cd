//! /admin/*: registry staff management, and exceptions the registry grants
//! organizations.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
    responses::{Always, AsAdmin, JsonBody, NotFound, Paged},
};
use crate::{
    auth::Admin,
    pagination::{Page, PageQuery},
    services::{
        accounts::UserView,
        refiling::{self, NewRefileException, RefileExceptionView},
        staff::{self, NewStaff},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_staff, list_staff)).routes(routes!(grant_refile_exception))
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

/// Lets an organization file a product name again before the re-filing bar
/// (`workflow.refile_bar`) ends: its next submission of that name (compared
/// ignoring case, width and white space) passes the bar, once.
#[utoipa::path(post, path = "/admin/organizations/{id}/refile-exceptions", tag = "admin",
    operation_id = "grantRefileException", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The organization's id")), request_body = NewRefileException,
    responses(
    (status = 201, description = "The exception, unused", body = RefileExceptionView),
    Always, JsonBody, AsAdmin, NotFound,
))]
async fn grant_refile_exception(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<Uuid>,
    Json(request): Json<NewRefileException>,
) -> ApiResult<(StatusCode, Json<RefileExceptionView>)> {
    Ok((StatusCode::CREATED, Json(refiling::grant_exception(&state, admin, id, request).await?)))
}
