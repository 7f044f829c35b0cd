//! What the audit log records of staff and operators: the actions, and the
//! kinds of record they act on. Stored as text in `audit_log.action` and
//! `audit_log.target_type` (CHECKs list the words).

use super::{Action, vocabulary::vocabulary};

vocabulary! {
    /// One action of staff or an operator.
    pub enum AuditAction {
        ApplicationClaim = "application.claim",
        ApplicationRequestSupplement = "application.request_supplement",
        ApplicationReject = "application.reject",
        ApplicationApprove = "application.approve",
        ObjectionDecide = "objection.decide",
        ActApprove = "act.approve",
        ActReject = "act.reject",
        CertificateRevoke = "certificate.revoke",
        OrganizationVerify = "organization.verify",
        OrganizationRefuse = "organization.refuse",
        OrganizationGrantRefileException = "organization.grant_refile_exception",
        PersonVerify = "person.verify",
        PersonRefuse = "person.refuse",
        /// Staff downloaded a person's identity document.
        PersonDownloadDocument = "person.download_document",
        MeasureRecord = "measure.record",
        MeasureUploadDocument = "measure.upload_document",
        MeasureLift = "measure.lift",
        /// Staff verified an organization as a relying party.
        RelyingPartyVerify = "relying_party.verify",
        RelyingPartyRefuse = "relying_party.refuse",
        UserResetPassword = "user.reset_password",
        StaffAdd = "staff.add",
        StaffDisable = "staff.disable",
        StaffEnable = "staff.enable",
    }
}

vocabulary! {
    /// The kind of record an audited action is on.
    pub enum AuditTarget {
        Application = "application",
        Objection = "objection",
        Act = "act",
        Certificate = "certificate",
        User = "user",
        Organization = "organization",
        /// A natural person's party.
        Person = "person",
        /// A preservation measure on a certificate.
        Measure = "measure",
        /// An organization's standing as a relying party (its id).
        RelyingParty = "relying_party",
    }
}

impl AuditAction {
    /// The kind of record the action is on.
    pub const fn target(self) -> AuditTarget {
        match self {
            Self::ApplicationClaim
            | Self::ApplicationRequestSupplement
            | Self::ApplicationReject
            | Self::ApplicationApprove => AuditTarget::Application,
            Self::ObjectionDecide => AuditTarget::Objection,
            Self::ActApprove | Self::ActReject => AuditTarget::Act,
            Self::CertificateRevoke => AuditTarget::Certificate,
            Self::OrganizationVerify | Self::OrganizationRefuse | Self::OrganizationGrantRefileException => {
                AuditTarget::Organization
            }
            Self::PersonVerify | Self::PersonRefuse | Self::PersonDownloadDocument => AuditTarget::Person,
            Self::MeasureRecord | Self::MeasureUploadDocument | Self::MeasureLift => AuditTarget::Measure,
            Self::RelyingPartyVerify | Self::RelyingPartyRefuse => AuditTarget::RelyingParty,
            Self::UserResetPassword | Self::StaffAdd | Self::StaffDisable | Self::StaffEnable => AuditTarget::User,
        }
    }

    /// A reviewer's step of the procedure, if staff take it (and the audit
    /// log records it).
    pub const fn of_review(action: Action) -> Option<Self> {
        match action {
            Action::Claim => Some(Self::ApplicationClaim),
            Action::RequestSupplement => Some(Self::ApplicationRequestSupplement),
            Action::Reject => Some(Self::ApplicationReject),
            Action::Approve => Some(Self::ApplicationApprove),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_named_after_its_target() {
        for action in AuditAction::ALL {
            let target = action.target().as_str();
            let expected = if target == "user" && action.as_str().starts_with("staff.") { "staff" } else { target };
            assert!(action.as_str().starts_with(&format!("{expected}.")), "{action}");
        }
    }

    #[test]
    fn review_actions_are_the_procedure_s_words() {
        for action in Action::ALL {
            if let Some(audit) = AuditAction::of_review(action) {
                assert_eq!(audit.as_str(), format!("application.{action}"));
            }
        }
    }
}
