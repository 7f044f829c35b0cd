//! /admin/organizations/*: registry staff check organizations' business
//! licences and verify or refuse them.

use axum::{extract::State, response::Response};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    files,
    openapi::Binary,
    responses::{Always, AsStaff, BadRequest, JsonBody, NotFound, Paged},
};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{IfMatchDigest, Json, OptionalJson, Path, Query},
};
use crate::{
    auth::Staff,
    domain::PartyKind,
    pagination::{Page, PageQuery},
    services::accounts::verification::{self, OrganizationDetails, RefuseRequest, VerificationFilter, VerifyRequest},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(parties))
        .routes(routes!(get))
        .routes(routes!(download_licence))
        .routes(routes!(verify))
        .routes(routes!(refuse))
}

/// Organizations in a verification state (default `pending`: the queue of
/// licences to check), the longest in it first.
#[utoipa::path(get, path = "/admin/organizations", tag = "admin", operation_id = "listOrganizationsForVerification",
    security(("bearer" = [])), params(VerificationFilter, PageQuery), responses(
    (status = 200, description = "A page of organizations, each with its licence", body = Page<OrganizationDetails>),
    Always, Paged, AsStaff,
))]
async fn queue(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<VerificationFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<OrganizationDetails>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    let filter = VerificationFilter { kind: Some(PartyKind::Organization), ..filter };
    Ok(Json(verification::queue(&state, filter, page).await?))
}

/// Parties, organizations and natural persons alike (or of the `kind`
/// asked for), in a verification state (default `pending`: the queue of
/// documents to check), the longest in it first. A person's entry carries
/// the identity number masked (`id_number_masked`) where an organization's
/// carries its credit code.
#[utoipa::path(get, path = "/admin/parties", tag = "admin", operation_id = "listPartiesForVerification",
    security(("bearer" = [])), params(VerificationFilter, PageQuery), responses(
    (status = 200, description = "A page of parties, each with its document", body = Page<OrganizationDetails>),
    Always, Paged, AsStaff,
))]
async fn parties(
    State(state): State<AppState>,
    _staff: Staff,
    Query(filter): Query<VerificationFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<OrganizationDetails>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(verification::queue(&state, filter, page).await?))
}

/// One organization, with its verification and business licence.
#[utoipa::path(get, path = "/admin/organizations/{id}", tag = "admin", operation_id = "getOrganizationForVerification",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The organization's id")), responses(
    (status = 200, description = "The organization", body = OrganizationDetails),
    Always, BadRequest, AsStaff, NotFound,
))]
async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrganizationDetails>> {
    Ok(Json(verification::get(&state, id).await?))
}

/// The organization's business licence, or a person's identity document, as
/// its owner uploaded it. Each download of a person's identity document is
/// recorded in the audit log (`person.download_document`).
#[utoipa::path(get, path = "/admin/organizations/{id}/business-licence", tag = "admin",
    operation_id = "downloadOrganizationBusinessLicence", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The organization's id")), responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, AsStaff,
    (status = 404, description = "No such organization, or it has uploaded no licence (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_licence(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Response> {
    Ok(files::download(verification::download_licence_as_staff(&state, staff, id).await?))
}

/// Verifies a pending organization whose business licence the caller has
/// checked, correcting its name to the licence's if `name` is given.
///
/// `If-Match` names the licence checked: the `ETag` its download gave (its
/// SHA-256, quoted). Should the owner have replaced the licence since, the
/// answer is 412 and nothing changes: download the new one and check it.
/// Without `If-Match` the answer is 428.
///
/// A verified organization may submit applications and receive transferred
/// certificates, and holds its credit code: no other organization with the
/// code can be verified, or sign up, after it. Verification is final.
#[utoipa::path(post, path = "/admin/organizations/{id}/verify", tag = "admin", operation_id = "verifyOrganization",
    security(("bearer" = [])), params(
        ("id" = Uuid, Path, description = "The organization's id"),
        ("If-Match" = String, Header, description = "The `ETag` of the business licence checked: its SHA-256 in hex, quoted",
            pattern = r#"^"[0-9a-fA-F]{64}"$"#, example = "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""),
    ),
    request_body(content = Option<VerifyRequest>, description = "Optional: no body at all verifies under the name it signed up with"),
    responses(
    (status = 200, description = "The organization, now `verified`", body = OrganizationDetails),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The organization is not `pending`: it has no licence to check, or it was decided already (`code`: `invalid_transition`); or another organization with its credit code is verified already (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "The business licence is not the one `If-Match` names: its owner replaced it since (`code`: `precondition_failed`); nothing changed", body = Problem, content_type = "application/problem+json"),
    (status = 428, description = "No `If-Match` naming the licence checked (`code`: `precondition_failed`); nothing changed", body = Problem, content_type = "application/problem+json"),
))]
async fn verify(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    IfMatchDigest(licence_seen): IfMatchDigest,
    OptionalJson(request): OptionalJson<VerifyRequest>,
) -> ApiResult<Json<OrganizationDetails>> {
    Ok(Json(verification::verify(&state, staff, id, request, licence_seen).await?))
}

/// Refuses a pending organization's business licence, saying why; its
/// owner may upload another.
#[utoipa::path(post, path = "/admin/organizations/{id}/refuse", tag = "admin", operation_id = "refuseOrganization",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The organization's id")),
    request_body = RefuseRequest, responses(
    (status = 200, description = "The organization, now `refused`, with the reason", body = OrganizationDetails),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The organization is not `pending` (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn refuse(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<RefuseRequest>,
) -> ApiResult<Json<OrganizationDetails>> {
    Ok(Json(verification::refuse(&state, staff, id, request).await?))
}
