//! Every error leaves as RFC 9457 `application/problem+json`, including the
//! framework's own (unknown route, wrong method, oversized body, timeout).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    conflicting_application_id: Option<Uuid>,
    retry_after: Option<u64>,
    internal: Option<anyhow::Error>,
}

/// The body of every error response (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:dataip:problem:{code}`
    #[serde(rename = "type")]
    #[schema(example = "urn:dataip:problem:not_found")]
    pub kind: String,
    /// The status's reason phrase, e.g. `Not Found`.
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, for people; never internal detail.
    pub detail: String,
    /// A stable machine word: `validation_failed` (400, 422), `unauthorized`
    /// (401), `forbidden` (403), `not_found` (404), `method_not_allowed`
    /// (405), `request_timeout` (408), `conflict`, `invalid_transition`,
    /// `quota_exceeded` or `organization_unverified` (409),
    /// `precondition_failed` (412), `payload_too_large` (413),
    /// `unsupported_media_type` (415), `rate_limited` (429), `internal`
    /// (5xx). Each operation's answers say which it can carry.
    #[schema(example = "not_found")]
    pub code: String,
    /// Every offending field of an invalid request; absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a `conflict` with another application (the same product filed
    /// twice, or filed again too soon after a withdrawal): that
    /// application's id; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_application_id: Option<Uuid>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code_for(status),
            detail: detail.into(),
            errors: Vec::new(),
            conflicting_application_id: None,
            retry_after: None,
            internal: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The machine word for a status without a more specific one.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "validation_failed",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        // 428: the condition was missing rather than false; one word for both.
        412 | 428 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        500..=599 => "internal",
        _ => "bad_request",
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let detail = error.to_string();
        match error {
            Error::Validation(errors) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail_for_fields(&errors)).with_errors(errors)
            }
            Error::Unauthorized(_) => Self::new(StatusCode::UNAUTHORIZED, detail),
            Error::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, detail),
            Error::NotFound => Self::new(StatusCode::NOT_FOUND, "no such resource"),
            Error::NotFoundBecause(_) => Self::new(StatusCode::NOT_FOUND, detail),
            Error::Conflict(_) => Self::new(StatusCode::CONFLICT, detail),
            Error::ConflictWith { application_id, .. } => {
                Self { conflicting_application_id: Some(application_id), ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::InvalidTransition { .. } => {
                Self { code: "invalid_transition", ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::QuotaExceeded(_) => Self { code: "quota_exceeded", ..Self::new(StatusCode::CONFLICT, detail) },
            Error::OrganizationUnverified(_) => {
                Self { code: "organization_unverified", ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::PreconditionFailed(_) => Self::new(StatusCode::PRECONDITION_FAILED, detail),
            Error::PreconditionRequired(_) => Self::new(StatusCode::PRECONDITION_REQUIRED, detail),
            Error::PayloadTooLarge(_) => Self::new(StatusCode::PAYLOAD_TOO_LARGE, detail),
            Error::UnsupportedMediaType(_) => Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail),
            Error::RateLimited { retry_after } => Self {
                // Round up: retrying a fraction of a second early would fail again.
                retry_after: Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, detail)
            },
            Error::Unavailable { retry_after, .. } => Self {
                code: "unavailable",
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
            },
            Error::Internal(source) => {
                Self { internal: Some(source), ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "") }
            }
        }
    }
}

fn detail_for_fields(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        _ => format!("{} fields are not valid; see errors", errors.len()),
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Error::from(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = if self.status.is_server_error() && self.code != "unavailable" {
            if let Some(source) = &self.internal {
                tracing::error!(error = format!("{source:#}"), "request failed");
            }
            // Never SQL, paths or stack traces in a body.
            "an internal error occurred; it has been logged".to_owned()
        } else {
            self.detail
        };
        let problem = Problem {
            kind: format!("urn:dataip:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail,
            code: self.code.to_owned(),
            errors: self.errors,
            conflicting_application_id: self.conflicting_application_id,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Middleware: replaces bare error responses (empty or plain text, from the
/// router, the body limit, the timeout or a caught panic) with problem+json,
/// keeping headers such as `Allow`.
pub async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    // Bodies the service wrote itself (problem+json, readiness JSON) stay.
    let bare =
        response.headers().get(header::CONTENT_TYPE).is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !bare {
        return response;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource",
        StatusCode::METHOD_NOT_ALLOWED => "this resource does not support the method; see the Allow header",
        StatusCode::REQUEST_TIMEOUT => "the request took too long",
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
        _ => status.canonical_reason().unwrap_or("error"),
    };
    let (parts, _) = response.into_parts();
    let mut problem = ApiError::new(status, detail).into_response();
    // What layers marked the response with stays (see public_cache::PublicRead).
    *problem.extensions_mut() = parts.extensions;
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            problem.headers_mut().insert(name, value.clone());
        }
    }
    problem
}

pub type ApiResult<T> = Result<T, ApiError>;
