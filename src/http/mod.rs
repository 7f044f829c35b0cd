//! The web edge's plumbing, shared by its siblings (`api`, `portal`): the
//! server loop, extractors (credentials included), errors, the client's
//! address, headers, and the body-limit, cache and timeout layers.

pub mod assets;
pub mod client_addr;
pub mod credentials;
pub mod disposition;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod multipart;
pub mod page;
pub mod public_cache;
pub mod request_limits;
pub mod security_headers;
pub mod serve;

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

use self::{request_limits::RequestLimits, security_headers::SecurityHeaders};
use crate::config::{Config, ServerConfig};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Layers, outermost first: request id, tracing, metrics, security headers,
/// problem+json for bare errors, panic catching, CORS, compression, the
/// route's time and body limits, the extractors' body limit.
pub fn with_middleware(app: Router, config: &Config) -> Router {
    app.layer(DefaultBodyLimit::max(config.server.body_limit))
        .layer(middleware::from_fn_with_state(RequestLimits::of(config), request_limits::provide))
        .layer(CompressionLayer::new())
        .layer(cors(&config.server))
        .layer(CatchPanicLayer::new())
        .layer(middleware::map_response(error::problem_for_bare_errors))
        .layer(middleware::from_fn_with_state(SecurityHeaders::new(&config.server), security_headers::add))
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

fn cors(server: &ServerConfig) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        server.cors_allowed_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
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
