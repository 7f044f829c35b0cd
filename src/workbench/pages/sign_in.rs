//! `/login` and `/logout`: a session begun with the API's own credential
//! check (throttled alike), and ended here or everywhere at once.

use askama::Template;
use axum::{
    extract::Query,
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use serde::Deserialize;

use crate::workbench::{
    form::Submitted,
    page::{self, Ctx},
    visit::{self, Signed, Visit},
    words::words,
};
use crate::{
    http::client_addr::ClientAddr,
    services::{
        Error,
        accounts::{
            sessions::LoginRequest,
            web_sessions::{self, SignedIn},
        },
    },
    state::AppState,
};

words! { pub SignInWords {
    title: "登录", "Sign in";
    intro: "使用注册时的电子邮箱和密码登录。", "Sign in with the e-mail address and password you signed up with.";
    email: "电子邮箱", "E-mail address";
    password: "密码", "Password";
    submit: "登录", "Sign in";
    wrong: "电子邮箱或密码不正确。", "Wrong e-mail address or password.";
    no_account: "还没有账户？", "No account yet?";
    sign_up: "注册", "Sign up";
    forgot: "忘记密码？", "Forgot your password?";
    sign_out_title: "退出", "Sign out";
    sign_out_intro: "结束此浏览器中的会话；或者结束您在所有浏览器和 API 客户端中的会话（例如设备丢失时）。", "End the session in this browser; or end every session of yours, in every browser and API client (if a device was lost, say).";
    sign_out: "退出", "Sign out";
    sign_out_everywhere: "在所有地方退出", "Sign out everywhere";
    signed_out: "您已退出。", "You have signed out.";
    password_was_reset: "密码已重设，请用新密码登录。", "Your password is reset: sign in with the new one.";
    password_was_changed: "密码已修改，您的所有会话均已结束。请用新密码登录。", "Your password is changed and every session of yours has ended: sign in with the new one.";
    signed_out_everywhere: "您已在所有地方退出：所有浏览器会话和 API 令牌均已失效。", "You have signed out everywhere: every browser session and API token of yours has ended.";
} }

#[derive(Template)]
#[template(path = "workbench/login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    w: &'static SignInWords,
    email: &'a str,
    next: &'a str,
    wrong: bool,
    note: &'a str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    done: String,
}

/// Where to go after signing in: a path of this registry, never another
/// site (`//evil.example`, `/\evil.example` and absolute addresses are
/// refused for the dashboard).
pub fn safe_next(next: &str) -> &str {
    let ours = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ours { next } else { "/workbench" }
}

/// `GET /login`.
pub async fn show(ctx: Ctx, visit: Visit, Query(query): Query<LoginQuery>) -> Response {
    let w = SignInWords::of(ctx.lang);
    if visit.session.is_some() && query.done.is_empty() {
        return ctx.see_other(safe_next(&query.next));
    }
    let note = match query.done.as_str() {
        "signed-out" => w.signed_out,
        "everywhere" => w.signed_out_everywhere,
        "password-reset" => w.password_was_reset,
        "password-changed" => w.password_was_changed,
        _ => "",
    };
    let page = LoginPage { ctx: &ctx, w, email: "", next: safe_next(&query.next), wrong: false, note };
    page::html(StatusCode::OK, &page)
}

/// `POST /login`: `email`, `password`, `next`.
pub async fn sign_in(
    state: axum::extract::State<AppState>,
    ctx: Ctx,
    visit: Visit,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    form: Submitted,
) -> Response {
    let w = SignInWords::of(ctx.lang);
    let request =
        LoginRequest { email: form.text("email").trim().to_owned(), password: form.text("password").to_owned() };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let next = safe_next(form.text("next"));
    match web_sessions::sign_in(&state, &request, client, user_agent, visit.presented_session.as_deref()).await {
        Ok(signed_in) => with_session(&state, &ctx, signed_in, next),
        Err(Error::Unauthorized(_)) => {
            let page = LoginPage { ctx: &ctx, w, email: &request.email, next, wrong: true, note: "" };
            page::html(StatusCode::UNAUTHORIZED, &page)
        }
        Err(error) => page::failure(&ctx, error),
    }
}

/// 303 to `next` with the cookie of the session just begun.
pub fn with_session(state: &AppState, ctx: &Ctx, signed_in: SignedIn, next: &str) -> Response {
    let mut response = ctx.see_other(next);
    let secure = state.config.registry.public_url.starts_with("https://");
    visit::set_cookie(response.headers_mut(), visit::SESSION_COOKIE, signed_in.id.expose(), secure);
    response
}

#[derive(Template)]
#[template(path = "workbench/logout.html")]
struct LogoutPage<'a> {
    ctx: &'a Ctx,
    w: &'static SignInWords,
}

/// `GET /logout`: the choice of ending this session or every one.
pub async fn logout_page(ctx: Ctx, _: Signed) -> Response {
    page::html(StatusCode::OK, &LogoutPage { w: SignInWords::of(ctx.lang), ctx: &ctx })
}

/// `POST /logout`: `action` is `sign-out` or `sign-out-everywhere`.
pub async fn logout(state: axum::extract::State<AppState>, ctx: Ctx, visit: Visit, form: Submitted) -> Response {
    let outcome = match (form.action.as_str(), &visit.session) {
        ("sign-out-everywhere", Some(session)) => {
            web_sessions::sign_out_everywhere(&state, session.user_id).await.map(|()| "everywhere")
        }
        _ => match &visit.presented_session {
            Some(id) => web_sessions::sign_out(&state, id).await.map(|()| "signed-out"),
            None => Ok("signed-out"),
        },
    };
    match outcome {
        Ok(done) => {
            let mut response = ctx.see_other(&format!("/login?done={done}"));
            visit::clear_cookie(response.headers_mut(), visit::SESSION_COOKIE);
            response
        }
        Err(error) => page::failure(&ctx, error),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_registry() {
        assert_eq!(safe_next("/workbench/applications/1?x=y"), "/workbench/applications/1?x=y");
        for foreign in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "evil", "", "/a\r\nb"] {
            assert_eq!(safe_next(foreign), "/workbench", "{foreign:?}");
        }
    }
}
