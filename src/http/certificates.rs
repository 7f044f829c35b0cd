//! /certificates/*: the holder organization's certificates.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    auth::Tenant,
    pagination::{Page, PageQuery},
    services::certificates::{self, CertificateView},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get))
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
