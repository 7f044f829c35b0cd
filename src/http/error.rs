//! Every error leaves as RFC 9457 `application/problem+json`, including the
//! framework's own (unknown route, wrong method, oversized body, timeout).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem's stable machine word: its `code`, and the tail of its `type`
/// (`urn:dataip:problem:{code}`). The OpenAPI document's problem answers
/// (`api::responses`) name theirs with the same enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// 400 without a more specific word (not met today: 400 is
    /// `validation_failed`).
    BadRequest,
    /// 400 or 422: the request is malformed or breaks a rule.
    ValidationFailed,
    /// 401.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 408.
    RequestTimeout,
    /// 409.
    Conflict,
    /// 409: the state does not allow the action.
    InvalidTransition,
    /// 409: one of the organization's quotas is used up.
    QuotaExceeded,
    /// 409: the organization is not verified.
    OrganizationUnverified,
    /// 409: the natural person is not verified.
    PartyUnverified,
    /// 409: a preservation measure holds the certificate.
    UnderPreservation,
    /// 412 or 428.
    PreconditionFailed,
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 429.
    RateLimited,
    /// 5xx.
    Internal,
    /// 503: retry later.
    Unavailable,
}

impl ProblemCode {
    pub const ALL: [ProblemCode; 19] = [
        Self::BadRequest,
        Self::ValidationFailed,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::Conflict,
        Self::InvalidTransition,
        Self::QuotaExceeded,
        Self::OrganizationUnverified,
        Self::PartyUnverified,
        Self::UnderPreservation,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
    ];

    /// The word, as `code` carries it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::ValidationFailed => "validation_failed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::Conflict => "conflict",
            Self::InvalidTransition => "invalid_transition",
            Self::QuotaExceeded => "quota_exceeded",
            Self::OrganizationUnverified => "organization_unverified",
            Self::PartyUnverified => "party_unverified",
            Self::UnderPreservation => "under_preservation",
            Self::PreconditionFailed => "precondition_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    /// The word for a status without a more specific one.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 | 422 => Self::ValidationFailed,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            408 => Self::RequestTimeout,
            409 => Self::Conflict,
            // 428: the condition was missing rather than false; one word for both.
            412 | 428 => Self::PreconditionFailed,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            429 => Self::RateLimited,
            500..=599 => Self::Internal,
            _ => Self::BadRequest,
        }
    }

    /// The problem's `type`.
    pub fn type_uri(self) -> String {
        format!("urn:dataip:problem:{}", self.as_str())
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ProblemCode,
    detail: String,
    errors: Vec<FieldError>,
    /// The record the problem is about, when it names one.
    named: Option<Named>,
    retry_after: Option<u64>,
    internal: Option<anyhow::Error>,
}

/// A record a problem names, so that a client can look it up.
#[derive(Debug, Clone, Copy)]
enum Named {
    /// `conflicting_application_id`.
    Application(Uuid),
    /// `conflicting_act_id`.
    Act(Uuid),
    /// `measure_id`.
    Measure(Uuid),
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
    /// `quota_exceeded`, `organization_unverified`, `party_unverified` or
    /// `under_preservation` (409),
    /// `precondition_failed` (412), `payload_too_large` (413),
    /// `unsupported_media_type` (415), `rate_limited` (429), `internal`
    /// (5xx). Each operation's answers say which it can carry.
    #[schema(value_type = String, example = "not_found")]
    pub code: ProblemCode,
    /// Every offending field of an invalid request; absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a `conflict` with another application (the same product filed
    /// twice, or filed again too soon after a withdrawal): that
    /// application's id; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_application_id: Option<Uuid>,
    /// On a `conflict` with another act waiting on the certificate (a
    /// second transfer, cancellation or pledge filed while one waits):
    /// that act's id; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_act_id: Option<Uuid>,
    /// On `under_preservation`: the measure in force that holds the
    /// certificate; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_id: Option<Uuid>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: ProblemCode::for_status(status),
            detail: detail.into(),
            errors: Vec::new(),
            named: None,
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
                Self { named: Some(Named::Application(application_id)), ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::ConflictingAct { act_id, .. } => {
                Self { named: Some(Named::Act(act_id)), ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::UnderPreservation { measure_id, .. } => Self {
                code: ProblemCode::UnderPreservation,
                named: Some(Named::Measure(measure_id)),
                ..Self::new(StatusCode::CONFLICT, detail)
            },
            Error::InvalidTransition { .. } => {
                Self { code: ProblemCode::InvalidTransition, ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::QuotaExceeded(_) => {
                Self { code: ProblemCode::QuotaExceeded, ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::PartyUnverified(_) => {
                Self { code: ProblemCode::PartyUnverified, ..Self::new(StatusCode::CONFLICT, detail) }
            }
            Error::OrganizationUnverified(_) => {
                Self { code: ProblemCode::OrganizationUnverified, ..Self::new(StatusCode::CONFLICT, detail) }
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
                code: ProblemCode::Unavailable,
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
        let detail = if self.status.is_server_error() && self.code != ProblemCode::Unavailable {
            if let Some(source) = &self.internal {
                tracing::error!(error = format!("{source:#}"), "request failed");
            }
            // Never SQL, paths or stack traces in a body.
            "an internal error occurred; it has been logged".to_owned()
        } else {
            self.detail
        };
        let problem = Problem {
            kind: self.code.type_uri(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail,
            code: self.code,
            errors: self.errors,
            conflicting_application_id: match self.named {
                Some(Named::Application(id)) => Some(id),
                _ => None,
            },
            conflicting_act_id: match self.named {
                Some(Named::Act(id)) => Some(id),
                _ => None,
            },
            measure_id: match self.named {
                Some(Named::Measure(id)) => Some(id),
                _ => None,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_codes_are_distinct_snake_case_words() {
        let mut words: Vec<_> = ProblemCode::ALL.iter().map(|code| code.as_str()).collect();
        for code in ProblemCode::ALL {
            assert_eq!(serde_json::to_value(code).expect("serializable"), code.as_str());
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        }
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), ProblemCode::ALL.len());
    }

    #[test]
    fn a_problem_carries_its_code_in_type_and_code() {
        let response = ApiError::from(Error::QuotaExceeded("too many drafts".into())).into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let problem = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "no");
        assert_eq!(problem.code, ProblemCode::MethodNotAllowed);
        assert_eq!(ProblemCode::for_status(StatusCode::PRECONDITION_REQUIRED), ProblemCode::PreconditionFailed);
        assert_eq!(ProblemCode::Unavailable.type_uri(), "urn:dataip:problem:unavailable");
    }
}
