//! /organization/*: an organization, its verification and business
//! licence, its members and API keys.

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    files,
    openapi::Binary,
    responses::{Always, AsOwner, AsTenant, BadRequest, JsonBody, Paged},
};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    auth::{Owner, Tenant},
    pagination::{Page, PageQuery},
    services::{
        accounts::UserView,
        accounts::organization::{self, ApiKeyView, CreatedApiKey, NewApiKey, NewMember},
        accounts::verification::{self, OrganizationDetails},
    },
    state::AppState,
};

/// The business licence's upload: streamed, and limited by
/// `materials.max_size`.
pub fn uploads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_business_licence))
        .routes(routes!(upload_verification_document))
        .layer(DefaultBodyLimit::disable())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_organization))
        .routes(routes!(download_business_licence))
        .routes(routes!(download_verification_document))
        .routes(routes!(add_member, list_members))
        .routes(routes!(remove_member))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

/// The caller's organization: its verification, and its business licence.
#[utoipa::path(get, path = "/organization", tag = "organization", operation_id = "getOrganization",
    security(("bearer" = [])), responses(
    (status = 200, description = "The organization, with where its verification stands", body = OrganizationDetails),
    Always, AsTenant,
))]
async fn get_organization(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Json<OrganizationDetails>> {
    Ok(Json(verification::get(&state, tenant.org_id).await?))
}

/// Uploads the organization's business licence (the raw bytes as the body)
/// for registry staff to check, replacing any earlier one.
///
/// The organization becomes `pending` (from `unverified`, or from `refused`:
/// a new licence is a new request). A pending organization's new upload
/// keeps its place in staff's queue. Once verified, the licence on record
/// stays. The licence is never public: only the organization and registry
/// staff download it.
#[utoipa::path(put, path = "/organization/business-licence", tag = "organization",
    operation_id = "uploadBusinessLicence", security(("bearer" = [])),
    params(
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"licence.pdf\"`, or `filename*=UTF-8''…` for other characters"),
    ),
    // The media types are set in `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The licence's bytes, a scan or photograph; `Content-Type` is its media type: `application/pdf`, `image/png` or `image/jpeg`"),
    responses(
    (status = 200, description = "The organization, now `pending`, with its licence", body = OrganizationDetails),
    Always, AsOwner,
    (status = 409, description = "The organization is verified already: its licence is on record (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "The file is larger than `materials.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one other than `application/pdf`, `image/png` and `image/jpeg` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type (a PDF must start `%PDF-`, a PNG or JPEG with its signature), or the upload broke off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_business_licence(
    State(state): State<AppState>,
    owner: Owner,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<OrganizationDetails>> {
    let upload = files::upload(&headers);
    Ok(Json(verification::upload_licence(&state, owner, upload, body.into_data_stream()).await?))
}

/// The organization's business licence, as uploaded.
#[utoipa::path(get, path = "/organization/business-licence", tag = "organization",
    operation_id = "downloadBusinessLicence", security(("bearer" = [])), responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, AsTenant,
    (status = 404, description = "No business licence has been uploaded (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_business_licence(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Response> {
    Ok(files::download(verification::download_licence(&state, tenant.org_id).await?))
}

/// Uploads the document registry staff check to verify the caller's party
/// (the raw bytes as the body), replacing any earlier one: a person's
/// identity document, an organization's business licence (the same as
/// `PUT /organization/business-licence`). The party becomes `pending`. The
/// document is never public: only the party and registry staff download it.
#[utoipa::path(put, path = "/party/verification-document", tag = "organization",
    operation_id = "uploadVerificationDocument", security(("bearer" = [])),
    params(
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"id.pdf\"`, or `filename*=UTF-8''…` for other characters"),
    ),
    // The media types are set in `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The document's bytes, a scan or photograph; `Content-Type` is its media type: `application/pdf`, `image/png` or `image/jpeg`"),
    responses(
    (status = 200, description = "The party, now `pending`, with its document", body = OrganizationDetails),
    Always, AsOwner,
    (status = 409, description = "The party is verified already: its document is on record (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "The file is larger than `materials.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one other than `application/pdf`, `image/png` and `image/jpeg` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type, or the upload broke off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_verification_document(
    State(state): State<AppState>,
    owner: Owner,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<OrganizationDetails>> {
    let upload = files::upload(&headers);
    Ok(Json(verification::upload_licence(&state, owner, upload, body.into_data_stream()).await?))
}

/// The party's verification document, as uploaded.
#[utoipa::path(get, path = "/party/verification-document", tag = "organization",
    operation_id = "downloadVerificationDocument", security(("bearer" = [])), responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, AsTenant,
    (status = 404, description = "No document has been uploaded (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_verification_document(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Response> {
    Ok(files::download(verification::download_licence(&state, tenant.org_id).await?))
}

/// Adds an owner or member to the caller's organization.
#[utoipa::path(post, path = "/organization/members", tag = "organization", operation_id = "addMember",
    security(("bearer" = [])), request_body = NewMember, responses(
    (status = 201, description = "The new user", body = UserView),
    Always, JsonBody, AsOwner,
    (status = 409, description = "The e-mail address is already registered (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, an e-mail address that is not one, or a password under 10 characters", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "The organization has added as many members as it may this hour (`throttle.members_per_organization`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until the organization may add members again"))),
))]
async fn add_member(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<NewMember>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(organization::add_member(&state, owner, request).await?)))
}

/// The organization's users, oldest first; removed members are not listed.
#[utoipa::path(get, path = "/organization/members", tag = "organization", operation_id = "listMembers",
    security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "A page of the organization's users", body = Page<UserView>),
    Always, Paged, AsTenant,
))]
async fn list_members(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    Ok(Json(organization::list_members(&state, tenant.org_id, page.parse()?).await?))
}

/// Removes a user from the caller's organization.
///
/// The account is disabled, not deleted, because the organization's
/// histories name it: it can no longer log in, its refresh tokens are
/// revoked, access tokens it already holds are refused from its next
/// request, and it no longer appears in GET /organization/members. Its
/// e-mail address stays registered to it and cannot be used for a new
/// account. API keys it created belong to the organization and keep working:
/// revoke them too if the person knew them. Owners may remove themselves
/// while another owner remains; the last owner cannot be removed (409).
#[utoipa::path(delete, path = "/organization/members/{id}", tag = "organization", operation_id = "removeMember",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")), responses(
    (status = 204, description = "Removed"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such active member in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The organization's last owner cannot be removed (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
))]
async fn remove_member(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    organization::remove_member(&state, owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates an API key; its secret is in this answer only.
#[utoipa::path(post, path = "/organization/api-keys", tag = "organization", operation_id = "createApiKey",
    security(("bearer" = [])), request_body = NewApiKey, responses(
    (status = 201, description = "The key, with its secret", body = CreatedApiKey),
    Always, JsonBody, AsOwner,
    (status = 429, description = "The organization has created as many keys as it may in this window (`throttle.api_keys_per_organization`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn create_api_key(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, Json(organization::create_api_key(&state, owner, request).await?)))
}

/// The organization's active API keys, without secrets.
#[utoipa::path(get, path = "/organization/api-keys", tag = "organization", operation_id = "listApiKeys",
    security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "A page of the active keys", body = Page<ApiKeyView>),
    Always, Paged, AsOwner,
))]
async fn list_api_keys(
    State(state): State<AppState>,
    owner: Owner,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ApiKeyView>>> {
    Ok(Json(organization::list_api_keys(&state, owner, page.parse()?).await?))
}

/// Revokes an API key at once.
#[utoipa::path(delete, path = "/organization/api-keys/{id}", tag = "organization", operation_id = "revokeApiKey",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The key's id")), responses(
    (status = 204, description = "Revoked"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such active key in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn revoke_api_key(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    organization::revoke_api_key(&state, owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
