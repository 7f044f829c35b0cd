//! Every word the portal shows, one catalogue per language. A field added
//! here must be given in each catalogue, so no page is half translated.

mod en;
mod zh_cn;

pub use en::EN;
pub use zh_cn::ZH_CN;

use crate::domain::{IsoDuration, Lang};

/// The portal's words in `lang`.
pub fn of(lang: Lang) -> &'static Messages {
    match lang {
        Lang::ZhCn => &ZH_CN,
        Lang::En => &EN,
    }
}

use crate::domain::{ActKind, Category, CertificateStatus, MaterialKind, MeasureKind, ObjectionState, RefusalGround};

#[derive(Debug)]
pub struct Messages {
    /// The catalogue's language (for words the domain gives in both).
    pub lang: Lang,
    // The frame of every page.
    pub skip_to_content: &'static str,
    pub nav_label: &'static str,
    pub nav_home: &'static str,
    pub nav_announcements: &'static str,
    pub nav_certificates: &'static str,
    pub nav_verify: &'static str,
    pub nav_ledger: &'static str,
    /// The name of the other language, in that language.
    pub other_language: &'static str,
    pub portal_title: &'static str,
    pub footer_note: &'static str,
    pub footer_api: &'static str,
    pub footer_feeds: &'static str,

    // The home page.
    /// With the announcement period and the certificates' validity, in
    /// words ([`Messages::period`]), as the workflow settings say them.
    pub home_intro: fn(&str, &str) -> String,
    /// With the announcement period in words.
    pub home_steps: fn(&str) -> String,
    /// A period of the workflow settings in words: `15 days`, `three years`.
    pub period: fn(&IsoDuration) -> String,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub count_in_announcement: &'static str,
    pub count_registered: &'static str,
    pub latest_announcements: &'static str,
    pub see_all: &'static str,

    // Announcements.
    pub announcements_title: &'static str,
    pub announcements_intro: &'static str,
    pub past_announcements_title: &'static str,
    pub past_announcements_intro: &'static str,
    pub past_announcements_link: &'static str,
    pub current_announcements_link: &'static str,
    pub category_filter: &'static str,
    pub all_categories: &'static str,
    pub filter_button: &'static str,
    pub no_results: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub product: &'static str,
    pub category: &'static str,
    pub holder: &'static str,
    pub holder_verified: &'static str,
    pub holder_unverified: &'static str,
    /// Beside a holder who is a natural person.
    pub natural_person: &'static str,
    pub abstract_label: &'static str,
    pub registration_number: &'static str,
    pub window: &'static str,
    pub window_starts: &'static str,
    pub window_ends: &'static str,
    pub materials: &'static str,
    pub materials_note: &'static str,
    pub material_kind: &'static str,
    pub days_left: fn(i64) -> String,
    pub window_closed: &'static str,
    pub outcome_objection_review: &'static str,
    pub outcome_registered: &'static str,
    pub outcome_refused: &'static str,
    pub outcome_withdrawn: &'static str,
    pub see_certificate: &'static str,

    // Filing an objection.
    pub objection_form_title: &'static str,
    pub objection_form_intro: &'static str,
    pub objector_name: &'static str,
    pub contact_email: &'static str,
    pub contact_email_note: &'static str,
    pub interest: &'static str,
    pub interest_hint: &'static str,
    pub objection_grounds: &'static str,
    pub objection_grounds_hint: &'static str,
    pub file_objection: &'static str,
    pub form_has_errors: &'static str,
    pub error_required: &'static str,
    pub error_too_long: fn(usize) -> String,
    pub error_email: &'static str,
    pub error_cross_site: &'static str,
    pub error_rate_limited: &'static str,
    pub error_window_closed: &'static str,
    pub error_unavailable: &'static str,
    pub objection_filed_title: &'static str,
    pub objection_filed_keep: &'static str,
    pub tracking_link: &'static str,

    // Following an objection.
    pub objection_title: &'static str,
    pub objection_state: &'static str,
    pub filed_at: &'static str,
    pub decision_due: &'static str,
    pub holder_replies: &'static str,
    pub no_replies: &'static str,
    pub decision: &'static str,
    pub decided_at: &'static str,
    pub decision_grounds: &'static str,
    pub evidence: &'static str,
    pub no_evidence: &'static str,
    pub evidence_note: &'static str,
    pub evidence_file: &'static str,
    pub attach_evidence: &'static str,
    pub evidence_attached: &'static str,
    pub withdraw_title: &'static str,
    pub withdraw_note: &'static str,
    pub withdraw_button: &'static str,
    pub withdrawn_at: &'static str,
    pub error_file: &'static str,

    // The register and its records.
    pub register_title: &'static str,
    pub register_intro: &'static str,
    pub status_filter: &'static str,
    pub all_statuses: &'static str,
    pub certificate_number: &'static str,
    pub status: &'static str,
    pub valid_from: &'static str,
    pub valid_until: &'static str,
    pub validity: &'static str,
    pub validity_bounded: fn(&str) -> String,
    pub issued_at: &'static str,
    pub credit_code: &'static str,
    pub licenses: &'static str,
    pub no_licenses: &'static str,
    pub licensee: &'static str,
    pub exclusive: &'static str,
    pub non_exclusive: &'static str,
    pub term: &'static str,
    pub pledges: &'static str,
    pub no_pledges: &'static str,
    pub pledgee: &'static str,
    pub secured_amount: &'static str,
    pub history: &'static str,
    pub no_acts: &'static str,
    pub act: &'static str,
    pub approved_at: &'static str,
    pub ledger_index: &'static str,
    pub reason: &'static str,
    pub ended: fn(&str, &str) -> String,
    pub ledger_receipt: &'static str,
    pub ledger_pending: &'static str,
    pub leaf_index: &'static str,
    pub tree_size: &'static str,
    pub root_hash: &'static str,
    pub signed_checkpoint: &'static str,
    pub signing_key: &'static str,
    pub verify_this: &'static str,
    pub json_version: &'static str,

    // Verification.
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub verify_by_number: &'static str,
    pub verify_button: &'static str,
    pub verify_by_file: &'static str,
    pub verify_file_hint: &'static str,
    pub upload_and_verify: &'static str,
    pub result_title: &'static str,
    pub result_valid: &'static str,
    pub result_invalid: &'static str,
    pub check_signature_ok: &'static str,
    pub check_signature_bad: &'static str,
    pub check_included_ok: fn(u64, u64) -> String,
    pub check_included_bad: &'static str,
    pub check_anchored: fn(u64, &str) -> String,
    pub check_not_anchored: &'static str,
    pub check_status: fn(&str) -> String,
    pub check_unknown_number: &'static str,
    pub check_mismatch: &'static str,
    pub what_failed: &'static str,
    pub file_unreadable: &'static str,
    pub file_too_large: &'static str,
    /// A PDF past the reader's limits, with the limit in words.
    pub file_too_complex: fn(&str) -> String,
    pub number_invalid: &'static str,

    // The ledger.
    pub ledger_title: &'static str,
    pub ledger_intro: &'static str,
    pub checkpoint: &'static str,
    pub ledger_size: &'static str,
    pub anchors: &'static str,
    pub no_anchors: &'static str,
    pub chain: &'static str,
    pub transaction: &'static str,
    pub block: &'static str,
    pub anchored_at: &'static str,
    pub verify_offline: &'static str,
    pub verify_offline_steps: &'static str,
    pub witnesses: &'static str,
    pub no_cosignatures: &'static str,
    pub policy: &'static str,
    pub download_proof: &'static str,
    pub check_witnessed: fn(&str) -> String,
    pub check_not_witnessed: &'static str,

    // Unsubscribing from a kind of mail.
    pub unsubscribe_title: &'static str,
    pub unsubscribe_intro: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribed: &'static str,
    pub confirm_email_title: &'static str,
    pub confirm_email_intro: &'static str,
    pub confirm_email_button: &'static str,
    pub confirm_email_invalid: &'static str,
    /// The address just proven.
    pub email_confirmed: fn(&str) -> String,

    // Missing pages.
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_home: &'static str,

    // Feeds.
    pub feed_announcements: &'static str,
    pub feed_certificates: &'static str,
    pub feed_announced: fn(&str) -> String,
    pub feed_changed: fn(&str, &str, &str) -> String,

    // Vocabularies.
    pub categories: [&'static str; 3],
    pub statuses: [&'static str; 4],
    pub objection_states: [&'static str; 4],
    pub grounds: [&'static str; 7],
    pub material_kinds: [&'static str; 6],
    pub act_kinds: [&'static str; 8],
    /// The banner of a certificate a preservation measure holds.
    pub under_preservation: &'static str,
    pub measures: &'static str,
    pub measure: &'static str,
    pub authority: &'static str,
    pub document_number: &'static str,
    pub measure_in_force: &'static str,
    pub measure_lifted: &'static str,
    /// A pledge's rank among the certificate's pledges.
    pub rank: &'static str,
    pub transferee: &'static str,
    // The single-use confirmation link's page.
    pub confirm_act_title: &'static str,
    /// What the link asks of the act's own counterparty, by act kind.
    pub confirm_act_word: fn(&str) -> String,
    /// What the link asks of a pledgee of record, by act kind.
    pub confirm_act_consent: fn(&str) -> String,
    pub confirm_act_intro: &'static str,
    pub confirm_act_due: &'static str,
    pub confirm_act_confirm: &'static str,
    pub confirm_act_decline: &'static str,
    pub confirm_act_confirmed: &'static str,
    pub confirm_act_declined: &'static str,
    pub confirm_act_closed: &'static str,
    pub confirm_act_choose: &'static str,
}

impl Messages {
    pub fn category(&self, category: Category) -> &'static str {
        self.categories[match category {
            Category::DataCollection => 0,
            Category::DataProduct => 1,
            Category::DataAlgorithm => 2,
        }]
    }

    pub fn status(&self, status: CertificateStatus) -> &'static str {
        self.statuses[match status {
            CertificateStatus::Active => 0,
            CertificateStatus::Expired => 1,
            CertificateStatus::Revoked => 2,
            CertificateStatus::Cancelled => 3,
        }]
    }

    pub fn objection_state(&self, state: ObjectionState) -> &'static str {
        self.objection_states[match state {
            ObjectionState::Open => 0,
            ObjectionState::Upheld => 1,
            ObjectionState::Dismissed => 2,
            ObjectionState::Withdrawn => 3,
        }]
    }

    pub fn ground(&self, ground: RefusalGround) -> &'static str {
        let index = RefusalGround::ALL.iter().position(|g| *g == ground).unwrap_or(6);
        self.grounds[index]
    }

    pub fn material_kind(&self, kind: MaterialKind) -> &'static str {
        self.material_kinds[match kind {
            MaterialKind::ApplicationForm => 0,
            MaterialKind::Summary => 1,
            MaterialKind::ProcessingInnovation => 2,
            MaterialKind::ApplicationScenarios => 3,
            MaterialKind::DataSourceProof => 4,
            MaterialKind::Sample => 5,
        }]
    }

    pub fn measure_kind(&self, kind: MeasureKind) -> &'static str {
        match self.lang {
            Lang::ZhCn => kind.chinese(),
            Lang::En => kind.english(),
        }
    }

    pub fn act_kind(&self, kind: ActKind) -> &'static str {
        self.act_kinds[match kind {
            ActKind::License => 0,
            ActKind::Pledge => 1,
            ActKind::PledgeRelease => 2,
            ActKind::Transfer => 3,
            ActKind::Change => 4,
            ActKind::Renewal => 5,
            ActKind::Cancellation => 6,
            ActKind::Revocation => 7,
        }]
    }
}
