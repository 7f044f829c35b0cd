//! Certificates and objections: their numbers, states, and the signed
//! issuance document.

use std::fmt;

use serde::{Deserialize, Serialize};
// The signed issuance document is part of the ledger's format: it lives in
// the tlog crate, which verifiers use too.
pub use tlog::document::{CertificateDocument, Issuer, MaterialHash, Party, Product};
use utoipa::ToSchema;

/// The 17-digit number of a registration certificate, built as the national
/// unified certificate numbers are: year (4), month (2), registry code (4),
/// serial (7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertificateNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateNumberError {
    #[error("a certificate number has 17 digits: year, month, registry code and serial")]
    Form,
    #[error("the serial {0} does not fit in 7 digits")]
    SerialTooLarge(u64),
}

impl CertificateNumber {
    pub fn new(year: i32, month: u32, registry_code: &str, serial: u64) -> Result<Self, CertificateNumberError> {
        if serial > 9_999_999 {
            return Err(CertificateNumberError::SerialTooLarge(serial));
        }
        Self::parse(&format!("{year:04}{month:02}{registry_code}{serial:07}"))
    }

    pub fn parse(input: &str) -> Result<Self, CertificateNumberError> {
        let text = input.trim();
        let month: u32 = text.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
        if text.len() != 17 || !text.bytes().all(|b| b.is_ascii_digit()) || !(1..=12).contains(&month) {
            return Err(CertificateNumberError::Form);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "certificate_status", rename_all = "snake_case")]
pub enum CertificateStatus {
    Active,
    Expired,
    Revoked,
    Cancelled,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "objection_state", rename_all = "snake_case")]
pub enum ObjectionState {
    Open,
    Upheld,
    Dismissed,
    /// The objector withdrew it while it was open.
    Withdrawn,
}

impl ObjectionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Upheld => "upheld",
            Self::Dismissed => "dismissed",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// A reviewer's decision on an objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionDecision {
    Upheld,
    Dismissed,
}

impl From<ObjectionDecision> for ObjectionState {
    fn from(decision: ObjectionDecision) -> Self {
        match decision {
            ObjectionDecision::Upheld => Self::Upheld,
            ObjectionDecision::Dismissed => Self::Dismissed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_seventeen_digits_in_their_places() {
        let number = CertificateNumber::new(2026, 11, "3100", 42).expect("valid");
        assert_eq!(number.as_str(), "20261131000000042");
        assert_eq!(CertificateNumber::parse("20261131000000042"), Ok(number));
        assert!(CertificateNumber::parse("20261331000000042").is_err(), "month 13");
        assert!(CertificateNumber::parse("2026113100000004").is_err(), "16 digits");
        assert!(CertificateNumber::parse("2026113100000004X").is_err());
        assert!(CertificateNumber::new(2026, 1, "3100", 10_000_000).is_err());
    }
}
