//! /review/*: the registry's reviewers examine applications.

use axum::{extract::State, response::Response};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    openapi::Binary,
    responses::{Always, AsStaff, BadRequest, JsonBody, NotFound, Paged},
};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, OptionalJson, Path, Query},
};
use crate::{
    auth::Staff,
    pagination::{Page, PageQuery},
    services::{
        certificates::acts::{self, ActFilter, ActView, RejectAct, Revocation, written_consent},
        objections::{self as objection_service, DecisionRequest, ObjectionFilter, ReviewObjectionView},
        registration::application_views::ApplicationView,
        registration::review::{self, ApproveRequest, QueueFilter, RejectRequest, ReviewView, SupplementRequest},
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
        .routes(routes!(act_document))
        .routes(routes!(reject_act))
        .routes(routes!(revoke))
}

/// Applications of every organization in a state (default `submitted`),
/// oldest submission first.
#[utoipa::path(get, path = "/review/applications", tag = "review", operation_id = "listApplicationsForReview",
    security(("bearer" = [])), params(QueueFilter, PageQuery), responses(
    (status = 200, description = "A page of applications", body = Page<ApplicationView>),
    Always, Paged, AsStaff,
    (status = 422, description = "`state=draft` (drafts are private to their organization), `limit` outside 1 to 100, a `cursor` this list did not give out, or a value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
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
/// One application as a reviewer sees it.
#[utoipa::path(get, path = "/review/applications/{id}", tag = "review", operation_id = "getApplicationForReview",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "The application with its materials, organization and history, and the similar filings of any organization", body = ReviewView),
    Always, BadRequest, AsStaff,
    (status = 404, description = "No such application, or one never submitted (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn get(State(state): State<AppState>, _staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ReviewView>> {
    Ok(Json(review::get(&state, id).await?))
}

/// Takes a submitted application for examination.
#[utoipa::path(post, path = "/review/applications/{id}/claim", tag = "review", operation_id = "claimApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "The application, now `under_review` and assigned to the caller", body = ApplicationView),
    Always, BadRequest, AsStaff, NotFound,
    (status = 409, description = "Not `submitted` (`code`: `invalid_transition`), or already claimed by another reviewer (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
))]
async fn claim(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::claim(&state, staff, id).await?))
}

/// Asks for supplementary materials, by a deadline.
#[utoipa::path(post, path = "/review/applications/{id}/request-supplement", tag = "review",
    operation_id = "requestSupplement", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id")), request_body = SupplementRequest, responses(
    (status = 200, description = "The application, now `supplement_requested`", body = ApplicationView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 403, description = "Not staff, or not the reviewer who claimed the application (only they, or an admin, decide on it) (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The application's state does not allow it: it must be `under_review` (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn request_supplement(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<SupplementRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::request_supplement(&state, staff, id, request).await?))
}

/// Rejects the application, with a reason and the grounds of refusal.
#[utoipa::path(post, path = "/review/applications/{id}/reject", tag = "review", operation_id = "rejectApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")),
    request_body = RejectRequest, responses(
    (status = 200, description = "The application, now `rejected`, with its `decision_reason` and `refusal_grounds`", body = ApplicationView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, `refusal_grounds` naming a ground twice", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not staff, or not the reviewer who claimed the application (only they, or an admin, decide on it) (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The application's state does not allow it: it must be `under_review` (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(post, path = "/review/applications/{id}/approve", tag = "review", operation_id = "approveApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")),
    request_body(content = Option<ApproveRequest>, description = "Optional: no body at all approves without a comment"),
    responses(
    (status = 200, description = "The application, now `in_announcement`", body = ApplicationView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, the agreement of one of the application's data sources has already ended (`data_sources[i].agreement_ends_on`, naming the source): the application cannot be approved", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not staff, or not the reviewer who claimed the application (only they, or an admin, decide on it) (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The application's state does not allow it: it must be `under_review` (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    OptionalJson(request): OptionalJson<ApproveRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(review::approve(&state, staff, id, request).await?))
}

/// Objections in a state (default `open`), the earliest decision deadline
/// first (so the overdue lead), with the objectors' contact details, the
/// holders' responses and the evidence attached.
#[utoipa::path(get, path = "/review/objections", tag = "review", operation_id = "listObjectionsForReview",
    security(("bearer" = [])), params(ObjectionFilter, PageQuery), responses(
    (status = 200, description = "A page of objections", body = Page<ReviewObjectionView>),
    Always, Paged, AsStaff,
))]
async fn objections(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<ObjectionFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ReviewObjectionView>>> {
    Ok(Json(objection_service::for_review(&state, filter, page.parse()?).await?))
}

/// Upholds (rejecting the application on the grounds named) or dismisses
/// an objection.
#[utoipa::path(post, path = "/review/objections/{id}/decide", tag = "review", operation_id = "decideObjection",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The objection's id")),
    request_body = DecisionRequest, responses(
    (status = 200, description = "The objection as decided, with the application's state after it", body = ReviewObjectionView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 403, description = "Not staff, or not the reviewer who claimed the application (only they, or an admin, decide on it) (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The objection is already decided or withdrawn, or the application's state no longer allows the decision (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, `upheld` without `refusal_grounds`, a ground named twice, or `refusal_grounds` given with `dismissed`", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/review/acts", tag = "review", operation_id = "listActsForReview",
    security(("bearer" = [])), params(ActFilter, PageQuery), responses(
    (status = 200, description = "A page of acts", body = Page<ActView>),
    Always, Paged, AsStaff,
))]
async fn acts_queue(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<ActFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ActView>>> {
    Ok(Json(acts::for_review(&state, filter, page.parse()?).await?))
}

/// Approves an act: it changes the register and is written to the ledger.
#[utoipa::path(post, path = "/review/acts/{id}/approve", tag = "review", operation_id = "approveAct",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The act's id")), responses(
    (status = 200, description = "The act, approved", body = ActView),
    Always, BadRequest, AsStaff, NotFound,
    (status = 409, description = "The act is already decided or still awaits its counterparties' words, or the certificate is no longer active (`code`: `invalid_transition`); or a preservation measure now holds the certificate (`code`: `under_preservation`); or the register moved on since it was filed (`code`: `conflict`): a pledge recorded since lacks its pledgee's consent (with `conflicting_act_id`), an exclusive license now overlaps, the renewal window is not open, a renewal could not move `valid_until` past a data-source agreement's end, or another change has extended the same agreement further", body = Problem, content_type = "application/problem+json"),
))]
async fn approve_act(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<ActView>> {
    Ok(Json(acts::approve(&state, staff, id).await?))
}

/// The written consent the holder uploaded for an act (a pledgee's,
/// where the pledgee had no other way to give its word): to read before
/// approving the act.
#[utoipa::path(get, path = "/review/acts/{id}/document", tag = "review", operation_id = "reviewActDocument",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The act's id")), responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, AsStaff,
    (status = 404, description = "No such act, or no consent uploaded for it (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn act_document(State(state): State<AppState>, _staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Response> {
    Ok(super::files::download(written_consent::download(&state, written_consent::Reader::Staff, id).await?))
}

/// Rejects a pending act, with a reason.
#[utoipa::path(post, path = "/review/acts/{id}/reject", tag = "review", operation_id = "rejectAct",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The act's id")), request_body = RejectAct,
    responses(
    (status = 200, description = "The act, rejected", body = ActView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The act is already decided (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(post, path = "/review/certificates/{id}/revoke", tag = "review", operation_id = "revokeCertificate",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")),
    request_body = Revocation, responses(
    (status = 200, description = "The revocation act, approved", body = ActView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The certificate is not active (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<Revocation>,
) -> ApiResult<Json<ActView>> {
    Ok(Json(acts::revoke(&state, staff, id, request).await?))
}
