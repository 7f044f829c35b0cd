//! Relying parties: an organization asks (/organization/relying-party) and
//! staff verify or refuse it (/admin/relying-parties), as they verify
//! organizations.

use axum::extract::State;
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsOwner, AsStaff, AsTenant, BadRequest, JsonBody, NotFound, Paged};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    auth::{Owner, Staff, Tenant},
    pagination::{Page, PageQuery},
    services::accounts::relying_parties::{
        self, RelyingPartyFilter, RelyingPartyRefusal, RelyingPartyRequest, RelyingPartyView,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask, standing))
        .routes(routes!(queue))
        .routes(routes!(get))
        .routes(routes!(verify))
        .routes(routes!(refuse))
}

/// Asks for the organization to be a relying party (a bank, an exchange, a
/// court), or asks again after a refusal: staff verify it. A verified
/// relying party's API keys raise its allowance of status queries
/// (`throttle.status_queries_per_relying_party`).
#[utoipa::path(put, path = "/organization/relying-party", tag = "organization", operation_id = "askToBeRelyingParty",
    security(("bearer" = [])), request_body = RelyingPartyRequest, responses(
    (status = 200, description = "The request, pending", body = RelyingPartyView),
    Always, JsonBody, AsOwner,
    (status = 409, description = "Already a verified relying party (`code`: `conflict`), or the organization is not verified (`code`: `organization_unverified`)", body = Problem, content_type = "application/problem+json"),
))]
async fn ask(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<RelyingPartyRequest>,
) -> ApiResult<Json<RelyingPartyView>> {
    Ok(Json(relying_parties::request(&state, owner, request).await?))
}

/// The organization's standing as a relying party, its allowance and its
/// status queries of the last 31 days.
#[utoipa::path(get, path = "/organization/relying-party", tag = "organization", operation_id = "getRelyingParty",
    security(("bearer" = [])), responses(
    (status = 200, description = "The standing", body = RelyingPartyView),
    Always, AsTenant,
    (status = 404, description = "The organization never asked (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn standing(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Json<RelyingPartyView>> {
    Ok(Json(relying_parties::get(&state, tenant).await?))
}

/// Relying-party requests in a state (default `pending`), oldest first.
#[utoipa::path(get, path = "/admin/relying-parties", tag = "admin", operation_id = "listRelyingParties",
    security(("bearer" = [])), params(RelyingPartyFilter, PageQuery), responses(
    (status = 200, description = "A page of requests", body = Page<RelyingPartyView>),
    Always, Paged, AsStaff,
))]
async fn queue(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<RelyingPartyFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<RelyingPartyView>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(relying_parties::queue(&state, filter, page).await?))
}

/// One organization's relying-party request.
#[utoipa::path(get, path = "/admin/relying-parties/{id}", tag = "admin", operation_id = "getRelyingPartyRequest",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The organization's id")), responses(
    (status = 200, description = "The request", body = RelyingPartyView),
    Always, BadRequest, AsStaff, NotFound,
))]
async fn get(State(state): State<AppState>, _staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<RelyingPartyView>> {
    Ok(Json(relying_parties::get_as_staff(&state, id).await?))
}

/// Verifies a pending request: the organization's API keys raise its
/// status allowance from now on. Audited (`relying_party.verify`).
#[utoipa::path(post, path = "/admin/relying-parties/{id}/verify", tag = "admin", operation_id = "verifyRelyingParty",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The organization's id")), responses(
    (status = 200, description = "Verified", body = RelyingPartyView),
    Always, BadRequest, AsStaff, NotFound,
    (status = 409, description = "The request is not pending (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn verify(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<RelyingPartyView>> {
    Ok(Json(relying_parties::decide(&state, staff, id, None).await?))
}

/// Refuses a pending request, with the reason the organization reads; it
/// may ask again. Audited (`relying_party.refuse`).
#[utoipa::path(post, path = "/admin/relying-parties/{id}/refuse", tag = "admin", operation_id = "refuseRelyingParty",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The organization's id")),
    request_body = RelyingPartyRefusal, responses(
    (status = 200, description = "Refused", body = RelyingPartyView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The request is not pending (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn refuse(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(refusal): Json<RelyingPartyRefusal>,
) -> ApiResult<Json<RelyingPartyView>> {
    Ok(Json(relying_parties::decide(&state, staff, id, Some(refusal.reason)).await?))
}
