//! English: the portal's second language.

use super::Messages;
use crate::domain::{IsoDuration, Lang};

pub const EN: Messages = Messages {
    lang: Lang::En,
    skip_to_content: "Skip to content",
    nav_label: "Main",
    nav_home: "Home",
    nav_announcements: "Announcements",
    nav_certificates: "Certificates",
    nav_verify: "Verify",
    nav_ledger: "Ledger",
    other_language: "中文",
    portal_title: "Data Intellectual Property Registry",
    footer_note: "Registration is online and free. Anyone may object during an announcement; certificates are recorded on a tamper-evident ledger that can be checked offline.",
    footer_api: "API",
    footer_feeds: "Feeds",

    home_intro,
    home_steps,
    period,
    search_label: "Search products in announcement",
    search_placeholder: "Product name, abstract or holder, e.g. logistics",
    search_button: "Search",
    count_in_announcement: "In announcement",
    count_registered: "Valid certificates",
    latest_announcements: "Latest announcements",
    see_all: "All announcements",

    announcements_title: "Announcements",
    announcements_intro: "These applications passed review and are now announced. If a registration may harm your lawful rights, you may object before its window closes.",
    past_announcements_title: "Past announcements",
    past_announcements_intro: "Applications whose announcement window has closed, with what came of them.",
    past_announcements_link: "Past announcements",
    current_announcements_link: "Current announcements",
    category_filter: "Category",
    all_categories: "All categories",
    filter_button: "Filter",
    no_results: "Nothing matches.",
    next_page: "Next page",
    first_page: "Back to the first page",
    product: "Product",
    category: "Category",
    holder: "Holder",
    holder_verified: "Verified",
    holder_unverified: "Not verified",
    natural_person: "Natural person",
    abstract_label: "Abstract",
    registration_number: "Registration number",
    window: "Announcement window",
    window_starts: "Opens",
    window_ends: "Closes",
    materials: "Materials",
    materials_note: "Material contents are never public: only their kinds and SHA-256 digests, to compare with files you hold.",
    material_kind: "Kind",
    days_left,
    window_closed: "The announcement window has closed; objections are no longer accepted.",
    outcome_objection_review: "The window has closed; the registry is deciding the objections.",
    outcome_registered: "The window has closed and the certificate was issued.",
    outcome_refused: "The window has closed; the registration was refused.",
    outcome_withdrawn: "The applicant withdrew the application.",
    see_certificate: "See the certificate",

    objection_form_title: "Object to this registration",
    objection_form_intro: "Say how the registration concerns you and why it should not stand. You will get a tracking link to follow the objection, add evidence or withdraw it.",
    objector_name: "Your name or organization",
    contact_email: "Contact e-mail",
    contact_email_note: "Only registry staff see your e-mail address, to contact you; it is never published or given to the applicant. Your name, interest and grounds are given to the applicant to answer.",
    interest: "Your interest",
    interest_hint: "How the registration concerns your rights, e.g. we collected this data first.",
    objection_grounds: "Grounds",
    objection_grounds_hint: "Why the registration should not stand, and the facts you can show.",
    file_objection: "File the objection",
    form_has_errors: "Some fields need correcting; see below.",
    error_required: "Fill in this field.",
    error_too_long: too_long,
    error_email: "Give a valid e-mail address, such as name@example.com.",
    error_cross_site: "This form can only be sent from this site's pages. Reload the page and try again.",
    error_rate_limited: "Too many attempts; try again later.",
    error_window_closed: "The announcement window has closed; objections are no longer accepted.",
    error_unavailable: "The registry is busy; try again in a moment.",
    objection_filed_title: "Objection filed",
    objection_filed_keep: "Save the tracking link below now: it is shown only this once, the registry keeps no copy of it, and it cannot be recovered.",
    tracking_link: "Tracking link",

    objection_title: "Your objection",
    objection_state: "State",
    filed_at: "Filed",
    decision_due: "Decision due",
    holder_replies: "The applicant's replies",
    no_replies: "The applicant has not replied yet.",
    decision: "Decision",
    decided_at: "Decided",
    decision_grounds: "Grounds of refusal",
    evidence: "Evidence",
    no_evidence: "No evidence attached yet.",
    evidence_note: "Evidence is never public: only the applicant and registry staff can read it. At most five files.",
    evidence_file: "Choose a file",
    attach_evidence: "Attach evidence",
    evidence_attached: "The evidence was attached.",
    withdraw_title: "Withdraw the objection",
    withdraw_note: "A withdrawn objection is no longer decided, and cannot be reopened.",
    withdraw_button: "Withdraw",
    withdrawn_at: "Withdrawn",
    error_file: "The file was not attached",

    register_title: "Certificates",
    register_intro: "Every data intellectual property certificate issued, expired, cancelled and revoked ones included.",
    status_filter: "Status",
    all_statuses: "All statuses",
    certificate_number: "Certificate number",
    status: "Status",
    valid_from: "Valid from",
    valid_until: "Valid until",
    validity: "Validity",
    validity_bounded,
    issued_at: "Issued",
    credit_code: "Unified social credit code",
    licenses: "Current licences",
    no_licenses: "No current licence.",
    licensee: "Licensee",
    exclusive: "Exclusive",
    non_exclusive: "Non-exclusive",
    term: "Term",
    pledges: "Unreleased pledges",
    no_pledges: "No unreleased pledge.",
    pledgee: "Pledgee",
    secured_amount: "Secured amount",
    history: "Recorded acts",
    no_acts: "No act recorded yet.",
    act: "Act",
    approved_at: "Recorded",
    ledger_index: "Ledger index",
    reason: "Reason",
    ended,
    ledger_receipt: "Ledger receipt",
    ledger_pending: "The issuance is being written to the ledger.",
    leaf_index: "Leaf index",
    tree_size: "Ledger size",
    root_hash: "Root hash",
    signed_checkpoint: "Signed checkpoint",
    signing_key: "Signing key",
    verify_this: "Verify this certificate",
    json_version: "As JSON",

    verify_title: "Verify a certificate",
    verify_intro: "Check that a certificate was issued by this registry, that it is recorded on the ledger, and what its status is today.",
    verify_by_number: "By certificate number",
    verify_button: "Verify",
    verify_by_file: "By its file",
    verify_file_hint: "The certificate PDF, or the certificate JSON with its signature (as the holder's API returns it). The file is not kept.",
    upload_and_verify: "Upload and verify",
    result_title: "Result",
    result_valid: "Verified",
    result_invalid: "Not verified",
    check_signature_ok: "Signature valid: signed with this registry's key.",
    check_signature_bad: "Signature not valid: this registry did not sign the document, or it was changed after signing.",
    check_included_ok: included_ok,
    check_included_bad: "No proof that the certificate is recorded on a ledger this registry signed.",
    check_anchored: anchored,
    check_not_anchored: "That checkpoint is not anchored to a chain yet.",
    check_status: status_now,
    check_unknown_number: "This registry has no certificate of that number.",
    check_mismatch: "The file does not match the registry's record.",
    what_failed: "What failed",
    file_unreadable: "The file could not be read: upload the certificate PDF or its JSON.",
    file_too_large: "The file is too large.",
    file_too_complex: pdf_too_complex,
    number_invalid: "A certificate number has 17 digits.",

    ledger_title: "The ledger",
    ledger_intro: "Every certificate's issuance, and every act recorded after it, is appended as an entry to an append-only Merkle tree. The registry signs each checkpoint of the tree and anchors checkpoints to a blockchain, so anyone can check them offline.",
    checkpoint: "Latest checkpoint",
    ledger_size: "Entries",
    anchors: "Chain anchors",
    no_anchors: "Nothing anchored yet.",
    chain: "Chain",
    transaction: "Transaction",
    block: "Block",
    anchored_at: "Anchored",
    verify_offline: "Verifying offline",
    verify_offline_steps: "A bank, a court or anyone can check a certificate with no network and no trust in this site: download the registry's suggested trust policy and the certificate's offline proof (its PDF carries one too), and run dataip verify, which checks the registry's signature, the ledger inclusion proof, the checkpoint's signature and the witness cosignatures the policy requires on your machine. The proof shows issuance; for later revocation, transfer or pledges add --online.",
    witnesses: "Witness cosignatures",
    no_cosignatures: "No witness has cosigned this checkpoint yet.",
    policy: "Trust policy",
    download_proof: "Download the offline proof",
    check_witnessed: |names| format!("The ledger checkpoint is cosigned by witnesses: {names}"),
    check_not_witnessed: "No witness has cosigned the ledger checkpoint yet",

    unsubscribe_title: "Unsubscribe",
    unsubscribe_intro: "Once you confirm, you will no longer receive these messages. You can switch them on again in your account's notification settings.",
    unsubscribe_button: "Unsubscribe",
    unsubscribed: "Done: you will no longer receive these messages.",
    confirm_email_title: "Confirm your e-mail address",
    confirm_email_intro: "Press the button to confirm that this mailbox is yours. Then security notices, watches and your organization's notices reach you here.",
    confirm_email_button: "Confirm",
    confirm_email_invalid: "This link is invalid, already used or expired. Sign in and ask for a new one.",
    email_confirmed: address_confirmed,

    not_found_title: "Page not found",
    not_found_body: "The page or record you are looking for does not exist: the address may be wrong, or the record is not public.",
    back_home: "Back to the home page",

    feed_announcements: "Announcements",
    feed_certificates: "Certificates and status changes",
    feed_announced,
    feed_changed,

    categories: ["Data collection", "Data product", "Data algorithm"],
    statuses: ["Valid", "Expired", "Revoked", "Cancelled"],
    objection_states: ["Open", "Upheld", "Dismissed", "Withdrawn"],
    grounds: [
        "Harms national security or the public interest",
        "Infringes personal information or privacy",
        "Data obtained unlawfully or infringing others' rights",
        "Ownership unclear or disputed",
        "Concealment or fraud",
        "Duplicate application",
        "Other",
    ],
    material_kinds: [
        "Application form",
        "Product summary",
        "Processing and innovation",
        "Application scenarios",
        "Proof of data source",
        "Sample",
    ],
    act_kinds: ["Licence", "Pledge", "Pledge release", "Transfer", "Change", "Renewal", "Cancellation", "Revocation"],
    under_preservation: "Under preservation: until the measure is lifted, this certificate is not transferred, pledged, licensed or cancelled.",
    measures: "Preservation measures",
    measure: "Measure",
    authority: "Authority",
    document_number: "Document No.",
    measure_in_force: "In force",
    measure_lifted: "Lifted",
    rank: "Rank",
    transferee: "Transferee",
    confirm_act_title: "Your confirmation is asked",
    confirm_act_word: |kind| {
        format!(
            "The holder of the certificate below filed this act naming you ({kind}); it is recorded only with your confirmation."
        )
    },
    confirm_act_consent: |kind| {
        format!(
            "The certificate below is pledged to you. Its holder filed this act ({kind}), which would outrank or defeat your pledge: it is recorded only with your consent."
        )
    },
    confirm_act_intro: "Confirm only if you agreed to it. The registry records your answer, the time and the address it came from. This link works once.",
    confirm_act_due: "Answer before",
    confirm_act_confirm: "Confirm",
    confirm_act_decline: "Decline",
    confirm_act_confirmed: "Confirmed. The act now goes to the registry's review.",
    confirm_act_declined: "Declined. The act is refused, and its holder is told.",
    confirm_act_closed: "This act no longer awaits answers: it lapsed, was declined, or was decided.",
    confirm_act_choose: "Choose Confirm or Decline on the page the link opens.",
};

fn home_intro(announcement: &str, validity: &str) -> String {
    format!(
        "Organizations register the data collections, data products and data algorithms their processing created, \
         and receive an \"ID card\" for them. Applications that pass review are announced for {announcement}; if no \
         objection stands, a registration certificate valid for {validity} is issued."
    )
}

fn home_steps(announcement: &str) -> String {
    format!(
        "Apply online → review → announcement of {announcement} → certificate → licences, pledges and transfers \
         recorded one by one"
    )
}

/// Spelled out up to ten, as prose does.
fn count(n: u32) -> String {
    const WORDS: [&str; 11] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    WORDS.get(n as usize).map_or_else(|| n.to_string(), |word| (*word).to_owned())
}

fn period(duration: &IsoDuration) -> String {
    let parts = [
        (duration.years, "year", true),
        (duration.months, "month", true),
        (duration.weeks, "week", true),
        (duration.days, "day", false),
        (duration.working_days, "working day", false),
        (duration.hours, "hour", false),
        (duration.minutes, "minute", false),
        (duration.seconds, "second", false),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|&(n, unit, spelled)| {
            let number = if spelled { count(n) } else { n.to_string() };
            if n == 1 { format!("{number} {unit}") } else { format!("{number} {unit}s") }
        })
        .collect();
    words.join(" ")
}

fn days_left(days: i64) -> String {
    match days {
        ..=0 => "Closes today".to_owned(),
        1 => "1 day left".to_owned(),
        days => format!("{days} days left"),
    }
}

fn too_long(max: usize) -> String {
    format!("At most {max} characters.")
}

fn validity_bounded(day: &str) -> String {
    format!("Validity is bounded by a data-source agreement that ends on {day}.")
}

fn ended(day: &str, reason: &str) -> String {
    format!("{day}: {reason}")
}

fn included_ok(index: u64, size: u64) -> String {
    format!("Recorded on the ledger: entry {index}, included in a checkpoint this registry signed ({size} entries).")
}

fn anchored(chain_id: u64, tx: &str) -> String {
    format!("That checkpoint is anchored on chain {chain_id}, transaction {tx}.")
}

fn status_now(status: &str) -> String {
    format!("Status today: {status}.")
}

fn feed_announced(product: &str) -> String {
    format!("Announced: {product}")
}

fn feed_changed(status: &str, product: &str, number: &str) -> String {
    format!("{status}: {product} ({number})")
}

fn pdf_too_complex(what: &str) -> String {
    format!("The PDF could not be checked: {what}. Upload the certificate PDF as the registry issued it, or its JSON.")
}

fn address_confirmed(email: &str) -> String {
    format!("Confirmed: {email} is yours, and receives the registry's mail from now on.")
}
