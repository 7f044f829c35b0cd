//! The workbench: the pages where applicants do in a browser what the API
//! lets them do (and, next, the registry's staff), Chinese first and
//! English second, over the same services as the API. A page works
//! without JavaScript; the registry's one script (`script-src 'self'`, on
//! these pages only) adds confirmations and counts.
//!
//! A browser signs in with a session cookie that authenticates these pages
//! only, never `/api/v1` (the API stays Bearer-only); every form carries
//! the visit's token (`form`), and writes from another site are refused
//! before any handler runs (`guard`).

pub mod form;
mod guard;
pub mod page;
mod pages;
pub mod visit;
pub mod words;

use axum::{
    Router,
    handler::Handler,
    middleware::{from_fn, from_fn_with_state},
    response::Response,
    routing::get,
};

use crate::{
    http::{
        request_limits::{Kind, enforce},
        security_headers::{self, WORKBENCH_POLICY},
    },
    state::AppState,
};

/// The pages, with their policies as layers: the visit read once, writes
/// from this site only, the workbench's content security policy, and
/// nothing kept by a cache.
pub fn router(state: AppState) -> Router<AppState> {
    let forms = pages::routes().layer(from_fn_with_state(Kind::Plain, enforce));
    let uploads = pages::upload_routes().layer(from_fn_with_state(Kind::Upload, enforce));
    forms
        .merge(uploads)
        .route("/workbench/{*rest}", get(not_found.layer(from_fn_with_state(Kind::Plain, enforce))))
        .layer(from_fn_with_state(state.clone(), visit::load))
        .layer(from_fn_with_state(state, guard::same_origin_writes))
        .layer(from_fn(security_headers::no_store))
        .layer(from_fn_with_state(WORKBENCH_POLICY, security_headers::policy))
}

/// An address under `/workbench` no page answers.
async fn not_found(ctx: page::Ctx) -> Response {
    page::not_found(&ctx)
}
