//! `/confirm-email?token=`: the link mailed to prove an address. A GET
//! shows a button and changes nothing (mail scanners follow links); the
//! button's POST proves the address, as `POST /api/v1/auth/confirm-email`.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};

use super::objections::Token;
use crate::{
    http::client_addr::ClientAddr,
    portal::page::{Ctx, MessagePage, failure, html, no_store},
    services::{Error, accounts::email_confirmations},
    state::AppState,
};

#[derive(Template)]
#[template(path = "portal/confirm_email.html")]
struct ConfirmPage {
    ctx: Ctx,
    action: String,
}

/// `GET /confirm-email?token=`: a button.
pub async fn page(mut ctx: Ctx, Token(token): Token) -> Response {
    ctx.noindex = true;
    let action = ctx.link_with("/confirm-email", &[("token", &token)]);
    no_store(html(StatusCode::OK, &ConfirmPage { ctx, action }))
}

/// `POST /confirm-email?token=`: the address proven, or why not.
pub async fn confirm(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Token(token): Token,
) -> Response {
    ctx.noindex = true;
    let t = ctx.t;
    match email_confirmations::confirm(&state, &token, client).await {
        Ok(confirmed) => {
            let body = (t.email_confirmed)(&confirmed.email);
            no_store(html(StatusCode::OK, &MessagePage { ctx: &ctx, title: t.confirm_email_title, body: &body }))
        }
        Err(Error::Validation(_)) => {
            let page = MessagePage { ctx: &ctx, title: t.confirm_email_title, body: t.confirm_email_invalid };
            no_store(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(error) => no_store(failure(&ctx, error)),
    }
}
