//! Headers every response carries so that browsers treat the registry's
//! answers safely: no content sniffing, no referrer leaving the registry
//! (objection tracking links hold a token), no framing, a content security
//! policy (strict for the API, enough for the API browser at `/docs`, the
//! portal's for its pages: each router that needs other than the API's
//! says so with [`policy`]), HSTS when configured, and `Cache-Control:
//! no-store` on what a credential unlocked (a request with one, or a
//! route under [`no_store`]), so that no shared cache or browser history
//! keeps it.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::config::ServerConfig;

/// The API answers JSON and files only: nothing may load from it.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI: its own scripts and styles (it sets inline styles), its
/// icons as data: URIs, and requests to this origin ("Try it out").
pub const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                           frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The portal: its own stylesheet, forms posting to itself, no script.
pub const PORTAL_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";

/// The workbench: the portal's policy and the registry's own script (no
/// inline script, no other origin).
pub const WORKBENCH_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                                form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Clone)]
pub struct SecurityHeaders {
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn new(server: &ServerConfig) -> Self {
        let hsts = match server.hsts.as_str() {
            "" => None,
            // Checked when the configuration was loaded.
            value => HeaderValue::from_str(value).ok(),
        };
        Self { hsts }
    }
}

pub async fn add(State(headers): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let credentialed = request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    let out = response.headers_mut();
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(API_POLICY));
    if let Some(hsts) = &headers.hsts {
        out.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    if credentialed {
        no_store_headers(out);
    }
    response
}

/// The layer of a router whose answers need another content security
/// policy than the API's: `layer(from_fn_with_state(PORTAL_POLICY, policy))`.
pub async fn policy(State(policy): State<&'static str>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    response
}

/// The layer of a router whose answers a credential unlocked (everything
/// under the API's base path but the public reads and the document; an
/// objection's tracking view, unlocked by its token, too).
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    no_store_headers(response.headers_mut());
    response
}

fn no_store_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.remove(header::EXPIRES);
}
