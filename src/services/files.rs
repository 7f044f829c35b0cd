//! Stored files, whatever they belong to (an application's materials, an
//! organization's business licence): uploaded as a stream, hashed while
//! received, checked against their declared media type, written in chunks
//! to `blobs` (once per content), and read back a chunk at a time.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::services::{Error, Result};
use crate::{db, domain::media, state::AppState};

/// Contents are stored in chunks of this size, each written as soon as it
/// fills, so an upload never holds the whole file.
const CHUNK: usize = 1024 * 1024;

/// What the client says about an upload.
pub struct Upload {
    pub media_type: Option<String>,
    pub filename: Option<String>,
    pub length: Option<u64>,
}

/// What a kind of file may be.
pub struct Rules<'a> {
    /// The file as error messages name it, e.g. "a material".
    pub what: &'static str,
    pub max_size: u64,
    pub media_types: &'a [String],
}

/// What a scanned paper may be (a business licence, an identity document,
/// an authority's order, a pledgee's written consent): a scan or a
/// photograph, each type with a signature its first bytes are checked
/// against.
pub const SCAN_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

impl Rules<'static> {
    /// The rules of a scanned paper (`what`, for messages): one of
    /// [`SCAN_MEDIA_TYPES`], at most `materials.max_size`.
    pub fn scan(state: &AppState, what: &'static str) -> Self {
        static TYPES: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| SCAN_MEDIA_TYPES.map(String::from).to_vec());
        Self { what, max_size: state.config.materials.max_size, media_types: &TYPES }
    }
}

impl Rules<'_> {
    fn too_large(&self) -> Error {
        Error::PayloadTooLarge(format!("{} may be at most {} bytes", self.what, self.max_size))
    }
}

impl Upload {
    /// The declared media type without parameters, refused before the body
    /// is read when it is not allowed (415) or the declared length is over
    /// the limit (413).
    pub fn media_type(&self, rules: &Rules) -> Result<String> {
        let media_type = allowed_media_type(self.media_type.as_deref(), rules.media_types)?;
        if self.length.is_some_and(|length| length > rules.max_size) {
            return Err(rules.too_large());
        }
        Ok(media_type)
    }

    /// A safe file name: no directories, no control characters, at most
    /// 255 characters; `fallback` when none is given.
    pub fn filename(&self, fallback: &str) -> String {
        clean_filename(self.filename.as_deref(), fallback)
    }
}

/// A file received in full, its chunks written under `blob_id` (not yet a
/// blob: [`db::blobs::finish`] makes it one, in the transaction that
/// records what the file belongs to).
pub struct Received {
    pub blob_id: Uuid,
    pub sha256: Vec<u8>,
    pub size: i64,
}

/// Streams the body into chunks: its SHA-256 and size, or why it was
/// refused (over the size limit, empty, interrupted, or not of its declared
/// media type by its first bytes), in which case its chunks are deleted.
/// Each chunk is written on its own as it fills, with a pooled connection
/// taken only for that write: a slow upload holds no connection.
pub async fn receive<S, E>(state: &AppState, body: &mut S, media_type: &str, rules: &Rules<'_>) -> Result<Received>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let blob_id = Uuid::now_v7();
    match stream_chunks(state, blob_id, body, media_type, rules).await {
        Ok((sha256, size)) => Ok(Received { blob_id, sha256, size }),
        Err(error) => {
            // Best effort; housekeeping purges what is left.
            if let Ok(mut conn) = state.db.acquire().await {
                let _ = db::blobs::delete_chunks(&mut conn, blob_id).await;
            }
            Err(error)
        }
    }
}

async fn stream_chunks<S, E>(
    state: &AppState,
    blob_id: Uuid,
    body: &mut S,
    media_type: &str,
    rules: &Rules<'_>,
) -> Result<(Vec<u8>, i64)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut hasher = Sha256::new();
    let mut buffer = Vec::with_capacity(CHUNK);
    let (mut size, mut seq, mut sniffed) = (0u64, 0i32, false);
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| Error::field("body", format!("the upload was interrupted: {e}")))?;
        size += piece.len() as u64;
        if size > rules.max_size {
            return Err(rules.too_large());
        }
        hasher.update(&piece);
        buffer.extend_from_slice(&piece);
        if !sniffed && buffer.len() >= media::SIGNATURE_BYTES {
            check_signature(media_type, &buffer)?;
            sniffed = true;
        }
        while buffer.len() >= CHUNK {
            let mut conn = state.db.acquire().await?;
            db::blobs::insert_chunk(&mut conn, blob_id, seq, &buffer[..CHUNK], state.clock.now()).await?;
            buffer.drain(..CHUNK);
            seq += 1;
        }
    }
    if size == 0 {
        return Err(Error::field("body", "the file is empty"));
    }
    if !sniffed {
        check_signature(media_type, &buffer)?;
    }
    if !buffer.is_empty() {
        let mut conn = state.db.acquire().await?;
        db::blobs::insert_chunk(&mut conn, blob_id, seq, &buffer, state.clock.now()).await?;
    }
    Ok((hasher.finalize().to_vec(), i64::try_from(size).map_err(|_| rules.too_large())?))
}

/// Refuses a file whose first bytes contradict its declared media type (a
/// PDF sent as image/png, a program sent as application/pdf).
fn check_signature(media_type: &str, head: &[u8]) -> Result<()> {
    if media::is_plausibly(media_type, head) {
        return Ok(());
    }
    Err(Error::field("Content-Type", format!("the file is not {media_type}: its first bytes say otherwise")))
}

/// What a download says about the file it carries.
pub struct StoredFile {
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
}

/// A stored file's description and its bytes as a stream of chunks.
pub struct Download {
    pub file: StoredFile,
    pub chunks: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, sqlx::Error>> + Send>>,
}

impl Download {
    /// One chunk per query, each on a pooled connection: a slow reader does
    /// not hold a connection for the whole download.
    pub fn new(pool: &PgPool, file: StoredFile, blob_id: Uuid) -> Self {
        let pool = pool.clone();
        let chunks = futures_util::stream::unfold(Some(0i32), move |next| {
            let pool = pool.clone();
            async move {
                let seq = next?;
                let chunk = async { db::blobs::chunk(&mut *pool.acquire().await?, blob_id, seq).await }.await;
                match chunk {
                    Ok(Some(data)) => Some((Ok(Bytes::from(data)), Some(seq + 1))),
                    Ok(None) => None,
                    // Report the failure, then end the stream.
                    Err(error) => Some((Err(error), None)),
                }
            }
        });
        Self { file, chunks: Box::pin(chunks) }
    }
}

/// The declared media type without parameters, if it is among `allowed`.
fn allowed_media_type(declared: Option<&str>, allowed: &[String]) -> Result<String> {
    let media_type = declared
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::UnsupportedMediaType("send the file's media type as Content-Type".into()))?;
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(&media_type)) {
        Ok(media_type)
    } else {
        Err(Error::UnsupportedMediaType(format!("{media_type} is not accepted; accepted: {}", allowed.join(", "))))
    }
}

fn clean_filename(given: Option<&str>, fallback: &str) -> String {
    let name = given
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or_default())
        .map(|name| name.chars().filter(|c| !c.is_control()).take(255).collect::<String>())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty() && name != "." && name != "..");
    name.unwrap_or_else(|| fallback.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_checked_without_parameters() {
        let allowed = vec!["application/pdf".to_owned(), "text/csv".to_owned()];
        assert_eq!(allowed_media_type(Some("Application/PDF"), &allowed).ok().as_deref(), Some("application/pdf"));
        assert_eq!(allowed_media_type(Some("text/csv; charset=utf-8"), &allowed).ok().as_deref(), Some("text/csv"));
        assert!(allowed_media_type(Some("application/x-msdownload"), &allowed).is_err());
        assert!(allowed_media_type(None, &allowed).is_err());
    }

    #[test]
    fn file_names_lose_directories_and_control_characters() {
        assert_eq!(clean_filename(Some("../../etc/passwd"), "summary"), "passwd");
        assert_eq!(clean_filename(Some("C:\\docs\\申请表.pdf"), "summary"), "申请表.pdf");
        assert_eq!(clean_filename(Some("a\u{0}b.pdf"), "summary"), "ab.pdf");
        assert_eq!(clean_filename(Some(".."), "sample"), "sample");
        assert_eq!(clean_filename(None, "application_form"), "application_form");
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_the_body() {
        let allowed = vec!["application/pdf".to_owned()];
        let rules = Rules { what: "a business licence", max_size: 10, media_types: &allowed };
        let upload = |length| Upload { media_type: Some("application/pdf".into()), filename: None, length };
        assert!(upload(Some(10)).media_type(&rules).is_ok());
        let error = upload(Some(11)).media_type(&rules).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("a business licence may be at most 10 bytes"));
    }
}
