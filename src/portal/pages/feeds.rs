//! `/feeds/*.atom`: the registry's gazette in Atom 1.0 (RFC 4287): new
//! announcements, and registrations with their status changes.

use askama::Template;
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::{
    pagination::PageRequest,
    portal::page::{Ctx, failure},
    services::{certificates, registration::announcements},
    state::AppState,
};

/// Entries per feed: a reader polls often enough to see each.
const ENTRIES: u32 = 50;

struct Entry {
    id: String,
    title: String,
    updated: String,
    href: String,
    summary: String,
    category: &'static str,
}

#[derive(Template)]
#[template(path = "portal/feed.xml")]
struct Feed {
    ctx: Ctx,
    id: String,
    title: String,
    updated: String,
    self_href: String,
    alternate_href: String,
    entries: Vec<Entry>,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn atom(feed: &Feed) -> Response {
    match feed.render() {
        Ok(body) => ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "a feed could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /feeds/announcements.atom`: the latest announcements.
pub async fn announcements(State(state): State<AppState>, ctx: Ctx) -> Response {
    let latest = PageRequest { limit: ENTRIES, after: None };
    let found = match announcements::list(&state, Default::default(), latest).await {
        Ok(found) => found,
        Err(error) => return failure(&ctx, error),
    };
    let t = ctx.t;
    let entries: Vec<Entry> = found
        .items
        .iter()
        .map(|view| Entry {
            id: format!("urn:uuid:{}", view.id),
            title: (t.feed_announced)(&view.product_name),
            updated: stamp(view.starts_at.unwrap_or_default()),
            href: ctx.absolute(&format!("/announcements/{}", view.id)),
            summary: format!("{} · {} · {}", view.holder_name, t.category(view.category), view.summary),
            category: t.category(view.category),
        })
        .collect();
    let updated = entries.first().map_or_else(|| stamp(state.clock.now()), |e| e.updated.clone());
    atom(&Feed {
        id: format!("{}/feeds/announcements.atom", ctx.public_url),
        title: t.feed_announcements.to_owned(),
        updated,
        self_href: ctx.absolute("/feeds/announcements.atom"),
        alternate_href: ctx.absolute("/announcements"),
        entries,
        ctx,
    })
}

/// `GET /feeds/certificates.atom`: each certificate's latest change
/// (issuance, expiry, revocation, cancellation), latest first.
pub async fn certificates(State(state): State<AppState>, ctx: Ctx) -> Response {
    let changes = match certificates::recent_changes(&state, i64::from(ENTRIES)).await {
        Ok(changes) => changes,
        Err(error) => return failure(&ctx, error),
    };
    let t = ctx.t;
    let entries: Vec<Entry> = changes
        .iter()
        .map(|change| Entry {
            // One entry per certificate and status: a revocation is news
            // beside the issuance, not an update of it.
            id: format!("{}/certificates/{}#{}", ctx.public_url, change.certificate_number, change.status.as_str()),
            title: (t.feed_changed)(t.status(change.status), &change.product_name, &change.certificate_number),
            updated: stamp(change.status_changed_at),
            href: ctx.absolute(&format!("/certificates/{}", change.certificate_number)),
            summary: format!(
                "{} · {} · {}",
                change.holder_name,
                t.category(change.category),
                ctx.day(change.issued_at)
            ),
            category: t.category(change.category),
        })
        .collect();
    let updated = entries.first().map_or_else(|| stamp(state.clock.now()), |e| e.updated.clone());
    atom(&Feed {
        id: format!("{}/feeds/certificates.atom", ctx.public_url),
        title: t.feed_certificates.to_owned(),
        updated,
        self_href: ctx.absolute("/feeds/certificates.atom"),
        alternate_href: ctx.absolute("/certificates"),
        entries,
        ctx,
    })
}
