//! Operations: liveness, readiness and Prometheus metrics.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::Always;
use crate::http::extract::Json;
use crate::{db, state::AppState};

/// Liveness and readiness.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// `/metrics` alone, for `server.metrics_addr` only: never beside the API,
/// where anyone could read the registry's traffic.
pub fn metrics_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "getHealth", security(), responses(
    (status = 200, description = "The process runs", body = Health),
    Always,
))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 200 when the database answers and its schema is current, else 503.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "getReadiness", security(), responses(
    (status = 200, description = "Ready: the database answers and its schema is current", body = Health),
    (status = 503, description = "Not ready: the database does not answer, or its schema is not current", body = Health),
    Always,
))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if db::schema_is_current(&state.db).await {
        (StatusCode::OK, Json(Health { status: "ready" }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable" }))
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "getMetrics", security(), responses(
    (status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String),
    Always,
))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}
