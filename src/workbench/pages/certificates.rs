//! The party's certificates: the list, each one's record with the PDF, the
//! signed document and the ledger proof to download (through the services
//! the API's downloads use), its acts with their states, and the forms
//! that file every act its holder may file (`acts`), and the written
//! consent an act awaits, uploaded and downloaded beside it.

mod acts;
mod forms;

pub(super) use acts::{ActWords, describe};

use std::collections::HashMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use uuid::Uuid;

use crate::workbench::{
    page::{self, Ctx, Done, FieldErrors},
    visit::Applicant,
    words::words,
};
use crate::{
    db::{self, act_confirmations::WordRow, act_documents::ActDocumentRow, pledges::PledgeRow},
    domain::{ActState, CertificateStatus, DataSource},
    http::disposition,
    pagination::PageQuery,
    services::{
        self,
        certificates::{self, CertificateView, PublicCertificateView, acts::ActView},
        transparency::log_files,
    },
    state::AppState,
};
use tlog::document::Category;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workbench/certificates", get(list))
        .route("/workbench/certificates/{id}", get(show))
        .route("/workbench/certificates/{id}/certificate.pdf", get(pdf))
        .route("/workbench/certificates/{id}/document.json", get(document))
        .route("/workbench/certificates/{id}/proof", get(proof))
        .route("/workbench/certificates/{id}/openings.json", get(openings))
        .route("/workbench/certificates/{id}/acts", get(to_certificate).post(acts::file))
        .route("/workbench/certificates/{id}/acts/{act_id}/openings.json", get(act_openings))
        .route("/workbench/certificates/{id}/acts/{act_id}/document", get(acts::download_document))
}

/// The forms that send a file: an act's written consent.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/workbench/certificates/{id}/acts/{act_id}/document", post(acts::upload_document))
}

words! { pub CertWords {
    list_title: "证书", "Certificates";
    list_intro: "本主体持有的数据知识产权登记证书。打开证书可下载证书文件，并办理许可、质押、转让等事项。", "The data IP registration certificates your party holds. Open one to download its files and to file a licence, a pledge, a transfer or another act.";
    none: "本主体尚未持有证书。申请经公示期满、无异议成立后即发放证书。", "Your party holds no certificate yet. One is issued when an application's announcement ends with no objection upheld.";
    next_page: "下一页", "Next page";
    first_page: "第一页", "First page";
    number: "证书编号", "Certificate number";
    registration_number: "登记编号", "Registration number";
    product: "数据产品", "Data product";
    category: "类别", "Category";
    status: "状态", "Status";
    validity: "有效期", "Validity";
    bounded: "（因数据来源协议到期而提前届满）", "(ends early: a data-source agreement ends then)";
    issued_at: "发证时间", "Issued";
    holder: "持有人", "Holder";
    ledger: "账本记录", "Ledger entry";
    ledger_pending: "正在写入账本", "Being written to the ledger";
    downloads: "下载", "Downloads";
    download_pdf: "证书 PDF", "Certificate (PDF)";
    download_pdf_hint: "A4 证书，附签名文件与离线证明，可用 dataip verify 核验。", "The A4 certificate, with the signed document and the offline proof attached; dataip verify checks it.";
    download_json: "签名证书文件（JSON）", "Signed certificate (JSON)";
    download_json_hint: "与 API 返回的证书相同：文件、签名与账本回执。", "As the API serves it: the document, its signature and the ledger receipt.";
    download_proof: "账本证明（tlog-proof）", "Ledger proof (tlog-proof)";
    download_proof_hint: "发证记录已写入账本的离线证明。", "The offline proof that the issuance is recorded in the ledger.";
    download_openings: "身份号码承诺的披露（JSON）", "Opening of the identity-number commitment (JSON)";
    download_openings_hint: "证书文件只含对持有人身份证号码的承诺；此文件供您向他人证明。", "The certificate commits to the holder's identity number without showing it; this file proves it to whom you choose.";
    preservation: "本证书处于保全措施之下：措施解除前，不得转让、质押、许可或注销。", "Under preservation: until the measure is lifted, this certificate is not transferred, pledged, licensed or cancelled.";
    licenses: "现行许可", "Current licences";
    pledges: "未解除的质押", "Unreleased pledges";
    acts: "事项", "Acts";
    acts_intro: "在本证书上提出的各项事项及其办理状态。", "The acts filed on this certificate, and where each stands.";
    no_acts: "尚无事项。", "No act yet.";
    filed_at: "提出时间", "Filed";
    decided_at: "决定时间", "Decided";
    reason: "理由", "Reason";
    ledger_index: "账本序号", "Ledger index";
    act_openings: "下载披露文件", "Download the openings";
    others_terms: "（前持有人的条款）", "(a former holder's terms)";
    file_title: "办理事项", "File an act";
    file_intro: "每项事项提交后先由相关方确认（如需），再由登记机构审查。", "Each act waits for the word of the parties it binds, where needed, and then for the registry's review.";
    not_active: "本证书已不在有效状态，不能再办理事项。", "This certificate is no longer valid: no act can be filed on it.";
    filed: "事项已提交。", "The act has been filed.";
    links_title: "请将一次性确认链接交给对方", "Hand each single-use link to its recipient";
    links_intro: "本登记机构不发送邮件：以下链接只显示这一次，请交给对应的一方，由其确认或拒绝。", "The registry sends no mail: each link below is shown only this once. Hand it to the party named, who confirms or declines with it.";
    exclusive: "独占", "exclusive";
    non_exclusive: "非独占", "non-exclusive";
    rank: "顺位", "rank";
} }

/// A certificate status in words, and the class the portal colours it by.
pub(super) fn status_words(ctx: &Ctx, status: CertificateStatus) -> (&'static str, &'static str) {
    let zh = ctx.lang == crate::domain::Lang::ZhCn;
    let word = match (status, zh) {
        (CertificateStatus::Active, true) => "有效",
        (CertificateStatus::Active, false) => "Valid",
        (CertificateStatus::Expired, true) => "已到期",
        (CertificateStatus::Expired, false) => "Expired",
        (CertificateStatus::Revoked, true) => "已撤销",
        (CertificateStatus::Revoked, false) => "Revoked",
        (CertificateStatus::Cancelled, true) => "已注销",
        (CertificateStatus::Cancelled, false) => "Cancelled",
    };
    (word, status.as_str())
}

fn category_word(ctx: &Ctx, category: Category) -> &'static str {
    let zh = ctx.lang == crate::domain::Lang::ZhCn;
    match (category, zh) {
        (Category::DataCollection, true) => "数据集合",
        (Category::DataCollection, false) => "Data collection",
        (Category::DataProduct, true) => "数据产品",
        (Category::DataProduct, false) => "Data product",
        (Category::DataAlgorithm, true) => "数据算法",
        (Category::DataAlgorithm, false) => "Data algorithm",
    }
}

/// An id from the address; one that is not an id names nothing (404).
fn id_of(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

struct ListItem {
    href: String,
    number: String,
    product: String,
    status: &'static str,
    status_class: &'static str,
    validity: String,
}

#[derive(Template)]
#[template(path = "workbench/certificates.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    w: &'static CertWords,
    items: Vec<ListItem>,
    next: Option<String>,
    paged: bool,
}

/// `GET /workbench/certificates`.
async fn list(State(state): State<AppState>, ctx: Ctx, who: Applicant, Query(query): Query<PageQuery>) -> Response {
    let w = CertWords::of(ctx.lang);
    let request = match query.parse() {
        Ok(request) => request,
        Err(error) => return page::failure(&ctx, error),
    };
    let found = match certificates::list(&state, who.tenant(), request).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ctx, error),
    };
    let items = found
        .items
        .iter()
        .map(|view| {
            let record = &view.record;
            let (status, status_class) = status_words(&ctx, record.status);
            ListItem {
                href: ctx.link(&format!("/workbench/certificates/{}", view.id)),
                number: record.certificate_number.clone(),
                product: record.document.product.name.clone(),
                status,
                status_class,
                validity: format!("{} – {}", ctx.day(record.valid_from), valid_until(&ctx, view)),
            }
        })
        .collect();
    let next =
        found.next_cursor.as_deref().map(|cursor| ctx.link_with("/workbench/certificates", &[("cursor", cursor)]));
    let page = ListPage { ctx: &ctx, w, items, next, paged: query.cursor.is_some() };
    page::html(StatusCode::OK, &page)
}

/// The last day of validity: a bounded validity runs through the
/// agreement's last day.
fn valid_until(ctx: &Ctx, view: &CertificateView) -> String {
    let record = &view.record;
    record.validity_bounded_by.as_ref().map_or_else(|| ctx.day(record.valid_until), |b| ctx.date(b.agreement_ends_on))
}

/// What the certificate's page shows, read through the services (and, for
/// what only the page needs, the rows the services read).
pub(super) struct Loaded {
    view: CertificateView,
    public: PublicCertificateView,
    acts: Vec<ActView>,
    /// The words each act awaiting confirmation waits for.
    words: HashMap<Uuid, Vec<WordRow>>,
    pledges: Vec<PledgeRow>,
    data_sources: Vec<DataSource>,
    /// The written consent uploaded for each act that has one.
    documents: HashMap<Uuid, ActDocumentRow>,
}

async fn load(state: &AppState, who: &Applicant, id: Uuid) -> services::Result<Loaded> {
    let view = certificates::get(state, who.tenant(), id).await?;
    let acts = certificates::acts::list(state, who.tenant(), id).await?;
    let public = certificates::public(state, &view.record.certificate_number).await?;
    let mut conn = state.db.acquire().await?;
    let mut words = HashMap::new();
    for act in acts.iter().filter(|act| act.state != ActState::Approved) {
        words.insert(act.id, db::act_confirmations::of_act(&mut conn, act.id).await?);
    }
    let pledges = db::pledges::unreleased(&mut conn, id).await?;
    let data_sources = db::certificates::find(&mut conn, id).await?.map(|row| row.data_sources.0).unwrap_or_default();
    let mut documents = HashMap::new();
    for act in &acts {
        if let Some(document) = db::act_documents::find(&mut conn, act.id).await? {
            documents.insert(act.id, document);
        }
    }
    Ok(Loaded { view, public, acts, words, pledges, data_sources, documents })
}

/// The act forms' state: what was filed and refused, if anything.
#[derive(Debug, Default)]
pub(super) struct Filing {
    /// The kind of the form posted.
    kind: String,
    /// What it carried, shown again.
    typed: Vec<(String, String)>,
    errors: FieldErrors,
    /// A refusal that is no field's, shown above the forms.
    alert: Option<String>,
    /// The single-use links of an act just filed (when the registry sends
    /// no mail): whose, and the link.
    links: Vec<(String, String)>,
    /// Just filed.
    filed: bool,
    /// A written consent just uploaded.
    uploaded: bool,
    /// A written consent refused: the act's id, and why (beside its input).
    document_error: Option<(Uuid, String)>,
}

#[derive(Template)]
#[template(path = "workbench/certificate.html")]
struct CertificatePage<'a> {
    ctx: &'a Ctx,
    w: &'static CertWords,
    aw: &'static ActWords,
    number: String,
    registration_number: String,
    status: &'static str,
    status_class: &'static str,
    product_name: String,
    category: &'static str,
    holder_name: String,
    valid_from: String,
    valid_until: String,
    bounded: bool,
    issued_at: String,
    ledger_index: Option<u64>,
    under_preservation: bool,
    licenses: Vec<String>,
    pledges: Vec<String>,
    downloads: Vec<(String, &'static str, &'static str)>,
    acts: Vec<acts::ActLine>,
    /// Acts may be filed (the certificate is active).
    active: bool,
    forms: Vec<forms::ActForm>,
    form_action: String,
    notice: Option<&'static str>,
    alert: Option<String>,
    links: Vec<(String, String)>,
    /// The summary of the errors: each message, and the id of its control.
    errors: Vec<(String, Option<String>)>,
}

/// `GET /workbench/certificates/{id}`.
async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    who: Applicant,
    Path(id): Path<String>,
    Query(query): Query<Done>,
) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    let filing = Filing { filed: query.done == "file-act", uploaded: query.done == "document", ..Filing::default() };
    render(&state, &ctx, &who, id, filing, StatusCode::OK).await
}

/// `GET /workbench/certificates/{id}/acts`: the acts are on the certificate's page.
async fn to_certificate(ctx: Ctx, _who: Applicant, Path(id): Path<String>) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    ctx.see_other(&format!("/workbench/certificates/{id}"))
}

/// The certificate's page, with the act forms as `filing` left them.
pub(super) async fn render(
    state: &AppState,
    ctx: &Ctx,
    who: &Applicant,
    id: Uuid,
    filing: Filing,
    status: StatusCode,
) -> Response {
    let loaded = match load(state, who, id).await {
        Ok(loaded) => loaded,
        Err(error) => return page::failure(ctx, error),
    };
    let w = CertWords::of(ctx.lang);
    let record = &loaded.view.record;
    let (status_word, status_class) = status_words(ctx, record.status);
    let base = format!("/workbench/certificates/{id}");
    let mut downloads = vec![
        (ctx.link(&format!("{base}/certificate.pdf")), w.download_pdf, w.download_pdf_hint),
        (ctx.link(&format!("{base}/document.json")), w.download_json, w.download_json_hint),
    ];
    if record.ledger.is_some() {
        downloads.push((ctx.link(&format!("{base}/proof")), w.download_proof, w.download_proof_hint));
    }
    if record.document.holder.credit_code().is_none() {
        downloads.push((ctx.link(&format!("{base}/openings.json")), w.download_openings, w.download_openings_hint));
    }
    let public = &loaded.public;
    let licenses = public
        .licenses
        .iter()
        .flatten()
        .map(|l| {
            let kind = if l.exclusive { w.exclusive } else { w.non_exclusive };
            format!("{} · {kind} · {} – {}", l.licensee_name, ctx.date(l.starts_on), ctx.date(l.ends_on))
        })
        .collect();
    let pledges = public
        .pledges
        .iter()
        .flatten()
        .map(|p| {
            let amount =
                p.secured_amount.as_ref().map(|m| format!(" · {} {}", m.amount, m.currency)).unwrap_or_default();
            format!(
                "{} {} · {}{amount} · {} – {}",
                w.rank,
                p.rank,
                p.pledgee_name,
                ctx.date(p.starts_on),
                ctx.date(p.ends_on)
            )
        })
        .collect();
    let forms = forms::forms(ctx, &loaded, &filing);
    let errors = forms::summary(&forms, &filing);
    let notice = if filing.uploaded {
        Some(ActWords::of(ctx.lang).document_uploaded)
    } else {
        (filing.filed || !filing.links.is_empty()).then_some(w.filed)
    };
    let page = CertificatePage {
        ctx,
        w,
        aw: ActWords::of(ctx.lang),
        number: record.certificate_number.clone(),
        registration_number: record.registration_number.clone(),
        status: status_word,
        status_class,
        product_name: public.product.name.clone(),
        category: category_word(ctx, public.product.category),
        holder_name: public.holder.name.clone(),
        valid_from: ctx.day(record.valid_from),
        valid_until: valid_until(ctx, &loaded.view),
        bounded: record.validity_bounded_by.is_some(),
        issued_at: ctx.time(record.issued_at),
        ledger_index: record.ledger.as_ref().map(|r| r.leaf_index),
        under_preservation: public.measures.iter().flatten().any(|m| m.in_force),
        licenses,
        pledges,
        downloads,
        acts: acts::lines(ctx, &loaded, &filing, state.config.materials.max_size),
        active: record.status == CertificateStatus::Active,
        forms,
        form_action: ctx.link(&format!("{base}/acts")),
        notice,
        alert: filing.alert.clone(),
        links: filing.links.clone(),
        errors,
    };
    page::html(status, &page)
}

/// A file to download, as the API answers it.
fn download(content_type: &str, filename: &str, bytes: impl IntoResponse) -> Response {
    let disposition = disposition::attachment(filename);
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// `GET /workbench/certificates/{id}/certificate.pdf`: the API's
/// `GET /certificates/{id}/pdf`.
async fn pdf(State(state): State<AppState>, ctx: Ctx, who: Applicant, Path(id): Path<String>) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    match certificates::pdf(&state, who.tenant(), id).await {
        Ok((number, bytes)) => download("application/pdf", &format!("{number}.pdf"), bytes),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `GET /workbench/certificates/{id}/document.json`: the certificate as the
/// API's `GET /certificates/{id}` answers it (document, signature, ledger
/// receipt), which `dataip verify` checks.
async fn document(State(state): State<AppState>, ctx: Ctx, who: Applicant, Path(id): Path<String>) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    let view = match certificates::get(&state, who.tenant(), id).await {
        Ok(view) => view,
        Err(error) => return page::failure(&ctx, error),
    };
    match serde_json::to_vec_pretty(&view) {
        Ok(bytes) => download("application/json", &format!("{}.json", view.record.certificate_number), bytes),
        Err(error) => page::failure(&ctx, services::Error::Internal(error.into())),
    }
}

/// `GET /workbench/certificates/{id}/proof`: the C2SP tlog-proof of the
/// issuance, as `GET /public/certificates/{number}/proof` answers it.
async fn proof(State(state): State<AppState>, ctx: Ctx, who: Applicant, Path(id): Path<String>) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    let view = match certificates::get(&state, who.tenant(), id).await {
        Ok(view) => view,
        Err(error) => return page::failure(&ctx, error),
    };
    let number = &view.record.certificate_number;
    match log_files::certificate_proof(&state, number).await {
        Ok(proof) => download("text/plain; charset=utf-8", &format!("{number}.tlog-proof"), proof),
        Err(error) => page::failure(&ctx, error),
    }
}

/// The signed-in member as the services' principal (for the disclosures,
/// which staff may read too).
/// A disclosure, as the API answers it.
fn disclosure(ctx: &Ctx, found: services::Result<tlog::verify::Disclosure>, filename: &str) -> Response {
    match found.and_then(|d| serde_json::to_vec_pretty(&d).map_err(|e| services::Error::Internal(e.into()))) {
        Ok(bytes) => download("application/json", filename, bytes),
        Err(error) => page::failure(ctx, error),
    }
}

/// `GET /workbench/certificates/{id}/openings.json`: a person holder's
/// identity-number opening (the API's `GET /certificates/{id}/openings`).
async fn openings(State(state): State<AppState>, ctx: Ctx, who: Applicant, Path(id): Path<String>) -> Response {
    let Some(id) = id_of(&id) else { return page::not_found(&ctx) };
    let found = certificates::holder_disclosure(&state, who.principal(), id).await;
    disclosure(&ctx, found, "openings.json")
}

/// `GET /workbench/certificates/{id}/acts/{act_id}/openings.json`: an
/// approved act's private fields disclosed (the API's
/// `GET /certificates/{id}/acts/{act_id}/openings`).
async fn act_openings(
    State(state): State<AppState>,
    ctx: Ctx,
    who: Applicant,
    Path((id, act_id)): Path<(String, String)>,
) -> Response {
    let (Some(id), Some(act_id)) = (id_of(&id), id_of(&act_id)) else { return page::not_found(&ctx) };
    let found = certificates::acts::disclosure(&state, who.principal(), id, act_id).await;
    disclosure(&ctx, found, &format!("act-{act_id}-openings.json"))
}
