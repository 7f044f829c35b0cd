//! `Content-Disposition` file names, both ways: what an upload calls its
//! file (RFC 6266, with RFC 5987 `filename*` for non-ASCII names such as
//! Chinese ones), and how a download names it; and a stored file's
//! download as the API and the workbench answer it.

use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::services::files::Download;

/// The file's bytes, streamed, as an attachment of its media type, never
/// cached or sniffed, with its SHA-256 as the ETag.
pub fn download(download: Download) -> Response {
    let file = &download.file;
    let headers = [
        (header::CONTENT_TYPE, file.media_type.clone()),
        (header::CONTENT_LENGTH, file.size.to_string()),
        (header::CONTENT_DISPOSITION, attachment(&file.filename)),
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

/// The file name in a `Content-Disposition` value, preferring `filename*`.
pub fn filename(value: &str) -> Option<String> {
    let mut plain = None;
    for parameter in value.split(';').skip(1) {
        let Some((name, raw)) = parameter.split_once('=') else { continue };
        match name.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                // charset'language'percent-encoded-value
                let mut parts = raw.trim().splitn(3, '\'');
                let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
                if charset.eq_ignore_ascii_case("utf-8") {
                    return percent_decode(encoded);
                }
            }
            "filename" => plain = Some(raw.trim().trim_matches('"').replace("\\\"", "\"")),
            _ => {}
        }
    }
    plain
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name.
pub fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", percent_encode(name))
}

fn percent_decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_encoded_names() {
        assert_eq!(filename("attachment; filename=\"form.pdf\"").as_deref(), Some("form.pdf"));
        assert_eq!(filename("attachment; filename=form.pdf").as_deref(), Some("form.pdf"));
        assert_eq!(
            filename("attachment; filename=\"form.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf").as_deref(),
            Some("申请表.pdf")
        );
        assert_eq!(filename("inline").as_deref(), None);
        assert_eq!(filename("attachment; filename*=UTF-8''%ZZ").as_deref(), None);
    }

    #[test]
    fn writes_a_header_that_reads_back() {
        let header = attachment("申请表 v2.pdf");
        assert!(header.starts_with("attachment; filename=\"___ v2.pdf\""), "{header}");
        assert_eq!(filename(&header).as_deref(), Some("申请表 v2.pdf"));
    }
}
