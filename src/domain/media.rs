//! What a file's first bytes say it is. An upload's declared media type is
//! checked against them for the types that have a signature; text, CSV and
//! JSON have none and are taken at their word. (A table of six signatures is
//! all this needs: a type-guessing crate answers a different question.)

/// The longest signature below.
pub const SIGNATURE_BYTES: usize = 8;

const PDF: &[&[u8]] = &[b"%PDF-"];
const PNG: &[&[u8]] = &[b"\x89PNG\r\n\x1a\n"];
const JPEG: &[&[u8]] = &[b"\xff\xd8\xff"];
/// Local file header, or the end record of an empty archive. Office Open
/// XML documents (docx, xlsx, pptx) are ZIP archives.
const ZIP: &[&[u8]] = &[b"PK\x03\x04", b"PK\x05\x06"];
/// The compound file of legacy Office documents (doc, xls, ppt).
const OLE2: &[&[u8]] = &[b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"];

fn signatures(media_type: &str) -> Option<&'static [&'static [u8]]> {
    Some(match media_type {
        "application/pdf" => PDF,
        "image/png" => PNG,
        "image/jpeg" => JPEG,
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => ZIP,
        "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => OLE2,
        _ => return None,
    })
}

/// Whether a file beginning with `head` can be of `media_type`: false only
/// when the type has a signature and the file does not start with it.
pub fn is_plausibly(media_type: &str, head: &[u8]) -> bool {
    signatures(media_type).is_none_or(|signatures| signatures.iter().any(|signature| head.starts_with(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_checked_against_their_signatures() {
        assert!(is_plausibly("application/pdf", b"%PDF-1.7\n..."));
        assert!(!is_plausibly("image/png", b"%PDF-1.7\n..."));
        assert!(is_plausibly("image/png", b"\x89PNG\r\n\x1a\n\0\0"));
        assert!(is_plausibly("image/jpeg", b"\xff\xd8\xff\xe0"));
        assert!(!is_plausibly("application/pdf", b"MZ\x90\0"));
        assert!(is_plausibly("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"));
        assert!(!is_plausibly("application/msword", b"PK\x03\x04"));
        assert!(is_plausibly("text/plain", b"anything"), "no signature: taken at its word");
        assert!(!is_plausibly("application/pdf", b"%PD"), "too short to be one");
        assert!(
            SIGNATURE_BYTES
                >= [PDF, PNG, JPEG, ZIP, OLE2].iter().flat_map(|s| s.iter()).map(|s| s.len()).max().unwrap_or(0)
        );
    }
}
