//! What a request may take: how long it may run, and how many bytes of
//! body it may send. Each router says what its routes send with a route
//! layer (`limit(Kind::Upload)`, …); the configured amounts reach those
//! layers through the outer layer [`provide`]. The body limit holds for
//! every route, whatever its handler reads the body with: a declared
//! `Content-Length` over it is refused before a byte is read, and a body
//! that grows past it stops with an error where it is read (413 from the
//! extractors).

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::Limited;

use crate::{config::Config, services::certificates};

/// Room for the framing around an upload's file: multipart boundaries and
/// headers.
const UPLOAD_MARGIN: usize = 64 << 10;

/// What a route sends, by the limits it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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
            request_timeout: config.server.request_timeout.get(),
            upload_timeout: config.server.upload_timeout.get(),
            body: config.server.body_limit,
            upload_body: with_margin(config.materials.max_size),
            evidence_body: with_margin(config.evidence.max_size),
        }
    }

    fn for_kind(&self, kind: Kind) -> (Duration, usize) {
        match kind {
            Kind::Upload => (self.upload_timeout, self.upload_body),
            Kind::Evidence => (self.upload_timeout, self.evidence_body),
            Kind::CertificateFile => (self.request_timeout, certificates::check::MAX_FILE + UPLOAD_MARGIN),
            Kind::Plain => (self.request_timeout, self.body),
        }
    }
}

/// The outer layer: lends the configured limits to the routes' layers.
pub async fn provide(State(limits): State<RequestLimits>, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(limits);
    next.run(request).await
}

/// The route layer: bounds the request's body and time by what its route
/// sends (the layer's state); a request that runs too long is answered 408.
/// `route_layer(from_fn_with_state(Kind::Upload, enforce))`.
pub async fn enforce(State(kind): State<Kind>, request: Request, next: Next) -> Response {
    // Present whenever the application was composed by `startup`.
    let Some(limits) = request.extensions().get::<RequestLimits>().copied() else {
        return next.run(request).await;
    };
    let (time, body_limit) = limits.for_kind(kind);
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
