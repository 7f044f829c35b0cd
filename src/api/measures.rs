//! /admin/certificates/{id}/measures/*: registry staff record preservation
//! measures (查封等保全措施) that authorities order, attach the scanned
//! order, and lift them.

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
    responses::{Always, AsStaff, BadRequest, JsonBody, NotFound},
};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    auth::Staff,
    services::certificates::measures::{self, LiftMeasure, MeasureView, NewMeasure},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record, list)).routes(routes!(download_order)).routes(routes!(lift))
}

/// The scanned order's upload: streamed, and limited by `materials.max_size`.
pub fn uploads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_order)).layer(DefaultBodyLimit::disable())
}

/// Records a preservation measure an authority ordered on an active
/// certificate. It is in force at once: until it is lifted, the certificate
/// is not transferred, pledged, licensed or cancelled (filing or approving
/// such an act answers 409 `under_preservation`). The public record, the
/// portal and the PDF show its authority, kind, document number and dates;
/// the ledger records it (`measure.recorded`); the holder is told; the
/// audit log says `measure.record`.
#[utoipa::path(post, path = "/admin/certificates/{id}/measures", tag = "admin", operation_id = "recordMeasure",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")),
    request_body = NewMeasure, responses(
    (status = 201, description = "The measure, in force", body = MeasureView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The certificate is not active (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn record(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Json(request): Json<NewMeasure>,
) -> ApiResult<(StatusCode, Json<MeasureView>)> {
    Ok((StatusCode::CREATED, Json(measures::record(&state, staff, id, request).await?)))
}

/// The certificate's preservation measures, in force and lifted, oldest
/// first.
#[utoipa::path(get, path = "/admin/certificates/{id}/measures", tag = "admin", operation_id = "listMeasures",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")), responses(
    (status = 200, description = "The measures", body = Vec<MeasureView>),
    Always, BadRequest, AsStaff, NotFound,
))]
async fn list(State(state): State<AppState>, _staff: Staff, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<MeasureView>>> {
    Ok(Json(measures::list(&state, id).await?))
}

/// Attaches the authority's scanned order to a measure (the raw bytes as
/// the body), replacing an earlier scan. Staff only: it is never public,
/// nor on the ledger. The audit log says `measure.upload_document`.
#[utoipa::path(put, path = "/admin/certificates/{id}/measures/{measure_id}/document", tag = "admin",
    operation_id = "uploadMeasureOrder", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        ("measure_id" = Uuid, Path, description = "The measure's id"),
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"order.pdf\"`"),
    ),
    // The media types are set in `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The order's bytes, a scan; `Content-Type` is its media type: `application/pdf`, `image/png` or `image/jpeg`"),
    responses(
    (status = 200, description = "The measure, with its order", body = MeasureView),
    Always, BadRequest, AsStaff, NotFound,
    (status = 413, description = "The file is larger than `materials.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one other than `application/pdf`, `image/png` and `image/jpeg` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type, or the upload broke off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_order(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, measure_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<MeasureView>> {
    let upload = files::upload(&headers);
    Ok(Json(measures::upload_order(&state, staff, (id, measure_id), upload, body.into_data_stream()).await?))
}

/// The measure's scanned order, as uploaded.
#[utoipa::path(get, path = "/admin/certificates/{id}/measures/{measure_id}/document", tag = "admin",
    operation_id = "downloadMeasureOrder", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        ("measure_id" = Uuid, Path, description = "The measure's id"),
    ),
    responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, AsStaff,
    (status = 404, description = "No such measure, or no order uploaded for it (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_order(
    State(state): State<AppState>,
    _staff: Staff,
    Path((id, measure_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(files::download(measures::download_order(&state, id, measure_id).await?))
}

/// Lifts a measure in force, saying why (the authority's order lifting it).
/// The ledger records it (`measure.lifted`), the holder is told, and the
/// audit log says `measure.lift`. A measure whose `ends_on` has passed is
/// lifted by the worker.
#[utoipa::path(post, path = "/admin/certificates/{id}/measures/{measure_id}/lift", tag = "admin",
    operation_id = "liftMeasure", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        ("measure_id" = Uuid, Path, description = "The measure's id"),
    ),
    request_body = LiftMeasure, responses(
    (status = 200, description = "The measure, lifted", body = MeasureView),
    Always, JsonBody, AsStaff, NotFound,
    (status = 409, description = "The measure was lifted already (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn lift(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, measure_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<LiftMeasure>,
) -> ApiResult<Json<MeasureView>> {
    Ok(Json(measures::lift(&state, staff, (id, measure_id), request).await?))
}
