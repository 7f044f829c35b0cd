//! Stored files over HTTP: what an upload's headers say about it, and a
//! download's answer (materials and business licences alike).

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::http::disposition;
use crate::services::files::{Download, Upload};

/// The upload's media type, file name and declared length.
pub fn upload(headers: &HeaderMap) -> Upload {
    let text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    Upload {
        media_type: text(header::CONTENT_TYPE).map(str::to_owned),
        filename: text(header::CONTENT_DISPOSITION).and_then(disposition::filename),
        length: text(header::CONTENT_LENGTH).and_then(|length| length.parse().ok()),
    }
}

/// The file's bytes, streamed, as an attachment of its media type, never
/// cached or sniffed.
pub fn download(download: Download) -> Response {
    let file = &download.file;
    let headers = [
        (header::CONTENT_TYPE, file.media_type.clone()),
        (header::CONTENT_LENGTH, file.size.to_string()),
        (header::CONTENT_DISPOSITION, disposition::attachment(&file.filename)),
        (header::ETAG, format!("\"{}\"", hex::encode(&file.sha256))),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    let mut response = Body::from_stream(download.chunks).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
