//! /public/*: what anyone may read and do without credentials.

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    files,
    openapi::Binary,
    responses::{Always, BadRequest, JsonBody, Paged},
};
use crate::http::{
    client_addr::ClientAddr,
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    pagination::{Page, PageQuery},
    services::{
        certificates::{self, PublicCertificateView, RegistryFilter},
        objections::evidence::{self, EvidenceView},
        objections::{self, FiledObjection, NewObjection, ObjectionStatus, TrackingQuery},
        registration::announcements::{self, AnnouncementFilter, AnnouncementView},
    },
    state::AppState,
};

/// The public reads: the same for everyone.
pub fn reads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_announcements))
        .routes(routes!(get_announcement))
        .routes(routes!(registry))
        .routes(routes!(certificate))
        .routes(routes!(certificate_proof))
}

/// Objections: filed by anyone, then followed with the objector's token.
pub fn objections() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_objection))
        .routes(routes!(track_objection))
        .routes(routes!(withdraw_objection))
}

/// Objection evidence: streamed, and limited by `evidence.max_size`.
pub fn evidence() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(attach_evidence)).layer(DefaultBodyLimit::disable())
}

/// Applications now in their public announcement, newest first.
#[utoipa::path(get, path = "/public/announcements", tag = "public", operation_id = "listPublicAnnouncements",
    security(), params(AnnouncementFilter, PageQuery), responses(
    (status = 200, description = "A page of announcements", body = Page<AnnouncementView>),
    Always, Paged,
    (status = 422, description = "`q` longer than 100 characters, `limit` outside 1 to 100, a `cursor` this list did not give out, or a value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn list_announcements(
    State(state): State<AppState>,
    Query(filter): Query<AnnouncementFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<AnnouncementView>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(announcements::list(&state, filter, page).await?))
}

/// One announced application: in its window, or, once the window has
/// closed, with what it came to (`outcome`, and the certificate number once
/// registered).
#[utoipa::path(get, path = "/public/announcements/{id}", tag = "public", operation_id = "getPublicAnnouncement",
    security(), params(("id" = Uuid, Path, description = "The application's id")), responses(
    (status = 200, description = "The announcement", body = AnnouncementView),
    Always, BadRequest,
    (status = 404, description = "No application of this id was ever announced (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn get_announcement(State(state): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<AnnouncementView>> {
    Ok(Json(announcements::get(&state, id).await?))
}

/// Objects to an announced application while its window is open.
#[utoipa::path(post, path = "/public/announcements/{id}/objections", tag = "public", operation_id = "fileObjection",
    security(), params(("id" = Uuid, Path, description = "The application's id")),
    request_body = NewObjection, responses(
    (status = 201, description = "The objection, with the token to follow it", body = FiledObjection),
    Always, JsonBody,
    (status = 404, description = "No application of this id was ever announced (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The announcement window has closed (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, a `contact_email` that is not an e-mail address", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many objections from this client address (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn file_objection(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<Uuid>,
    Json(request): Json<NewObjection>,
) -> ApiResult<(StatusCode, Json<FiledObjection>)> {
    Ok((StatusCode::CREATED, Json(objections::file(&state, id, request, client).await?)))
}

/// The objection, for the holder of its tracking token: its state and
/// decision deadline, the holder's answers, the decision with its grounds,
/// and the evidence attached.
#[utoipa::path(get, path = "/public/objections/{id}", tag = "public", operation_id = "getObjectionStatus",
    security(), params(("id" = Uuid, Path, description = "The objection's id"), TrackingQuery), responses(
    (status = 200, description = "Where the objection stands", body = ObjectionStatus),
    Always,
    (status = 400, description = "No `token`, or an `id` that is not a UUID (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such objection, or the wrong token (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A query value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn track_objection(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(query): Query<TrackingQuery>,
) -> ApiResult<Json<ObjectionStatus>> {
    Ok(Json(objections::track(&state, id, &query.token).await?))
}

/// The objector withdraws an open objection.
#[utoipa::path(post, path = "/public/objections/{id}/withdraw", tag = "public", operation_id = "withdrawObjection",
    security(), params(("id" = Uuid, Path, description = "The objection's id"), TrackingQuery), responses(
    (status = 200, description = "The objection, now `withdrawn`", body = ObjectionStatus),
    Always,
    (status = 400, description = "No `token`, or an `id` that is not a UUID (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such objection, or the wrong token (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The objection is no longer open: decided or withdrawn already (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A query value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn withdraw_objection(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(query): Query<TrackingQuery>,
) -> ApiResult<Json<ObjectionStatus>> {
    Ok(Json(objections::withdraw(&state, id, &query.token).await?))
}

/// Attaches a file (the raw bytes as the body) to an open objection, for
/// the holder of its tracking token. Never public: the holder and registry
/// staff read it.
#[utoipa::path(post, path = "/public/objections/{id}/evidence", tag = "public", operation_id = "attachObjectionEvidence",
    security(),
    params(
        ("id" = Uuid, Path, description = "The objection's id"), TrackingQuery,
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"contract.pdf\"`, or `filename*=UTF-8''…` for other characters"),
    ),
    // The accepted media types are the configured ones: see `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The file's bytes; `Content-Type` is its media type, one of `materials.media_types`"),
    responses(
    (status = 201, description = "The file as stored", body = EvidenceView),
    Always,
    (status = 400, description = "No `token`, or an `id` that is not a UUID (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such objection, or the wrong token (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The objection is no longer open (`code`: `invalid_transition`), already has five files (`code`: `conflict`), or the file would pass a quota of evidence: per objection (`evidence.bytes_per_objection`), per announcement (`evidence.bytes_per_announcement`) or from all objectors in 24 hours (`evidence.bytes_per_day`) (`code`: `quota_exceeded`)", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "The file is larger than `evidence.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one that is not among `materials.media_types` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type (a PDF must start `%PDF-`, a PNG, JPEG, ZIP, Office file with its signature), the upload broke off, or a query value holds the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many files from this client address (`throttle.evidence_per_address`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn attach_evidence(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<Uuid>,
    Query(query): Query<TrackingQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<EvidenceView>)> {
    let upload = files::upload(&headers);
    let stored = evidence::upload(&state, id, &query.token, upload, body.into_data_stream(), client).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The register of registered products, newest first.
#[utoipa::path(get, path = "/public/registry", tag = "public", operation_id = "listRegisteredProducts",
    security(), params(RegistryFilter, PageQuery), responses(
    (status = 200, description = "A page of public certificate records", body = Page<PublicCertificateView>),
    Always, Paged,
    (status = 422, description = "`q` longer than 100 characters, `limit` outside 1 to 100, a `cursor` this list did not give out, or a value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn registry(
    State(state): State<AppState>,
    Query(filter): Query<RegistryFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<PublicCertificateView>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(certificates::registry(&state, filter, page).await?))
}

/// The public record of a certificate, with its current status.
#[utoipa::path(get, path = "/public/certificates/{certificate_number}", tag = "public",
    operation_id = "getPublicCertificate", security(),
    params(("certificate_number" = String, Path, description = "The certificate number, 17 digits", example = "20261131000000001")),
    responses(
    (status = 200, description = "The public record", body = PublicCertificateView),
    Always,
    (status = 404, description = "No certificate of this number (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn certificate(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<Json<PublicCertificateView>> {
    Ok(Json(certificates::public(&state, &number).await?))
}

/// The offline proof of a certificate's issuance: a C2SP tlog-proof file
/// (the issuance entry's exact bytes in its `extra` line) at the checkpoint
/// most witnesses cosigned. `dataip verify FILE --policy POLICY` checks it
/// with no network; it shows issuance, not today's status.
#[utoipa::path(get, path = "/public/certificates/{certificate_number}/proof", tag = "public",
    operation_id = "getCertificateProof", security(),
    params(("certificate_number" = String, Path, description = "The certificate number, 17 digits", example = "20261131000000001")),
    responses(
    (status = 200, description = "The proof (C2SP tlog-proof@v1)", content_type = "text/plain; charset=utf-8", body = String),
    Always,
    (status = 404, description = "No certificate of this number, or its issuance is not recorded in the ledger yet (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn certificate_proof(State(state): State<AppState>, Path(number): Path<String>) -> ApiResult<Response> {
    let proof = crate::services::transparency::log_files::certificate_proof(&state, &number).await?;
    let disposition = format!("attachment; filename=\"{number}.tlog-proof\"");
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        proof,
    )
        .into_response())
}
