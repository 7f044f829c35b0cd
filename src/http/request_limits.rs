//! What a request may take, chosen by its route in one place: how long it
//! may run, and how many bytes of body it may send. The body limit holds
//! for every route, whatever its handler reads the body with: a declared
//! `Content-Length` over it is refused before a byte is read, and a body
//! that grows past it stops with an error where it is read (413 from the
//! extractors).

use std::time::Duration;

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::Limited;

use crate::{config::Config, services::certificate_check};

/// Room for the framing around an upload's file: multipart boundaries and
/// headers.
const UPLOAD_MARGIN: usize = 64 << 10;

/// What a route sends, by the limits it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A material or a business licence: up to `materials.max_size`, over
    /// a slow link.
    Upload,
    /// Objection evidence: up to `evidence.max_size`, over a slow link.
    Evidence,
    /// A certificate file to check (`POST /verify`).
    CertificateFile,
    /// Everything else: JSON, forms, nothing.
    Plain,
}

fn kind(method: &Method, route: Option<&str>) -> Kind {
    let Some(route) = route else { return Kind::Plain };
    match *method {
        Method::PUT if route.ends_with("/materials/{kind}") || route.ends_with("/organization/business-licence") => {
            Kind::Upload
        }
        Method::POST if route.ends_with("/objections/{id}/evidence") => Kind::Evidence,
        Method::POST if route == "/verify" => Kind::CertificateFile,
        _ => Kind::Plain,
    }
}

/// The limits of each kind, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    request_timeout: Duration,
    upload_timeout: Duration,
    body: usize,
    upload_body: usize,
    evidence_body: usize,
}

impl RequestLimits {
    pub fn of(config: &Config) -> Self {
        let with_margin = |max_file: u64| usize::try_from(max_file).unwrap_or(usize::MAX).saturating_add(UPLOAD_MARGIN);
        Self {
            request_timeout: Config::exact(config.server.request_timeout),
            upload_timeout: Config::exact(config.server.upload_timeout),
            body: config.server.body_limit,
            upload_body: with_margin(config.materials.max_size),
            evidence_body: with_margin(config.evidence.max_size),
        }
    }

    fn for_kind(&self, kind: Kind) -> (Duration, usize) {
        match kind {
            Kind::Upload => (self.upload_timeout, self.upload_body),
            Kind::Evidence => (self.upload_timeout, self.evidence_body),
            Kind::CertificateFile => (self.request_timeout, certificate_check::MAX_FILE + UPLOAD_MARGIN),
            Kind::Plain => (self.request_timeout, self.body),
        }
    }
}

/// Middleware: bounds the request's body and time by its route; a request
/// that runs too long is answered 408.
pub async fn enforce(State(limits): State<RequestLimits>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let (time, body_limit) = limits.for_kind(kind(request.method(), route));
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > body_limit as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request = request.map(|body| Body::new(Limited::new(body, body_limit)));
    match tokio::time::timeout(time, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_sorted_by_what_they_send() {
        let upload = [
            (Method::PUT, "/api/v1/applications/{id}/materials/{kind}", Kind::Upload),
            (Method::PUT, "/api/v1/organization/business-licence", Kind::Upload),
            (Method::POST, "/api/v1/public/objections/{id}/evidence", Kind::Evidence),
            (Method::POST, "/objections/{id}/evidence", Kind::Evidence),
        ];
        for (method, route, expected) in upload {
            assert_eq!(kind(&method, Some(route)), expected, "{route}");
        }
        assert_eq!(kind(&Method::POST, Some("/verify")), Kind::CertificateFile);
        assert_eq!(kind(&Method::GET, Some("/verify")), Kind::Plain);
        assert_eq!(kind(&Method::GET, Some("/api/v1/applications/{id}/materials/{kind}")), Kind::Plain);
        assert_eq!(kind(&Method::POST, None), Kind::Plain, "unrouted");
    }
}
