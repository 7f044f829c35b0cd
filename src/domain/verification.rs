//! Whether an organization speaks for the company its credit code names:
//! registry staff check its business licence before it may file anything.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organization's verification state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "organization_verification", rename_all = "snake_case")]
pub enum Verification {
    /// Signed up; no business licence uploaded yet.
    Unverified,
    /// A business licence awaits registry staff.
    Pending,
    /// Checked by registry staff: it speaks for the company. Final.
    Verified,
    /// Staff refused the licence (with a reason); uploading another makes
    /// it pending again.
    Refused,
}

/// What moves an organization from one verification state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationStep {
    /// Its owner uploads a business licence (replacing any earlier one).
    UploadLicence,
    /// Staff verify the licence they have checked.
    Verify,
    /// An operator verifies from the command line, having checked the
    /// licence by other means (on paper, at the counter): no upload needed.
    VerifyByOperator,
    /// Staff refuse the licence.
    Refuse,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Pending => "pending",
            Verification::Verified => "verified",
            Verification::Refused => "refused",
        }
    }

    /// The state `step` leads to from this one, if it is allowed here.
    /// Verification is final; staff decide only on a pending licence.
    pub fn after(self, step: VerificationStep) -> Option<Verification> {
        use Verification::*;
        use VerificationStep::*;
        match (self, step) {
            (Unverified | Pending | Refused, UploadLicence) => Some(Pending),
            (Pending, Verify) | (Unverified | Pending | Refused, VerifyByOperator) => Some(Verified),
            (Pending, Refuse) => Some(Refused),
            _ => None,
        }
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl VerificationStep {
    /// The step as refusals name it ("cannot verify while …").
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStep::UploadLicence => "upload a business licence",
            VerificationStep::Verify | VerificationStep::VerifyByOperator => "verify",
            VerificationStep::Refuse => "refuse",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Verification::*, VerificationStep::*, *};

    #[test]
    fn every_state_and_step() {
        let table = [
            (Unverified, [Some(Pending), None, Some(Verified), None]),
            (Pending, [Some(Pending), Some(Verified), Some(Verified), Some(Refused)]),
            (Verified, [None, None, None, None]),
            (Refused, [Some(Pending), None, Some(Verified), None]),
        ];
        for (from, expected) in table {
            let steps = [UploadLicence, Verify, VerifyByOperator, Refuse];
            for (step, to) in steps.into_iter().zip(expected) {
                assert_eq!(from.after(step), to, "{from} by {step:?}");
            }
        }
        assert_eq!(
            [Unverified, Pending, Verified, Refused].map(Verification::as_str),
            ["unverified", "pending", "verified", "refused"]
        );
    }
}
