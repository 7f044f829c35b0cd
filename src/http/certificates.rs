//! /certificates/*: the holder organization's certificates.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{IdempotencyKey, Json, Path, Query},
};
use crate::{
    auth::{Principal, Tenant},
    ledger::verify::Disclosure,
    pagination::{Page, PageQuery},
    services::{
        acts::{self, ActView, NewAct},
        certificates::{self, CertificateView},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(file_act, list_acts))
        .routes(routes!(openings))
        .routes(routes!(pdf))
}

/// The organization's certificates, newest first.
#[utoipa::path(get, path = "/certificates", tag = "certificates", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<CertificateView>)))]
async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<CertificateView>>> {
    Ok(Json(certificates::list(&state, tenant, page.parse()?).await?))
}

#[utoipa::path(get, path = "/certificates/{id}", tag = "certificates", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = CertificateView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Json<CertificateView>> {
    Ok(Json(certificates::get(&state, tenant, id).await?))
}

/// Files an act on the certificate: license, pledge, pledge_release,
/// transfer, change, renewal or cancellation. It waits for a reviewer.
#[utoipa::path(post, path = "/certificates/{id}/acts", tag = "certificates", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = NewAct, responses(
    (status = 201, body = ActView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the certificate is not active, is pledged, or an exclusive license overlaps", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/certificates/{id}/acts", tag = "certificates", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<ActView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
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
    security(("bearer" = [])), params(("id" = Uuid, Path), ("act_id" = Uuid, Path)), responses(
    (status = 200, body = Disclosure),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "no such approved act of this certificate, or its terms are another holder's",
        body = Problem, content_type = "application/problem+json"),
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

/// The certificate as an A4 PDF with a QR code linking to its public record.
#[utoipa::path(get, path = "/certificates/{id}/pdf", tag = "certificates", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the certificate", content_type = "application/pdf", body = Vec<u8>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn pdf(State(state): State<AppState>, tenant: Tenant, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let (number, bytes) = certificates::pdf(&state, tenant, id).await?;
    let disposition = format!("attachment; filename=\"{number}.pdf\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
