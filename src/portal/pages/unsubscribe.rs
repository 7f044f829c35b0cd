//! `/unsubscribe?user=&kind=&token=`: the one-click unsubscribe of RFC 8058.
//! A mail client POSTs to it; a person who follows the link sees a button
//! (a GET never changes anything: link scanners follow links).

use askama::Template;
use axum::{
    extract::State,
    http::{StatusCode, Uri},
    response::Response,
};
use uuid::Uuid;

use crate::{
    portal::page::{Ctx, MessagePage, failure, html, no_store, not_found},
    services::notifications,
    state::AppState,
};

struct Link {
    user: Option<Uuid>,
    kind: String,
    token: String,
}

impl Link {
    fn read(uri: &Uri) -> Self {
        let mut link = Self { user: None, kind: String::new(), token: String::new() };
        for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "user" => link.user = value.parse().ok(),
                "kind" => link.kind = value.into_owned(),
                "token" => link.token = value.into_owned(),
                _ => {}
            }
        }
        link
    }
}

#[derive(Template)]
#[template(path = "portal/unsubscribe.html")]
struct ConfirmPage {
    ctx: Ctx,
    kind: String,
    action: String,
}

/// `GET /unsubscribe`: a button.
pub async fn confirm(mut ctx: Ctx, uri: Uri) -> Response {
    ctx.noindex = true;
    let link = Link::read(&uri);
    let action = format!("/unsubscribe?{}", uri.query().unwrap_or_default());
    no_store(html(StatusCode::OK, &ConfirmPage { ctx, kind: link.kind, action }))
}

/// `POST /unsubscribe`: the kind switched off.
pub async fn unsubscribe(State(state): State<AppState>, mut ctx: Ctx, uri: Uri) -> Response {
    ctx.noindex = true;
    let link = Link::read(&uri);
    let Some(user) = link.user else { return no_store(not_found(&ctx)) };
    match notifications::unsubscribe(&state, user, &link.kind, &link.token).await {
        Ok(_) => {
            let page = MessagePage { ctx: &ctx, title: ctx.t.unsubscribe_title, body: ctx.t.unsubscribed };
            no_store(html(StatusCode::OK, &page))
        }
        Err(error) => no_store(failure(&ctx, error)),
    }
}
