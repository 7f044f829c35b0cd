//! /certificates/*: the holder organization's certificates.

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    files,
    openapi::Binary,
    responses::{Always, AsTenant, Authenticated, BadRequest, JsonBody, NotFound, Paged},
};
use crate::http::{
    client_addr::ClientAddr,
    error::{ApiResult, Problem},
    extract::{IdempotencyKey, Json, Path, Query},
};
use crate::{
    auth::{Principal, Tenant},
    pagination::{Page, PageQuery},
    services::certificates::{
        self, CertificateView,
        acts::{self, ActView, NewAct, written_consent},
    },
    state::AppState,
};
use tlog::verify::Disclosure;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(file_act, list_acts))
        .routes(routes!(openings))
        .routes(routes!(holder_openings))
        .routes(routes!(pdf))
        .routes(routes!(download_act_document))
}

/// An act's written consent upload: streamed, and limited by
/// `materials.max_size`.
pub fn uploads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_act_document)).layer(DefaultBodyLimit::disable())
}

/// The organization's certificates, newest first.
#[utoipa::path(get, path = "/certificates", tag = "certificates", operation_id = "listCertificates",
    security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "A page of the organization's certificates", body = Page<CertificateView>),
    Always, Paged, AsTenant,
))]
async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<CertificateView>>> {
    Ok(Json(certificates::list(&state, tenant, page.parse()?).await?))
}

/// One of the organization's certificates.
#[utoipa::path(get, path = "/certificates/{id}", tag = "certificates", operation_id = "getCertificate",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")), responses(
    (status = 200, description = "The certificate", body = CertificateView),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn get(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Json<CertificateView>> {
    Ok(Json(certificates::get(&state, tenant, id).await?))
}

/// Files an act on the certificate: license, pledge, pledge_release,
/// transfer, change, renewal or cancellation. It waits for a reviewer;
/// first, an act that binds another party waits for its word
/// (`awaiting_confirmation`, the words listed in `awaiting`): a transfer
/// for the transferee's acceptance, a pledge for the pledgee's
/// confirmation, a holder's pledge release for the pledgee's, a licence
/// for the licensee's where `workflow.license_needs_confirmation`; and a
/// second pledge, a transfer, a cancellation or an exclusive licence of a
/// pledged certificate for every pledgee's consent. A pledge release
/// filed by the pledgee's own party (the verified party holding the
/// pledgee's credit code, which may file it on a certificate it does not
/// hold) goes to review at once.
#[utoipa::path(post, path = "/certificates/{id}/acts", tag = "certificates", operation_id = "fileAct",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The certificate's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "Makes retries safe: a repeat with the same key and body answers the first response and creates nothing. 1 to 255 visible ASCII characters; kept for a day.")),
    request_body = NewAct, responses(
    (status = 201, description = "The act: `awaiting_confirmation` until the words in `awaiting` are given, else `pending` until a reviewer decides", body = ActView),
    Always, JsonBody, AsTenant, NotFound,
    (status = 409, description = "The register does not allow the act now: the certificate is not active or past its validity (`code`: `invalid_transition`); or (`code`: `under_preservation`, with `measure_id`) a preservation measure holds the certificate (no transfer, pledge, licence or cancellation until it is lifted); or (`code`: `conflict`) a transfer, cancellation or pledge is filed while another of them waits on the certificate, with `conflicting_act_id`, an exclusive license already covers part of that term, a renewal is filed before the renewal window opens, or a renewal could not move `valid_until` because a data-source agreement ends no later (extend the agreement with a `change` first)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid terms, each listed in `errors` (`code`: `validation_failed`): besides the schema, a credit code whose check character is wrong, `ends_on` before `starts_on` or already past (or, for a pledge, after the certificate's validity ends), an amount that is not a positive decimal with at most 2 decimals, a currency that is not ISO 4217, a `pledge_id` that is not an unreleased pledge of this certificate, a pledgee that is not a verified party registered here given without `pledgee.contact_email` (or a licensee without `licensee.contact_email` where licences need confirmation), a contact that is not an e-mail address alone, a transferee that is not a verified party registered here (an organization found by credit code, a person by identity number, among the verified), is named by both or neither, or is the holder itself, a change with none of `product_name`, `abstract` and `extended_agreements`, an extension naming a data source that does not exist, has no agreement with an end, or is named twice, or whose new end is not later than the one on record; or an `Idempotency-Key` that is too long or was used for a different request", body = Problem, content_type = "application/problem+json"),
))]
async fn file_act(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
    IdempotencyKey(key): IdempotencyKey,
    Json(request): Json<NewAct>,
) -> ApiResult<(StatusCode, Json<ActView>)> {
    Ok((StatusCode::CREATED, Json(acts::file(&state, tenant, id, request, key).await?)))
}

/// Every act on the certificate, oldest first.
#[utoipa::path(get, path = "/certificates/{id}/acts", tag = "certificates", operation_id = "listCertificateActs",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")), responses(
    (status = 200, description = "Every act, oldest first", body = Vec<ActView>),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn list_acts(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<ActView>>> {
    Ok(Json(acts::list(&state, tenant, id).await?))
}

/// The private fields of an approved act's ledger entry, disclosed: each
/// field's value and salt, with the entry and its inclusion in the latest
/// checkpoint, so that `dataip verify --opening FILE` checks them offline.
/// Only for the organization that held the certificate when the act was
/// recorded (a later holder does not see a transferor's terms), and for
/// registry staff.
#[utoipa::path(get, path = "/certificates/{id}/acts/{act_id}/openings", tag = "certificates",
    operation_id = "getActOpenings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The certificate's id"), ("act_id" = Uuid, Path)), responses(
    (status = 200, description = "The openings, with the entry and its proof", body = Disclosure),
    Always, BadRequest, Authenticated,
    (status = 404, description = "No such approved act of this certificate, or its terms are another holder's (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn openings(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, act_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let disclosure = acts::disclosure(&state, principal, id, act_id).await?;
    // Private terms: never kept by a shared cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(disclosure)).into_response())
}

/// The opening of the certificate document's commitment to a person
/// holder's identity number (`holder.id_number`: the number and its salt),
/// with the issuance entry and its inclusion in the latest checkpoint, so
/// that `dataip verify --opening FILE` checks it offline. Only for the
/// party it was issued to, and for registry staff.
#[utoipa::path(get, path = "/certificates/{id}/openings", tag = "certificates",
    operation_id = "getCertificateOpenings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The certificate's id")), responses(
    (status = 200, description = "The openings, with the entry and its proof", body = Disclosure),
    Always, BadRequest, Authenticated,
    (status = 404, description = "No such certificate issued to the caller, or its document commits to nothing (an organization's) (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn holder_openings(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let disclosure = certificates::holder_disclosure(&state, principal, id).await?;
    // Private: never kept by a shared cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(disclosure)).into_response())
}

/// The certificate as an A4 PDF with a QR code linking to its public record.
#[utoipa::path(get, path = "/certificates/{id}/pdf", tag = "certificates", operation_id = "getCertificatePdf",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The certificate's id")), responses(
    (status = 200, description = "The certificate", content_type = "application/pdf", body = inline(Binary),
        headers(("Content-Disposition" = String, description = "`attachment` named after the certificate number"))),
    Always, BadRequest, AsTenant, NotFound,
))]
async fn pdf(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let (number, bytes) = certificates::pdf(&state, tenant, id).await?;
    let disposition = format!("attachment; filename=\"{number}.pdf\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// Uploads the pledgee's written consent to an act awaiting it (the raw
/// bytes as the body): how the pledgee of a pledge recorded before
/// pledgees gave contacts, and not registered here, consents (to the
/// holder's release of its pledge, or to an act that would defeat it).
/// The upload gives that word; staff review the document with the act.
#[utoipa::path(put, path = "/certificates/{id}/acts/{act_id}/document", tag = "certificates",
    operation_id = "uploadActDocument", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        ("act_id" = Uuid, Path, description = "The act's id"),
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "The file's name: `attachment; filename=\"consent.pdf\"`"),
    ),
    // The media types are set in `http::openapi::configured`.
    request_body(content = inline(Binary), content_type = "application/octet-stream",
        description = "The consent's bytes, a scan; `Content-Type` is its media type: `application/pdf`, `image/png` or `image/jpeg`"),
    responses(
    (status = 200, description = "The act: `pending` review once no other word is awaited", body = ActView),
    Always, BadRequest, AsTenant, NotFound,
    (status = 409, description = "The act awaits no written consent (`code`: `conflict`), or no longer awaits words (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "The file is larger than `materials.max_size` (`code`: `payload_too_large`)", body = Problem, content_type = "application/problem+json"),
    (status = 415, description = "No `Content-Type`, or one other than `application/pdf`, `image/png` and `image/jpeg` (`code`: `unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty, its first bytes contradict the declared media type, or the upload broke off (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn upload_act_document(
    State(state): State<AppState>,
    tenant: Tenant,
    ClientAddr(client): ClientAddr,
    Path((id, act_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ActView>> {
    let upload = files::upload(&headers);
    let stream = body.into_data_stream();
    Ok(Json(written_consent::upload(&state, tenant, (id, act_id), upload, client, stream).await?))
}

/// The act's written consent, as uploaded.
#[utoipa::path(get, path = "/certificates/{id}/acts/{act_id}/document", tag = "certificates",
    operation_id = "downloadActDocument", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        ("act_id" = Uuid, Path, description = "The act's id"),
    ),
    responses(
    // The media types are set in `http::openapi::configured`.
    (status = 200, description = "The file, with the media type it was uploaded with", body = inline(Binary), content_type = "application/octet-stream",
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("ETag" = String, description = "The SHA-256 of the bytes, in hex, quoted"),
        )),
    Always, BadRequest, AsTenant,
    (status = 404, description = "No such act of the party's certificate, or no consent uploaded for it (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn download_act_document(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, act_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(files::download(written_consent::download(&state, written_consent::Reader::Holder(tenant, id), act_id).await?))
}
