//! `/robots.txt` and `/sitemap.xml`: the register is meant to be found;
//! tracking pages never are.

use askama::Template;
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    portal::page::{Ctx, failure},
    services::certificates,
    state::AppState,
};

/// The sitemap protocol's limit per file.
const MAX_URLS: i64 = 50_000;

pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.config.registry.public_url.trim_end_matches('/').to_owned();
    let body = format!(
        "User-agent: *\nDisallow: /objections/\nDisallow: /api/\nDisallow: /verify?\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

#[derive(Template)]
#[template(path = "portal/sitemap.xml")]
struct Sitemap {
    urls: Vec<(String, String)>,
}

pub async fn sitemap(State(state): State<AppState>, ctx: Ctx) -> Response {
    let fixed = ["/", "/announcements", "/announcements/past", "/certificates", "/verify", "/ledger"];
    let numbers = match certificates::numbers(&state, MAX_URLS - fixed.len() as i64).await {
        Ok(numbers) => numbers,
        Err(error) => return failure(&ctx, error),
    };
    let base = &ctx.public_url;
    let mut urls: Vec<(String, String)> = fixed.iter().map(|path| (format!("{base}{path}"), String::new())).collect();
    urls.extend(
        numbers.into_iter().map(|(number, changed)| (format!("{base}/certificates/{number}"), ctx.day(changed))),
    );
    match (Sitemap { urls }).render() {
        Ok(body) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
