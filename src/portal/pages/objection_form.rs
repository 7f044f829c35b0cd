//! Filing an objection from the announcement's page: a plain HTML form,
//! checked to come from this site, filed through the same service as the
//! API, its errors shown beside their fields in the page's language.

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use uuid::Uuid;

use super::announcements::AnnouncementPage;
use crate::{
    http::client_addr::ClientAddr,
    portal::page::{Ctx, failure, html, no_store, not_found},
    services::{
        Error,
        objections::{self, NewObjection, Objector},
        registration::announcements,
    },
    state::AppState,
};

/// What the objector typed, and what was wrong with it, by field.
#[derive(Debug, Default)]
pub struct ObjectionForm {
    pub name: String,
    pub email: String,
    pub interest: String,
    pub grounds: String,
    pub errors: BTreeMap<&'static str, String>,
    /// A problem with the whole form (sent from elsewhere, too many, closed).
    pub problem: Option<String>,
}

impl ObjectionForm {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.problem.is_some()
    }

    fn read(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (name, value) in form_urlencoded::parse(body) {
            let value = value.replace('\0', "");
            match name.as_ref() {
                "name" => form.name = value,
                "contact_email" => form.email = value,
                "interest" => form.interest = value,
                "grounds" => form.grounds = value,
                _ => {}
            }
        }
        form
    }

    /// The service's rules, said in the reader's language before the
    /// service is asked; the service checks them again.
    fn check(&mut self, ctx: &Ctx) {
        let t = ctx.t;
        let fields: [(&'static str, &str, usize); 4] = [
            ("name", &self.name, 100),
            ("contact_email", &self.email, 254),
            ("interest", &self.interest, 2000),
            ("grounds", &self.grounds, 5000),
        ];
        let mut errors = BTreeMap::new();
        for (field, value, max) in fields {
            if value.trim().is_empty() {
                errors.insert(field, t.error_required.to_owned());
            } else if value.chars().count() > max {
                errors.insert(field, (t.error_too_long)(max));
            }
        }
        if !errors.contains_key("contact_email") && !email_address::EmailAddress::is_valid(self.email.trim()) {
            errors.insert("contact_email", t.error_email.to_owned());
        }
        self.errors = errors;
    }
}

/// A form post counts only from this site's own pages: browsers say where
/// a post comes from (`Sec-Fetch-Site`, `Origin`), so a page elsewhere
/// cannot file in a visitor's name. Clients that say neither are not
/// browsers, and are held to the API's throttles like any other.
pub fn same_site(headers: &HeaderMap, ctx: &Ctx) -> bool {
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = text(header::ORIGIN.as_str()) else { return true };
    let host = text(header::HOST.as_str()).unwrap_or_default();
    origin == ctx.public_url || origin == format!("http://{host}") || origin == format!("https://{host}")
}

#[derive(Template)]
#[template(path = "portal/objection_filed.html")]
struct FiledPage {
    ctx: Ctx,
    product_name: String,
    tracking_link: String,
}

/// `POST /announcements/{id}/objections`.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&ctx) };
    let announcement = match announcements::get(&state, id).await {
        Ok(view) => view,
        Err(error) => return failure(&ctx, error),
    };
    let mut form = ObjectionForm::read(&body);
    let t = ctx.t;
    let status = if !same_site(&headers, &ctx) {
        form.problem = Some(t.error_cross_site.to_owned());
        StatusCode::FORBIDDEN
    } else {
        form.check(&ctx);
        if form.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            let request = NewObjection {
                objector: Objector { name: form.name.clone().into(), contact_email: form.email.trim().to_owned() },
                interest: form.interest.clone().into(),
                grounds: form.grounds.clone().into(),
                language: Some(ctx.lang.tag().to_owned()),
            };
            match objections::file(&state, id, request, client).await {
                Ok(filed) => {
                    let path = format!("/objections/{}?token={}", filed.id, filed.tracking_token);
                    let page =
                        FiledPage { tracking_link: ctx.absolute(&path), product_name: announcement.product_name, ctx };
                    return no_store(html(StatusCode::CREATED, &page));
                }
                Err(error) => refused(&ctx, &mut form, error),
            }
        }
    };
    no_store(html(status, &AnnouncementPage::new(ctx, announcement, state.clock.now(), form)))
}

/// Why the service refused, on the form.
fn refused(ctx: &Ctx, form: &mut ObjectionForm, error: Error) -> StatusCode {
    let t = ctx.t;
    match error {
        Error::Validation(errors) => {
            for error in errors {
                let field = match error.field.as_str() {
                    "objector.name" => "name",
                    "objector.contact_email" => "contact_email",
                    "interest" => "interest",
                    _ => "grounds",
                };
                form.errors.insert(field, error.message);
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Error::Conflict(_) | Error::InvalidTransition { .. } => {
            form.problem = Some(t.error_window_closed.to_owned());
            StatusCode::CONFLICT
        }
        Error::RateLimited { .. } => {
            form.problem = Some(t.error_rate_limited.to_owned());
            StatusCode::TOO_MANY_REQUESTS
        }
        error => {
            tracing::error!(%error, "an objection could not be filed from the portal");
            form.problem = Some(t.error_unavailable.to_owned());
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
