//! Headers every response carries so that browsers treat the registry's
//! answers safely: no content sniffing, no referrer leaving the registry
//! (objection tracking links hold a token), no framing, a content security
//! policy (strict for the API, enough for the API browser at `/docs`), HSTS
//! when configured, and `Cache-Control: no-store` on what a credential
//! unlocked, so that no shared cache or browser history keeps it.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::config::Config;

/// The API answers JSON and files only: nothing may load from it.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI: its own scripts and styles (it sets inline styles), its
/// icons as data: URIs, and requests to this origin ("Try it out").
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                           frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The portal: its own stylesheet, forms posting to itself, no script.
const PORTAL_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";

#[derive(Clone)]
pub struct SecurityHeaders {
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn new(config: &Config) -> Self {
        let hsts = match config.server.hsts.as_str() {
            "" => None,
            // Checked when the configuration was loaded.
            value => HeaderValue::from_str(value).ok(),
        };
        Self { hsts }
    }
}

pub async fn add(State(headers): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let credentialed = request.headers().contains_key(header::AUTHORIZATION) || needs_credentials(&path);
    let mut response = next.run(request).await;
    let out = response.headers_mut();
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let policy = if path == "/docs" || path.starts_with("/docs/") {
        DOCS_POLICY
    } else if crate::portal::is_machine_path(&path) {
        API_POLICY
    } else {
        PORTAL_POLICY
    };
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    if let Some(hsts) = &headers.hsts {
        out.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    if credentialed {
        no_store(out);
    }
    response
}

/// Everything under the API's base path needs a credential, except the
/// public reads (announcements, records, the ledger) and the document.
/// An objection's tracking view is public but unlocked by its token, so it
/// counts as credentialed.
fn needs_credentials(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/") else { return false };
    let public = rest.starts_with("public/") && !rest.starts_with("public/objections/");
    let open = ["openapi.json", "healthz", "readyz", "metrics"].contains(&rest);
    !(public || open)
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.remove(header::EXPIRES);
}

#[cfg(test)]
mod tests {
    use super::needs_credentials;

    #[test]
    fn credentials_are_needed_outside_the_public_reads() {
        for path in ["/api/v1/applications", "/api/v1/auth/login", "/api/v1/me", "/api/v1/public/objections/x"] {
            assert!(needs_credentials(path), "{path}");
        }
        for path in ["/api/v1/public/announcements", "/api/v1/openapi.json", "/healthz", "/docs/", "/metrics"] {
            assert!(!needs_credentials(path), "{path}");
        }
    }
}
