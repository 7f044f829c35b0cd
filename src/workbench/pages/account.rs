//! Accounts: sign-up for an organization or a person, password reset by
//! mail, and the signed-in user's own page (the address's confirmation,
//! password change, sessions, language and notification preferences). The
//! address is confirmed on the portal's `/confirm-email` page, where the
//! mailed link leads.

use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
    routing::get,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::workbench::{
    form::Submitted,
    page::{self, Ctx, Done, FieldErrors},
    pages::sign_in,
    visit::{Signed, Visit},
    words::words,
};
use crate::{
    db,
    http::{client_addr::ClientAddr, error::ApiError},
    notifications::{EventKind, messages},
    services::{
        Error,
        accounts::{
            email_confirmations, password_resets,
            password_resets::PasswordResetRequest,
            passwords::{self, PasswordChange},
            sessions::{self, SignupRequest},
            web_sessions::{self, SessionView},
        },
        notifications::{self as notices, NotificationPreferences},
    },
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(sign_up))
        .route("/password-reset", get(reset_page).post(reset))
        .route("/workbench/account", get(account_page).post(account))
}

words! { pub AccountWords {
    signup_title: "注册", "Sign up";
    signup_intro: "以单位或自然人身份注册。注册后我们会向您的邮箱发送确认链接；提交申请前，主体资格需经登记机构核验。", "Sign up as an organization or as a natural person. We mail you a link to confirm your address; before you submit an application, the registry verifies who you are.";
    kind_legend: "注册身份", "Signing up as";
    kind_organization: "单位（企业、事业单位等）", "An organization (a company, an institution)";
    kind_person: "自然人", "A natural person";
    organization_legend: "单位", "Organization";
    organization_name: "单位名称", "Organization name";
    credit_code: "统一社会信用代码", "Unified social credit code";
    credit_code_hint: "18 位，含校验码", "18 characters, with its check character";
    person_legend: "自然人", "Natural person";
    person_name: "姓名", "Name";
    id_number: "居民身份证号码", "Resident identity number";
    id_number_hint: "18 位；只显示遮掩后的号码", "18 characters; only ever shown masked";
    user_legend: "您的账户", "Your account";
    email: "电子邮箱", "E-mail address";
    password: "密码", "Password";
    password_hint: "至少 10 个字符", "At least 10 characters";
    display_name: "您的姓名（显示名）", "Your name (as shown)";
    sign_up: "注册", "Sign up";
    have_account: "已有账户？", "Have an account?";
    required: "请填写此项。", "Please fill this in.";
    reset_title: "重设密码", "Reset your password";
    reset_intro: "输入您注册时的电子邮箱，我们会发送一个一小时内有效的重设链接。", "Enter the e-mail address you signed up with; we mail you a link that works for an hour.";
    reset_request: "发送重设链接", "Mail me a link";
    reset_sent: "如果该地址属于本登记机构的某个账户，重设链接已发送到该地址。请查收邮件。", "If this address is an account's, a link to reset its password is on its way. Check your mail.";
    new_password: "新密码", "New password";
    reset_submit: "设置新密码", "Set the new password";
    account_title: "账户", "Account";
    signed_up: "注册成功。我们已向您的邮箱发送确认链接。", "You have signed up. We mailed a link to confirm your address.";
    address_legend: "电子邮箱", "E-mail address";
    confirmed_at: "已于以下时间确认：", "Confirmed on";
    unconfirmed: "尚未确认。确认之前，您只会收到少量邮件。", "Not confirmed yet; until it is, you receive little mail.";
    resend: "重新发送确认链接", "Mail the link again";
    resent: "确认链接已重新发送。", "The link is on its way again.";
    language_legend: "邮件语言", "Language of your mail";
    language: "语言", "Language";
    save_language: "保存语言", "Save the language";
    language_saved: "语言已保存。", "The language is saved.";
    notifications_legend: "邮件通知", "Mail notifications";
    notifications_hint: "安全类邮件始终发送。", "Security mail is always sent.";
    save_notifications: "保存通知设置", "Save the notifications";
    notifications_saved: "通知设置已保存。", "The notifications are saved.";
    password_legend: "修改密码", "Change your password";
    current_password: "当前密码", "Current password";
    change_password: "修改密码", "Change the password";
    change_password_confirm: "修改密码将结束您的所有会话（包括此会话）。继续吗？", "Changing the password ends every session of yours, this one too. Go on?";
    sessions_legend: "会话", "Sessions";
    session_started: "开始", "Started";
    session_seen: "最近使用", "Last used";
    session_browser: "浏览器", "Browser";
    this_session: "（当前会话）", "(this session)";
    end_session: "结束", "End";
    session_ended: "会话已结束。", "The session has ended.";
    sign_out_everywhere: "在所有地方退出", "Sign out everywhere";
    sign_out_everywhere_confirm: "这将结束您在所有浏览器和 API 客户端中的会话。继续吗？", "This ends every session of yours, in every browser and API client. Go on?";
} }

// Sign-up.

#[derive(Template)]
#[template(path = "workbench/signup.html")]
struct SignupPage<'a> {
    ctx: &'a Ctx,
    w: &'static AccountWords,
    form: &'a Submitted,
    errors: &'a FieldErrors,
}

impl SignupPage<'_> {
    fn value(&self, name: &str) -> &str {
        self.form.text(name)
    }

    fn is_person(&self) -> bool {
        self.form.text("kind") == "person"
    }
}

/// `GET /signup`.
pub async fn signup_page(ctx: Ctx, visit: Visit) -> Response {
    if visit.session.is_some() {
        return ctx.see_other("/workbench");
    }
    let form = Submitted { action: String::new(), fields: vec![("kind".into(), "organization".into())] };
    let w = AccountWords::of(ctx.lang);
    page::html(StatusCode::OK, &SignupPage { ctx: &ctx, w, form: &form, errors: &FieldErrors::default() })
}

/// The required controls of each kind of party, and of the account.
const ORGANIZATION_FIELDS: [&str; 2] = ["organization[name]", "organization[credit_code]"];
const PERSON_FIELDS: [&str; 2] = ["person[name]", "person[id_number]"];
const USER_FIELDS: [&str; 3] = ["user[email]", "user[password]", "user[display_name]"];

/// `POST /signup`: `kind` (`organization` or `person`), the party's fields
/// under `organization[…]` or `person[…]`, and `user[…]`.
pub async fn sign_up(
    State(state): State<AppState>,
    ctx: Ctx,
    visit: Visit,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    form: Submitted,
) -> Response {
    let w = AccountWords::of(ctx.lang);
    let party = if form.text("kind") == "person" { PERSON_FIELDS } else { ORGANIZATION_FIELDS };
    let mut errors = FieldErrors::default();
    for name in party.iter().chain(USER_FIELDS.iter()).filter(|name| form.text(name).trim().is_empty()) {
        errors.add(name, w.required);
    }
    let refused =
        |errors: FieldErrors, status| page::html(status, &SignupPage { ctx: &ctx, w, form: &form, errors: &errors });
    if !errors.is_empty() {
        return refused(errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let prefix = if form.text("kind") == "person" { "person[" } else { "organization[" };
    let request: SignupRequest = match form.decode_only(|name| name.starts_with(prefix) || name.starts_with("user[")) {
        Ok(request) => request,
        Err(error) => {
            errors.add("", error.to_string());
            return refused(errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let signed_up = match sessions::signup(&state, request, client).await {
        Ok(signed_up) => signed_up,
        Err(error) => return refusal(&ctx, error, refused),
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let presented = visit.presented_session.as_deref();
    match web_sessions::begin_after_signup(&state, signed_up.user.id, user_agent, presented).await {
        Ok(signed_in) => sign_in::with_session(&state, &ctx, signed_in, "/workbench/account?done=signed-up"),
        Err(error) => page::failure(&ctx, error),
    }
}

/// A service's refusal of a form: its fields' errors beside them, a
/// conflict or a bad token above the form, anything else its own page.
fn refusal(ctx: &Ctx, error: Error, form: impl FnOnce(FieldErrors, StatusCode) -> Response) -> Response {
    if let Some(errors) = FieldErrors::of(&error) {
        return form(errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match error {
        Error::Conflict(_) | Error::Unauthorized(_) => {
            let mut errors = FieldErrors::default();
            errors.add("", error.to_string());
            let status = ApiError::from(error).status();
            form(errors, status)
        }
        error => page::failure(ctx, error),
    }
}

// Password reset by mail.

#[derive(Template)]
#[template(path = "workbench/password_reset.html")]
struct ResetPage<'a> {
    ctx: &'a Ctx,
    w: &'static AccountWords,
    /// The mailed token, when the page was opened from the link.
    token: &'a str,
    email: &'a str,
    sent: bool,
    errors: &'a FieldErrors,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

/// `GET /password-reset`: the request for a link, or (opened from the
/// link, `?token=`) the new password's form.
pub async fn reset_page(ctx: Ctx, Query(query): Query<ResetQuery>) -> Response {
    let w = AccountWords::of(ctx.lang);
    let page = ResetPage { ctx: &ctx, w, token: &query.token, email: "", sent: false, errors: &FieldErrors::default() };
    page::html(StatusCode::OK, &page)
}

/// `POST /password-reset`: `action=request-reset` with `email`, or
/// `action=reset` with `token` and `new_password`.
pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    form: Submitted,
) -> Response {
    let w = AccountWords::of(ctx.lang);
    let (token, email) = (form.text("token"), form.text("email"));
    let shown = |errors: &FieldErrors, sent: bool, status| {
        page::html(status, &ResetPage { ctx: &ctx, w, token, email, sent, errors })
    };
    if form.action == "reset" {
        let request =
            PasswordResetRequest { token: token.to_owned(), new_password: form.text("new_password").to_owned() };
        return match password_resets::redeem(&state, request, client).await {
            Ok(()) => ctx.see_other("/login?done=password-reset"),
            Err(error) => refusal(&ctx, error, |errors, status| shown(&errors, false, status)),
        };
    }
    if email.trim().is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("email", w.required);
        return shown(&errors, false, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match password_resets::request(&state, email.trim(), client).await {
        Ok(()) => shown(&FieldErrors::default(), true, StatusCode::OK),
        Err(error) => page::failure(&ctx, error),
    }
}

// The signed-in user's account.

#[derive(Template)]
#[template(path = "workbench/account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    w: &'static AccountWords,
    email: String,
    confirmed_at: Option<String>,
    language: String,
    kinds: Vec<KindRow>,
    sessions: Vec<SessionRow>,
    notice: &'a str,
    errors: &'a FieldErrors,
}

struct KindRow {
    kind: &'static str,
    label: String,
    email: bool,
    security: bool,
}

struct SessionRow {
    id: Uuid,
    browser: String,
    started: String,
    seen: String,
    current: bool,
}

/// `GET /workbench/account`.
pub async fn account_page(State(state): State<AppState>, ctx: Ctx, signed: Signed, query: Query<Done>) -> Response {
    let w = AccountWords::of(ctx.lang);
    let notice = match query.done.as_str() {
        "signed-up" => w.signed_up,
        "resent" => w.resent,
        "language" => w.language_saved,
        "notifications" => w.notifications_saved,
        "session-ended" => w.session_ended,
        _ => "",
    };
    show_account(&state, &ctx, &signed, notice, &FieldErrors::default(), StatusCode::OK).await
}

async fn show_account(
    state: &AppState,
    ctx: &Ctx,
    signed: &Signed,
    notice: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let w = AccountWords::of(ctx.lang);
    let loaded = async {
        let user = db::users::find(&mut *state.db.acquire().await?, signed.user_id).await?.ok_or(Error::NotFound)?;
        let settings = notices::settings(state, signed.user_id).await?;
        let sessions = web_sessions::list(state, signed.user_id).await?;
        Ok::<_, Error>((user, settings, sessions))
    };
    let (user, settings, sessions) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return page::failure(ctx, error),
    };
    let kinds = settings
        .kinds
        .iter()
        .map(|setting| KindRow {
            kind: setting.kind.as_str(),
            label: kind_label(setting.kind, ctx),
            email: setting.email,
            security: setting.kind.is_security(),
        })
        .collect();
    let sessions = sessions
        .into_iter()
        .map(|session: SessionView| SessionRow {
            id: session.id,
            browser: session.user_agent,
            started: ctx.time(session.created_at),
            seen: ctx.time(session.last_seen_at),
            current: session.id == signed.session_id,
        })
        .collect();
    let page = AccountPage {
        ctx,
        w,
        email: user.email,
        confirmed_at: user.email_confirmed_at.map(|at| ctx.day(at)),
        language: settings.language,
        kinds,
        sessions,
        notice,
        errors,
    };
    page::html(status, &page)
}

/// A kind of mail in words: its subject in the page's language, without
/// the particulars a real message adds after the colon.
fn kind_label(kind: EventKind, ctx: &Ctx) -> String {
    let subject = messages::word(kind, ctx.lang, &messages::Facts::default()).subject;
    subject.trim_end_matches([':', '：', ' ']).to_owned()
}

/// `POST /workbench/account`: `action` is `resend-confirmation`,
/// `save-language` (`language`), `save-notifications`
/// (`kinds[i][kind]`, `kinds[i][email]`), `change-password`
/// (`current_password`, `new_password`) or `end-session` (`session`).
pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    signed: Signed,
    ClientAddr(client): ClientAddr,
    form: Submitted,
) -> Response {
    let outcome = match form.action.as_str() {
        "resend-confirmation" => email_confirmations::resend(&state, signed.user_id).await.map(|()| "resent"),
        "save-language" => {
            notices::set_language(&state, signed.user_id, form.text("language")).await.map(|()| "language")
        }
        "save-notifications" => match form.decode::<NotificationPreferences>() {
            Ok(preferences) => {
                notices::set_preferences(&state, signed.user_id, preferences).await.map(|_| "notifications")
            }
            Err(error) => Err(Error::field("kinds", error.to_string())),
        },
        "change-password" => {
            let change = PasswordChange {
                current_password: form.text("current_password").to_owned(),
                new_password: form.text("new_password").to_owned(),
            };
            // Every session ends with it, this one too: sign in again.
            return match passwords::change(&state, signed.user_id, change, client).await {
                Ok(()) => ctx.see_other("/login?done=password-changed"),
                Err(error) => account_refusal(&state, &ctx, &signed, error).await,
            };
        }
        "end-session" => match form.text("session").parse::<Uuid>() {
            Ok(id) => web_sessions::end(&state, signed.user_id, id).await.map(|()| "session-ended"),
            Err(_) => Err(Error::NotFound),
        },
        _ => Err(Error::field("action", "is not one this page offers")),
    };
    match outcome {
        Ok(done) => ctx.see_other(&format!("/workbench/account?done={done}")),
        Err(error) => account_refusal(&state, &ctx, &signed, error).await,
    }
}

async fn account_refusal(state: &AppState, ctx: &Ctx, signed: &Signed, error: Error) -> Response {
    let (errors, status) = match FieldErrors::of(&error) {
        Some(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        None => match error {
            Error::Conflict(_) => {
                let mut errors = FieldErrors::default();
                errors.add("", error.to_string());
                (errors, StatusCode::CONFLICT)
            }
            error => return page::failure(ctx, error),
        },
    };
    show_account(state, ctx, signed, "", &errors, status).await
}
