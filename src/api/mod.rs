//! The JSON API: one router per audience under /api/v1, the operations
//! probes at the root, the OpenAPI document and its browser. Plumbing
//! (errors, extractors, limits, middleware) comes from `http`.

mod admin;
mod applications;
mod auth;
mod bodies;
mod certificates;
mod confirmations;
mod files;
mod ledger;
mod measures;
mod notifications;
mod openapi;
mod ops;
mod organization;
mod public;
mod relying_parties;
mod responses;
mod review;
mod status;
mod tlog;
mod verification;
mod watches;
mod webhooks;

use axum::{
    Router,
    handler::Handler,
    http::StatusCode,
    middleware::{from_fn, from_fn_with_state},
    routing::get,
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::{
    config::Config,
    http::{
        public_cache,
        request_limits::{Kind, enforce},
        security_headers::{self, DOCS_POLICY, no_store},
    },
    state::AppState,
};

/// The OpenAPI document of the whole API, as served with this configuration.
pub fn openapi(config: &Config) -> utoipa::openapi::OpenApi {
    openapi::finish(api().split_for_parts().1, config)
}

/// Each router's policy is a layer on it: what its routes may send, and
/// whether their answers are the same for everyone (kept in memory) or
/// unlocked by a credential (never stored).
fn api() -> OpenApiRouter<AppState> {
    let private = OpenApiRouter::new()
        .merge(auth::router())
        .merge(organization::router())
        .merge(applications::router())
        .merge(review::router())
        .merge(certificates::router())
        .merge(confirmations::router())
        .merge(confirmations::by_link())
        .merge(public::objections())
        .merge(admin::router())
        .merge(verification::router())
        .merge(measures::router())
        .merge(notifications::router())
        .merge(webhooks::router())
        .merge(watches::router())
        .merge(relying_parties::router())
        // Signed statements: made for each asker, never kept.
        .merge(status::router())
        .layer(from_fn_with_state(Kind::Plain, enforce));
    let uploads = OpenApiRouter::new()
        .merge(applications::uploads())
        .merge(organization::uploads())
        .merge(measures::uploads())
        .merge(certificates::uploads())
        .layer(from_fn_with_state(Kind::Upload, enforce));
    let evidence = public::evidence().layer(from_fn_with_state(Kind::Evidence, enforce));
    let public = OpenApiRouter::new()
        .merge(public::reads())
        .merge(ledger::router())
        .layer(from_fn_with_state(Kind::Plain, enforce))
        .layer(from_fn(public_cache::keep));
    let v1 = private.merge(uploads).merge(evidence).layer(from_fn(no_store)).merge(public);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", v1).merge(probes())
}

fn probes() -> OpenApiRouter<AppState> {
    ops::router().layer(from_fn_with_state(Kind::Plain, enforce))
}

/// The API's routes, its document (with the browser at `/docs` when
/// `server.docs`), the probes, the log's tiles under `/tlog`, and a bare
/// 404 (problem+json) for any other address under these.
pub fn router(config: &Config) -> Router<AppState> {
    let (api, document) = api().split_for_parts();
    let document = openapi::finish(document, config);
    // Probes answer under the API base path too, for proxies that only pass it.
    let api = api.nest("/api/v1", probes().split_for_parts().0);
    let api = api.route(OPENAPI_PATH, get(move || async move { axum::Json(document) }));
    let docs = match config.server.docs {
        true => Router::from(SwaggerUi::new("/docs").config(SwaggerConfig::new([OPENAPI_PATH])))
            .layer(from_fn_with_state(DOCS_POLICY, security_headers::policy)),
        // The document stays: clients are generated from it.
        false => Router::new().nest("/docs", nowhere()),
    };
    let tlog = tlog::router().layer(from_fn_with_state(Kind::Plain, enforce)).layer(from_fn(public_cache::keep));
    api.merge(docs)
        .merge(tlog)
        .nest("/api/v1", nowhere().layer(from_fn(no_store)))
        .nest("/api", nowhere())
        .nest("/tlog", nowhere())
        .nest("/metrics", nowhere())
}

/// Where nothing answers: a bare 404 (made problem+json), for addresses
/// under the API's. A fallback, so that metrics call it `unmatched`.
fn nowhere() -> Router<AppState> {
    Router::new().fallback(not_found.layer(from_fn_with_state(Kind::Plain, enforce)))
}

/// Addresses under the API's that nothing answers.
async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The router of `server.metrics_addr`: `/metrics` only.
pub fn metrics_router(state: AppState) -> Router {
    ops::metrics_router().split_for_parts().0.with_state(state)
}
