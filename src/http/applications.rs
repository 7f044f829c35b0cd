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
    disposition,
    error::{ApiResult, Problem},
    extract::{IdempotencyKey, IfMatch, Json, OptionalJson, Path, Query},
};
use crate::{
    auth::{Principal, Tenant},
    domain::MaterialKind,
    pagination::{Page, PageQuery},
    services::{
        application_views::{ApplicationView, EventView, MaterialView},
        applications::{self, ApplicationPatch, NewApplication, StateFilter, SubmitRequest, WithdrawRequest},
        materials::{self, Upload},
        objections::{self as objection_service, HolderObjectionView, ResponseRequest, ResponseView},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    let materials = OpenApiRouter::new()
        .routes(routes!(upload_material, download_material, delete_material))
        // Uploads are streamed and limited by materials.max_size instead.
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update))
        .routes(routes!(submit))
        .routes(routes!(withdraw))
        .routes(routes!(events))
        .routes(routes!(objections))
        .routes(routes!(respond_to_objection))
        .merge(materials)
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
#[utoipa::path(post, path = "/applications", tag = "applications", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = NewApplication, responses(
    (status = 201, body = ApplicationView),
    (status = 422, description = "invalid fields, or an Idempotency-Key reused for another request", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/applications", tag = "applications", security(("bearer" = [])),
    params(StateFilter, PageQuery), responses((status = 200, body = Page<ApplicationView>)))]
async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(filter): Query<StateFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ApplicationView>>> {
    Ok(Json(applications::list(&state, tenant, filter, page.parse()?).await?))
}

#[utoipa::path(get, path = "/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = ApplicationView, headers(("ETag" = String, description = "the version, for If-Match"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, applications::get(&state, tenant, id).await?))
}

/// Changes fields of a draft, or of an application answering a supplement
/// request.
#[utoipa::path(patch, path = "/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "the ETag read, e.g. \"3\"")),
    request_body = ApplicationPatch, responses(
    (status = 200, body = ApplicationView),
    (status = 409, description = "no longer editable", body = Problem, content_type = "application/problem+json"),
    (status = 412, description = "changed since read", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(post, path = "/applications/{id}/submit", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SubmitRequest, responses(
    (status = 200, body = ApplicationView),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "missing materials, data sources or commitment", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(post, path = "/applications/{id}/withdraw", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = Option<WithdrawRequest>), responses(
    (status = 200, body = ApplicationView),
    (status = 409, body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/applications/{id}/events", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<EventView>)))]
async fn events(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<EventView>>> {
    Ok(Json(applications::events(&state, tenant, id).await?))
}

/// Uploads a material (the raw bytes as the body), replacing any of its kind.
#[utoipa::path(put, path = "/applications/{id}/materials/{kind}", tag = "applications", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path), ("kind" = MaterialKind, Path),
        ("Content-Disposition" = Option<String>, Header, description = "attachment; filename=\"…\""),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file; Content-Type is its media type"),
    responses(
    (status = 200, body = MaterialView),
    (status = 409, description = "the application can no longer change", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "over materials.max_size", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "media type not accepted", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_material(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, kind)): Path<(Uuid, MaterialKind)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<MaterialView>> {
    let text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    let upload = Upload {
        media_type: text(header::CONTENT_TYPE).map(str::to_owned),
        filename: text(header::CONTENT_DISPOSITION).and_then(disposition::filename),
        length: text(header::CONTENT_LENGTH).and_then(|length| length.parse().ok()),
    };
    Ok(Json(materials::upload(&state, tenant, id, kind, upload, body.into_data_stream()).await?))
}

/// The material's bytes, with its media type; for the organization, and for
/// staff once the application is submitted.
#[utoipa::path(get, path = "/applications/{id}/materials/{kind}", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kind" = MaterialKind, Path)), responses(
    (status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn download_material(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, kind)): Path<(Uuid, MaterialKind)>,
) -> ApiResult<Response> {
    let download = materials::download(&state, principal, id, kind).await?;
    let material = &download.material;
    let headers = [
        (header::CONTENT_TYPE, material.media_type.clone()),
        (header::CONTENT_LENGTH, material.size.to_string()),
        (header::CONTENT_DISPOSITION, disposition::attachment(&material.filename)),
        (header::ETAG, format!("\"{}\"", hex::encode(&material.sha256))),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    let mut response = Body::from_stream(download.chunks).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

#[utoipa::path(delete, path = "/applications/{id}/materials/{kind}", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kind" = MaterialKind, Path)), responses(
    (status = 204, description = "deleted"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the application can no longer change", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/applications/{id}/objections", tag = "applications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<HolderObjectionView>)))]
async fn objections(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<HolderObjectionView>>> {
    Ok(Json(objection_service::for_holder(&state, tenant, id).await?))
}

/// The holder answers an objection.
#[utoipa::path(post, path = "/applications/{id}/objections/{objection_id}/response", tag = "applications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("objection_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ResponseRequest, responses(
    (status = 201, body = ResponseView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the objection has been decided", body = Problem, content_type = "application/problem+json"),
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
