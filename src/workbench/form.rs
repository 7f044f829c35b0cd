//! A form a workbench page posted (`application/x-www-form-urlencoded`):
//! its session token checked, its `action` button read, and its other
//! fields decoded with serde_qs, whose nested names (`a[b]`,
//! `data_sources[0][kind]`) are the API's field names. The body's size is
//! the router's limit; serde_qs is held to [`MAX_DEPTH`] levels.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::{
    page::{self, Ctx},
    visit::Visit,
};
use crate::{
    http::{
        error::ApiError,
        multipart::{self, FileField, FormError},
    },
    services::{Error, files::Upload},
    state::AppState,
};

/// How deep the API's bodies nest (an act's parties' addresses are the
/// deepest): deeper names are not decoded as nesting.
const MAX_DEPTH: usize = 4;

/// A posted form whose token was this visit's.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The `action` button pressed (empty when the form was sent without
    /// one, e.g. by Enter in a form of one button).
    pub action: String,
    /// Every other field, in the order sent.
    pub fields: Vec<(String, String)>,
}

impl Submitted {
    /// The first value sent under `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first value under `name`, or empty.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// The fields as `T`, as the API would take them: fields left empty are
    /// absent, so that an optional field not filled in is not an empty
    /// value. (A required field left empty is then a missing field.)
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_qs::Error> {
        self.decode_only(|_| true)
    }

    /// As [`decode`](Self::decode), with only the fields `keep` accepts.
    pub fn decode_only<T: DeserializeOwned>(&self, keep: impl Fn(&str) -> bool) -> Result<T, serde_qs::Error> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.fields {
            if !value.trim().is_empty() && keep(name) {
                query.append_pair(name, value);
            }
        }
        let query = query.finish();
        serde_qs::Config::new().max_depth(MAX_DEPTH).use_form_encoding(true).deserialize_str(&query)
    }
}

impl FromRequest<AppState> for Submitted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Ok(ctx) = Ctx::from_request_parts(&mut parts, state).await;
        let Ok(visit) = Visit::from_request_parts(&mut parts, state).await;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
        }
        let bytes =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let (mut token, mut action, mut fields) = (None, String::new(), Vec::new());
        for (name, value) in form_urlencoded::parse(&bytes) {
            match name.as_ref() {
                "csrf" => token = Some(value.into_owned()),
                "action" => action = value.into_owned(),
                _ => fields.push((name.into_owned(), value.into_owned())),
            }
        }
        check_token(&ctx, &visit, token.as_deref()).map_err(|page| *page)?;
        Ok(Self { action, fields })
    }
}

/// A file a page's form sent, as a service takes it.
pub struct Received {
    pub upload: Upload,
    /// The file's input (a material's is named by its kind).
    pub input: String,
    /// The other fields sent before the file (`action`, ids).
    pub fields: Vec<(String, String)>,
    file: FileField,
    cut: Arc<AtomicBool>,
}

/// Why an upload form came to nothing.
pub enum Refused {
    /// The form's token was not the visit's: the page that says so.
    Page(Box<Response>),
    /// The form, the file or the service refused: said beside the input.
    Beside { status: StatusCode, message: String },
    /// Anything else: the service's refusal, for its own page.
    Failed(Error),
}

impl Received {
    /// The first value of a field sent before the file.
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }

    /// The file's bytes for the service, and what to make of its refusal:
    /// a file the form's limit cut short reads to the service as an
    /// interrupted upload, which is a file too large.
    pub fn into_parts(self) -> (Upload, impl Stream<Item = Result<Bytes, FormError>> + Unpin + Send, Cut) {
        let flag = self.cut.clone();
        let stream = self.file.into_stream().map_err(move |error| {
            if matches!(error, FormError::FileTooLarge(_)) {
                flag.store(true, Ordering::Relaxed);
            }
            error
        });
        (self.upload, stream, Cut(self.cut))
    }
}

/// Whether the form's limit cut the file short.
pub struct Cut(Arc<AtomicBool>);

impl Cut {
    /// The service's refusal of the file, said beside the input when it is
    /// about the file (its type, its size, its contents, the act's state),
    /// else for a page of its own.
    pub fn refusal(&self, ctx: &Ctx, error: Error, max_file: u64) -> Refused {
        if self.0.load(Ordering::Relaxed) {
            return too_large(ctx, max_file);
        }
        match error {
            Error::Validation(errors) => Refused::Beside {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "),
            },
            error @ (Error::PayloadTooLarge(_)
            | Error::UnsupportedMediaType(_)
            | Error::Conflict(_)
            | Error::InvalidTransition { .. }) => {
                let message = error.to_string();
                Refused::Beside { status: ApiError::from(error).status(), message }
            }
            error => Refused::Failed(error),
        }
    }
}

fn too_large(ctx: &Ctx, max_file: u64) -> Refused {
    let message = format!("{}{}", ctx.t.upload_too_large, ctx.size(i64::try_from(max_file).unwrap_or(i64::MAX)));
    Refused::Beside { status: StatusCode::PAYLOAD_TOO_LARGE, message }
}

/// The file a page's form uploaded under one of `names` (a material's
/// input is named by its kind), its form's token checked first: the token
/// and the `action` come before the file input in every upload form.
pub async fn receive(
    ctx: &Ctx,
    visit: &Visit,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    names: &[&str],
    max_file: u64,
) -> Result<Received, Refused> {
    let refused = |status, message: &str| Refused::Beside { status, message: message.to_owned() };
    let file = match multipart::file_field_of(headers, body, names, max_file).await {
        Ok(file) => file,
        Err(FormError::NoFile) => return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, ctx.t.upload_no_file)),
        Err(FormError::FileTooLarge(_) | FormError::FramingTooLarge) => return Err(too_large(ctx, max_file)),
        Err(FormError::NotMultipart) => {
            return Err(refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, ctx.t.upload_not_a_form));
        }
        Err(FormError::Malformed(_)) => return Err(refused(StatusCode::BAD_REQUEST, ctx.t.upload_not_a_form)),
    };
    let token = file.fields.iter().find(|(name, _)| name == "csrf").map(|(_, value)| value.as_str());
    check_token(ctx, visit, token).map_err(Refused::Page)?;
    let upload = Upload { media_type: file.media_type.clone(), filename: file.filename.clone(), length: None };
    Ok(Received {
        upload,
        input: file.name.clone(),
        fields: file.fields.clone(),
        file,
        cut: Arc::new(AtomicBool::new(false)),
    })
}

/// The form's token must be this visit's: a page of another site cannot
/// know it.
fn check_token(ctx: &Ctx, visit: &Visit, sent: Option<&str>) -> Result<(), Box<Response>> {
    let expected = visit.form_token.as_bytes();
    match sent {
        Some(sent) if !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected)) => Ok(()),
        _ => {
            tracing::info!("a workbench form with a wrong or missing token refused");
            Err(Box::new(page::message(ctx, StatusCode::FORBIDDEN, ctx.t.expired_form_title, ctx.t.expired_form_body)))
        }
    }
}
