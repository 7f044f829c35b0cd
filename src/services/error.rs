//! What a use-case can answer besides success. The HTTP layer turns each
//! variant into its problem+json response.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    /// Not found for this caller, with the reason: for resources that exist
    /// but are not theirs to see yet, where saying why spares a support call
    /// (e.g. a draft, which staff see once it is submitted).
    #[error("{0}")]
    NotFoundBecause(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A conflict with another application, named so that a client can
    /// look it up (the same product filed twice).
    #[error("{message}")]
    ConflictWith { message: String, application_id: uuid::Uuid },
    /// A conflict with another act waiting on the certificate, named so
    /// that a client can look it up.
    #[error("{message}")]
    ConflictingAct { message: String, act_id: uuid::Uuid },
    /// A preservation measure in force holds the certificate: the act
    /// cannot be filed or take effect until it is lifted.
    #[error("{message}")]
    UnderPreservation { message: String, measure_id: uuid::Uuid },
    #[error("cannot {action} while the {subject} is {from}")]
    InvalidTransition { subject: &'static str, from: String, action: String },
    /// The organization would exceed one of its quotas (`[quota]`).
    #[error("{0}")]
    QuotaExceeded(String),
    /// The organization has not been verified, and what it asked for needs
    /// it to be (submitting an application).
    #[error("{0}")]
    OrganizationUnverified(String),
    /// The same for a natural person.
    #[error("{0}")]
    PartyUnverified(String),
    #[error("{0}")]
    PreconditionFailed(String),
    /// A write that must name what it was decided on (`If-Match`) and did
    /// not.
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; try again in {}", wait_in_words(*retry_after))]
    RateLimited { retry_after: Duration },
    /// The service cannot take the request now (the database is out of
    /// reach, the password hashers are busy): retrying later may succeed.
    #[error("{what}; try again in {}", wait_in_words(*retry_after))]
    Unavailable { what: &'static str, retry_after: Duration },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&error) {
            tracing::warn!(error = %error, "the database is out of reach");
            return Self::DATABASE_UNAVAILABLE;
        }
        Self::Internal(error.into())
    }
}

impl From<crate::auth::HashingError> for Error {
    fn from(error: crate::auth::HashingError) -> Self {
        match error {
            crate::auth::HashingError::Busy => {
                Self::Unavailable { what: "every password hasher is busy", retry_after: Duration::from_secs(1) }
            }
            crate::auth::HashingError::Failed(error) => Self::Internal(error),
        }
    }
}

impl Error {
    pub const DATABASE_UNAVAILABLE: Self =
        Self::Unavailable { what: "the registry's database is out of reach", retry_after: Duration::from_secs(5) };
}

/// A wait as people say it, rounded up so that retrying when it says never
/// comes too early: "30 seconds", "14 minutes", "2 hours".
fn wait_in_words(wait: Duration) -> String {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let minutes = seconds.div_ceil(60);
    let (count, unit) = match (seconds, minutes) {
        (0..60, _) => (seconds.max(1), "second"),
        (_, 1..60) => (minutes, "minute"),
        _ => (seconds.div_ceil(3600), "hour"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

pub use crate::input::FieldError;

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

/// Collects every field problem of a request before answering, so a client
/// learns all of them at once.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records why it could not be parsed.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, parsed: std::result::Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message.to_string());
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when nothing was recorded.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }

    /// The error to answer when a value that should be there is missing
    /// (only after `check` recorded why).
    pub fn into_error(self) -> Error {
        Error::Validation(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_said_in_words_rounded_up() {
        let wait = |millis| wait_in_words(Duration::from_millis(millis));
        assert_eq!(wait(0), "1 second");
        assert_eq!(wait(400), "1 second");
        assert_eq!(wait(30_000), "30 seconds");
        assert_eq!(wait(59_001), "1 minute");
        assert_eq!(wait(60_000), "1 minute");
        assert_eq!(wait(61_000), "2 minutes");
        assert_eq!(wait(14 * 60_000), "14 minutes");
        assert_eq!(wait(59 * 60_000 + 1), "1 hour");
        assert_eq!(wait(3_600_000), "1 hour");
        assert_eq!(wait(3_600_001), "2 hours");
        let limited = Error::RateLimited { retry_after: Duration::from_secs(839) };
        assert_eq!(limited.to_string(), "too many attempts; try again in 14 minutes");
    }
}
