//! What an application's history records: the steps of the procedure, the
//! applicant's and the public's other doings, and the acts on its
//! certificate. Stored as text in `application_events.action` (a CHECK lists
//! the words).

use super::{ActKind, Action, vocabulary::vocabulary};

vocabulary! {
    /// One entry's action in an application's history.
    pub enum HistoryAction {
        // The steps of the procedure (`Action`), with its words.
        Submit = "submit",
        Claim = "claim",
        RequestSupplement = "request_supplement",
        Reject = "reject",
        Approve = "approve",
        Withdraw = "withdraw",
        LapseSupplement = "lapse_supplement",
        CloseAnnouncement = "close_announcement",
        AwaitObjections = "await_objections",
        UpholdObjection = "uphold_objection",
        DismissObjections = "dismiss_objections",
        LapseAgreement = "lapse_agreement",
        // The applicant's doings that change no state.
        /// The draft was created.
        Create = "create",
        /// Its fields were edited.
        Update = "update",
        UploadMaterial = "upload_material",
        DeleteMaterial = "delete_material",
        // Objections, while it is announced or after.
        /// Someone objected.
        Object = "object",
        WithdrawObjection = "withdraw_objection",
        RespondObjection = "respond_objection",
        AddObjectionEvidence = "add_objection_evidence",
        /// One objection was dismissed.
        DismissObjection = "dismiss_objection",
        /// Its open objections were closed (the application was decided).
        CloseObjections = "close_objections",
        // Acts on its certificate, named as their ledger entries are.
        LicenseRecorded = "license.recorded",
        PledgeRecorded = "pledge.recorded",
        PledgeReleased = "pledge.released",
        CertificateTransferred = "certificate.transferred",
        CertificateChanged = "certificate.changed",
        CertificateRenewed = "certificate.renewed",
        CertificateCancelled = "certificate.cancelled",
        CertificateRevoked = "certificate.revoked",
    }
}

impl From<Action> for HistoryAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Submit => Self::Submit,
            Action::Claim => Self::Claim,
            Action::RequestSupplement => Self::RequestSupplement,
            Action::Reject => Self::Reject,
            Action::Approve => Self::Approve,
            Action::Withdraw => Self::Withdraw,
            Action::LapseSupplement => Self::LapseSupplement,
            Action::CloseAnnouncement => Self::CloseAnnouncement,
            Action::AwaitObjections => Self::AwaitObjections,
            Action::UpholdObjection => Self::UpholdObjection,
            Action::DismissObjections => Self::DismissObjections,
            Action::LapseAgreement => Self::LapseAgreement,
        }
    }
}

impl From<ActKind> for HistoryAction {
    /// An approved act of this kind, as the history records it: the type of
    /// its ledger entry.
    fn from(kind: ActKind) -> Self {
        match kind {
            ActKind::License => Self::LicenseRecorded,
            ActKind::Pledge => Self::PledgeRecorded,
            ActKind::PledgeRelease => Self::PledgeReleased,
            ActKind::Transfer => Self::CertificateTransferred,
            ActKind::Change => Self::CertificateChanged,
            ActKind::Renewal => Self::CertificateRenewed,
            ActKind::Cancellation => Self::CertificateCancelled,
            ActKind::Revocation => Self::CertificateRevoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_procedure_s_steps_keep_their_words() {
        for action in Action::ALL {
            assert_eq!(HistoryAction::from(action).as_str(), action.as_str());
        }
    }

    #[test]
    fn the_words_are_distinct() {
        let mut words: Vec<_> = HistoryAction::ALL.iter().map(|action| action.as_str()).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), HistoryAction::ALL.len());
    }
}
