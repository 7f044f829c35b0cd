//! Cross-site posts refused before any handler runs: a browser says where
//! a request comes from in `Sec-Fetch-Site` (every current one does), and
//! older ones in `Origin`. A write whose page was not the registry's own is
//! refused with 403, whatever its token. A client that sends neither (a
//! script, not a browser) is let through to the token's check.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

pub async fn same_origin_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || from_this_site(request.headers(), &state.config.registry.public_url)
    {
        return next.run(request).await;
    }
    tracing::info!(method = %request.method(), path = request.uri().path(), "cross-site write refused");
    let body = "A form posted from another site was refused: the registry's pages post only from themselves.";
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn from_this_site(headers: &HeaderMap, public_url: &str) -> bool {
    let value = |name| headers.get(name).and_then(|value: &axum::http::HeaderValue| value.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        // `none`: the user themselves (a bookmark, the address bar).
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value(header::ORIGIN.as_str()) else { return true };
    let public = public_url.trim_end_matches('/');
    if !public.is_empty() {
        return origin == public;
    }
    // No public address configured (development, tests): the origin must
    // name the host the request was sent to.
    let host = value(header::HOST.as_str()).unwrap_or_default();
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host) && !host.is_empty()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn fetch_metadata_first_then_origin() {
        assert!(from_this_site(&headers(&[("sec-fetch-site", "same-origin")]), "https://r.example"));
        assert!(!from_this_site(&headers(&[("sec-fetch-site", "cross-site")]), "https://r.example"));
        assert!(!from_this_site(&headers(&[("sec-fetch-site", "same-site")]), "https://r.example"));
        assert!(from_this_site(&headers(&[("origin", "https://r.example")]), "https://r.example/"));
        assert!(!from_this_site(&headers(&[("origin", "https://evil.example")]), "https://r.example"));
        assert!(!from_this_site(&headers(&[("origin", "null")]), "https://r.example"));
        assert!(from_this_site(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]), ""));
        assert!(!from_this_site(&headers(&[("origin", "http://evil.example"), ("host", "127.0.0.1:8080")]), ""));
        assert!(from_this_site(&headers(&[]), "https://r.example"), "not a browser: the token decides");
    }
}
