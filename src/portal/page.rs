//! What every portal page shares: the place (`http::page`) with the
//! portal's words, and the pages shown when something is missing or fails.

use std::ops::{Deref, DerefMut};

use askama::Template;
use axum::{
    extract::FromRequestParts,
    http::{StatusCode, header, request::Parts},
    response::Response,
};

use super::messages::{self, Messages};
pub use crate::http::page::{html, no_store};
use crate::{
    http::{assets, page::Place},
    services::Error,
    state::AppState,
};

/// A portal page's place and words.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub place: Place,
    pub t: &'static Messages,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let place = Place::from_request_parts(parts, state).await?;
        Ok(Self { t: messages::of(place.lang), place })
    }
}

impl Ctx {
    pub fn stylesheet(&self) -> &'static str {
        assets::stylesheet_path()
    }
}

impl Deref for Ctx {
    type Target = Place;

    fn deref(&self) -> &Place {
        &self.place
    }
}

impl DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut Place {
        &mut self.place
    }
}

#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct MessagePage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub body: &'a str,
}

/// The page for a record or address that does not exist.
pub fn not_found(ctx: &Ctx) -> Response {
    let page = MessagePage { ctx, title: ctx.t.not_found_title, body: ctx.t.not_found_body };
    html(StatusCode::NOT_FOUND, &page)
}

/// The page for a service's refusal or failure, in the page's language.
pub fn failure(ctx: &Ctx, error: Error) -> Response {
    match error {
        Error::NotFound | Error::NotFoundBecause(_) => not_found(ctx),
        Error::Unavailable { retry_after, .. } => {
            let page = MessagePage { ctx, title: ctx.t.error_unavailable, body: ctx.t.error_unavailable };
            let mut response = html(StatusCode::SERVICE_UNAVAILABLE, &page);
            if let Ok(value) = retry_after.as_secs().max(1).to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Error::RateLimited { retry_after } => {
            let page = MessagePage { ctx, title: ctx.t.error_rate_limited, body: ctx.t.error_rate_limited };
            let mut response = html(StatusCode::TOO_MANY_REQUESTS, &page);
            if let Ok(value) = retry_after.as_secs().max(1).to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        error => {
            tracing::error!(%error, "a page failed");
            let page = MessagePage { ctx, title: ctx.t.error_unavailable, body: ctx.t.error_unavailable };
            html(StatusCode::INTERNAL_SERVER_ERROR, &page)
        }
    }
}
