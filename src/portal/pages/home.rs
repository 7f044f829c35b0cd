//! `/`: what the registry is, a search box, counts, the latest
//! announcements.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};

use super::announcements::AnnouncementItem;
use crate::{
    pagination::PageRequest,
    portal::page::{Ctx, failure, html},
    services::{certificates, registration::announcements},
    state::AppState,
};

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    ctx: Ctx,
    /// What the registry does, with the periods the workflow settings give.
    intro: String,
    steps: String,
    in_announcement: i64,
    registered: i64,
    items: Vec<AnnouncementItem>,
    active_href: String,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Response {
    let latest = PageRequest { limit: 5, after: None };
    let found = tokio::try_join!(
        announcements::open_count(&state),
        certificates::active_count(&state),
        announcements::list(&state, Default::default(), latest),
    );
    let (in_announcement, registered, latest) = match found {
        Ok(found) => found,
        Err(error) => return failure(&ctx, error),
    };
    let now = state.clock.now();
    let workflow = &state.config.workflow;
    let announcement = (ctx.t.period)(&workflow.announcement_period);
    let page = HomePage {
        intro: (ctx.t.home_intro)(&announcement, &(ctx.t.period)(&workflow.certificate_validity)),
        steps: (ctx.t.home_steps)(&announcement),
        in_announcement,
        registered,
        items: latest.items.iter().map(|view| AnnouncementItem::new(&ctx, view, now)).collect(),
        active_href: ctx.link_with("/certificates", &[("status", "active")]),
        ctx,
    };
    html(StatusCode::OK, &page)
}
