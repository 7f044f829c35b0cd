//! `/announcements`: what is announced now and what came of past
//! announcements; one announcement with its objection form.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ListQuery, category_options, objection_form::ObjectionForm};
use crate::{
    domain::{Category, MaterialHash},
    pagination::Page,
    portal::page::{Ctx, failure, html},
    services::registration::announcements::{self, AnnouncementFilter, AnnouncementOutcome, AnnouncementView},
    state::AppState,
};

/// An announcement as a line of a list.
pub struct AnnouncementItem {
    pub href: String,
    pub product_name: String,
    pub category: &'static str,
    pub holder_name: String,
    pub verified: bool,
    pub summary: String,
    pub window: String,
    pub status: String,
}

impl AnnouncementItem {
    pub fn new(ctx: &Ctx, view: &AnnouncementView, now: DateTime<Utc>) -> Self {
        let t = ctx.t;
        Self {
            href: ctx.link(&format!("/announcements/{}", view.id)),
            product_name: view.product_name.clone(),
            category: t.category(view.category),
            holder_name: view.holder_name.clone(),
            verified: view.holder_verified,
            summary: shorten(&view.summary, 160),
            window: window(ctx, view),
            status: status(ctx, view, now),
        }
    }
}

fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn window(ctx: &Ctx, view: &AnnouncementView) -> String {
    let day = |at: Option<DateTime<Utc>>| at.map(|at| ctx.day(at)).unwrap_or_default();
    format!("{} {} – {}", ctx.t.window, day(view.starts_at), day(view.ends_at))
}

fn status(ctx: &Ctx, view: &AnnouncementView, now: DateTime<Utc>) -> String {
    let t = ctx.t;
    match view.outcome {
        AnnouncementOutcome::Open => (t.days_left)(view.ends_at.map_or(0, |end| ctx.days_until(now, end))),
        AnnouncementOutcome::ObjectionReview => t.outcome_objection_review.to_owned(),
        AnnouncementOutcome::Registered => t.outcome_registered.to_owned(),
        AnnouncementOutcome::Refused => t.outcome_refused.to_owned(),
        AnnouncementOutcome::Withdrawn => t.outcome_withdrawn.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "portal/announcements.html")]
struct AnnouncementsPage {
    ctx: Ctx,
    title: &'static str,
    intro: &'static str,
    action: &'static str,
    q: String,
    categories: Vec<super::Choice>,
    items: Vec<AnnouncementItem>,
    next: Option<String>,
    paged: bool,
    first: String,
    other_list_href: String,
    other_list_label: &'static str,
}

/// `GET /announcements`: current announcements, newest first.
pub async fn current(State(state): State<AppState>, ctx: Ctx, query: ListQuery) -> Response {
    list(&state, ctx, query, false).await
}

/// `GET /announcements/past`: closed announcements, latest closed first.
pub async fn past(State(state): State<AppState>, ctx: Ctx, query: ListQuery) -> Response {
    list(&state, ctx, query, true).await
}

async fn list(state: &AppState, ctx: Ctx, query: ListQuery, past: bool) -> Response {
    let category = query.category();
    let filter = AnnouncementFilter { category, q: query.q.clone() };
    let request = query.page_request();
    let found = match past {
        false => announcements::list(state, filter, request).await,
        true => announcements::list_past(state, filter, request).await,
    };
    let found = match found {
        Ok(found) => found,
        Err(error) => return failure(&ctx, error),
    };
    let now = state.clock.now();
    let (path, other) =
        if past { ("/announcements/past", "/announcements") } else { ("/announcements", "/announcements/past") };
    let t = ctx.t;
    let page = AnnouncementsPage {
        title: if past { t.past_announcements_title } else { t.announcements_title },
        intro: if past { t.past_announcements_intro } else { t.announcements_intro },
        action: path,
        q: query.q.clone().unwrap_or_default(),
        categories: category_options(&ctx, category),
        items: found.items.iter().map(|view| AnnouncementItem::new(&ctx, view, now)).collect(),
        next: next_link(&ctx, path, &query, &found),
        paged: query.cursor.is_some(),
        first: ctx.link_with(
            path,
            &[
                ("q", query.q.as_deref().unwrap_or_default()),
                ("category", query.category.as_deref().unwrap_or_default()),
            ],
        ),
        other_list_href: ctx.link(other),
        other_list_label: if past { t.current_announcements_link } else { t.past_announcements_link },
        ctx,
    };
    html(StatusCode::OK, &page)
}

/// The next page's address, keeping the search.
pub fn next_link<T>(ctx: &Ctx, path: &str, query: &ListQuery, found: &Page<T>) -> Option<String> {
    let cursor = found.next_cursor.as_deref()?;
    let pairs = [
        ("q", query.q.as_deref().unwrap_or_default()),
        ("category", query.category.as_deref().unwrap_or_default()),
        ("status", query.status.as_deref().unwrap_or_default()),
        ("cursor", cursor),
    ];
    Some(ctx.link_with(path, &pairs))
}

#[derive(Template)]
#[template(path = "portal/announcement.html")]
pub struct AnnouncementPage {
    pub ctx: Ctx,
    pub product_name: String,
    pub category: &'static str,
    pub holder_name: String,
    pub verified: bool,
    pub summary: String,
    pub registration_number: String,
    pub starts: String,
    pub ends: String,
    pub status: String,
    pub open: bool,
    pub certificate_href: Option<String>,
    pub materials: Vec<(&'static str, String)>,
    pub form: ObjectionForm,
    pub form_action: String,
}

impl AnnouncementPage {
    pub fn new(ctx: Ctx, view: AnnouncementView, now: DateTime<Utc>, form: ObjectionForm) -> Self {
        let t = ctx.t;
        let time = |at: Option<DateTime<Utc>>| at.map(|at| ctx.time(at)).unwrap_or_default();
        let materials =
            view.materials.iter().map(|MaterialHash { kind, sha256 }| (t.material_kind(*kind), sha256.clone()));
        Self {
            category: t.category(view.category),
            registration_number: view.registration_number.clone().unwrap_or_default(),
            starts: time(view.starts_at),
            ends: time(view.ends_at),
            status: status(&ctx, &view, now),
            open: view.outcome.is_open(),
            certificate_href: view
                .certificate_number
                .as_ref()
                .map(|number| ctx.link(&format!("/certificates/{number}"))),
            materials: materials.collect(),
            form_action: ctx.link(&format!("/announcements/{}/objections", view.id)),
            form,
            product_name: view.product_name,
            holder_name: view.holder_name,
            verified: view.holder_verified,
            summary: view.summary,
            ctx,
        }
    }
}

/// `GET /announcements/{id}`: one announcement, open or closed.
pub async fn one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return crate::portal::page::not_found(&ctx) };
    match announcements::get(&state, id).await {
        Ok(view) => {
            html(StatusCode::OK, &AnnouncementPage::new(ctx, view, state.clock.now(), ObjectionForm::default()))
        }
        Err(error) => failure(&ctx, error),
    }
}

pub fn category_value(category: Category) -> &'static str {
    match category {
        Category::DataCollection => "data_collection",
        Category::DataProduct => "data_product",
        Category::DataAlgorithm => "data_algorithm",
    }
}
