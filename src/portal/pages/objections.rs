//! `/objections/{id}?token=`: the objector's own view, unlocked by the
//! tracking token: where the objection stands, the holder's replies, the
//! decision with its grounds; evidence upload and withdrawal while open.
//! Never indexed, never cached, and no referrer leaves it.

use askama::Template;
use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use futures_util::TryStreamExt;
use uuid::Uuid;

use super::objection_form::same_site;
use crate::{
    domain::ObjectionState,
    http::{
        client_addr::ClientAddr,
        multipart::{self, FormError},
    },
    portal::page::{Ctx, failure, html, no_store, not_found},
    services::{
        Error,
        files::Upload,
        objections::evidence,
        objections::{self, ObjectionStatus},
    },
    state::AppState,
};

/// The token from the address; a page without one does not exist.
pub struct Token(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Token {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default().as_bytes();
        let token = form_urlencoded::parse(query).find(|(name, _)| name == "token").map(|(_, v)| v.into_owned());
        Ok(Self(token.unwrap_or_default()))
    }
}

#[derive(Template)]
#[template(path = "portal/objection.html")]
struct ObjectionPage {
    ctx: Ctx,
    state: &'static str,
    open: bool,
    filed_at: String,
    decision_due: String,
    decided_at: Option<String>,
    withdrawn_at: Option<String>,
    decision_reason: Option<String>,
    grounds: Vec<&'static str>,
    replies: Vec<(String, String)>,
    evidence: Vec<(String, String)>,
    attached: bool,
    problem: Option<String>,
    withdraw_action: String,
    evidence_action: String,
}

impl ObjectionPage {
    fn new(ctx: Ctx, token: &str, status: ObjectionStatus, attached: bool, problem: Option<String>) -> Self {
        let t = ctx.t;
        let action = |what: &str| ctx.link_with(&format!("/objections/{}/{what}", status.id), &[("token", token)]);
        Self {
            state: t.objection_state(status.state),
            open: status.state == ObjectionState::Open,
            filed_at: ctx.time(status.filed_at),
            decision_due: ctx.time(status.decision_due_at),
            decided_at: status.decided_at.map(|at| ctx.time(at)),
            withdrawn_at: status.withdrawn_at.map(|at| ctx.time(at)),
            grounds: status.refusal_grounds.iter().map(|ground| t.ground(*ground)).collect(),
            replies: status.responses.iter().map(|reply| (ctx.time(reply.created_at), reply.text.clone())).collect(),
            evidence: status.evidence.iter().map(|file| (file.filename.clone(), file.sha256.clone())).collect(),
            withdraw_action: action("withdraw"),
            evidence_action: action("evidence"),
            decision_reason: status.decision_reason,
            attached,
            problem,
            ctx,
        }
    }
}

/// Never cached, never indexed.
fn private(response: Response) -> Response {
    let mut response = no_store(response);
    response.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    response
}

async fn show(
    state: &AppState,
    mut ctx: Ctx,
    id: &str,
    token: &str,
    attached: bool,
    problem: Option<(StatusCode, String)>,
) -> Response {
    ctx.noindex = true;
    let Ok(id) = id.parse::<Uuid>() else { return private(not_found(&ctx)) };
    let status = match objections::track(state, id, token).await {
        Ok(status) => status,
        Err(error) => return private(failure(&ctx, error)),
    };
    let (code, problem) = problem.map_or((StatusCode::OK, None), |(code, text)| (code, Some(text)));
    private(html(code, &ObjectionPage::new(ctx, token, status, attached, problem)))
}

/// `GET /objections/{id}?token=`.
pub async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Token(token): Token,
    uri: axum::http::Uri,
) -> Response {
    let attached =
        uri.query().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(n, v)| n == "attached" && v == "1"));
    show(&state, ctx, &id, &token, attached, None).await
}

fn back(ctx: &Ctx, id: Uuid, token: &str, attached: bool) -> Response {
    let mut pairs = vec![("token", token)];
    if attached {
        pairs.push(("attached", "1"));
    }
    private(Redirect::to(&ctx.link_with(&format!("/objections/{id}"), &pairs)).into_response())
}

/// `POST /objections/{id}/withdraw?token=`.
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Token(token): Token,
    headers: HeaderMap,
) -> Response {
    if !same_site(&headers, &ctx) {
        let problem = (StatusCode::FORBIDDEN, ctx.t.error_cross_site.to_owned());
        return show(&state, ctx, &id, &token, false, Some(problem)).await;
    }
    let Ok(uuid) = id.parse::<Uuid>() else { return private(not_found(&ctx)) };
    match objections::withdraw(&state, uuid, &token).await {
        Ok(_) => back(&ctx, uuid, &token, false),
        Err(Error::InvalidTransition { .. }) => back(&ctx, uuid, &token, false),
        Err(error) => private(failure(&ctx, error)),
    }
}

/// `POST /objections/{id}/evidence?token=`: one file, as
/// `multipart/form-data`, streamed into the same upload as the API's. The
/// objection is found by id and token, open and with room, before any of
/// the body is read.
pub async fn attach(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    Token(token): Token,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t = ctx.t;
    if !same_site(&headers, &ctx) {
        let problem = (StatusCode::FORBIDDEN, t.error_cross_site.to_owned());
        return show(&state, ctx, &id, &token, false, Some(problem)).await;
    }
    let Ok(uuid) = id.parse::<Uuid>() else { return private(not_found(&ctx)) };
    let outcome = match evidence::admit(&state, uuid, &token).await {
        Ok(admitted) => receive(&state, admitted, &headers, body, client).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => back(&ctx, uuid, &token, true),
        Err(error @ (Error::NotFound | Error::Unavailable { .. })) => private(failure(&ctx, error)),
        Err(error) => {
            let status = match &error {
                Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                Error::Conflict(_) | Error::InvalidTransition { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let detail = match error {
                Error::Validation(errors) => errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "),
                error => error.to_string(),
            };
            let problem = (status, format!("{}: {detail}", t.error_file));
            show(&state, ctx, &id, &token, false, Some(problem)).await
        }
    }
}

/// The form's file, into the objection admitted.
async fn receive(
    state: &AppState,
    admitted: evidence::Admitted,
    headers: &HeaderMap,
    body: Body,
    client: std::net::IpAddr,
) -> Result<(), Error> {
    let max_size = state.config.evidence.max_size;
    let file = match multipart::file_field(headers, body, "file", max_size).await {
        Ok(file) => file,
        Err(FormError::FileTooLarge(_)) => {
            return Err(Error::PayloadTooLarge(format!("an evidence file may be at most {max_size} bytes")));
        }
        Err(FormError::NoFile) => return Err(Error::field("file", "choose a file")),
        Err(error) => return Err(Error::field("file", error.to_string())),
    };
    let upload = Upload { media_type: file.media_type.clone(), filename: file.filename.clone(), length: None };
    let stream = file.into_stream().map_err(|error| error.to_string());
    evidence::upload_admitted(state, admitted, upload, stream, client).await.map(|_| ())
}
