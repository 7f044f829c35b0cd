//! /review/*: the registry's reviewers examine applications.

use axum::extract::State;
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{Json, OptionalJson, Path, Query},
};
use crate::{
    auth::Staff,
    pagination::{Page, PageQuery},
    services::{
        acts::{self, ActFilter, ActView, RejectAct, Revocation},
        application_views::ApplicationView,
        objections::{self as objection_service, DecisionRequest, ObjectionFilter, ReviewObjectionView},
        review::{self, ApproveRequest, QueueFilter, RejectRequest, ReviewView, SupplementRequest},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(get))
        .routes(routes!(claim))
        .routes(routes!(request_supplement))
        .routes(routes!(reject))
        .routes(routes!(approve))
        .routes(routes!(objections))
        .routes(routes!(decide_objection))
        .routes(routes!(acts_queue))
        .routes(routes!(approve_act))
        .routes(routes!(reject_act))
        .routes(routes!(revoke))
}

/// Applications of every organization in a state (default `submitted`),
/// oldest submission first.
#[utoipa::path(get, path = "/review/applications", tag = "review", security(("bearer" = [])),
    params(QueueFilter, PageQuery), responses(
    (status = 200, body = Page<ApplicationView>),
    (status = 403, description = "not staff", body = Problem, content_type = "application/problem+json"),
))]
async fn queue(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<QueueFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ApplicationView>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(review::queue(&state, filter, page).await?))
}

/// The application with its materials, organization and history.
#[utoipa::path(get, path = "/review/applications/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = ReviewView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get(State(state): State<AppState>, _staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ReviewView>> {
    Ok(Json(review::get(&state, id).await?))
}

/// Takes a submitted application for examination.
#[utoipa::path(post, path = "/review/applications/{id}/claim", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = ApplicationView),
    (status = 409, description = "already claimed, or not submitted", body = Problem, content_type = "application/problem+json"),
))]
async fn claim(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::claim(&state, staff, id).await?))
}

/// Asks for supplementary materials, by a deadline.
#[utoipa::path(post, path = "/review/applications/{id}/request-supplement", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SupplementRequest, responses(
    (status = 200, body = ApplicationView),
    (status = 403, description = "claimed by another reviewer", body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn request_supplement(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<SupplementRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::request_supplement(&state, staff, id, request).await?))
}

#[utoipa::path(post, path = "/review/applications/{id}/reject", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RejectRequest, responses(
    (status = 200, body = ApplicationView),
    (status = 403, description = "claimed by another reviewer", body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn reject(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<RejectRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::reject(&state, staff, id, request).await?))
}

/// Approves the application: registration number assigned, public
/// announcement open for the configured period.
#[utoipa::path(post, path = "/review/applications/{id}/approve", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = Option<ApproveRequest>), responses(
    (status = 200, body = ApplicationView),
    (status = 403, description = "claimed by another reviewer", body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    OptionalJson(request): OptionalJson<ApproveRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::approve(&state, staff, id, request).await?))
}

/// Objections in a state (default `open`), oldest first, with the objectors'
/// contact details and the holders' responses.
#[utoipa::path(get, path = "/review/objections", tag = "review", security(("bearer" = [])),
    params(ObjectionFilter, PageQuery), responses((status = 200, body = Page<ReviewObjectionView>)))]
async fn objections(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<ObjectionFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ReviewObjectionView>>> {
    Ok(Json(objection_service::for_review(&state, filter, page.parse()?).await?))
}

/// Upholds (rejecting the application) or dismisses an objection.
#[utoipa::path(post, path = "/review/objections/{id}/decide", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DecisionRequest, responses(
    (status = 200, body = ReviewObjectionView),
    (status = 409, description = "already decided", body = Problem, content_type = "application/problem+json"),
))]
async fn decide_objection(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<DecisionRequest>,
) -> ApiResult<Json<ReviewObjectionView>> {
    Ok(Json(objection_service::decide(&state, staff, id, request).await?))
}

/// Acts in a state (default `pending`), oldest first.
#[utoipa::path(get, path = "/review/acts", tag = "review", security(("bearer" = [])), params(ActFilter, PageQuery),
    responses((status = 200, body = Page<ActView>)))]
async fn acts_queue(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<ActFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ActView>>> {
    Ok(Json(acts::for_review(&state, filter, page.parse()?).await?))
}

/// Approves an act: it changes the register and is written to the ledger.
#[utoipa::path(post, path = "/review/acts/{id}/approve", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = ActView),
    (status = 409, description = "already decided, certificate not active, pledged, or overlapping", body = Problem, content_type = "application/problem+json"),
))]
async fn approve_act(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ActView>> {
    Ok(Json(acts::approve(&state, staff, id).await?))
}

#[utoipa::path(post, path = "/review/acts/{id}/reject", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RejectAct, responses(
    (status = 200, body = ActView),
    (status = 409, description = "already decided", body = Problem, content_type = "application/problem+json"),
))]
async fn reject_act(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<RejectAct>,
) -> ApiResult<Json<ActView>> {
    Ok(Json(acts::reject(&state, staff, id, request).await?))
}

/// Revokes a certificate on the registry's authority.
#[utoipa::path(post, path = "/review/certificates/{id}/revoke", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Revocation, responses(
    (status = 200, description = "the revocation act, approved", body = ActView),
    (status = 409, description = "the certificate is not active", body = Problem, content_type = "application/problem+json"),
))]
async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<Revocation>,
) -> ApiResult<Json<ActView>> {
    Ok(Json(acts::revoke(&state, staff, id, request).await?))
}
