//! Who is at the workbench: the session the browser's cookie names, if it
//! still works, and the token every form of this visit must carry. Read
//! once per request by [`load`] and kept in the request's extensions; the
//! extractors [`Signed`] and [`Applicant`] demand a session (a visit
//! without one is sent to sign in, and back here afterwards).
//!
//! Two cookies, both `HttpOnly`, `SameSite=Lax`, and `Secure` when the
//! registry's public address is https: `dataip_session`, the session's
//! random id (only its hash is kept), and `dataip_form`, a random token the
//! forms of a signed-out visit carry (sign-in, sign-up, a password reset),
//! compared as a double submission. A signed-in visit's forms carry the
//! session's own token instead.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use super::page;
use crate::{
    auth::{Actor, Owner, Principal, Tenant},
    db::web_sessions::LiveSession,
    domain::Role,
    services::accounts::web_sessions,
    state::AppState,
};

pub const SESSION_COOKIE: &str = "dataip_session";
pub const FORM_COOKIE: &str = "dataip_form";

/// This request's visit.
#[derive(Debug, Clone)]
pub struct Visit {
    pub session: Option<LiveSession>,
    /// What the session cookie held, live or not (a sign-in ends it).
    pub presented_session: Option<String>,
    /// The token this visit's forms carry.
    pub form_token: String,
}

/// Reads the cookies, finds the session, and gives a signed-out browser
/// its form token.
pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented_session = cookie(request.headers(), SESSION_COOKIE).map(str::to_owned);
    let session = match &presented_session {
        Some(id) => match web_sessions::find(&state, id).await {
            Ok(session) => session,
            Err(error) => return page::bare_failure(error),
        },
        None => None,
    };
    let presented_form = cookie(request.headers(), FORM_COOKIE).filter(|t| t.len() == 43).map(str::to_owned);
    let new_form_token = match (&session, &presented_form) {
        (None, None) => match web_sessions::random_text() {
            Ok(token) => Some(token),
            Err(error) => return page::bare_failure(error),
        },
        _ => None,
    };
    let form_token = match (&session, &presented_form, &new_form_token) {
        (Some(session), _, _) => session.csrf_token.clone(),
        (None, Some(token), _) | (None, None, Some(token)) => token.clone(),
        (None, None, None) => String::new(),
    };
    let secure = state.config.registry.public_url.starts_with("https://");
    request.extensions_mut().insert(Visit { session, presented_session, form_token });
    let mut response = next.run(request).await;
    if let Some(token) = new_form_token {
        set_cookie(response.headers_mut(), FORM_COOKIE, &token, secure);
    }
    response
}

/// The value of the cookie `name`, if the request sent one.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Adds a cookie for every path of the registry, kept until the browser
/// closes (the session's own limits are the server's).
pub fn set_cookie(headers: &mut HeaderMap, name: &str, value: &str, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(value) = HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// Tells the browser to forget a cookie.
pub fn clear_cookie(headers: &mut HeaderMap, name: &str) {
    let value = format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.append(header::SET_COOKIE, value);
    }
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        // Absent only outside the workbench's router, where no page asks.
        Ok(parts.extensions.get::<Visit>().cloned().unwrap_or(Visit {
            session: None,
            presented_session: None,
            form_token: String::new(),
        }))
    }
}

/// A signed-in user, of any kind.
#[derive(Debug, Clone)]
pub struct Signed {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub org_id: Option<Uuid>,
    pub role: Role,
}

/// Where a signed-out visit goes: the sign-in page, then back to the page
/// it asked for (a path of this registry only).
pub struct SignInFirst(String);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let next = form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(visit) = Visit::from_request_parts(parts, state).await;
        match visit.session {
            Some(session) => Ok(Self {
                session_id: session.id,
                user_id: session.user_id,
                org_id: session.org_id,
                role: session.role,
            }),
            None => Err(SignInFirst(parts.uri.path_and_query().map_or("/workbench", |p| p.as_str()).to_owned())),
        }
    }
}

/// A signed-in member of an applicant party: an owner or a member.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub role: Role,
}

impl Applicant {
    /// The member as the services know a caller acting for the party.
    pub fn tenant(&self) -> Tenant {
        Tenant { org_id: self.org_id, actor: Actor::User(self.user_id) }
    }

    /// The member as the services know a signed-in caller.
    pub fn principal(&self) -> Principal {
        Principal::User { id: self.user_id, org_id: Some(self.org_id), role: self.role }
    }

    /// The member as an owner, if they are one.
    pub fn owner(&self) -> Option<Owner> {
        (self.role == Role::Owner).then_some(Owner { user_id: self.user_id, org_id: self.org_id })
    }
}

impl FromRequestParts<AppState> for Applicant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed = Signed::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match signed.org_id {
            Some(org_id) => Ok(Self { user_id: signed.user_id, org_id, role: signed.role }),
            None => {
                let ctx = page::Ctx::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
                Err(page::staff_elsewhere(&ctx))
            }
        }
    }
}
