//! The acts on a certificate: their history with the words each awaits,
//! and their filing: one form per kind the holder files (licence, pledge,
//! release, transfer, change, renewal, cancellation; see `forms`), posted
//! with a hidden `kind` to one address and filed through the API's service;
//! and the written consent an act awaits, uploaded from beside the act and
//! downloaded there (through the service of the API's
//! `PUT`/`GET /certificates/{id}/acts/{act_id}/document`).

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use uuid::Uuid;

use super::{
    Filing, Loaded,
    forms::{KEY, new_act},
    id_of, render,
};
use crate::workbench::{
    form::{self, Refused, Submitted},
    page::{self, Ctx, FieldErrors},
    visit::{Applicant, Visit},
    words::words,
};
use crate::{
    db::{act_confirmations::WordRow, act_documents::ActDocumentRow},
    domain::{ActDetails, ActKind, ActState},
    http::{client_addr::ClientAddr, disposition, error::ApiError},
    services::{
        Error,
        certificates::acts::{self, ActView, written_consent},
    },
    state::AppState,
};

/// The file input of an act's written-consent form.
const DOCUMENT: &str = "document";

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
    via_party_or_link: "（通过其在本机构的账户，或发往 {email} 的一次性链接）", " (through its account here, or the single-use link sent to {email})";
    via_document: "（以书面同意方式：请在下方上传其签署的书面同意）", " (by its written consent: upload the signed consent below)";
    document_heading: "书面同意", "Written consent";
    document_filename: "文件名", "File name";
    document_media_type: "文件类型", "Type";
    document_size: "大小", "Size";
    document_sha256: "SHA-256 摘要", "SHA-256";
    document_uploaded_at: "上传时间", "Uploaded";
    document_download: "下载书面同意", "Download the written consent";
    document_label: "质权人签署的书面同意（PDF、PNG 或 JPEG 扫描件）", "The pledgee's signed written consent (a PDF, PNG or JPEG scan)";
    document_hint: "上传即视为质权人已同意，登记机构审查时将核对该文件。大小上限：", "The upload gives the pledgee's consent; the registry checks the document when it reviews the act. At most ";
    document_upload: "上传书面同意", "Upload the written consent";
    document_uploaded: "书面同意已上传，事项转入审查。", "The written consent was uploaded; the act goes to review.";
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
    /// Its written consent, as uploaded.
    pub document: Option<DocumentShown>,
    /// Where its written-consent form posts, while it awaits one.
    pub upload: Option<String>,
    /// Why the written consent just sent was refused.
    pub document_error: Option<String>,
    /// The size the written consent may have, in words.
    pub max_size: String,
}

/// An act's written consent as the page shows it.
pub struct DocumentShown {
    pub filename: String,
    pub media_type: String,
    pub size: String,
    pub sha256: String,
    pub uploaded_at: String,
    pub href: String,
}

/// Whether the act awaits a word only a written consent gives.
fn awaits_in_writing(act: &ActView, words: &[WordRow]) -> bool {
    act.state == ActState::AwaitingConfirmation
        && words.iter().any(|w| w.counterparty_org_id.is_none() && w.contact_email.is_none() && w.answered_at.is_none())
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
        (Some(_), Some(email)) => w.via_party_or_link.replace("{email}", email),
        (Some(_), None) => w.via_party.to_owned(),
        (None, Some(email)) => w.via_link.replace("{email}", email),
        (None, None) => w.via_document.to_owned(),
    };
    format!("{}{via}", said.replace("{name}", &name).replace("{due}", &ctx.day(word.due_at)))
}

/// The certificate's acts, newest first; `filing` says which written
/// consent was just refused, and why.
pub(super) fn lines(ctx: &Ctx, loaded: &Loaded, filing: &Filing, max_size: u64) -> Vec<ActLine> {
    let w = ActWords::of(ctx.lang);
    let cw = super::CertWords::of(ctx.lang);
    let certificate = loaded.view.id;
    let max_size = ctx.size(i64::try_from(max_size).unwrap_or(i64::MAX));
    let document_path = |act: Uuid| format!("/workbench/certificates/{certificate}/acts/{act}/document");
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
                document: loaded.documents.get(&act.id).map(|row| document_shown(ctx, row, &document_path(act.id))),
                upload: awaits_in_writing(act, words).then(|| ctx.link(&document_path(act.id))),
                document_error: filing
                    .document_error
                    .as_ref()
                    .filter(|(id, _)| *id == act.id)
                    .map(|(_, message)| message.clone()),
                max_size: max_size.clone(),
            }
        })
        .collect()
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

fn document_shown(ctx: &Ctx, row: &ActDocumentRow, path: &str) -> DocumentShown {
    DocumentShown {
        filename: row.filename.clone(),
        media_type: row.media_type.clone(),
        size: ctx.size(row.size),
        sha256: hex::encode(&row.sha256),
        uploaded_at: ctx.time(row.uploaded_at),
        href: ctx.link(path),
    }
}

/// `POST /workbench/certificates/{id}/acts/{act_id}/document`: a multipart
/// form of `csrf`, `action` (`upload-document`) and the file under
/// `document`, given to the service of the API's
/// `PUT /certificates/{id}/acts/{act_id}/document`; then 303 to the
/// certificate's page (`?done=document`). A form without a file (422), a
/// file of another type (415) or too large (413) is refused beside the
/// act's input, nothing changed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn upload_document(
    State(state): State<AppState>,
    ctx: Ctx,
    visit: Visit,
    who: Applicant,
    ClientAddr(client): ClientAddr,
    Path((id, act_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (Some(id), Some(act_id)) = (id_of(&id), id_of(&act_id)) else { return page::not_found(&ctx) };
    let w = ActWords::of(ctx.lang);
    let max_size = state.config.materials.max_size;
    let refusal = match form::receive(&ctx, &visit, &headers, body, &[DOCUMENT], max_size).await {
        Ok(received) => {
            if !matches!(received.field("action"), "upload-document" | "") {
                return page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.bad_action);
            }
            let (upload, stream, cut) = received.into_parts();
            match written_consent::upload(&state, who.tenant(), (id, act_id), upload, client, stream).await {
                Ok(_) => return ctx.see_other(&format!("/workbench/certificates/{id}?done=document")),
                Err(error) => cut.refusal(&ctx, error, max_size),
            }
        }
        Err(refusal) => refusal,
    };
    match refusal {
        Refused::Page(page) => *page,
        Refused::Beside { status, message } => {
            let filing = Filing { document_error: Some((act_id, message)), ..Filing::default() };
            render(&state, &ctx, &who, id, filing, status).await
        }
        Refused::Failed(error) => page::failure(&ctx, error),
    }
}

/// `GET /workbench/certificates/{id}/acts/{act_id}/document`: the act's
/// written consent as uploaded, through the service of the API's
/// `GET /certificates/{id}/acts/{act_id}/document`.
pub(super) async fn download_document(
    State(state): State<AppState>,
    ctx: Ctx,
    who: Applicant,
    Path((id, act_id)): Path<(String, String)>,
) -> Response {
    let (Some(id), Some(act_id)) = (id_of(&id), id_of(&act_id)) else { return page::not_found(&ctx) };
    let reader = written_consent::Reader::Holder(who.tenant(), id);
    match written_consent::download(&state, reader, act_id).await {
        Ok(download) => disposition::download(download),
        Err(error) => page::failure(&ctx, error),
    }
}
