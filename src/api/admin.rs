//! /admin/*: registry staff management, and exceptions the registry grants
//! organizations.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsAdmin, JsonBody, NotFound, Paged};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    auth::Admin,
    pagination::{Page, PageQuery},
    services::{
        accounts::UserView,
        accounts::staff::{self, NewStaff},
        audit::{self, AuditActor, AuditEntryView, AuditQuery},
        registration::refiling::{self, NewRefileException, RefileExceptionView},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_staff, list_staff))
        .routes(routes!(audit_log))
        .routes(routes!(grant_refile_exception))
}

/// The audit log: every action of staff and operators, newest first.
/// With `Accept: text/csv`, the whole filtered log (at most 100,000 rows) as
/// CSV, cells that a spreadsheet would read as formulas prefixed with `'`.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", operation_id = "listAuditLog", security(("bearer" = [])),
    params(AuditQuery, PageQuery), responses(
    (status = 200, description = "A page of the audit log (JSON), or the filtered log as CSV (`Accept: text/csv`)",
        content((Page<AuditEntryView> = "application/json"), (String = "text/csv"))),
    Always, Paged, AsAdmin,
))]
async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Response> {
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|kind| kind.trim().starts_with("text/csv")));
    if wants_csv {
        let csv = audit::export_csv(&state, query).await?;
        let disposition = "attachment; filename=\"dataip-audit.csv\"";
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, disposition)],
            csv,
        )
            .into_response());
    }
    Ok(Json(audit::list(&state, query, page.parse()?).await?).into_response())
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
    admin: Admin,
    Json(request): Json<NewStaff>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(staff::add(&state, AuditActor::Staff(admin.user_id), request).await?)))
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
