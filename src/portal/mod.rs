//! The public portal: server-rendered pages for people (a bank clerk
//! scanning a certificate's QR code, a company watching announcements, a
//! judge checking a certificate), Chinese first and English second, over
//! the same services as the public API. No JavaScript is needed for any
//! task; one stylesheet; no external fonts, scripts or CDNs.

mod cache;
mod messages;
pub mod page;
mod pages;

use axum::{
    Router,
    handler::Handler,
    middleware::{self, from_fn, from_fn_with_state},
    response::Response,
    routing::{get, post},
};

use self::{
    page::Ctx,
    pages::{
        announcements, certificates, confirm_act, confirm_email, discovery, feeds, home, ledger, objection_form,
        objections, unsubscribe, verify,
    },
};
use crate::{
    http::{
        assets, public_cache,
        request_limits::{Kind, enforce},
        security_headers::{self, PORTAL_POLICY},
    },
    state::AppState,
};

/// The pages, with their policies as layers: what each may be sent, which
/// are the same for everyone (kept in memory), and the portal's content
/// security policy on every answer, the 404 page's included.
pub fn router() -> Router<AppState> {
    let public = Router::new()
        .route("/", get(home::home))
        .route("/announcements", get(announcements::current))
        .route("/announcements/past", get(announcements::past))
        .route("/announcements/{id}", get(announcements::one))
        .route("/certificates", get(certificates::register))
        .route("/certificates/{number}", get(certificates::record))
        .route("/verify", get(verify::by_number))
        .route("/ledger", get(ledger::page))
        .route("/feeds/announcements.atom", get(feeds::announcements))
        .route("/feeds/certificates.atom", get(feeds::certificates))
        .route("/sitemap.xml", get(discovery::sitemap))
        .route("/sitemaps/{part}", get(discovery::sitemap_part))
        .route("/robots.txt", get(discovery::robots))
        .layer(from_fn_with_state(Kind::Plain, enforce))
        .layer(from_fn(public_cache::keep));
    // An objector's own objection, a recipient's unsubscription, an
    // address's confirmation: not the same for everyone.
    let personal = Router::new()
        .route("/announcements/{id}/objections", post(objection_form::file))
        .route("/objections/{id}", get(objections::view))
        .route("/objections/{id}/withdraw", post(objections::withdraw))
        .route("/unsubscribe", get(unsubscribe::confirm).post(unsubscribe::unsubscribe))
        .route("/confirm-email", get(confirm_email::page).post(confirm_email::confirm))
        .route("/confirm/{token}", get(confirm_act::show).post(confirm_act::answer))
        .layer(from_fn_with_state(Kind::Plain, enforce));
    let evidence = Router::new()
        .route("/objections/{id}/evidence", post(objections::attach))
        .layer(from_fn_with_state(Kind::Evidence, enforce));
    let certificate_file =
        Router::new().route("/verify", post(verify::by_file)).layer(from_fn_with_state(Kind::CertificateFile, enforce));
    public
        .merge(personal)
        .merge(evidence)
        .merge(certificate_file)
        .layer(middleware::from_fn(cache::revalidate))
        .route("/assets/{name}", get(assets::serve).layer(from_fn_with_state(Kind::Plain, enforce)))
        .fallback(fallback.layer(from_fn_with_state(Kind::Plain, enforce)))
        .layer(from_fn_with_state(PORTAL_POLICY, security_headers::policy))
}

/// What answers an address nothing else does: a 404 page in the reader's
/// language. (The API's addresses have a bare 404 of their own.)
async fn fallback(ctx: Ctx) -> Response {
    page::not_found(&ctx)
}
