//! What every workbench page shares: its place (`http::page`), the frame's
//! words, who is signed in and the token its forms carry; and the pages
//! shown when something is missing, refused or fails.

use std::ops::Deref;

use askama::Template;
use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};

use super::{visit::Visit, words::Frame};
use crate::{
    http::{assets, error::ApiError, page::Place},
    services::Error,
    state::AppState,
};

/// A workbench page's place, words and visit.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub place: Place,
    pub t: &'static Frame,
    /// The token this page's forms carry in their `csrf` field.
    pub csrf: String,
    /// Whether someone is signed in (the frame offers sign-out or sign-in).
    pub signed_in: bool,
    /// Whether the one signed in acts for an applicant party (the frame
    /// shows the applicants' navigation).
    pub applicant: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let place = Place::from_request_parts(parts, state).await?;
        let Ok(visit) = Visit::from_request_parts(parts, state).await;
        let mut place = place;
        // Nothing behind a sign-in belongs in a search engine.
        place.noindex = true;
        Ok(Self {
            t: Frame::of(place.lang),
            place,
            csrf: visit.form_token,
            signed_in: visit.session.is_some(),
            applicant: visit.session.as_ref().is_some_and(|s| s.org_id.is_some()),
        })
    }
}

impl Deref for Ctx {
    type Target = Place;

    fn deref(&self) -> &Place {
        &self.place
    }
}

impl Ctx {
    pub fn stylesheet(&self) -> &'static str {
        assets::stylesheet_path()
    }

    pub fn script(&self) -> &'static str {
        assets::script_path()
    }

    /// The `id` of the form control named `name` (`data_sources[0][kind]`
    /// → `data_sources-0-kind`), for its label and its error.
    pub fn id_of(&self, name: &str) -> String {
        name.replace("][", "-").replace(['[', ']'], "-").trim_end_matches('-').to_owned()
    }

    /// A size as people read it, with the exact count of bytes.
    pub fn size(&self, bytes: i64) -> String {
        let unit = self.t.bytes;
        let shown = match bytes {
            ..1024 => return format!("{bytes} {unit}"),
            1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
            _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
        };
        format!("{shown} ({bytes} {unit})")
    }

    /// 303 to `path` in this page's language: where a form goes after it
    /// did what it asked (so that reloading does not post again).
    pub fn see_other(&self, path: &str) -> Response {
        Redirect::to(&self.link(path)).into_response()
    }
}

/// The query of a page a form led back to: what was just done (its
/// `.notice`), and where the page's list resumes.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: String,
    pub cursor: Option<String>,
}

/// A page as HTML with the status given; nothing behind a sign-in is kept
/// by a cache or the browser's history.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    crate::http::page::no_store(crate::http::page::html(status, page))
}

#[derive(Template)]
#[template(path = "workbench/message.html")]
pub struct MessagePage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub body: &'a str,
}

pub fn message(ctx: &Ctx, status: StatusCode, title: &str, body: &str) -> Response {
    html(status, &MessagePage { ctx, title, body })
}

/// Another party's application, certificate or act, exactly as what does
/// not exist.
pub fn not_found(ctx: &Ctx) -> Response {
    message(ctx, StatusCode::NOT_FOUND, ctx.t.not_found_title, ctx.t.not_found_body)
}

/// Staff signed in where applicants work.
pub fn staff_elsewhere(ctx: &Ctx) -> Response {
    message(ctx, StatusCode::FORBIDDEN, ctx.t.staff_title, ctx.t.staff_body)
}

/// The page for a service's refusal that is not a field's error (those are
/// shown beside their fields by the page itself).
pub fn failure(ctx: &Ctx, error: Error) -> Response {
    let with_retry = |mut response: Response, after: std::time::Duration| {
        if let Ok(value) = HeaderValue::from_str(&after.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    };
    match error {
        Error::NotFound | Error::NotFoundBecause(_) => not_found(ctx),
        Error::RateLimited { retry_after } => {
            with_retry(message(ctx, StatusCode::TOO_MANY_REQUESTS, ctx.t.rate_limited, ctx.t.rate_limited), retry_after)
        }
        Error::Unavailable { retry_after, .. } => {
            with_retry(message(ctx, StatusCode::SERVICE_UNAVAILABLE, ctx.t.unavailable, ctx.t.unavailable), retry_after)
        }
        Error::Internal(error) => {
            tracing::error!(%error, "a workbench page failed");
            message(ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.t.unavailable, ctx.t.unavailable)
        }
        // A refusal of what was asked (not allowed, a conflict, a state that
        // does not allow it, a quota): its reason, under the API's status.
        error => {
            let detail = error.to_string();
            let status = ApiError::from(error).status();
            message(ctx, status, ctx.t.refused_title, &detail)
        }
    }
}

/// A failure before any page could be made (the session could not be
/// read): a bare answer.
pub fn bare_failure(error: impl Into<Error>) -> Response {
    let error = error.into();
    tracing::error!(%error, "a workbench visit could not be read");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// A form's errors by field, each shown beside its field (the API's field
/// names, `data_sources[0].kind`, as the services name them), and those of
/// no field shown above the form.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: Vec<(String, String)>,
}

impl FieldErrors {
    /// The errors of a service's refusal, if it was one of fields.
    pub fn of(error: &Error) -> Option<Self> {
        match error {
            Error::Validation(errors) => {
                Some(Self { errors: errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect() })
            }
            _ => None,
        }
    }

    /// An error of one field (or, with `""`, of the whole form).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_owned(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The error of the field named as the API names it (`a.b`, `a[0].b`)
    /// or as its form control is (`a[b]`, `a[0][b]`).
    pub fn on(&self, field: &str) -> Option<&str> {
        let wanted = api_name(field);
        self.errors.iter().find(|(name, _)| api_name(name) == wanted).map(|(_, message)| message.as_str())
    }

    /// Every error, for the summary above the form.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.errors.iter().map(|(field, message)| (field.as_str(), message.as_str()))
    }
}

/// A form control's name as the API names the field: `a[b]` → `a.b`,
/// `a[0][b]` → `a[0].b`.
pub fn api_name(control: &str) -> String {
    let mut name = String::with_capacity(control.len());
    let mut rest = control;
    while let Some(open) = rest.find('[') {
        name.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']') else { break };
        let inner = &rest[open + 1..open + close];
        if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            name.push_str(&format!("[{inner}]"));
        } else {
            name.push('.');
            name.push_str(inner);
        }
        rest = &rest[open + close + 1..];
    }
    name.push_str(rest);
    name
}

#[cfg(test)]
mod tests {
    use super::api_name;

    #[test]
    fn control_names_become_the_apis() {
        assert_eq!(api_name("data_sources[0][kind]"), "data_sources[0].kind");
        assert_eq!(api_name("data_sources[0].kind"), "data_sources[0].kind");
        assert_eq!(api_name("person[id_number]"), "person.id_number");
        assert_eq!(api_name("title"), "title");
    }
}
