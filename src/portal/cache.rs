//! Public pages may be kept a short while by browsers and shared caches,
//! and revalidated cheaply: each carries `Cache-Control` and an `ETag` of
//! its bytes, and a matching `If-None-Match` is answered 304 with no body.

use axum::{
    body::{Body, HttpBody as _, to_bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// How long a page may be reused without asking: announcements and records
/// change by the minute at most.
const PAGE_MAX_AGE: &str = "public, max-age=60";

/// Pages are small; a body larger than this is passed on without an ETag.
const MAX_TAGGED: usize = 4 << 20;

pub async fn revalidate(request: Request, next: Next) -> Response {
    let conditional = request.headers().get(header::IF_NONE_MATCH).cloned();
    let cacheable = matches!(*request.method(), Method::GET | Method::HEAD);
    let response = next.run(request).await;
    if !cacheable || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let unstored = parts.headers.get(header::CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"no-store"));
    // Only a body known to be small is read here to be tagged; any other
    // passes on as it is, untouched.
    if unstored || body.size_hint().upper().is_none_or(|size| size > MAX_TAGGED as u64) {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_TAGGED).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = hex::encode(Sha256::digest(&bytes));
    // Weak: the compression layer outside may change the bytes sent.
    let Ok(etag) = HeaderValue::from_str(&format!("W/\"{}\"", &digest[..32])) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(PAGE_MAX_AGE));
    parts.headers.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language"));
    parts.headers.insert(header::ETAG, etag.clone());
    if conditional.is_some_and(|tags| matches(&tags, &etag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `If-None-Match` compares weakly: `W/` prefixes are ignored.
fn matches(tags: &HeaderValue, etag: &HeaderValue) -> bool {
    let strip = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = etag.to_str().map(strip).unwrap_or_default();
    tags.to_str().is_ok_and(|tags| tags.trim() == "*" || tags.split(',').any(|tag| strip(tag) == ours))
}
