//! The party: who it is and where its verification stands, its
//! verification document (an organization's business licence, a person's
//! identity document) uploaded and downloaded, and its members and their
//! roles. Through the services `PUT /party/verification-document` and
//! `/organization/members` call.

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
    domain::{DisplayName, OrgRole, PartyKind, Role, Verification},
    http::disposition,
    pagination::PageQuery,
    services::{
        Error,
        accounts::{
            UserView,
            organization::{self, NewMember},
            verification::{self, OrganizationDetails},
        },
    },
    state::AppState,
};

/// The file input of the upload form.
const DOCUMENT: &str = "document";

/// Members listed per page.
const MEMBERS_PER_PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workbench/party", get(show))
        .route("/workbench/party/document/file", get(download))
        .route("/workbench/party/members", post(add_member))
        .route("/workbench/party/members/{id}", post(remove_member))
}

pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/workbench/party/document", post(upload))
}

words! { pub PartyWords {
    title: "主体与成员", "Party and members";
    party_heading: "主体", "Party";
    kind: "类型", "Kind";
    kind_organization: "组织", "Organization";
    kind_person: "自然人", "Natural person";
    name: "名称", "Name";
    credit_code: "统一社会信用代码", "Unified social credit code";
    id_number: "身份证号码（部分隐去）", "Identity number (masked)";
    verification: "核验状态", "Verification";
    v_unverified: "未核验", "Unverified";
    v_pending: "待登记机构审核", "Awaiting registry staff";
    v_verified: "已核验", "Verified";
    v_refused: "未通过", "Refused";
    since: "进入此状态的时间", "In this state since";
    refusal_reason: "未通过的原因", "Why it was refused";
    unverified_hint: "请上传核验文件，由登记机构工作人员审核；主体核验通过后方可提交登记申请。", "Upload the document for registry staff to check: only a verified party may submit applications.";
    refused_hint: "请根据上述原因重新上传核验文件。", "Upload a new document that meets the reason above.";
    licence_heading: "营业执照", "Business licence";
    identity_heading: "身份证件", "Identity document";
    document_none: "尚未上传。", "None uploaded yet.";
    filename: "文件名", "File name";
    media_type: "文件类型", "Type";
    size: "大小", "Size";
    sha256: "SHA-256 摘要", "SHA-256";
    uploaded_at: "上传时间", "Uploaded";
    download: "下载此文件", "Download this file";
    document_private: "核验文件不公开：仅本主体的成员和登记机构工作人员可以下载。", "The document is never public: only the party's members and registry staff download it.";
    upload_legend: "上传核验文件", "Upload the document";
    replace_legend: "重新上传（替换现有文件）", "Upload another (replacing this one)";
    file_label: "文件（PDF、PNG 或 JPEG 扫描件或照片）", "File (a PDF, PNG or JPEG scan or photograph)";
    max_size: "大小上限：", "At most ";
    upload: "上传", "Upload";
    verified_kept: "主体已核验，核验文件已存档，不能再替换。", "The party is verified: its document is on record and cannot be replaced.";
    owner_only_upload: "只有所有者可以上传核验文件。", "Only an owner may upload the document.";
    members_heading: "成员", "Members";
    email: "电子邮箱", "E-mail address";
    display_name: "显示名称", "Display name";
    role: "角色", "Role";
    role_owner: "所有者", "Owner";
    role_member: "成员", "Member";
    added_at: "加入时间", "Added";
    address: "邮箱", "Address";
    confirmed: "已确认", "Confirmed";
    unconfirmed: "未确认", "Not confirmed";
    you: "（您）", "(you)";
    actions: "操作", "Actions";
    remove: "移除", "Remove";
    remove_confirm: "确定移除此成员吗？其账户将被停用，不能恢复。", "Remove this member? Their account is disabled for good.";
    add_legend: "添加成员", "Add a member";
    password: "初始密码", "Initial password";
    password_hint: "至少 10 个字符。请通过安全渠道告知对方。", "At least 10 characters. Tell them by a safe channel.";
    role_hint: "所有者管理成员、API 密钥和 Webhook；成员准备和提交申请。", "Owners manage members, API keys and webhooks; members prepare and file applications.";
    add: "添加成员", "Add member";
    owner_only_members: "只有所有者可以添加或移除成员。", "Only an owner may add or remove members.";
    next_page: "下一页", "Next page";
    done_uploaded: "核验文件已上传，等待登记机构审核。", "The document was uploaded; it awaits registry staff.";
    done_member_added: "成员已添加，确认邮箱的链接已发送给对方。", "The member was added; a link to confirm the address was mailed to them.";
    done_member_removed: "成员已移除。", "The member was removed.";
    bad_role: "请选择所有者或成员。", "Choose owner or member.";
    unknown_action: "此表单没有这个操作。", "This form has no such action.";
} }

/// The party as the page shows it.
struct PartyShown {
    kind: &'static str,
    person: bool,
    name: String,
    identity_label: &'static str,
    identity: String,
    status: &'static str,
    status_class: &'static str,
    since: String,
    refusal_reason: Option<String>,
    verified: bool,
    refused: bool,
    unverified: bool,
}

struct DocumentShown {
    filename: String,
    media_type: String,
    size: String,
    sha256: String,
    uploaded_at: String,
}

struct MemberShown {
    id: String,
    email: String,
    display_name: String,
    role: &'static str,
    added_at: String,
    confirmed: bool,
    me: bool,
}

#[derive(Template)]
#[template(path = "workbench/party.html")]
struct PartyPage<'a> {
    ctx: &'a Ctx,
    w: &'static PartyWords,
    party: PartyShown,
    document: Option<DocumentShown>,
    members: Vec<MemberShown>,
    next_page: Option<String>,
    owner: bool,
    max_size: String,
    note: &'a str,
    errors: &'a FieldErrors,
    /// What the add-member form held when it was refused.
    typed: &'a [(String, String)],
}

impl PartyPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.on(field)
    }

    fn typed(&self, name: &str) -> &str {
        self.typed.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }

    fn role_chosen(&self, role: &str) -> bool {
        match self.typed("role") {
            "" => role == "member",
            typed => typed == role,
        }
    }
}

/// What a page shows besides the party: a note, or a refused form.
struct Shown<'a> {
    status: StatusCode,
    note: &'a str,
    errors: FieldErrors,
    typed: Vec<(String, String)>,
    cursor: Option<String>,
}

impl Shown<'_> {
    fn ok() -> Self {
        Self { status: StatusCode::OK, note: "", errors: FieldErrors::default(), typed: Vec::new(), cursor: None }
    }

    fn refused(status: StatusCode, errors: FieldErrors, typed: Vec<(String, String)>) -> Self {
        Self { status, errors, typed, ..Self::ok() }
    }
}

/// `GET /workbench/party`.
async fn show(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, Query(query): Query<Done>) -> Response {
    let w = PartyWords::of(ctx.lang);
    let note = match query.done.as_str() {
        "uploaded" => w.done_uploaded,
        "member-added" => w.done_member_added,
        "member-removed" => w.done_member_removed,
        _ => "",
    };
    render(&state, &ctx, &applicant, Shown { note, cursor: query.cursor, ..Shown::ok() }).await
}

async fn render(state: &AppState, ctx: &Ctx, applicant: &Applicant, shown: Shown<'_>) -> Response {
    let w = PartyWords::of(ctx.lang);
    let details = match verification::get(state, applicant.org_id).await {
        Ok(details) => details,
        Err(error) => return page::failure(ctx, error),
    };
    let paging = PageQuery { limit: Some(MEMBERS_PER_PAGE), cursor: shown.cursor.clone() };
    let members = match paging.parse::<Uuid>() {
        Ok(request) => organization::list_members(state, applicant.org_id, request).await,
        Err(error) => Err(error),
    };
    let members = match members {
        Ok(members) => members,
        Err(error) => return page::failure(ctx, error),
    };
    let next_page =
        members.next_cursor.as_deref().map(|cursor| ctx.link_with("/workbench/party", &[("cursor", cursor)]));
    let page = PartyPage {
        ctx,
        w,
        document: details.business_licence.as_ref().map(|licence| DocumentShown {
            filename: licence.filename.clone(),
            media_type: licence.media_type.clone(),
            size: ctx.size(licence.size),
            sha256: licence.sha256.clone(),
            uploaded_at: ctx.time(licence.uploaded_at),
        }),
        party: party_shown(ctx, w, &details),
        members: members.items.iter().map(|member| member_shown(ctx, w, member, applicant.user_id)).collect(),
        next_page,
        owner: applicant.owner().is_some(),
        max_size: ctx.size(i64::try_from(state.config.materials.max_size).unwrap_or(i64::MAX)),
        note: shown.note,
        errors: &shown.errors,
        typed: &shown.typed,
    };
    page::html(shown.status, &page)
}

fn party_shown(ctx: &Ctx, w: &PartyWords, details: &OrganizationDetails) -> PartyShown {
    let party = &details.organization;
    let person = party.kind == PartyKind::Person;
    let (status, status_class) = match party.verification {
        Verification::Unverified => (w.v_unverified, "cancelled"),
        Verification::Pending => (w.v_pending, "expired"),
        Verification::Verified => (w.v_verified, "active"),
        Verification::Refused => (w.v_refused, "revoked"),
    };
    PartyShown {
        kind: if person { w.kind_person } else { w.kind_organization },
        person,
        name: party.name.clone(),
        identity_label: if person { w.id_number } else { w.credit_code },
        identity: party.shown_identity().to_owned(),
        status,
        status_class,
        since: ctx.time(details.verification_changed_at),
        refusal_reason: details.refusal_reason.clone(),
        verified: party.verification == Verification::Verified,
        refused: party.verification == Verification::Refused,
        unverified: party.verification == Verification::Unverified,
    }
}

fn member_shown(ctx: &Ctx, w: &PartyWords, member: &UserView, me: Uuid) -> MemberShown {
    MemberShown {
        id: member.id.to_string(),
        email: member.email.clone(),
        display_name: member.display_name.clone(),
        role: if member.role == Role::Owner { w.role_owner } else { w.role_member },
        added_at: ctx.day(member.created_at),
        confirmed: member.email_confirmed_at.is_some(),
        me: member.id == me,
    }
}

/// `POST /workbench/party/document`: a multipart form of `csrf`, `action`
/// (`upload`) and the file under `document`; the service replaces the
/// party's document and makes the party `pending`.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    visit: Visit,
    applicant: Applicant,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let w = PartyWords::of(ctx.lang);
    let max_size = state.config.materials.max_size;
    let refused = |status: StatusCode, message: String| {
        let mut errors = FieldErrors::default();
        errors.add(DOCUMENT, message);
        Shown::refused(status, errors, Vec::new())
    };
    let refusal = match form::receive(&ctx, &visit, &headers, body, &[DOCUMENT], max_size).await {
        Ok(received) => {
            if !matches!(received.field("action"), "upload" | "") {
                return page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.unknown_action);
            }
            let Some(owner) = applicant.owner() else {
                return page::failure(&ctx, Error::Forbidden("only an owner of the organization may do this"));
            };
            let (upload, stream, cut) = received.into_parts();
            match verification::upload_licence(&state, owner, upload, stream).await {
                Ok(_) => return ctx.see_other("/workbench/party?done=uploaded"),
                Err(error) => cut.refusal(&ctx, error, max_size),
            }
        }
        Err(refusal) => refusal,
    };
    match refusal {
        Refused::Page(page) => *page,
        Refused::Beside { status, message } => render(&state, &ctx, &applicant, refused(status, message)).await,
        Refused::Failed(error) => page::failure(&ctx, error),
    }
}

/// `GET /workbench/party/document/file`: the document as uploaded, for
/// the party's members.
async fn download(State(state): State<AppState>, ctx: Ctx, applicant: Applicant) -> Response {
    match verification::download_licence(&state, applicant.org_id).await {
        Ok(download) => disposition::download(download),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `POST /workbench/party/members`: `action` `add-member` with `email`,
/// `display_name`, `role` (`owner` or `member`) and `password`, as the
/// API's `POST /organization/members` takes them.
async fn add_member(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, form: Submitted) -> Response {
    let w = PartyWords::of(ctx.lang);
    if form.action != "add-member" {
        return page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.unknown_action);
    }
    let Some(owner) = applicant.owner() else {
        return page::failure(&ctx, Error::Forbidden("only an owner of the organization may do this"));
    };
    // What was typed, but never the password.
    let typed: Vec<(String, String)> = form.fields.iter().filter(|(name, _)| name != "password").cloned().collect();
    let role = match form.text("role") {
        "owner" => OrgRole::Owner,
        "member" => OrgRole::Member,
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("role", w.bad_role);
            return render(&state, &ctx, &applicant, Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, errors, typed))
                .await;
        }
    };
    let request = NewMember {
        email: form.text("email").trim().to_owned(),
        password: form.text("password").to_owned(),
        display_name: DisplayName::from(form.text("display_name")),
        role,
    };
    match organization::add_member(&state, owner, request).await {
        Ok(_) => ctx.see_other("/workbench/party?done=member-added"),
        Err(error) => match FieldErrors::of(&error) {
            Some(errors) => {
                render(&state, &ctx, &applicant, Shown::refused(StatusCode::UNPROCESSABLE_ENTITY, errors, typed)).await
            }
            // A taken address is the e-mail field's.
            None if matches!(error, Error::Conflict(_)) => {
                let mut errors = FieldErrors::default();
                errors.add("email", error.to_string());
                render(&state, &ctx, &applicant, Shown::refused(StatusCode::CONFLICT, errors, typed)).await
            }
            None => page::failure(&ctx, error),
        },
    }
}

/// `POST /workbench/party/members/{id}`: `action` `remove-member`.
async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    if form.action != "remove-member" {
        return page::message(
            &ctx,
            StatusCode::BAD_REQUEST,
            ctx.t.refused_title,
            PartyWords::of(ctx.lang).unknown_action,
        );
    }
    let Some(owner) = applicant.owner() else {
        return page::failure(&ctx, Error::Forbidden("only an owner of the organization may do this"));
    };
    let Ok(id) = id.parse::<Uuid>() else { return page::not_found(&ctx) };
    match organization::remove_member(&state, owner, id).await {
        Ok(()) => ctx.see_other("/workbench/party?done=member-removed"),
        Err(error) => page::failure(&ctx, error),
    }
}
