//! /public/*: what anyone may read and do without credentials.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{ClientAddr, Json, Path, Query},
};
use crate::{
    pagination::{Page, PageQuery},
    services::{
        announcements::{self, AnnouncementFilter, AnnouncementView},
        certificates::{self, PublicCertificateView, RegistryFilter},
        objections::{self, FiledObjection, NewObjection, ObjectionStatus, TrackingQuery},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_announcements))
        .routes(routes!(get_announcement))
        .routes(routes!(file_objection))
        .routes(routes!(track_objection))
        .routes(routes!(registry))
        .routes(routes!(certificate))
}

/// Applications now in their public announcement, newest first.
#[utoipa::path(get, path = "/public/announcements", tag = "public", params(AnnouncementFilter, PageQuery), responses(
    (status = 200, body = Page<AnnouncementView>),
))]
async fn list_announcements(
    State(state): State<AppState>,
    Query(filter): Query<AnnouncementFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<AnnouncementView>>> {
    let page = page.parse::<(DateTime<Utc>, Uuid)>()?;
    Ok(Json(announcements::list(&state, filter, page).await?))
}

#[utoipa::path(get, path = "/public/announcements/{id}", tag = "public", params(("id" = Uuid, Path)), responses(
    (status = 200, body = AnnouncementView),
    (status = 404, description = "not in announcement", body = Problem, content_type = "application/problem+json"),
))]
async fn get_announcement(State(state): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<AnnouncementView>> {
    Ok(Json(announcements::get(&state, id).await?))
}

/// Objects to an announced application while its window is open.
#[utoipa::path(post, path = "/public/announcements/{id}/objections", tag = "public", params(("id" = Uuid, Path)),
    request_body = NewObjection, responses(
    (status = 201, body = FiledObjection),
    (status = 409, description = "the window has closed", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many objections from this address", body = Problem, content_type = "application/problem+json"),
))]
async fn file_objection(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<Uuid>,
    Json(request): Json<NewObjection>,
) -> ApiResult<(StatusCode, Json<FiledObjection>)> {
    Ok((StatusCode::CREATED, Json(objections::file(&state, id, request, client).await?)))
}

/// The state of an objection, for the holder of its tracking token.
#[utoipa::path(get, path = "/public/objections/{id}", tag = "public", params(("id" = Uuid, Path), TrackingQuery),
    responses(
    (status = 200, body = ObjectionStatus),
    (status = 404, description = "no such objection, or the wrong token", body = Problem, content_type = "application/problem+json"),
))]
async fn track_objection(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(query): Query<TrackingQuery>,
) -> ApiResult<Json<ObjectionStatus>> {
    Ok(Json(objections::track(&state, id, &query.token).await?))
}

/// The register of registered products, newest first.
#[utoipa::path(get, path = "/public/registry", tag = "public", params(RegistryFilter, PageQuery), responses(
    (status = 200, body = Page<PublicCertificateView>),
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
    params(("certificate_number" = String, Path)), responses(
    (status = 200, body = PublicCertificateView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn certificate(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<Json<PublicCertificateView>> {
    Ok(Json(certificates::public(&state, &number).await?))
}
