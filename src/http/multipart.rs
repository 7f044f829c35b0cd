//! The file a page's form uploads (`multipart/form-data`), read with multer
//! under limits of its own, for pages (the portal's, the workbench's) that
//! take a file from anyone.
//!
//! multer looks for the first boundary, and for the end of each part's
//! headers, by scanning everything it holds from the start each time data
//! arrives: a body that never says the boundary makes that quadratic in its
//! size. So the bytes outside the file's contents (preamble, part headers,
//! other fields) are capped at [`MAX_FRAMING`] and handed to multer in
//! pieces of at least [`PIECE`] bytes, which bounds both the bytes scanned
//! and the number of scans. The file's contents themselves, which multer
//! reads in one pass, stream through untouched, limited to the caller's
//! maximum.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use axum::{
    body::Body,
    http::{HeaderMap, header},
};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};

/// The bytes of a form outside its file's contents.
pub const MAX_FRAMING: usize = 1 << 20;

/// The least multer is given at a time while it looks for framing.
const PIECE: usize = 8 << 10;

/// A field other than the file: a short text.
const MAX_OTHER_FIELD: u64 = 4 << 10;

/// Why no file came out of a form.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the form was not sent as multipart/form-data")]
    NotMultipart,
    #[error("the form holds no file")]
    NoFile,
    #[error("the file is larger than {0} bytes")]
    FileTooLarge(u64),
    #[error("the form's framing around the file is larger than {MAX_FRAMING} bytes")]
    FramingTooLarge,
    #[error("the form could not be read: {0}")]
    Malformed(String),
}

/// The uploaded file: its name and declared media type as the form gave
/// them, and its contents as a stream of at most the maximum asked for.
pub struct FileField {
    /// The form's file input this came from.
    pub name: String,
    /// The short text fields sent before the file (a form's token, its
    /// `action` button), in order; those after it are never read.
    pub fields: Vec<(String, String)>,
    pub filename: Option<String>,
    pub media_type: Option<String>,
    field: multer::Field<'static>,
    inside: Arc<AtomicBool>,
}

impl FileField {
    /// The file's contents, as they arrive.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, FormError>> + Send + Unpin + 'static {
        self.inside.store(true, Ordering::Release);
        self.field.map_err(form_error)
    }

    /// The whole file, for small ones.
    pub async fn bytes(self) -> Result<Bytes, FormError> {
        let mut stream = self.into_stream();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(bytes.freeze())
    }
}

/// The first file field named `name` of the form in `body`; fields before
/// it are skipped (they count as framing). The file may hold at most
/// `max_file` bytes.
pub async fn file_field(headers: &HeaderMap, body: Body, name: &str, max_file: u64) -> Result<FileField, FormError> {
    file_field_of(headers, body, &[name], max_file).await
}

/// The first file sent under one of `names` (a page offering one input per
/// kind of file), with the text fields before it.
pub async fn file_field_of(
    headers: &HeaderMap,
    body: Body,
    names: &[&str],
    max_file: u64,
) -> Result<FileField, FormError> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or(FormError::NotMultipart)?;
    let inside = Arc::new(AtomicBool::new(false));
    let framed = Framing::new(body.into_data_stream(), inside.clone());
    let limits = names.iter().fold(
        multer::SizeLimit::new().whole_stream(max_file.saturating_add(MAX_FRAMING as u64)).per_field(MAX_OTHER_FIELD),
        |limits, name| limits.for_field((*name).to_owned(), max_file),
    );
    let mut multipart =
        multer::Multipart::with_constraints(framed, boundary, multer::Constraints::new().size_limit(limits));
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some_and(|file| !file.is_empty());
        if !is_file || !names.contains(&name.as_str()) {
            let bytes = field.bytes().await.map_err(|error| match error {
                multer::Error::FieldSizeExceeded { .. } => FormError::FramingTooLarge,
                error => form_error(error),
            })?;
            // An empty file input of another name is not a text field.
            if !is_file && let Ok(text) = String::from_utf8(bytes.to_vec()) {
                fields.push((name, text));
            }
            continue;
        }
        return Ok(FileField {
            name,
            fields,
            filename: field.file_name().map(str::to_owned),
            media_type: field.content_type().map(|mime| mime.essence_str().to_owned()),
            field,
            inside,
        });
    }
    Err(FormError::NoFile)
}

fn form_error(error: multer::Error) -> FormError {
    match error {
        multer::Error::FieldSizeExceeded { limit, .. } => FormError::FileTooLarge(limit),
        multer::Error::StreamReadFailed(source) if source.is::<FramingTooLarge>() => FormError::FramingTooLarge,
        multer::Error::StreamSizeExceeded { .. } => FormError::FramingTooLarge,
        error => FormError::Malformed(error.to_string()),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the form's framing is too large")]
struct FramingTooLarge;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body as multer sees it: outside the file (`inside` false), counted
/// against [`MAX_FRAMING`] and gathered into pieces of at least [`PIECE`].
struct Framing<S> {
    body: S,
    inside: Arc<AtomicBool>,
    outside: usize,
    gathered: BytesMut,
    ended: bool,
}

impl<S> Framing<S> {
    fn new(body: S, inside: Arc<AtomicBool>) -> Self {
        Self { body, inside, outside: 0, gathered: BytesMut::new(), ended: false }
    }
}

impl<S, E> Stream for Framing<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.inside.load(Ordering::Acquire) {
            if !this.gathered.is_empty() {
                return Poll::Ready(Some(Ok(this.gathered.split().freeze())));
            }
            return this.body.poll_next_unpin(cx).map(|item| item.map(|chunk| chunk.map_err(Into::into)));
        }
        while !this.ended {
            match this.body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.outside += chunk.len();
                    if this.outside > MAX_FRAMING {
                        return Poll::Ready(Some(Err(Box::new(FramingTooLarge))));
                    }
                    this.gathered.extend_from_slice(&chunk);
                    if this.gathered.len() >= PIECE {
                        return Poll::Ready(Some(Ok(this.gathered.split().freeze())));
                    }
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
                Poll::Ready(None) => this.ended = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        match this.gathered.is_empty() {
            true => Poll::Ready(None),
            false => Poll::Ready(Some(Ok(this.gathered.split().freeze()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(boundary: &str, body: impl AsRef<[u8]>) -> (HeaderMap, Body) {
        let mut headers = HeaderMap::new();
        let value = format!("multipart/form-data; boundary={boundary}");
        headers.insert(header::CONTENT_TYPE, value.parse().expect("header"));
        (headers, Body::from(body.as_ref().to_vec()))
    }

    #[tokio::test]
    async fn the_file_comes_out_with_its_name_and_type() {
        let (headers, body) = form(
            "B",
            b"--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--B\r\nContent-Disposition: form-data; \
              name=\"file\"; filename=\"a.json\"\r\nContent-Type: application/json\r\n\r\n{}\r\n--B--\r\n",
        );
        let file = file_field(&headers, body, "file", 10).await.expect("a file");
        assert_eq!(file.filename.as_deref(), Some("a.json"));
        assert_eq!(file.media_type.as_deref(), Some("application/json"));
        assert_eq!(&file.bytes().await.expect("bytes")[..], b"{}");
    }

    #[tokio::test]
    async fn limits_are_named() {
        let (headers, body) = form(
            "B",
            b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n0123456789AB\r\n--B--\r\n",
        );
        let file = file_field(&headers, body, "file", 10).await.expect("a file");
        assert!(matches!(file.bytes().await, Err(FormError::FileTooLarge(10))));

        let (headers, body) = form("B", b"--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n");
        assert!(matches!(file_field(&headers, body, "file", 10).await, Err(FormError::NoFile)));

        let (headers, body) = form("B", vec![b'A'; MAX_FRAMING + PIECE]);
        assert!(matches!(file_field(&headers, body, "file", 10).await, Err(FormError::FramingTooLarge)));

        let (_, body) = form("B", "");
        assert!(matches!(file_field(&HeaderMap::new(), body, "file", 10).await, Err(FormError::NotMultipart)));
    }
}
