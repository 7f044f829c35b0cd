//! Stored files over HTTP: what an upload's headers say about it, and a
//! download's answer (materials and business licences alike).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::http::disposition;
use crate::services::files::Upload;

/// The upload's media type, file name and declared length.
pub fn upload(headers: &HeaderMap) -> Upload {
    let text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    Upload {
        media_type: text(header::CONTENT_TYPE).map(str::to_owned),
        filename: text(header::CONTENT_DISPOSITION).and_then(disposition::filename),
        length: text(header::CONTENT_LENGTH).and_then(|length| length.parse().ok()),
    }
}

/// The file's bytes, streamed, as an attachment (shared with the
/// workbench's downloads).
pub use crate::http::disposition::download;
