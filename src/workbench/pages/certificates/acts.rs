//! The acts on a certificate: their history with the words each awaits,
//! and one form per kind the holder files (licence, pledge, release,
//! transfer, change, renewal, cancellation), posted with a hidden `kind`
//! to one address. A form's fields carry the API's names (`pledgee[name]`,
//! `secured_amount[amount]`, `extended_agreements[0][data_source]`) and are
//! read as the API's body, by the API's own reader, so that every problem
//! is the API's, under the API's field name.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Filing, Loaded, id_of, render};
use crate::workbench::{
    form::Submitted,
    page::{self, Ctx, FieldErrors, api_name},
    visit::Applicant,
    words::words,
};
use crate::{
    db::act_confirmations::WordRow,
    domain::{ActDetails, ActKind, ActState, authorization},
    http::error::ApiError,
    input::{Body, BodyError},
    services::{
        Error,
        certificates::acts::{self, ActView, NewAct},
    },
    state::AppState,
};

words! { pub ActWords {
    license: "许可", "Licence";
    pledge: "质押", "Pledge";
    pledge_release: "解除质押", "Pledge release";
    transfer: "转让", "Transfer";
    change: "变更", "Change";
    renewal: "续展", "Renewal";
    cancellation: "注销", "Cancellation";
    revocation: "撤销", "Revocation";
    awaiting_confirmation: "待相关方确认", "Awaiting confirmation";
    pending: "待审查", "Awaiting review";
    approved: "已核准", "Approved";
    rejected: "未予核准", "Rejected";
    lapsed: "已失效（未获确认）", "Lapsed (not confirmed in time)";
    word_waiting: "等待{name}确认（{due}前）", "Awaiting the confirmation of {name} (by {due})";
    word_consent: "等待质权人{name}同意（{due}前）", "Awaiting the consent of pledgee {name} (by {due})";
    word_confirmed: "{name}已于 {at} 确认", "{name} confirmed on {at}";
    word_declined: "{name}已于 {at} 拒绝", "{name} declined on {at}";
    via_party: "（通过其在本机构的账户）", " (through its account here)";
    via_link: "（一次性链接已发往 {email}）", " (by the single-use link sent to {email})";
    via_document: "（以书面同意方式，由持有人通过 API 上传）", " (by its written consent, which the holder uploads through the API)";
    the_counterparty: "相关方", "the counterparty";
    release_of: "解除对以下质权人的质押：", "Releases the pledge to ";
    transfer_to: "受让方：", "To ";
    product_to: "产品名称改为：", "Product name: ";
    abstract_changed: "摘要已更新", "New abstract";
    extended: "数据来源 {n} 的协议延至 {date}", "data source {n}: agreement until {date}";
    renewal_until: "有效期至 ", "Valid until ";
    title_license: "许可备案", "File a licence";
    title_pledge: "质押登记", "File a pledge";
    title_pledge_release: "解除质押", "Release a pledge";
    title_transfer: "转让", "Transfer the certificate";
    title_change: "变更登记事项", "Change the particulars";
    title_renewal: "续展", "Renew";
    title_cancellation: "注销", "Cancel the certificate";
    intro_license: "被许可方为机构的填写统一社会信用代码，为自然人的填写身份证号码（二者填一）。已质押证书的独占许可须经质权人同意。", "Name the licensee by its unified social credit code, or a natural person by their identity number (one of the two). An exclusive licence of a pledged certificate needs every pledgee's consent.";
    intro_pledge: "质权人确认后，登记机构方予审查。质权人未在本机构注册并核验的，须填写其联系邮箱，由其通过一次性链接确认。", "The pledgee confirms the pledge before the registry reviews it. A pledgee that is not a verified party registered here must be given a contact e-mail address, where it confirms by a single-use link.";
    intro_pledge_release: "持有人提出的解除须经质权人确认。", "A release filed by the holder waits for the pledgee's confirmation.";
    no_pledges: "本证书没有未解除的质押。", "This certificate has no unreleased pledge.";
    intro_transfer: "受让方须为在本机构注册并经核验的主体（机构填统一社会信用代码，自然人填身份证号码，二者填一），并须接受转让。", "The transferee must be a verified party registered here (an organization by its credit code, a person by their identity number: one of the two), and must accept the transfer.";
    intro_change: "只填写需要变更的内容，未填写的保持不变。数据来源协议已续签的，可登记其新的到期日。", "Fill in only what changes; what is left empty stays as it is. Where a data-source agreement was extended, record its new end.";
    intro_renewal: "续展须在有效期届满前的续展期内提出。", "A renewal is filed within the renewal window before the validity ends.";
    intro_cancellation: "注销经审查核准后，证书即告终止，不可恢复。", "Once approved, a cancellation ends the certificate for good.";
    licensee: "被许可方", "Licensee";
    pledgee: "质权人", "Pledgee";
    name: "名称", "Name";
    credit_code: "统一社会信用代码", "Unified social credit code";
    id_number: "身份证号码（自然人）", "Resident identity number (a natural person)";
    contact_email: "联系邮箱", "Contact e-mail address";
    one_of: "机构填写统一社会信用代码；自然人填写下面的身份证号码。", "An organization's credit code; or, for a natural person, the identity number below.";
    pledgee_code: "质权人须为机构。", "A pledgee is an organization.";
    licensee_contact: "许可须经被许可方确认、且其未在本机构注册时必填。", "Required where licences need the licensee's confirmation and it is not registered here.";
    pledgee_contact: "质权人未在本机构注册并核验时必填：由其通过发往此地址的一次性链接确认。", "Required unless the pledgee is a verified party registered here: it confirms by the single-use link sent to this address.";
    exclusive: "独占许可", "Exclusive licence";
    scope: "许可范围", "Scope";
    starts_on: "起始日", "Starts on";
    ends_on: "终止日", "Ends on";
    secured_amount: "担保的债权金额", "Secured amount";
    amount: "金额", "Amount";
    amount_hint: "大于零、至多两位小数，如 5000000.00", "Greater than zero, at most two decimals: 5000000.00, say";
    currency: "币种", "Currency";
    currency_hint: "ISO 4217 代码，如 CNY", "An ISO 4217 code, such as CNY";
    pledge_id: "要解除的质押", "The pledge to release";
    transferee_credit_code: "受让方统一社会信用代码", "Transferee's unified social credit code";
    transferee_id_number: "受让方身份证号码（自然人）", "Transferee's identity number (a natural person)";
    transferee_contact_email: "受让方联系邮箱（选填）", "Transferee's contact e-mail address (optional)";
    transferee_contact: "受让方也可通过发往此地址的一次性链接接受转让。", "The transferee may also accept by the single-use link sent there.";
    product_name: "新的产品名称", "New product name";
    abstract_label: "新的摘要", "New abstract";
    data_source: "已续签协议的数据来源", "Data source whose agreement was extended";
    data_source_none: "（无）", "(none)";
    agreement_until: "协议至", "agreement until";
    agreement_ends_on: "协议新的到期日", "The agreement's new end";
    reason: "注销理由", "Reason for cancelling";
    file_license: "提交许可备案", "File the licence";
    file_pledge: "提交质押登记", "File the pledge";
    file_pledge_release: "提交解除质押", "File the release";
    file_transfer: "提交转让", "File the transfer";
    file_change: "提交变更", "File the change";
    file_renewal: "申请续展", "File the renewal";
    file_cancellation: "申请注销", "File the cancellation";
    confirm_transfer: "确定将证书转让给该受让方吗？", "Transfer the certificate to this party?";
    confirm_cancellation: "确定注销此证书吗？核准后不可恢复。", "Cancel this certificate? Once approved, this cannot be undone.";
    bad_action: "无法识别的操作。", "This action is not known.";
} }

impl ActWords {
    pub fn kind(&self, kind: ActKind) -> &'static str {
        match kind {
            ActKind::License => self.license,
            ActKind::Pledge => self.pledge,
            ActKind::PledgeRelease => self.pledge_release,
            ActKind::Transfer => self.transfer,
            ActKind::Change => self.change,
            ActKind::Renewal => self.renewal,
            ActKind::Cancellation => self.cancellation,
            ActKind::Revocation => self.revocation,
        }
    }

    /// An act's state in words, and the class that colours it.
    pub fn state(&self, state: ActState) -> (&'static str, &'static str) {
        match state {
            ActState::AwaitingConfirmation => (self.awaiting_confirmation, "cancelled"),
            ActState::Pending => (self.pending, "expired"),
            ActState::Approved => (self.approved, "active"),
            ActState::Rejected => (self.rejected, "revoked"),
            ActState::Lapsed => (self.lapsed, "expired"),
        }
    }
}

/// An act as its line of the history.
pub struct ActLine {
    pub id: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_class: &'static str,
    pub filed_at: String,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    pub terms: String,
    pub ledger_index: Option<i64>,
    /// The words it waits for, or was given.
    pub words: Vec<String>,
    /// Its disclosure, once approved and of this party's terms.
    pub openings: Option<String>,
}

/// The pledgee of pledge `pledge_id` of the certificate.
fn pledgee_of(loaded: &Loaded, pledge_id: Uuid) -> Option<String> {
    let recorded = loaded.pledges.iter().find(|p| p.act_id == pledge_id).map(|p| p.pledgee_name.clone());
    recorded.or_else(|| {
        loaded.acts.iter().find(|a| a.id == pledge_id).and_then(|a| match &a.details {
            Some(ActDetails::Pledge(terms)) => Some(terms.pledgee.name.to_string()),
            _ => None,
        })
    })
}

/// Whose word the act itself needs: its counterparty.
fn counterparty(loaded: &Loaded, act: &ActView) -> Option<String> {
    match act.details.as_ref()? {
        ActDetails::License(terms) => Some(terms.licensee.name.to_string()),
        ActDetails::Pledge(terms) => Some(terms.pledgee.name.to_string()),
        ActDetails::Transfer { transferee, .. } => Some(transferee.name.clone()),
        ActDetails::PledgeRelease { pledge_id } => pledgee_of(loaded, *pledge_id),
        _ => None,
    }
}

/// An act's terms in a line; `pledgee_of` names the pledgee of a pledge
/// a release names.
pub(in crate::workbench::pages) fn describe(
    ctx: &Ctx,
    details: &ActDetails,
    pledgee_of: &dyn Fn(Uuid) -> Option<String>,
) -> String {
    let (w, cw) = (ActWords::of(ctx.lang), super::CertWords::of(ctx.lang));
    let term =
        |starts: chrono::NaiveDate, ends: chrono::NaiveDate| format!("{} – {}", ctx.date(starts), ctx.date(ends));
    match details {
        ActDetails::License(t) => {
            let kind = if t.exclusive { cw.exclusive } else { cw.non_exclusive };
            let when = term(t.starts_on.date(), t.ends_on.date());
            format!("{} · {kind} · {} · {when}", t.licensee.name, t.scope)
        }
        ActDetails::Pledge(t) => {
            let rank = t.rank.map(|r| format!(" · {} {r}", cw.rank)).unwrap_or_default();
            let when = term(t.starts_on.date(), t.ends_on.date());
            let money = &t.secured_amount;
            format!("{} · {} {} · {when}{rank}", t.pledgee.name, money.amount, money.currency)
        }
        ActDetails::PledgeRelease { pledge_id } => {
            format!("{}{}", w.release_of, pledgee_of(*pledge_id).unwrap_or_else(|| pledge_id.to_string()))
        }
        ActDetails::Transfer { transferee, .. } => format!("{}{}", w.transfer_to, transferee.name),
        ActDetails::Change { product_name, summary, extended_agreements, .. } => {
            let mut parts = Vec::new();
            if let Some(name) = product_name {
                parts.push(format!("{}{name}", w.product_to));
            }
            if summary.is_some() {
                parts.push(w.abstract_changed.to_owned());
            }
            for e in extended_agreements {
                let date = ctx.date(e.agreement_ends_on.date());
                parts.push(w.extended.replace("{n}", &e.data_source.to_string()).replace("{date}", &date));
            }
            parts.join(" · ")
        }
        ActDetails::Renewal { valid_until, .. } => {
            valid_until.map(|until| format!("{}{}", w.renewal_until, ctx.day(until))).unwrap_or_default()
        }
        ActDetails::Cancellation { reason } => reason.clone(),
        ActDetails::Revocation { grounds } => grounds.clone(),
    }
}

/// A word an act awaits, or was given, in a sentence.
fn word(ctx: &Ctx, w: &ActWords, loaded: &Loaded, act: &ActView, word: &WordRow) -> String {
    let name = match word.pledge_id {
        Some(pledge) => pledgee_of(loaded, pledge),
        None => counterparty(loaded, act),
    }
    .unwrap_or_else(|| w.the_counterparty.to_owned());
    let said = match (word.confirmed, word.answered_at) {
        (Some(true), Some(at)) => return w.word_confirmed.replace("{name}", &name).replace("{at}", &ctx.time(at)),
        (Some(false), Some(at)) => return w.word_declined.replace("{name}", &name).replace("{at}", &ctx.time(at)),
        _ if word.pledge_id.is_some() => w.word_consent,
        _ => w.word_waiting,
    };
    let via = match (&word.counterparty_org_id, &word.contact_email) {
        (Some(_), _) => w.via_party.to_owned(),
        (None, Some(email)) => w.via_link.replace("{email}", email),
        (None, None) => w.via_document.to_owned(),
    };
    format!("{}{via}", said.replace("{name}", &name).replace("{due}", &ctx.day(word.due_at)))
}

/// The certificate's acts, newest first.
pub(super) fn lines(ctx: &Ctx, loaded: &Loaded) -> Vec<ActLine> {
    let w = ActWords::of(ctx.lang);
    let cw = super::CertWords::of(ctx.lang);
    let certificate = loaded.view.id;
    loaded
        .acts
        .iter()
        .rev()
        .map(|act| {
            let (state, state_class) = w.state(act.state);
            let words = loaded.words.get(&act.id).map(Vec::as_slice).unwrap_or_default();
            let shown = act.state == ActState::Approved && act.details.is_some();
            ActLine {
                id: act.id.to_string(),
                kind: w.kind(act.kind),
                state,
                state_class,
                filed_at: ctx.time(act.filed_at),
                decided_at: act.decided_at.map(|at| ctx.time(at)),
                reason: act.decision_reason.clone(),
                terms: match &act.details {
                    Some(details) => describe(ctx, details, &|pledge| pledgee_of(loaded, pledge)),
                    None => cw.others_terms.to_owned(),
                },
                ledger_index: act.ledger_index,
                words: words.iter().map(|row| word(ctx, w, loaded, act, row)).collect(),
                openings: shown
                    .then(|| ctx.link(&format!("/workbench/certificates/{certificate}/acts/{}/openings.json", act.id))),
            }
        })
        .collect()
}

/// One control of an act's form.
pub struct Control {
    pub id: String,
    /// The API's field name, nested as `a[b]`, `a[0][b]`.
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `email`, `date`, `textarea`, `checkbox` or `select`.
    pub input: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<&'static str>,
    pub required: bool,
    pub maxlength: Option<u32>,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    /// A select's options: value and words.
    pub options: Vec<(String, String)>,
}

impl Control {
    /// What describes the control: its hint and its error.
    pub fn described(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }

    pub fn checked(&self) -> bool {
        self.value == "true"
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn max(mut self, length: u32) -> Self {
        self.maxlength = Some(length);
        self
    }

    fn mode(mut self, inputmode: &'static str) -> Self {
        self.inputmode = Some(inputmode);
        self
    }

    fn complete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = Some(autocomplete);
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }
}

/// Controls under one legend (or none).
pub struct Group {
    pub legend: Option<&'static str>,
    pub controls: Vec<Control>,
}

/// The form of one act kind.
pub struct ActForm {
    /// The API's `kind`, sent hidden.
    pub kind: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub groups: Vec<Group>,
    pub button: &'static str,
    pub danger: bool,
    pub confirm: Option<&'static str>,
    /// Shown opened: the form just posted.
    pub open: bool,
    /// Said instead of the form when it cannot be filed (no pledge to release).
    pub unavailable: Option<&'static str>,
    /// Makes a repeated post (a reload) file nothing twice.
    pub key: String,
}

/// Makes the controls of one form, each with what was typed in it and its
/// error when that form was the one posted.
struct Builder<'a> {
    kind: &'static str,
    filing: &'a Filing,
}

impl Builder<'_> {
    fn posted(&self) -> bool {
        self.filing.kind == self.kind
    }

    fn control(&self, name: &'static str, label: &'static str, input: &'static str, default: &str) -> Control {
        let (value, error) = match self.posted() {
            true => {
                let typed = self.filing.typed.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                (typed.unwrap_or_default(), self.filing.errors.on(name).map(str::to_owned))
            }
            false => (default.to_owned(), None),
        };
        let id = format!("{}-{}", self.kind, name.replace(['[', ']'], "-").replace("--", "-").trim_end_matches('-'));
        Control {
            id,
            name,
            label,
            input,
            value,
            error,
            hint: None,
            required: false,
            maxlength: None,
            inputmode: None,
            autocomplete: None,
            options: Vec::new(),
        }
    }

    fn form(&self, title: &'static str, intro: &'static str, button: &'static str) -> ActForm {
        ActForm {
            kind: self.kind,
            title,
            intro,
            groups: Vec::new(),
            button,
            danger: false,
            confirm: None,
            open: self.posted(),
            unavailable: None,
            key: Uuid::now_v7().simple().to_string(),
        }
    }
}

/// A group of controls.
fn group(legend: Option<&'static str>, controls: Vec<Control>) -> Group {
    Group { legend, controls }
}

/// The forms, one per kind the holder files.
pub(super) fn forms(ctx: &Ctx, loaded: &Loaded, filing: &Filing) -> Vec<ActForm> {
    let w = ActWords::of(ctx.lang);
    let b = |kind| Builder { kind, filing };

    let l = b("license");
    let mut license = l.form(w.title_license, w.intro_license, w.file_license);
    license.groups = vec![
        group(
            Some(w.licensee),
            vec![
                l.control("licensee[name]", w.name, "text", "").required().max(200).complete("organization"),
                l.control("licensee[credit_code]", w.credit_code, "text", "").hint(w.one_of).complete("off"),
                l.control("licensee[id_number]", w.id_number, "text", "").complete("off"),
                l.control("licensee[contact_email]", w.contact_email, "email", "")
                    .hint(w.licensee_contact)
                    .complete("email"),
            ],
        ),
        group(
            None,
            vec![
                l.control("exclusive", w.exclusive, "checkbox", ""),
                l.control("scope", w.scope, "textarea", "").required().max(2000),
                l.control("starts_on", w.starts_on, "date", "").required(),
                l.control("ends_on", w.ends_on, "date", "").required(),
            ],
        ),
    ];

    let p = b("pledge");
    let mut pledge = p.form(w.title_pledge, w.intro_pledge, w.file_pledge);
    pledge.groups = vec![
        group(
            Some(w.pledgee),
            vec![
                p.control("pledgee[name]", w.name, "text", "").required().max(200).complete("organization"),
                p.control("pledgee[credit_code]", w.credit_code, "text", "").required().hint(w.pledgee_code),
                p.control("pledgee[contact_email]", w.contact_email, "email", "")
                    .hint(w.pledgee_contact)
                    .complete("email"),
            ],
        ),
        group(
            Some(w.secured_amount),
            vec![
                p.control("secured_amount[amount]", w.amount, "text", "")
                    .required()
                    .hint(w.amount_hint)
                    .mode("decimal"),
                p.control("secured_amount[currency]", w.currency, "text", "CNY").required().hint(w.currency_hint),
            ],
        ),
        group(
            None,
            vec![
                p.control("starts_on", w.starts_on, "date", "").required(),
                p.control("ends_on", w.ends_on, "date", "").required(),
            ],
        ),
    ];

    let r = b("pledge_release");
    let mut release = r.form(w.title_pledge_release, w.intro_pledge_release, w.file_pledge_release);
    let pledges: Vec<(String, String)> = loaded
        .pledges
        .iter()
        .map(|p| {
            let term = format!("{} – {}", ctx.date(p.starts_on), ctx.date(p.ends_on));
            (p.act_id.to_string(), format!("{}. {} · {} {} · {term}", p.rank, p.pledgee_name, p.amount, p.currency))
        })
        .collect();
    match pledges.is_empty() {
        true => release.unavailable = Some(w.no_pledges),
        false => {
            release.groups =
                vec![group(None, vec![r.control("pledge_id", w.pledge_id, "select", "").required().options(pledges)])]
        }
    }

    let t = b("transfer");
    let mut transfer = t.form(w.title_transfer, w.intro_transfer, w.file_transfer);
    transfer.groups = vec![group(
        None,
        vec![
            t.control("transferee_credit_code", w.transferee_credit_code, "text", "").complete("off"),
            t.control("transferee_id_number", w.transferee_id_number, "text", "").complete("off"),
            t.control("transferee_contact_email", w.transferee_contact_email, "email", "")
                .hint(w.transferee_contact)
                .complete("email"),
        ],
    )];
    transfer.danger = true;
    transfer.confirm = Some(w.confirm_transfer);

    let c = b("change");
    let mut change = c.form(w.title_change, w.intro_change, w.file_change);
    let mut agreements = vec![(String::new(), w.data_source_none.to_owned())];
    agreements.extend(authorization::agreements(&loaded.data_sources).map(|a| {
        let ends = ctx.date(a.ends_on);
        (a.index.to_string(), format!("{}. {} ({} {ends})", a.index, a.source.description, w.agreement_until))
    }));
    let mut controls = vec![
        c.control("product_name", w.product_name, "text", "").max(100),
        c.control("abstract", w.abstract_label, "textarea", "").max(2000),
    ];
    if agreements.len() > 1 {
        controls
            .push(c.control("extended_agreements[0][data_source]", w.data_source, "select", "").options(agreements));
        controls.push(c.control("extended_agreements[0][agreement_ends_on]", w.agreement_ends_on, "date", ""));
    }
    change.groups = vec![group(None, controls)];

    let n = b("renewal");
    let renewal = n.form(w.title_renewal, w.intro_renewal, w.file_renewal);

    let x = b("cancellation");
    let mut cancellation = x.form(w.title_cancellation, w.intro_cancellation, w.file_cancellation);
    cancellation.groups = vec![group(None, vec![x.control("reason", w.reason, "textarea", "").required().max(2000)])];
    cancellation.danger = true;
    cancellation.confirm = Some(w.confirm_cancellation);

    vec![license, pledge, release, transfer, change, renewal, cancellation]
}

/// The summary above the forms: every error of the form posted, with the
/// id of its control where it has one.
pub(super) fn summary(forms: &[ActForm], filing: &Filing) -> Vec<(String, Option<String>)> {
    let controls: Vec<&Control> = forms
        .iter()
        .filter(|form| form.kind == filing.kind)
        .flat_map(|form| form.groups.iter().flat_map(|group| group.controls.iter()))
        .collect();
    filing
        .errors
        .all()
        .map(|(field, message)| {
            let wanted = api_name(field);
            let control = controls.iter().find(|control| api_name(control.name) == wanted);
            let said = match field.is_empty() || control.is_some() {
                true => message.to_owned(),
                false => format!("{field}: {message}"),
            };
            (said, control.map(|control| control.id.clone()))
        })
        .collect()
}

/// The hidden field that makes a repeated post file nothing twice: the
/// API's `Idempotency-Key`.
const KEY: &str = "idempotency_key";

/// Array fields hold at most this many rows (the API's longest list of an
/// act, `extended_agreements`, has 20).
const MAX_ROWS: usize = 20;

/// Nesting deeper than this is not read as nesting (as `form::Submitted`).
const MAX_DEPTH: usize = 4;

/// A control's name as its path: `a[b][0][c]` → `a`, `b`, `0`, `c`. A
/// name that is not of that shape, or nests too deep, is one key.
fn path_of(name: &str) -> Vec<&str> {
    let Some(open) = name.find('[') else { return vec![name] };
    let mut path = vec![&name[..open]];
    let mut rest = &name[open..];
    while !rest.is_empty() {
        let Some(close) = rest.find(']').filter(|_| rest.starts_with('[')) else { return vec![name] };
        path.push(&rest[1..close]);
        rest = &rest[close + 1..];
    }
    if path.len() > MAX_DEPTH || path.iter().any(|segment| segment.is_empty()) {
        return vec![name];
    }
    path
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Puts `value` at `path` in `target`, making the objects and arrays on
/// the way; the first value sent for a place wins.
fn put(target: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let container = |next: &str| if is_index(next) { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
    let slot = match target {
        Value::Object(map) => match rest.first() {
            None => {
                map.entry(first.to_string()).or_insert(value);
                return;
            }
            Some(next) => map.entry(first.to_string()).or_insert_with(|| container(next)),
        },
        Value::Array(items) => {
            let Some(index) = first.parse::<usize>().ok().filter(|index| *index < MAX_ROWS) else { return };
            if items.len() <= index {
                items.resize(index + 1, Value::Null);
            }
            let slot = &mut items[index];
            match rest.first() {
                None => {
                    if slot.is_null() {
                        *slot = value;
                    }
                    return;
                }
                Some(next) if slot.is_null() => {
                    *slot = container(next);
                    slot
                }
                Some(_) => slot,
            }
        }
        _ => return,
    };
    put(slot, rest, value);
}

/// The form as the API's body: each field at its path, empty ones left
/// out (as `form::Submitted::decode`), the licence's check box a boolean
/// and a data source's position a number, read by the API's reader.
fn new_act(kind: &str, fields: &[(String, String)]) -> Result<NewAct, FieldErrors> {
    let mut body = Value::Object(Map::new());
    put(&mut body, &["kind"], Value::String(kind.to_owned()));
    for (name, value) in fields {
        if name == "kind" || name == KEY || value.trim().is_empty() {
            continue;
        }
        let path = path_of(name);
        let value = match path.last().copied() {
            Some("exclusive") if path.len() == 1 => Value::Bool(matches!(value.as_str(), "true" | "on")),
            Some("data_source") => {
                value.trim().parse::<u64>().map_or_else(|_| Value::String(value.clone()), Value::from)
            }
            _ => Value::String(value.clone()),
        };
        put(&mut body, &path, value);
    }
    if kind == "license" {
        // An unticked box sends nothing: not exclusive.
        put(&mut body, &["exclusive"], Value::Bool(false));
    }
    let mut errors = FieldErrors::default();
    let bytes = match serde_json::to_vec(&body) {
        Ok(bytes) => bytes,
        Err(error) => {
            errors.add("", error.to_string());
            return Err(errors);
        }
    };
    match NewAct::from_json(&bytes) {
        Ok(act) => Ok(act),
        Err(BodyError::Invalid(problems)) => {
            for problem in problems {
                errors.add(&problem.field, problem.message);
            }
            Err(errors)
        }
        Err(BodyError::Malformed(message)) => {
            errors.add("", message);
            Err(errors)
        }
    }
}

/// `POST /workbench/certificates/{id}/acts` (`action=file-act`, the kind
/// in `kind`): files the act through the API's service; then 303 to the
/// certificate's page, which shows it and what it awaits. When the
/// registry sends no mail, the single-use links the filing answered are
/// shown (once) on the page answering the post instead.
pub(super) async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    who: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    if !matches!(form.action.as_str(), "file-act" | "") {
        let w = ActWords::of(ctx.lang);
        return page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.bad_action);
    }
    let kind = form.text("kind").to_owned();
    let typed: Vec<(String, String)> = form.fields.iter().filter(|(name, _)| name != KEY).cloned().collect();
    let refused =
        |errors: FieldErrors| Filing { kind: kind.clone(), typed: typed.clone(), errors, ..Filing::default() };
    let request = match new_act(&kind, &form.fields) {
        Ok(request) => request,
        Err(errors) => return render(&state, &ctx, &who, id, refused(errors), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let key = form.get(KEY).filter(|key| !key.is_empty()).map(str::to_owned);
    match acts::file(&state, who.tenant(), id, request, key).await {
        Ok(view) => {
            let links: Vec<(String, String)> =
                view.awaiting.iter().filter_map(|word| Some((word.from.clone(), word.link.clone()?))).collect();
            if links.is_empty() {
                return ctx.see_other(&format!("/workbench/certificates/{id}?done=file-act"));
            }
            render(&state, &ctx, &who, id, Filing { links, ..Filing::default() }, StatusCode::OK).await
        }
        Err(error) => match FieldErrors::of(&error) {
            Some(errors) => render(&state, &ctx, &who, id, refused(errors), StatusCode::UNPROCESSABLE_ENTITY).await,
            None => match error {
                Error::NotFound
                | Error::NotFoundBecause(_)
                | Error::Internal(_)
                | Error::RateLimited { .. }
                | Error::Unavailable { .. } => page::failure(&ctx, error),
                // The register does not allow it now (a conflict, a measure,
                // the renewal window): said above the form, kept as typed.
                error => {
                    let alert = Some(error.to_string());
                    let status = ApiError::from(error).status();
                    let filing = Filing { alert, ..refused(FieldErrors::default()) };
                    render(&state, &ctx, &who, id, filing, status).await
                }
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_are_read_as_the_apis_bodies() {
        let pledge = fields(&[
            ("kind", "pledge"),
            ("pledgee[name]", "上海银行"),
            ("pledgee[credit_code]", "91310000MA1FL4B24G"),
            ("pledgee[contact_email]", ""),
            ("secured_amount[amount]", "100.00"),
            ("secured_amount[currency]", "CNY"),
            ("starts_on", "2027-01-01"),
            ("ends_on", "2027-12-31"),
            (KEY, "k"),
        ]);
        assert!(matches!(new_act("pledge", &pledge), Ok(NewAct::Pledge(_))));

        let license = fields(&[("licensee[name]", "x"), ("scope", "s"), ("starts_on", "2027-13-01")]);
        let errors = new_act("license", &license).expect_err("refused");
        assert!(errors.on("starts_on").is_some(), "{errors:?}");
        assert!(errors.on("ends_on").is_some(), "{errors:?}");
        assert!(errors.on("exclusive").is_none(), "an unticked box is false");

        let change = fields(&[
            ("extended_agreements[0][data_source]", "1"),
            ("extended_agreements[0][agreement_ends_on]", "2030-01-01"),
        ]);
        assert!(matches!(new_act("change", &change), Ok(NewAct::Change(_))));
        assert!(new_act("change", &fields(&[("extended_agreements[99999999][data_source]", "1")])).is_ok());
    }

    #[test]
    fn names_become_paths() {
        assert_eq!(path_of("a[b][0][c]"), vec!["a", "b", "0", "c"]);
        assert_eq!(path_of("scope"), vec!["scope"]);
        assert_eq!(path_of("a[b"), vec!["a[b"]);
        assert_eq!(path_of("a[][b]"), vec!["a[][b]"]);
        assert_eq!(path_of("a[b][c][d][e]"), vec!["a[b][c][d][e]"]);
    }
}
