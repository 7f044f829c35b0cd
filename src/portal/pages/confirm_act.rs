//! `/confirm/{token}`: the single-use link mailed to a counterparty with no
//! account here (a pledgee, a transferee, a licensee, a pledgee of record
//! asked to consent). A GET shows what is asked, with two buttons, and
//! changes nothing (mail scanners follow links); a button's POST answers,
//! as `POST /api/v1/public/confirmations/{token}`.

use askama::Template;
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::objection_form::same_site;
use crate::{
    domain::{ActDetails, ActState},
    http::client_addr::ClientAddr,
    portal::page::{Ctx, MessagePage, failure, html, no_store},
    services::{
        Error,
        certificates::acts::confirmations::{self, LinkRequest},
    },
    state::AppState,
};

#[derive(Template)]
#[template(path = "portal/confirm_act.html")]
struct ConfirmActPage {
    ctx: Ctx,
    action: String,
    /// What is asked, in a sentence.
    question: String,
    certificate_number: String,
    product_name: String,
    holder_name: String,
    /// The act's terms that matter to the one asked, as label and value.
    terms: Vec<(&'static str, String)>,
    due: String,
    /// The answer given, once given; or why no answer can be given now.
    settled: Option<&'static str>,
}

fn page(ctx: Ctx, token: &str, request: LinkRequest) -> ConfirmActPage {
    let t = ctx.t;
    let kind = t.act_kind(request.kind);
    let question = match request.pledge_id {
        Some(_) => (t.confirm_act_consent)(kind),
        None => (t.confirm_act_word)(kind),
    };
    let mut terms = Vec::new();
    match &request.details {
        ActDetails::Pledge(pledge) => {
            terms.push((t.pledgee, pledge.pledgee.name.to_string()));
            let amount = &pledge.secured_amount;
            terms.push((t.secured_amount, format!("{} {}", amount.amount, amount.currency)));
            terms.push((t.term, format!("{} – {}", pledge.starts_on, pledge.ends_on)));
        }
        ActDetails::License(license) => {
            terms.push((t.licensee, license.licensee.name.to_string()));
            terms.push((t.term, format!("{} – {}", license.starts_on, license.ends_on)));
        }
        ActDetails::Transfer { transferee, .. } => terms.push((t.transferee, transferee.name.clone())),
        _ => {}
    }
    let settled = match (request.confirmed, request.state) {
        (Some(true), _) => Some(t.confirm_act_confirmed),
        (Some(false), _) => Some(t.confirm_act_declined),
        (None, ActState::AwaitingConfirmation) => None,
        (None, _) => Some(t.confirm_act_closed),
    };
    let action = ctx.link(&format!("/confirm/{token}"));
    ConfirmActPage {
        due: ctx.day(request.due_at),
        ctx,
        action,
        question,
        certificate_number: request.certificate_number,
        product_name: request.product_name,
        holder_name: request.holder_name,
        terms,
        settled,
    }
}

/// `GET /confirm/{token}`: what is asked, and the buttons.
pub async fn show(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    ctx.noindex = true;
    match confirmations::by_link(&state, &token, client).await {
        Ok(request) => no_store(html(StatusCode::OK, &page(ctx, &token, request))),
        Err(error) => no_store(failure(&ctx, error)),
    }
}

/// `POST /confirm/{token}` with `answer=confirm` or `answer=decline`: the
/// answer recorded, and the page again saying so.
pub async fn answer(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ctx.noindex = true;
    let t = ctx.t;
    if !same_site(&headers, &ctx) {
        let page = MessagePage { ctx: &ctx, title: t.confirm_act_title, body: t.error_cross_site };
        return no_store(html(StatusCode::FORBIDDEN, &page));
    }
    let answer = form_urlencoded::parse(&body).find(|(name, _)| name == "answer").map(|(_, value)| value);
    let confirmed = match answer.as_deref() {
        Some("confirm") => true,
        Some("decline") => false,
        _ => {
            let page = MessagePage { ctx: &ctx, title: t.confirm_act_title, body: t.confirm_act_choose };
            return no_store(html(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match confirmations::answer_by_link(&state, &token, confirmed, client).await {
        Ok(request) => no_store(html(StatusCode::OK, &page(ctx, &token, request))),
        Err(Error::Conflict(_) | Error::InvalidTransition { .. }) => {
            match confirmations::by_link(&state, &token, client).await {
                Ok(request) => no_store(html(StatusCode::CONFLICT, &page(ctx, &token, request))),
                Err(error) => no_store(failure(&ctx, error)),
            }
        }
        Err(error) => no_store(failure(&ctx, error)),
    }
}
