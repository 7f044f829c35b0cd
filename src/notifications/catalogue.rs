//! The one list of what the registry tells people about. E-mail (and, later,
//! webhooks and watches) derive from it: a kind's name is its wire name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventKind {
    #[serde(rename = "application.submitted")]
    ApplicationSubmitted,
    #[serde(rename = "application.supplement_requested")]
    ApplicationSupplementRequested,
    #[serde(rename = "application.approved")]
    ApplicationApproved,
    #[serde(rename = "application.rejected")]
    ApplicationRejected,
    #[serde(rename = "application.registered")]
    ApplicationRegistered,
    #[serde(rename = "objection.filed")]
    ObjectionFiled,
    #[serde(rename = "objection.withdrawn")]
    ObjectionWithdrawn,
    #[serde(rename = "objection.decided")]
    ObjectionDecided,
    /// Staff: objections nearing or past their decision deadline.
    #[serde(rename = "objection.overdue")]
    ObjectionOverdue,
    #[serde(rename = "act.decided")]
    ActDecided,
    /// An act names the party as its counterparty and awaits its word.
    #[serde(rename = "act.confirmation_requested")]
    ConfirmationRequested,
    #[serde(rename = "certificate.expiring")]
    CertificateExpiring,
    #[serde(rename = "certificate.revoked")]
    CertificateRevoked,
    /// A preservation measure now holds the certificate.
    #[serde(rename = "certificate.measure_recorded")]
    MeasureRecorded,
    /// A preservation measure on the certificate was lifted.
    #[serde(rename = "certificate.measure_lifted")]
    MeasureLifted,
    #[serde(rename = "organization.verified")]
    OrganizationVerified,
    #[serde(rename = "organization.refused")]
    OrganizationRefused,
    /// Staff verified the organization as a relying party.
    #[serde(rename = "relying_party.verified")]
    RelyingPartyVerified,
    #[serde(rename = "relying_party.refused")]
    RelyingPartyRefused,
    /// A new announcement matches a user's watch.
    #[serde(rename = "watch.matched")]
    WatchMatched,
    /// A certificate the party watches (or holds a pledge of) changed, and
    /// the change is in a checkpoint.
    #[serde(rename = "watch.certificate_changed")]
    WatchCertificateChanged,
    /// Security mail, which cannot be switched off.
    #[serde(rename = "security.password_changed")]
    PasswordChanged,
    #[serde(rename = "security.password_reset")]
    PasswordReset,
    /// The link that sets a new password, mailed on request; mail only.
    #[serde(rename = "security.password_reset_link")]
    PasswordResetLink,
    #[serde(rename = "security.api_key_created")]
    ApiKeyCreated,
    /// The link that proves an address; mail only.
    #[serde(rename = "security.email_confirmation")]
    EmailConfirmation,
}

impl EventKind {
    pub const ALL: [EventKind; 26] = [
        Self::ApplicationSubmitted,
        Self::ApplicationSupplementRequested,
        Self::ApplicationApproved,
        Self::ApplicationRejected,
        Self::ApplicationRegistered,
        Self::ObjectionFiled,
        Self::ObjectionWithdrawn,
        Self::ObjectionDecided,
        Self::ObjectionOverdue,
        Self::ActDecided,
        Self::ConfirmationRequested,
        Self::CertificateExpiring,
        Self::CertificateRevoked,
        Self::MeasureRecorded,
        Self::MeasureLifted,
        Self::OrganizationVerified,
        Self::OrganizationRefused,
        Self::RelyingPartyVerified,
        Self::RelyingPartyRefused,
        Self::WatchMatched,
        Self::WatchCertificateChanged,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::PasswordResetLink,
        Self::ApiKeyCreated,
        Self::EmailConfirmation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationSubmitted => "application.submitted",
            Self::ApplicationSupplementRequested => "application.supplement_requested",
            Self::ApplicationApproved => "application.approved",
            Self::ApplicationRejected => "application.rejected",
            Self::ApplicationRegistered => "application.registered",
            Self::ObjectionFiled => "objection.filed",
            Self::ObjectionWithdrawn => "objection.withdrawn",
            Self::ObjectionDecided => "objection.decided",
            Self::ObjectionOverdue => "objection.overdue",
            Self::ActDecided => "act.decided",
            Self::ConfirmationRequested => "act.confirmation_requested",
            Self::CertificateExpiring => "certificate.expiring",
            Self::CertificateRevoked => "certificate.revoked",
            Self::MeasureRecorded => "certificate.measure_recorded",
            Self::MeasureLifted => "certificate.measure_lifted",
            Self::OrganizationVerified => "organization.verified",
            Self::OrganizationRefused => "organization.refused",
            Self::RelyingPartyVerified => "relying_party.verified",
            Self::RelyingPartyRefused => "relying_party.refused",
            Self::WatchMatched => "watch.matched",
            Self::WatchCertificateChanged => "watch.certificate_changed",
            Self::PasswordChanged => "security.password_changed",
            Self::PasswordReset => "security.password_reset",
            Self::PasswordResetLink => "security.password_reset_link",
            Self::ApiKeyCreated => "security.api_key_created",
            Self::EmailConfirmation => "security.email_confirmation",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Security mail reaches its user whatever their preferences.
    pub fn is_security(self) -> bool {
        matches!(
            self,
            Self::PasswordChanged
                | Self::PasswordReset
                | Self::PasswordResetLink
                | Self::ApiKeyCreated
                | Self::EmailConfirmation
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_names_and_unique() {
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::Value::String(kind.as_str().into())));
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        let names: std::collections::HashSet<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(EventKind::parse("application.unknown"), None);
    }
}
