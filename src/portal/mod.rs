//! The public portal: server-rendered pages for people (a bank clerk
//! scanning a certificate's QR code, a company watching announcements, a
//! judge checking a certificate), Chinese first and English second, over
//! the same services as the public API. No JavaScript is needed for any
//! task; one stylesheet; no external fonts, scripts or CDNs.

mod assets;
mod cache;
pub mod lang;
mod messages;
pub mod page;
mod pages;

use axum::{
    Router,
    http::{StatusCode, Uri},
    middleware,
    response::{IntoResponse, Response},
    routing::{get, post},
};

use self::{
    page::Ctx,
    pages::{
        announcements, certificates, confirm_email, discovery, feeds, home, ledger, objection_form, objections,
        unsubscribe, verify,
    },
};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/announcements", get(announcements::current))
        .route("/announcements/past", get(announcements::past))
        .route("/announcements/{id}", get(announcements::one))
        .route("/announcements/{id}/objections", post(objection_form::file))
        .route("/objections/{id}", get(objections::view))
        .route("/objections/{id}/withdraw", post(objections::withdraw))
        // Bodies are limited by route in http::request_limits.
        .route("/objections/{id}/evidence", post(objections::attach))
        .route("/certificates", get(certificates::register))
        .route("/certificates/{number}", get(certificates::record))
        .route("/verify", get(verify::by_number).post(verify::by_file))
        .route("/ledger", get(ledger::page))
        .route("/unsubscribe", get(unsubscribe::confirm).post(unsubscribe::unsubscribe))
        .route("/confirm-email", get(confirm_email::page).post(confirm_email::confirm))
        .route("/feeds/announcements.atom", get(feeds::announcements))
        .route("/feeds/certificates.atom", get(feeds::certificates))
        .route("/sitemap.xml", get(discovery::sitemap))
        .route("/sitemaps/{part}", get(discovery::sitemap_part))
        .route("/robots.txt", get(discovery::robots))
        .layer(middleware::from_fn(cache::revalidate))
        .route("/assets/{name}", get(assets::serve))
}

/// Whether `path` belongs to the API or the operations endpoints, whose
/// errors stay problem+json; everything else is the portal's.
pub fn is_machine_path(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/docs")
        || path == "/tlog"
        || path.starts_with("/tlog/")
        || ["/healthz", "/readyz", "/metrics"].contains(&path)
}

/// What answers an address nothing else does: a 404 page in the reader's
/// language, or a bare 404 (made problem+json) under the API.
pub async fn fallback(ctx: Ctx, uri: Uri) -> Response {
    if is_machine_path(uri.path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    page::not_found(&ctx)
}
