//! `/workbench/applications/{id}`: one application of the party.
//! Long because one page shows the application's whole procedure, each
//! form beside what it acts on, in two languages: its fields (read-only;
//! edited on the form page, `application_form`), its materials uploaded one
//! by one (replaced until it is submitted), the submission with the
//! applicant's commitment, withdrawal, answering a supplement request, and
//! the timeline (history, the announcement, objections and the holder's
//! replies, filed from here), all through the API's own services.

use askama::Template;
use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
};
use uuid::Uuid;

use crate::workbench::{
    form::{self, Refused, Submitted},
    page::{self, Ctx, Done, FieldErrors},
    visit::{Applicant, Visit},
    words::words,
};
use crate::{
    db,
    domain::{
        Action, ApplicationState, Category, DataSourceKind, Lang, MaterialKind, ObjectionState, RefusalGround,
        Statement, WithdrawalReason,
    },
    http::disposition,
    services::{
        Error,
        objections::{self, HolderObjectionView, ResponseRequest, evidence},
        registration::{
            application_views::{ApplicationView, EventView, MaterialView},
            applications::{self, SubmitRequest, WithdrawRequest},
            materials,
        },
    },
    state::AppState,
};

words! { pub ApplicationWords {
    back: "我的申请", "My applications";
    state: "状态", "State";
    summary_heading: "申请内容", "The application";
    application_number: "申请号", "Application number";
    not_yet: "提交时分配", "Assigned at submission";
    category: "类别", "Category";
    summary: "摘要", "Abstract";
    data_sources: "数据来源", "Data sources";
    agreement_ends_on: "协议到期日", "Agreement ends";
    data_format: "数据格式", "Data format";
    data_scale: "数据规模", "Data scale";
    update_frequency: "更新频率", "Update frequency";
    registration_number: "登记编号", "Registration number";
    certificate_number: "证书编号", "Certificate number";
    decision_reason: "决定理由", "Reason for the decision";
    refusal_grounds: "不予登记的理由", "Grounds of refusal";
    created_at: "创建时间", "Created";
    updated_at: "最后修改", "Last changed";
    none: "无", "None";
    edit: "修改申请内容", "Edit the application";
    materials: "申请材料", "Materials";
    materials_intro: "每类材料一个文件。提交之前，再次上传即替换原文件。上传后页面显示文件的大小、类型和 SHA-256 摘要，可与您手中的文件比对。", "One file per kind. Until the application is submitted, uploading again replaces the file. After an upload the page shows the file's size, type and SHA-256, to compare with the file you hold.";
    materials_locked: "申请已提交，材料不能再更改（登记机构要求补正时除外）。", "The application has been submitted: its materials no longer change (unless the registry asks for a supplement).";
    required: "必需", "Required";
    optional: "可选", "Optional";
    file_name: "文件名", "File name";
    size: "大小", "Size";
    media_type: "类型", "Type";
    uploaded_at: "上传时间", "Uploaded";
    not_uploaded: "尚未上传", "Not uploaded yet";
    choose_file: "选择文件", "Choose a file";
    upload: "上传", "Upload";
    replace: "上传替换", "Upload a replacement";
    at_most: "最大", "At most";
    submission: "提交申请", "Submission";
    submit_intro: "提交需要四份必需材料、至少一个数据来源，以及下面的承诺。提交后，除非登记机构要求补正，申请不能再修改。", "Submitting needs the four required materials, at least one data source, and the declaration below. Once submitted, the application cannot change unless the registry asks for a supplement.";
    commitment: "本申请人承诺：所申请登记的数据来源合法，未侵犯他人的合法权益。", "I declare that the data was lawfully obtained and infringes no one's rights.";
    submit: "提交申请", "Submit the application";
    submit_confirm: "提交后不能再修改申请内容和材料。确定提交吗？", "Once submitted, the application and its materials cannot change. Submit it?";
    submitted_at: "提交时间", "Submitted";
    commitment_made: "申请人已作出承诺：所申请登记的数据来源合法，未侵犯他人的合法权益。", "The applicant declared that the data was lawfully obtained and infringes no one's rights.";
    unverified: "您的主体尚未通过登记机构核验，暂时不能提交申请：", "Your party has not been verified by the registry yet, so it cannot submit applications:";
    unverified_link: "前往主体核验", "Go to your party's verification";
    supplement: "补正要求", "Supplement requested";
    supplement_reason: "需要补正的内容", "What is asked";
    due_at: "截止时间", "Due";
    days_left: "剩余天数", "Days left";
    supplement_intro: "请按要求修改申请内容或重新上传材料，然后再次提交。截止时间前未提交的，视为撤回申请。", "Make the changes asked for (edit the application, upload materials again), then submit again. If it is not submitted by the deadline, the application is deemed withdrawn.";
    answer_supplement: "提交补正", "Submit the supplement";
    answer_confirm: "提交补正后不能再修改。确定提交吗？", "Once the supplement is submitted, nothing can change. Submit it?";
    withdrawal: "撤回申请", "Withdrawal";
    withdraw_intro: "撤回不可恢复。已提交过的申请撤回后，同一产品在一段时间内不能再次申请。", "A withdrawal is final. After an application that was submitted is withdrawn, the same product cannot be filed again for a while.";
    withdraw_reason: "撤回理由（可选）", "Reason (optional)";
    withdraw: "撤回申请", "Withdraw the application";
    withdraw_confirm: "确定撤回此申请吗？撤回后不可恢复。", "Withdraw this application? This cannot be undone.";
    announcement: "公示", "Announcement";
    announcement_starts: "公示开始", "Starts";
    announcement_ends: "公示截止", "Ends";
    announcement_open: "公示期间任何人都可以对本申请提出异议。", "While it is announced, anyone may object to the application.";
    public_page: "查看公示页面", "See the public announcement";
    objections: "异议", "Objections";
    no_objections: "尚无异议。", "No objections.";
    objection: "异议", "Objection";
    objector: "异议人", "Objector";
    interest: "利害关系", "Interest";
    grounds: "异议理由", "Grounds";
    filed_at: "提出时间", "Filed";
    decision_due_at: "处理期限", "Decision due";
    decided_at: "处理时间", "Decided";
    evidence: "证据材料", "Evidence";
    replies: "我方答复", "Our replies";
    reply_label: "答复此异议", "Reply to this objection";
    reply_hint: "登记机构的审查人员和异议人都会看到您的答复，最多 5000 字；可以多次答复。", "The registry's reviewers and the objector see your reply; up to 5000 characters. You may reply more than once.";
    reply: "提交答复", "Send the reply";
    certificate: "登记证书", "Certificate";
    see_certificate: "查看证书", "See the certificate";
    timeline: "办理记录", "History";
    by: "操作方", "By";
    done_created: "草稿已保存。请逐一上传四项材料，然后提交。", "The draft is saved. Upload the four materials one by one, then submit.";
    done_saved: "修改已保存。", "Your changes are saved.";
    done_uploaded: "材料已上传。", "The material was uploaded.";
    done_submitted: "申请已提交。", "The application has been submitted.";
    done_answered: "补正已提交。", "The supplement has been submitted.";
    done_withdrawn: "申请已撤回。", "The application has been withdrawn.";
    done_replied: "答复已提交。", "Your reply has been sent.";
    unknown_action: "未知操作。", "Unknown action.";
} }

fn pick(lang: Lang, (zh, en): (&'static str, &'static str)) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

fn state_word(lang: Lang, state: ApplicationState) -> &'static str {
    pick(
        lang,
        match state {
            ApplicationState::Draft => ("草稿", "Draft"),
            ApplicationState::Submitted => ("已提交", "Submitted"),
            ApplicationState::UnderReview => ("审查中", "Under review"),
            ApplicationState::SupplementRequested => ("待补正", "Supplement requested"),
            ApplicationState::Rejected => ("不予登记", "Rejected"),
            ApplicationState::Withdrawn => ("已撤回", "Withdrawn"),
            ApplicationState::InAnnouncement => ("公示中", "In announcement"),
            ApplicationState::ObjectionReview => ("异议处理中", "Objections under review"),
            ApplicationState::Registered => ("已登记", "Registered"),
        },
    )
}

fn category_word(lang: Lang, category: Category) -> &'static str {
    pick(
        lang,
        match category {
            Category::DataCollection => ("数据集合", "Data collection"),
            Category::DataProduct => ("数据产品", "Data product"),
            Category::DataAlgorithm => ("数据算法", "Data algorithm"),
        },
    )
}

fn source_word(lang: Lang, kind: DataSourceKind) -> &'static str {
    pick(
        lang,
        match kind {
            DataSourceKind::SelfCollected => ("自行采集", "Self-collected"),
            DataSourceKind::Licensed => ("授权使用", "Licensed"),
            DataSourceKind::Purchased => ("购买取得", "Purchased"),
            DataSourceKind::PublicAuthorized => ("公共数据授权", "Authorized public data"),
        },
    )
}

fn material_word(lang: Lang, kind: MaterialKind) -> &'static str {
    pick(
        lang,
        match kind {
            MaterialKind::ApplicationForm => ("登记申请表", "Application form"),
            MaterialKind::Summary => ("数据产品摘要", "Product summary"),
            MaterialKind::ProcessingInnovation => ("实质性加工和创新说明", "Processing and innovation"),
            MaterialKind::ApplicationScenarios => ("应用场景说明", "Application scenarios"),
            MaterialKind::DataSourceProof => ("数据来源证明", "Proof of data sources"),
            MaterialKind::Sample => ("数据样例", "Sample"),
        },
    )
}

fn ground_word(lang: Lang, ground: RefusalGround) -> &'static str {
    pick(
        lang,
        match ground {
            RefusalGround::PublicInterest => {
                ("危害国家安全或公共利益", "Harms national security or the public interest")
            }
            RefusalGround::PersonalInformation => ("侵犯个人信息或隐私", "Infringes personal information or privacy"),
            RefusalGround::UnlawfulSource => {
                ("数据来源不合法或侵犯他人权益", "Data obtained unlawfully or infringing others' rights")
            }
            RefusalGround::OwnershipDisputed => ("权属不清或存在争议", "Ownership unclear or disputed"),
            RefusalGround::Fraud => ("隐瞒真实情况或弄虚作假", "Concealment or fraud"),
            RefusalGround::Duplicate => ("重复申请", "Duplicate application"),
            RefusalGround::Other => ("其他", "Other"),
        },
    )
}

fn objection_word(lang: Lang, state: ObjectionState) -> &'static str {
    pick(
        lang,
        match state {
            ObjectionState::Open => ("处理中", "Open"),
            ObjectionState::Upheld => ("异议成立", "Upheld"),
            ObjectionState::Dismissed => ("异议不成立", "Dismissed"),
            ObjectionState::Withdrawn => ("已撤回", "Withdrawn"),
        },
    )
}

/// A history entry's action in words; an action this page does not know
/// is shown as recorded.
fn event_word(lang: Lang, action: &str) -> String {
    let words = match action {
        "create" => ("创建草稿", "Draft created"),
        "update" => ("修改申请内容", "Application edited"),
        "upload_material" => ("上传材料", "Material uploaded"),
        "delete_material" => ("删除材料", "Material deleted"),
        "submit" => ("提交申请", "Submitted"),
        "claim" => ("受理审查", "Taken for review"),
        "request_supplement" => ("要求补正", "Supplement requested"),
        "reject" => ("不予登记", "Rejected"),
        "approve" => ("审查通过，开始公示", "Approved and announced"),
        "withdraw" => ("撤回申请", "Withdrawn"),
        "lapse_supplement" => ("逾期未补正，视为撤回", "Deemed withdrawn: no supplement in time"),
        "close_announcement" => ("公示期满，予以登记", "Announcement ended: registered"),
        "await_objections" => ("公示期满，等待异议处理", "Announcement ended: objections pending"),
        "uphold_objection" => ("异议成立，不予登记", "Objection upheld: rejected"),
        "dismiss_objections" => ("异议处理完毕，予以登记", "Objections resolved: registered"),
        "lapse_agreement" => ("数据来源协议到期，不予登记", "Data source agreement ended: rejected"),
        "object" => ("收到异议", "Objection filed"),
        "withdraw_objection" => ("异议人撤回异议", "Objection withdrawn"),
        "respond_objection" => ("答复异议", "Objection answered"),
        "add_objection_evidence" => ("异议人补充证据", "Objector added evidence"),
        "dismiss_objection" => ("异议不成立", "Objection dismissed"),
        "close_objections" => ("异议终结", "Objections closed"),
        "license.recorded" => ("许可登记", "Licence recorded"),
        "pledge.recorded" => ("质押登记", "Pledge recorded"),
        "pledge.released" => ("解除质押", "Pledge released"),
        "certificate.transferred" => ("证书转让", "Certificate transferred"),
        "certificate.changed" => ("证书变更", "Certificate changed"),
        "certificate.renewed" => ("证书续展", "Certificate renewed"),
        "certificate.cancelled" => ("证书注销", "Certificate cancelled"),
        "certificate.revoked" => ("证书撤销", "Certificate revoked"),
        other => return other.to_owned(),
    };
    pick(lang, words).to_owned()
}

fn actor_word(lang: Lang, kind: &str) -> &'static str {
    pick(
        lang,
        match kind {
            "applicant" => ("申请人", "Applicant"),
            "reviewer" => ("登记机构", "The registry"),
            "public" => ("公众", "The public"),
            _ => ("系统", "The system"),
        },
    )
}

/// The routes of the page and its plain forms, and its downloads.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workbench/applications/{id}", get(show).post(act))
        .route("/workbench/applications/{id}/materials/{kind}", get(download_material))
        .route("/workbench/applications/{id}/objections/{objection_id}/evidence/{evidence_id}", get(download_evidence))
}

/// The material uploads, under the upload's limits.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/workbench/applications/{id}/materials/{kind}", post(upload))
}

/// Everything the page shows, read through the API's services.
struct Loaded {
    view: ApplicationView,
    events: Vec<EventView>,
    objections: Vec<HolderObjectionView>,
    /// The certificate issued on it, while the party holds it.
    certificate_id: Option<Uuid>,
}

async fn load(state: &AppState, applicant: &Applicant, id: Uuid) -> Result<Loaded, Error> {
    let tenant = applicant.tenant();
    let view = applications::get(state, tenant, id).await?;
    let events = applications::events(state, applicant.tenant(), id).await?;
    let objections = match view.announcement {
        Some(_) => objections::for_holder(state, applicant.tenant(), id).await?,
        None => Vec::new(),
    };
    let certificate_id = match view.certificate_number {
        Some(_) => {
            let mut conn = state.db.acquire().await?;
            db::certificates::find_for_application(&mut conn, id)
                .await?
                .filter(|certificate| certificate.org_id == applicant.org_id)
                .map(|certificate| certificate.id)
        }
        None => None,
    };
    Ok(Loaded { view, events, objections, certificate_id })
}

/// What went wrong with a form of the page, shown beside it; and what was
/// typed, kept.
#[derive(Default)]
struct Problems {
    notice: &'static str,
    /// A material's upload refused: its kind and why.
    upload: Option<(MaterialKind, String)>,
    /// The submission's missing pieces, by field.
    submit: FieldErrors,
    /// The party may not submit yet: the service's words.
    unverified: Option<String>,
    withdraw_reason: String,
    withdraw_error: Option<String>,
    /// A reply refused: the objection, the text typed and why.
    reply: Option<(Uuid, String, String)>,
}

struct MaterialLine {
    kind: &'static str,
    label: &'static str,
    required: bool,
    file: Option<MaterialView>,
    size: String,
    uploaded_at: String,
    download: String,
    action: String,
    error: Option<String>,
}

struct SourceLine {
    kind: &'static str,
    description: String,
    agreement_ends_on: String,
}

struct EventLine {
    at: String,
    what: String,
    by: &'static str,
    change: String,
    note: String,
}

struct EvidenceLine {
    href: String,
    filename: String,
    media_type: String,
    size: String,
    sha256: String,
}

struct ReplyLine {
    at: String,
    text: String,
}

struct ObjectionLine {
    id: Uuid,
    state: &'static str,
    open: bool,
    objector_name: String,
    interest: String,
    grounds: String,
    filed_at: String,
    decision_due_at: String,
    decided_at: String,
    decision_reason: String,
    refusal_grounds: Vec<&'static str>,
    evidence: Vec<EvidenceLine>,
    replies: Vec<ReplyLine>,
    text: String,
    error: Option<String>,
    /// Makes a second press of the reply button answer the first reply.
    key: String,
}

struct SupplementLine {
    reason: String,
    due_at: String,
    days_left: i64,
}

struct AnnouncementLine {
    starts_at: String,
    ends_at: String,
    days_left: i64,
    open: bool,
    href: String,
}

#[derive(Template)]
#[template(path = "workbench/application.html")]
struct ApplicationPage<'a> {
    ctx: &'a Ctx,
    w: &'static ApplicationWords,
    view: ApplicationView,
    here: String,
    state_word: &'static str,
    category: &'static str,
    sources: Vec<SourceLine>,
    refusal_grounds: Vec<&'static str>,
    created_at: String,
    updated_at: String,
    submitted_at: String,
    editable: bool,
    draft: bool,
    can_withdraw: bool,
    edit_href: String,
    materials: Vec<MaterialLine>,
    accept: String,
    max_size: String,
    supplement: Option<SupplementLine>,
    announcement: Option<AnnouncementLine>,
    objections: Vec<ObjectionLine>,
    events: Vec<EventLine>,
    certificate_href: Option<String>,
    problems: Problems,
    commitment_error: Option<String>,
    /// The submission's errors of no material (data sources, commitment).
    submit_summary: Vec<String>,
}

impl ApplicationPage<'_> {
    fn new<'a>(ctx: &'a Ctx, state: &AppState, loaded: Loaded, problems: Problems) -> ApplicationPage<'a> {
        let lang = ctx.lang;
        let w = ApplicationWords::of(lang);
        let Loaded { view, events, objections, certificate_id } = loaded;
        let now = state.clock.now();
        let here = format!("/workbench/applications/{}", view.id);
        let editable = view.state.is_editable();
        let materials = MaterialKind::ALL
            .into_iter()
            .map(|kind| {
                let file = view.materials.iter().find(|m| m.kind == kind).cloned();
                let uploaded = problems.upload.as_ref().filter(|(k, _)| *k == kind).map(|(_, message)| message.clone());
                let missing = problems.submit.on(&format!("materials.{}", kind.as_str())).map(str::to_owned);
                MaterialLine {
                    kind: kind.as_str(),
                    label: material_word(lang, kind),
                    required: MaterialKind::REQUIRED.contains(&kind),
                    size: file.as_ref().map(|f| ctx.size(f.size)).unwrap_or_default(),
                    uploaded_at: file.as_ref().map(|f| ctx.time(f.uploaded_at)).unwrap_or_default(),
                    download: ctx.link(&format!("{here}/materials/{}", kind.as_str())),
                    action: ctx.link(&format!("{here}/materials/{}", kind.as_str())),
                    error: uploaded.or(missing),
                    file,
                }
            })
            .collect();
        let objections = objections
            .into_iter()
            .map(|objection| {
                let (text, error) = match &problems.reply {
                    Some((id, text, error)) if *id == objection.id => (text.clone(), Some(error.clone())),
                    _ => (String::new(), None),
                };
                let evidence = objection
                    .evidence
                    .iter()
                    .map(|file| EvidenceLine {
                        href: ctx.link(&format!("{here}/objections/{}/evidence/{}", objection.id, file.id)),
                        filename: file.filename.clone(),
                        media_type: file.media_type.clone(),
                        size: ctx.size(file.size),
                        sha256: file.sha256.clone(),
                    })
                    .collect();
                ObjectionLine {
                    id: objection.id,
                    state: objection_word(lang, objection.state),
                    open: objection.state == ObjectionState::Open,
                    objector_name: objection.objector_name,
                    interest: objection.interest,
                    grounds: objection.grounds,
                    filed_at: ctx.time(objection.created_at),
                    decision_due_at: ctx.day(objection.decision_due_at),
                    decided_at: objection
                        .decided_at
                        .or(objection.withdrawn_at)
                        .map(|at| ctx.time(at))
                        .unwrap_or_default(),
                    decision_reason: objection.decision_reason.unwrap_or_default(),
                    refusal_grounds: objection.refusal_grounds.iter().map(|g| ground_word(lang, *g)).collect(),
                    evidence,
                    replies: objection
                        .responses
                        .into_iter()
                        .map(|reply| ReplyLine { at: ctx.time(reply.created_at), text: reply.text })
                        .collect(),
                    text,
                    error,
                    key: Uuid::now_v7().simple().to_string(),
                }
            })
            .collect();
        let events = events
            .into_iter()
            .map(|event| EventLine {
                at: ctx.time(event.at),
                // A submission from `supplement_requested` is the answer to one.
                what: match (event.action.as_str(), event.from_state) {
                    ("submit", Some(ApplicationState::SupplementRequested)) => {
                        pick(lang, ("提交补正", "Supplement submitted")).to_owned()
                    }
                    (action, _) => event_word(lang, action),
                },
                by: actor_word(lang, &event.actor.kind),
                change: match (event.from_state, event.to_state) {
                    (Some(from), Some(to)) if from != to => {
                        format!("{} → {}", state_word(lang, from), state_word(lang, to))
                    }
                    _ => String::new(),
                },
                note: event.note.unwrap_or_default(),
            })
            .collect();
        let commitment_error = problems.submit.on("commitment").map(str::to_owned);
        let submit_summary = problems
            .submit
            .all()
            .filter(|(field, _)| !field.starts_with("materials.") && *field != "commitment")
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        let config = &state.config.materials;
        ApplicationPage {
            ctx,
            w,
            here: ctx.link(&here),
            state_word: state_word(lang, view.state),
            category: category_word(lang, view.category),
            sources: view
                .data_sources
                .iter()
                .map(|source| SourceLine {
                    kind: source_word(lang, source.kind),
                    description: source.description.to_string(),
                    agreement_ends_on: source.agreement_ends_on.map(|day| ctx.date(day.date())).unwrap_or_default(),
                })
                .collect(),
            refusal_grounds: view.refusal_grounds.iter().map(|g| ground_word(lang, *g)).collect(),
            created_at: ctx.time(view.created_at),
            updated_at: ctx.time(view.updated_at),
            submitted_at: view.submitted_at.map(|at| ctx.time(at)).unwrap_or_default(),
            editable,
            draft: view.state == ApplicationState::Draft,
            can_withdraw: view.state.after(Action::Withdraw).is_some(),
            edit_href: ctx.link(&format!("{here}/edit")),
            materials,
            accept: config.media_types.join(","),
            max_size: ctx.size(i64::try_from(config.max_size).unwrap_or(i64::MAX)),
            supplement: view.supplement.as_ref().map(|supplement| SupplementLine {
                reason: supplement.reason.clone(),
                due_at: ctx.time(supplement.due_at),
                days_left: ctx.days_until(now, supplement.due_at),
            }),
            announcement: view.announcement.as_ref().map(|window| AnnouncementLine {
                starts_at: ctx.time(window.starts_at),
                ends_at: ctx.time(window.ends_at),
                days_left: ctx.days_until(now, window.ends_at),
                open: view.state == ApplicationState::InAnnouncement && now < window.ends_at,
                href: ctx.link(&format!("/announcements/{}", view.id)),
            }),
            objections,
            events,
            certificate_href: certificate_id.map(|id| ctx.link(&format!("/workbench/certificates/{id}"))),
            problems,
            commitment_error,
            submit_summary,
            view,
        }
    }
}

/// The page, with `problems` shown beside their forms, under `status`.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    applicant: &Applicant,
    id: Uuid,
    status: StatusCode,
    problems: Problems,
) -> Response {
    match load(state, applicant, id).await {
        Ok(loaded) => page::html(status, &ApplicationPage::new(ctx, state, loaded, problems)),
        Err(error) => page::failure(ctx, error),
    }
}

/// `GET /workbench/applications/{id}`.
async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    Query(query): Query<Done>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return page::not_found(&ctx) };
    let w = ApplicationWords::of(ctx.lang);
    let notice = match query.done.as_str() {
        "created" => w.done_created,
        "saved" => w.done_saved,
        "uploaded" => w.done_uploaded,
        "submitted" => w.done_submitted,
        "answered" => w.done_answered,
        "withdrawn" => w.done_withdrawn,
        "replied" => w.done_replied,
        _ => "",
    };
    render(&state, &ctx, &applicant, id, StatusCode::OK, Problems { notice, ..Problems::default() }).await
}

/// `POST /workbench/applications/{id}`: `action` is `submit` or
/// `answer-supplement` (with `commitment=true`), `withdraw` (with an
/// optional `reason`) or `reply` (with `objection_id` and `text`).
async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return page::not_found(&ctx) };
    let here = format!("/workbench/applications/{id}");
    let refused =
        |problems: Problems, error: &Error| render(&state, &ctx, &applicant, id, refusal_status(error), problems);
    match form.action.as_str() {
        action @ ("submit" | "answer-supplement") => {
            let request = SubmitRequest { commitment: form.text("commitment") == "true" };
            match applications::submit(&state, applicant.tenant(), id, request).await {
                Ok(_) => {
                    let done = if action == "submit" { "submitted" } else { "answered" };
                    ctx.see_other(&format!("{here}?done={done}"))
                }
                Err(error @ Error::Validation(_)) => {
                    let submit = FieldErrors::of(&error).unwrap_or_default();
                    refused(Problems { submit, ..Problems::default() }, &error).await
                }
                Err(error @ (Error::PartyUnverified(_) | Error::OrganizationUnverified(_))) => {
                    refused(Problems { unverified: Some(error.to_string()), ..Problems::default() }, &error).await
                }
                Err(error) => page::failure(&ctx, error),
            }
        }
        "withdraw" => {
            let reason = form.text("reason");
            let request =
                WithdrawRequest { reason: (!reason.trim().is_empty()).then(|| WithdrawalReason::from(reason)) };
            match applications::withdraw(&state, applicant.tenant(), id, request).await {
                Ok(_) => ctx.see_other(&format!("{here}?done=withdrawn")),
                Err(error @ Error::Validation(_)) => {
                    let message = FieldErrors::of(&error).and_then(|e| e.on("reason").map(str::to_owned));
                    let problems = Problems {
                        withdraw_reason: reason.to_owned(),
                        withdraw_error: Some(message.unwrap_or_else(|| error.to_string())),
                        ..Problems::default()
                    };
                    refused(problems, &error).await
                }
                Err(error) => page::failure(&ctx, error),
            }
        }
        "reply" => {
            let Ok(objection_id) = form.text("objection_id").parse::<Uuid>() else { return page::not_found(&ctx) };
            let text = form.text("text");
            let request = ResponseRequest { text: Statement::from(text) };
            let key = Some(form.text("idempotency_key").to_owned()).filter(|key| !key.is_empty());
            match objections::respond(&state, applicant.tenant(), id, objection_id, request, key).await {
                Ok(_) => ctx.see_other(&format!("{here}?done=replied")),
                Err(error @ Error::Validation(_)) => {
                    let errors = FieldErrors::of(&error).unwrap_or_default();
                    let message = errors.all().map(|(_, message)| message).collect::<Vec<_>>().join("; ");
                    let problems =
                        Problems { reply: Some((objection_id, text.to_owned(), message)), ..Problems::default() };
                    refused(problems, &error).await
                }
                Err(error) => page::failure(&ctx, error),
            }
        }
        _ => {
            let w = ApplicationWords::of(ctx.lang);
            page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.unknown_action)
        }
    }
}

/// The status a refusal shown on the page answers with, as the API's.
fn refusal_status(error: &Error) -> StatusCode {
    match error {
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::PartyUnverified(_) | Error::OrganizationUnverified(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `POST /workbench/applications/{id}/materials/{kind}`: the file under the
/// input named by its kind, after the form's `csrf` and `action=upload`.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    visit: Visit,
    applicant: Applicant,
    Path((id, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (Ok(id), Some(kind)) = (id.parse::<Uuid>(), MaterialKind::ALL.into_iter().find(|k| k.as_str() == kind)) else {
        return page::not_found(&ctx);
    };
    let max_size = state.config.materials.max_size;
    let refusal = match form::receive(&ctx, &visit, &headers, body, &[kind.as_str()], max_size).await {
        Ok(received) => {
            let (upload, stream, cut) = received.into_parts();
            match materials::upload(&state, applicant.tenant(), id, kind, upload, stream).await {
                Ok(_) => return ctx.see_other(&format!("/workbench/applications/{id}?done=uploaded")),
                Err(error) => cut.refusal(&ctx, error, max_size),
            }
        }
        Err(refusal) => refusal,
    };
    match refusal {
        Refused::Page(page) => *page,
        Refused::Beside { status, message } => {
            let problems = Problems { upload: Some((kind, message)), ..Problems::default() };
            render(&state, &ctx, &applicant, id, status, problems).await
        }
        Refused::Failed(error) => page::failure(&ctx, error),
    }
}

/// `GET /workbench/applications/{id}/materials/{kind}`: the material's bytes.
async fn download_material(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path((id, kind)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Some(kind)) = (id.parse::<Uuid>(), MaterialKind::ALL.into_iter().find(|k| k.as_str() == kind)) else {
        return page::not_found(&ctx);
    };
    match materials::download(&state, applicant.principal(), id, kind).await {
        Ok(download) => disposition::download(download),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `GET /workbench/applications/{id}/objections/{objection_id}/evidence/{evidence_id}`.
async fn download_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path((id, objection_id, evidence_id)): Path<(String, String, String)>,
) -> Response {
    let (Ok(id), Ok(objection_id), Ok(evidence_id)) =
        (id.parse::<Uuid>(), objection_id.parse::<Uuid>(), evidence_id.parse::<Uuid>())
    else {
        return page::not_found(&ctx);
    };
    match evidence::download(&state, applicant.principal(), id, objection_id, evidence_id).await {
        Ok(download) => disposition::download(download),
        Err(error) => page::failure(&ctx, error),
    }
}
