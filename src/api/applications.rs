//! /applications/*: the applicant organization's applications, their
//! materials and their history.

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    files,
    openapi::Binary,
    responses::{Always, AsTenant, Authenticated, BadRequest, JsonBody, NotFound, Paged, PreconditionFailed},
};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{IdempotencyKey, IfMatch, Json, OptionalJson, Path, Query},
};
use crate::{
    auth::{Principal, Tenant},
    domain::MaterialKind,
    pagination::{Page, PageQuery},
    services::{
        objections::evidence::{self, EvidenceView},
        objections::{self as objection_service, HolderObjectionView, ResponseRequest, ResponseView},
        registration::application_views::{ApplicationView, EventView, MaterialView},
        registration::applications::{
            self, ApplicationPatch, NewApplication, StateFilter, SubmitRequest, WithdrawRequest,
        },
        registration::materials,
    },
    state::AppState,
};

/// The material uploads: streamed, and limited by `materials.max_size`.
pub fn uploads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_material)).layer(DefaultBodyLimit::disable())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update))
        .routes(routes!(submit))
        .routes(routes!(withdraw))
        .routes(routes!(events))
        .routes(routes!(objections))
        .routes(routes!(respond_to_objection))
        .routes(routes!(list_objection_evidence))
        .routes(routes!(download_objection_evidence))
        .routes(routes!(download_material, delete_material))
}

/// The application with its version as the ETag, for If-Match.
fn with_etag(status: StatusCode, view: ApplicationView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.version)).ok();
    let mut response = (status, Json(view)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// Creates a draft application. With `Idempotency-Key`, repeating the same
/// request answers the first response and creates nothing.
#[utoipa::path(post, path = "/applications", tag = "applications", operation_id = "createApplication",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "Makes retries safe: a repeat with the same key and body answers the first response and creates nothing. 1 to 255 visible ASCII characters; kept for a day.")),
    request_body = NewApplication, responses(
    (status = 201, description = "The new draft", body = ApplicationView,
        headers(("ETag" = String, description = "The version, for If-Match"))),
    Always, JsonBody, AsTenant,
    (status = 409, description = "The organization already has as many applications in draft as it may (`quota.open_drafts_per_organization`; `code`: `quota_exceeded`): submit or withdraw some first", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, a data source agreement that has already ended; or an `Idempotency-Key` that is too long or was used for a different request", body = Problem, content_type = "application/problem+json"),
))]
async fn create(
    State(state): State<AppState>,
    tenant: Tenant,
    IdempotencyKey(key): IdempotencyKey,
    Json(request): Json<NewApplication>,
) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::CREATED, applications::create(&state, tenant, request, key).await?))
}

/// The organization's applications, newest first.
#[utoipa::path(get, path = "/applications", tag = "applications", operation_id = "listApplications",
    security(("bearer" = [])), params(StateFilter, PageQuery), responses(
    (status = 200, description = "A page of the organization's applications", body = Page<ApplicationView>),
    Always, Paged, AsTenant,
))]
async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(filter): Query<StateFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ApplicationView>>> {
    Ok(Json(applications::list(&state, tenant, filter, page.parse()?).await?))
}

/// One of the organization's applications.
#[utoipa::path(get, path = "/applications/{id}", tag = "applications", operation_id = "getApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "The application", body = ApplicationView,
        headers(("ETag" = String, description = "The version, for If-Match"))),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn get(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, applications::get(&state, tenant, id).await?))
}

/// Changes fields of a draft, or of an application answering a supplement
/// request.
#[utoipa::path(patch, path = "/applications/{id}", tag = "applications", operation_id = "updateApplication",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = r#"^(\*|(W/)?"?[0-9]{1,9}"?)$"#,
            description = "The ETag read, e.g. \"3\"; `*` or none: no condition")),
    request_body = ApplicationPatch, responses(
    (status = 200, description = "The application as changed", body = ApplicationView,
        headers(("ETag" = String, description = "The new version, for If-Match"))),
    Always, JsonBody, AsTenant, NotFound, PreconditionFailed,
    (status = 409, description = "The application is no longer editable: only a draft or an application answering a supplement request is (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, a data source agreement that has already ended", body = Problem, content_type = "application/problem+json"),
))]
async fn update(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(patch): Json<ApplicationPatch>,
) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, applications::update(&state, tenant, id, patch, version).await?))
}

/// Submits the application; every missing piece is listed in `errors`.
///
/// Only a verified party submits: until registry staff have checked its
/// business licence (a person's identity document), the answer is 409
/// `organization_unverified` (`party_unverified` for a person), whose
/// `detail` says where the verification stands, and the application stays
/// as it was.
#[utoipa::path(post, path = "/applications/{id}/submit", tag = "applications", operation_id = "submitApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")),
    request_body = SubmitRequest, responses(
    (status = 200, description = "The application, now `submitted`", body = ApplicationView),
    Always, JsonBody, AsTenant, NotFound,
    (status = 409, description = "The application's state does not allow submitting: only a draft or an application answering a supplement request can be (`code`: `invalid_transition`); or the party is not verified (`unverified`, `pending` or `refused`; `code`: `organization_unverified` for an organization, `party_unverified` for a natural person). Or the same product is filed already (`code`: `conflict`, with `conflicting_application_id`): the organization has a live application of the same product name (compared after NFKC, ignoring case and white space) in the same category (from `submitted` to `objection_review`, or `registered` with an active certificate), or it withdrew one of that name itself less than `workflow.refile_bar` ago (default six months; a deemed withdrawal does not count) and holds no exception from the registry", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Something required is missing, every gap listed in `errors` (`code`: `validation_failed`): the materials `application_form`, `summary`, `processing_innovation` and `application_scenarios`, at least one data source, no data source agreement already ended, and `commitment: true`", body = Problem, content_type = "application/problem+json"),
))]
async fn submit(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
    Json(request): Json<SubmitRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::submit(&state, tenant, id, request).await?))
}

/// Withdraws the application (from any state before a final outcome).
#[utoipa::path(post, path = "/applications/{id}/withdraw", tag = "applications", operation_id = "withdrawApplication",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")),
    request_body(content = Option<WithdrawRequest>, description = "Optional: no body at all withdraws without a reason"),
    responses(
    (status = 200, description = "The application, now `withdrawn`", body = ApplicationView),
    Always, JsonBody, AsTenant, NotFound,
    (status = 409, description = "The application already has a final outcome (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn withdraw(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
    OptionalJson(request): OptionalJson<WithdrawRequest>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::withdraw(&state, tenant, id, request).await?))
}

/// The application's history, oldest first.
#[utoipa::path(get, path = "/applications/{id}/events", tag = "applications", operation_id = "listApplicationEvents",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "Every event, oldest first", body = Vec<EventView>),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn events(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<EventView>>> {
    Ok(Json(applications::events(&state, tenant, id).await?))
}

/// Uploads a material (the raw bytes as the body), replacing any of its kind.
#[utoipa::path(put, path = "/applications/{id}/materials/{kind}", tag = "applications", operation_id = "uploadMaterial",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The application's id"), ("kind" = MaterialKind, Path),
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"form.pdf\"`, or `filename*=UTF-8''…` for other characters"),
    ),
    // The accepted media types are the configured ones: see `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The file's bytes; `Content-Type` is its media type, one of `materials.media_types`"),
    responses(
    (status = 200, description = "The material as stored", body = MaterialView),
    Always, BadRequest, AsTenant, NotFound,
    (status = 409, description = "The application can no longer change: only a draft or an application answering a supplement request takes materials (`code`: `invalid_transition`); or the organization's materials would exceed its storage quota (`quota.storage_per_organization`; `code`: `quota_exceeded`)", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "The file is larger than `materials.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one that is not among `materials.media_types` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type (a PDF must start `%PDF-`, a PNG, JPEG, ZIP, Office file with its signature), or the upload broke off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_material(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, kind)): Path<(Uuid, MaterialKind)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<MaterialView>> {
    let upload = files::upload(&headers);
    Ok(Json(materials::upload(&state, tenant, id, kind, upload, body.into_data_stream()).await?))
}

/// The material's bytes, with its media type; for the organization, and for
/// staff once the application is submitted.
#[utoipa::path(get, path = "/applications/{id}/materials/{kind}", tag = "applications", operation_id = "downloadMaterial",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"), ("kind" = MaterialKind, Path)), responses(
    // The media types are the configured ones: see `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, Authenticated,
    (status = 404, description = "No such application or material, one of another organization, or (for staff) an application never submitted (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_material(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, kind)): Path<(Uuid, MaterialKind)>,
) -> ApiResult<Response> {
    Ok(files::download(materials::download(&state, principal, id, kind).await?))
}

/// Deletes a material.
#[utoipa::path(delete, path = "/applications/{id}/materials/{kind}", tag = "applications", operation_id = "deleteMaterial",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"), ("kind" = MaterialKind, Path)), responses(
    (status = 204, description = "Deleted"),
    Always, BadRequest, AsTenant,
    (status = 404, description = "No such application, or no material of this kind (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The application can no longer change (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn delete_material(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, kind)): Path<(Uuid, MaterialKind)>,
) -> ApiResult<StatusCode> {
    materials::delete(&state, tenant, id, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The objections to the application, without the objectors' contact details.
#[utoipa::path(get, path = "/applications/{id}/objections", tag = "applications",
    operation_id = "listApplicationObjections", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "Every objection, oldest first", body = Vec<HolderObjectionView>),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn objections(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<HolderObjectionView>>> {
    Ok(Json(objection_service::for_holder(&state, tenant, id).await?))
}

/// The holder answers an objection.
#[utoipa::path(post, path = "/applications/{id}/objections/{objection_id}/response", tag = "applications",
    operation_id = "respondToObjection", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"), ("objection_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "Makes retries safe: a repeat with the same key and body answers the first response and creates nothing. 1 to 255 visible ASCII characters; kept for a day.")),
    request_body = ResponseRequest, responses(
    (status = 201, description = "The response", body = ResponseView),
    Always, JsonBody, AsTenant,
    (status = 404, description = "No such application, or no such objection to it (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The objection has been decided and takes no more responses (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields (`code`: `validation_failed`): an empty `text`, or an `Idempotency-Key` that is too long or was used for a different request", body = Problem, content_type = "application/problem+json"),
))]
async fn respond_to_objection(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, objection_id)): Path<(Uuid, Uuid)>,
    IdempotencyKey(key): IdempotencyKey,
    Json(request): Json<ResponseRequest>,
) -> ApiResult<(StatusCode, Json<ResponseView>)> {
    Ok((StatusCode::CREATED, Json(objection_service::respond(&state, tenant, id, objection_id, request, key).await?)))
}

/// The files an objector attached to an objection; for the holder
/// organization and for staff. Never public.
#[utoipa::path(get, path = "/applications/{id}/objections/{objection_id}/evidence", tag = "applications",
    operation_id = "listObjectionEvidence", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"),
        ("objection_id" = Uuid, Path, description = "The objection's id")),
    responses(
    (status = 200, description = "Every file, oldest first", body = Vec<EvidenceView>),
    Always, BadRequest, Authenticated,
    (status = 404, description = "No such application or objection to it, or one of another organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn list_objection_evidence(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, objection_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<EvidenceView>>> {
    Ok(Json(evidence::list(&state, principal, id, objection_id).await?))
}

/// One file an objector attached, with its media type; for the holder
/// organization and for staff. Never public.
#[utoipa::path(get, path = "/applications/{id}/objections/{objection_id}/evidence/{evidence_id}",
    tag = "applications", operation_id = "downloadObjectionEvidence", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The application's id"),
        ("objection_id" = Uuid, Path, description = "The objection's id"),
        ("evidence_id" = Uuid, Path, description = "The file's id")),
    responses(
    // The media types are the configured ones: see `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, Authenticated,
    (status = 404, description = "No such application, objection or file, or one of another organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_objection_evidence(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, objection_id, evidence_id)): Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(files::download(evidence::download(&state, principal, id, objection_id, evidence_id).await?))
}
