//! An application to register a data product: its category, the kinds of
//! its data sources and materials, and the state machine of its procedure.

use std::fmt;

use serde::{Deserialize, Serialize};
// Certificates name these, so they are part of the ledger's format (tlog).
pub use tlog::document::{Category, MaterialKind};
use utoipa::ToSchema;

use super::{RecordDate, SourceDescription};

/// Where the data of a product comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataSourceKind {
    SelfCollected,
    Licensed,
    Purchased,
    PublicAuthorized,
}

/// One source of the product's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub kind: DataSourceKind,
    pub description: SourceDescription,
    /// When the agreement that provides the data ends, if it does: a date
    /// of the years 1900 to 9999, not already past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_ends_on: Option<RecordDate>,
}

/// Where an application stands in the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "application_state", rename_all = "snake_case")]
pub enum ApplicationState {
    Draft,
    Submitted,
    UnderReview,
    SupplementRequested,
    Rejected,
    Withdrawn,
    InAnnouncement,
    ObjectionReview,
    Registered,
}

/// What can happen to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The applicant files it (first time, or again with the supplement).
    Submit,
    /// A reviewer takes it for examination.
    Claim,
    /// The reviewer asks for supplementary materials.
    RequestSupplement,
    /// The reviewer refuses it.
    Reject,
    /// The reviewer approves it; the public announcement opens.
    Approve,
    /// The applicant gives it up.
    Withdraw,
    /// The supplement deadline passed: deemed withdrawn.
    LapseSupplement,
    /// The announcement ended with no objection open.
    CloseAnnouncement,
    /// The announcement ended with objections still open.
    AwaitObjections,
    /// An objection was upheld.
    UpholdObjection,
    /// The last open objection was dismissed, or withdrawn by its objector,
    /// after the announcement.
    DismissObjections,
    /// A data-source agreement ended before the certificate could be
    /// issued: refused for an unlawful source.
    LapseAgreement,
}

use Action::*;
use ApplicationState::*;

/// The whole procedure: (from, action) → to. Anything not listed is refused.
const TRANSITIONS: &[(ApplicationState, Action, ApplicationState)] = &[
    (Draft, Submit, Submitted),
    (SupplementRequested, Submit, Submitted),
    (Submitted, Claim, UnderReview),
    (UnderReview, RequestSupplement, SupplementRequested),
    (UnderReview, Reject, Rejected),
    (UnderReview, Approve, InAnnouncement),
    (SupplementRequested, LapseSupplement, Withdrawn),
    (InAnnouncement, CloseAnnouncement, Registered),
    (InAnnouncement, AwaitObjections, ObjectionReview),
    (InAnnouncement, UpholdObjection, Rejected),
    (ObjectionReview, UpholdObjection, Rejected),
    (ObjectionReview, DismissObjections, Registered),
    (InAnnouncement, LapseAgreement, Rejected),
    (ObjectionReview, LapseAgreement, Rejected),
    // Withdrawal: from any state before a final outcome.
    (Draft, Withdraw, Withdrawn),
    (Submitted, Withdraw, Withdrawn),
    (UnderReview, Withdraw, Withdrawn),
    (SupplementRequested, Withdraw, Withdrawn),
    (InAnnouncement, Withdraw, Withdrawn),
    (ObjectionReview, Withdraw, Withdrawn),
];

impl ApplicationState {
    pub const ALL: [ApplicationState; 9] = [
        Draft,
        Submitted,
        UnderReview,
        SupplementRequested,
        Rejected,
        Withdrawn,
        InAnnouncement,
        ObjectionReview,
        Registered,
    ];

    /// The state `action` leads to from here, if the procedure allows it.
    pub fn after(self, action: Action) -> Option<ApplicationState> {
        TRANSITIONS.iter().find(|(from, a, _)| *from == self && *a == action).map(|(_, _, to)| *to)
    }

    /// The states in which the applicant may change the application's
    /// fields and materials: while preparing it or answering a supplement
    /// request. The guarded updates bind this list.
    pub const EDITABLE: [ApplicationState; 2] = [Draft, SupplementRequested];

    /// Whether the applicant may change the application's fields and
    /// materials (one of [`Self::EDITABLE`]).
    pub fn is_editable(self) -> bool {
        Self::EDITABLE.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Draft => "draft",
            Submitted => "submitted",
            UnderReview => "under_review",
            SupplementRequested => "supplement_requested",
            Rejected => "rejected",
            Withdrawn => "withdrawn",
            InAnnouncement => "in_announcement",
            ObjectionReview => "objection_review",
            Registered => "registered",
        }
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action {
    pub const ALL: [Action; 12] = [
        Submit,
        Claim,
        RequestSupplement,
        Reject,
        Approve,
        Withdraw,
        LapseSupplement,
        CloseAnnouncement,
        AwaitObjections,
        UpholdObjection,
        DismissObjections,
        LapseAgreement,
    ];

    /// The word recorded in the history and used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Submit => "submit",
            Claim => "claim",
            RequestSupplement => "request_supplement",
            Reject => "reject",
            Approve => "approve",
            Withdraw => "withdraw",
            LapseSupplement => "lapse_supplement",
            CloseAnnouncement => "close_announcement",
            AwaitObjections => "await_objections",
            UpholdObjection => "uphold_objection",
            DismissObjections => "dismiss_objections",
            LapseAgreement => "lapse_agreement",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, action) pair, written out: the expected answer of the
    /// table, so that a change to the procedure is a visible change here.
    #[test]
    fn every_pair_of_state_and_action() {
        let expected: &[(ApplicationState, &[(Action, ApplicationState)])] = &[
            (Draft, &[(Submit, Submitted), (Withdraw, Withdrawn)]),
            (Submitted, &[(Claim, UnderReview), (Withdraw, Withdrawn)]),
            (
                UnderReview,
                &[
                    (RequestSupplement, SupplementRequested),
                    (Reject, Rejected),
                    (Approve, InAnnouncement),
                    (Withdraw, Withdrawn),
                ],
            ),
            (SupplementRequested, &[(Submit, Submitted), (Withdraw, Withdrawn), (LapseSupplement, Withdrawn)]),
            (Rejected, &[]),
            (Withdrawn, &[]),
            (
                InAnnouncement,
                &[
                    (Withdraw, Withdrawn),
                    (CloseAnnouncement, Registered),
                    (AwaitObjections, ObjectionReview),
                    (UpholdObjection, Rejected),
                    (LapseAgreement, Rejected),
                ],
            ),
            (
                ObjectionReview,
                &[
                    (Withdraw, Withdrawn),
                    (UpholdObjection, Rejected),
                    (DismissObjections, Registered),
                    (LapseAgreement, Rejected),
                ],
            ),
            (Registered, &[]),
        ];
        assert_eq!(expected.len(), ApplicationState::ALL.len());
        for (state, allowed) in expected {
            for action in Action::ALL {
                let want = allowed.iter().find(|(a, _)| *a == action).map(|(_, to)| *to);
                assert_eq!(state.after(action), want, "{state} --{action}-->");
            }
        }
    }

    #[test]
    fn final_states_take_no_action() {
        for state in [Rejected, Withdrawn, Registered] {
            assert!(Action::ALL.iter().all(|a| state.after(*a).is_none()), "{state}");
        }
    }

    #[test]
    fn only_drafts_and_supplement_requests_are_editable() {
        let editable: Vec<_> = ApplicationState::ALL.into_iter().filter(|s| s.is_editable()).collect();
        assert_eq!(editable, [Draft, SupplementRequested]);
    }

    #[test]
    fn names_match_the_wire_format() {
        for state in ApplicationState::ALL {
            assert_eq!(serde_json::to_value(state).ok(), Some(serde_json::Value::from(state.as_str())));
        }
    }
}
