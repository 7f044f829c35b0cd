//! The HTTP surface: one router per audience under /api/v1, operations at
//! the root, and the middleware every request passes through.

mod admin;
mod applications;
mod auth;
mod certificates;
pub mod client_addr;
mod disposition;
pub mod error;
pub mod extract;
mod files;
mod ledger;
pub mod metrics;
pub mod multipart;
mod notifications;
mod openapi;
mod ops;
mod organization;
mod public;
pub mod public_cache;
mod request_limits;
mod responses;
mod review;
mod security_headers;
pub mod serve;
mod tlog;
mod verification;
mod watches;
mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderName, HeaderValue, Method, header},
    middleware,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use self::{request_limits::RequestLimits, security_headers::SecurityHeaders};
use crate::{config::Config, state::AppState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document of the whole API, as served with this configuration.
pub fn openapi(config: &Config) -> utoipa::openapi::OpenApi {
    openapi::finish(api().split_for_parts().1, config)
}

fn api() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(auth::router())
        .merge(organization::router())
        .merge(applications::router())
        .merge(review::router())
        .merge(certificates::router())
        .merge(public::router())
        .merge(ledger::router())
        .merge(admin::router())
        .merge(verification::router())
        .merge(notifications::router())
        .merge(webhooks::router())
        .merge(watches::router());
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", v1).merge(ops::router())
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let (api, document) = api().split_for_parts();
    let document = openapi::finish(document, &config);
    // Probes answer under the API base path too, for proxies that only pass it.
    let ops_under_base = ops::router().split_for_parts().0;
    let api = api.nest("/api/v1", ops_under_base);
    let api = match config.server.docs {
        true => api.merge(SwaggerUi::new("/docs").url(OPENAPI_PATH, document)),
        // The document stays: clients are generated from it.
        false => api.route(OPENAPI_PATH, axum::routing::get(move || async move { axum::Json(document) })),
    };
    let app = api
        .merge(tlog::router())
        .merge(crate::portal::router())
        .fallback(crate::portal::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), public_cache::serve))
        .with_state(state);
    with_middleware(app, &config)
}

const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The router of `server.metrics_addr`: `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    ops::metrics_router().split_for_parts().0.with_state(state)
}

/// Layers, outermost first: request id, tracing, metrics, security headers,
/// problem+json for bare errors, panic catching, CORS, compression, the
/// route's time and body limits, the extractors' body limit.
fn with_middleware(app: Router, config: &Config) -> Router {
    app.layer(DefaultBodyLimit::max(config.server.body_limit))
        .layer(middleware::from_fn_with_state(RequestLimits::of(config), request_limits::enforce))
        .layer(CompressionLayer::new())
        .layer(cors(config))
        .layer(CatchPanicLayer::new())
        .layer(middleware::map_response(error::problem_for_bare_errors))
        .layer(middleware::from_fn_with_state(SecurityHeaders::new(config), security_headers::add))
        .layer(middleware::from_fn(metrics::record))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
                    let request_id = request
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), route, request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        config.server.cors_allowed_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::ETAG, header::RETRY_AFTER, REQUEST_ID])
        .max_age(Duration::from_secs(3600))
}
