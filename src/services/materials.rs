//! An application's materials: uploaded as a stream, hashed while received,
//! stored once per content, downloadable by the organization and by staff.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    Error, Result,
    application_views::MaterialView,
    procedure::{self, EventActor},
};
use crate::{
    auth::{Principal, Tenant},
    db::{self, applications::ApplicationRow, materials::MaterialRow},
    domain::{ApplicationState, MaterialKind, media},
    state::AppState,
};

/// Contents are stored in chunks of this size, each written as soon as it
/// fills, so an upload never holds the whole file.
const CHUNK: usize = 1024 * 1024;

/// What the client says about an upload.
pub struct Upload {
    pub media_type: Option<String>,
    pub filename: Option<String>,
    pub length: Option<u64>,
}

/// Stores the material of `kind`, replacing any earlier one. Refused before
/// the body is read when the media type is not allowed (415), the declared
/// length is over the limit (413), or the application cannot change (409).
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, application_id = %id, kind = kind.as_str()))]
pub async fn upload<S, E>(
    state: &AppState,
    tenant: Tenant,
    id: Uuid,
    kind: MaterialKind,
    upload: Upload,
    mut body: S,
) -> Result<MaterialView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let config = &state.config.materials;
    let media_type = allowed_media_type(upload.media_type.as_deref(), &config.media_types)?;
    let too_large = || Error::PayloadTooLarge(format!("a material may be at most {} bytes", config.max_size));
    if upload.length.is_some_and(|length| length > config.max_size) {
        return Err(too_large());
    }
    let filename = clean_filename(upload.filename.as_deref(), kind);

    // Refused before a byte is read if the application cannot change, or
    // if the declared length would not fit the organization's quota.
    let mut conn = state.db.acquire().await?;
    editable(&mut conn, tenant.org_id, id, "upload materials").await?;
    if let Some(length) = upload.length {
        within_quota(state, &mut conn, tenant.org_id, id, kind, length).await?;
    }
    drop(conn);

    let Received { blob_id, sha256, size } = receive(state, &mut body, &media_type, config.max_size).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Uploads of one organization finish one at a time, so that two cannot
    // both fit a quota that only one fits.
    db::organizations::lock(&mut tx, tenant.org_id).await?;
    within_quota(state, &mut tx, tenant.org_id, id, kind, u64::try_from(size).unwrap_or(u64::MAX)).await?;
    let blob_id = db::blobs::finish(&mut tx, blob_id, &sha256, size, now).await?;
    let application = db::applications::find_in_org(&mut tx, tenant.org_id, id).await?.ok_or(Error::NotFound)?;

    // The application may have been submitted while the bytes arrived.
    if !db::applications::touch_editable(&mut tx, tenant.org_id, id, now).await? {
        return Err(not_editable(&mut tx, id, "upload materials").await);
    }
    let material = MaterialRow {
        application_id: id,
        org_id: tenant.org_id,
        kind,
        filename,
        media_type,
        size,
        sha256,
        blob_id,
        uploaded_at: now,
    };
    db::materials::upsert(&mut tx, &material).await?;
    let note =
        format!("{}: {} ({} bytes, sha256 {})", kind.as_str(), material.filename, size, hex::encode(&material.sha256));
    procedure::record(&mut tx, &application, tenant.actor.into(), "upload_material", None, Some(note), now).await?;
    tx.commit().await?;
    Ok(material.into())
}

/// Fails with `QuotaExceeded` unless `size` more bytes, replacing the
/// material at `(id, kind)`, fit the organization's storage quota.
async fn within_quota(
    state: &AppState,
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
    kind: MaterialKind,
    size: u64,
) -> Result<()> {
    let quota = state.config.quota.storage_per_organization;
    let used = u64::try_from(db::materials::bytes_of_org(conn, org_id, id, kind).await?).unwrap_or(0);
    match used.checked_add(size) {
        Some(total) if total <= quota => Ok(()),
        _ => Err(Error::QuotaExceeded(format!(
            "the organization's materials would take {} of its {quota} bytes (quota.storage_per_organization); \
             {used} are in use",
            used.saturating_add(size)
        ))),
    }
}

/// A file received: its chunks, written under `blob_id`, await
/// `db::blobs::finish` in the transaction that records what the file is.
pub(super) struct Received {
    pub blob_id: Uuid,
    pub sha256: Vec<u8>,
    pub size: i64,
}

/// Receives an upload's body into chunks of a new blob, or refuses it as
/// [`stream_chunks`] says, leaving no chunk behind. Each chunk is written on
/// its own as it fills, with a pooled connection taken only for that write:
/// a slow upload holds no connection.
pub(super) async fn receive<S, E>(state: &AppState, body: &mut S, media_type: &str, max_size: u64) -> Result<Received>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let blob_id = Uuid::now_v7();
    match stream_chunks(state, blob_id, body, media_type, max_size).await {
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

/// Streams the body into chunks of `blob_id`: its SHA-256 and size, or why
/// it was refused (over `max_size`, empty, interrupted, or not of its
/// declared media type by its first bytes).
async fn stream_chunks<S, E>(
    state: &AppState,
    blob_id: Uuid,
    body: &mut S,
    media_type: &str,
    max_size: u64,
) -> Result<(Vec<u8>, i64)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let too_large = || Error::PayloadTooLarge(format!("a file may be at most {max_size} bytes"));
    let mut hasher = Sha256::new();
    let mut buffer = Vec::with_capacity(CHUNK);
    let (mut size, mut seq, mut sniffed) = (0u64, 0i32, false);
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| Error::field("body", format!("the upload was interrupted: {e}")))?;
        size += piece.len() as u64;
        if size > max_size {
            return Err(too_large());
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
    Ok((hasher.finalize().to_vec(), i64::try_from(size).map_err(|_| too_large())?))
}

/// Refuses a file whose first bytes contradict its declared media type (a
/// PDF sent as image/png, a program sent as application/pdf).
fn check_signature(media_type: &str, head: &[u8]) -> Result<()> {
    if media::is_plausibly(media_type, head) {
        return Ok(());
    }
    Err(Error::field("Content-Type", format!("the file is not {media_type}: its first bytes say otherwise")))
}

/// Deletes the material of `kind`.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, application_id = %id, kind = kind.as_str()))]
pub async fn delete(state: &AppState, tenant: Tenant, id: Uuid, kind: MaterialKind) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let application = editable(&mut tx, tenant.org_id, id, "delete materials").await?;
    if !db::applications::touch_editable(&mut tx, tenant.org_id, id, now).await? {
        return Err(not_editable(&mut tx, id, "delete materials").await);
    }
    if !db::materials::delete(&mut tx, id, kind).await? {
        return Err(Error::NotFound);
    }
    let actor: EventActor = tenant.actor.into();
    procedure::record(&mut tx, &application, actor, "delete_material", None, Some(kind.as_str().to_owned()), now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A material's description and its bytes as a stream of chunks.
pub struct Download {
    pub material: MaterialRow,
    pub chunks: Chunks,
}

/// The material's bytes, for its organization, or for staff once the
/// application has been submitted.
pub async fn download(state: &AppState, principal: Principal, id: Uuid, kind: MaterialKind) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let application = db::applications::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let allowed = match principal {
        Principal::User { role, .. } if role.is_staff() => {
            if !application.ever_submitted() {
                return Err(Error::NotFoundBecause(super::review::DRAFT_NOT_VISIBLE));
            }
            true
        }
        Principal::User { org_id, .. } => org_id == Some(application.org_id),
        Principal::ApiKey { org_id, .. } => org_id == application.org_id,
    };
    if !allowed {
        return Err(Error::NotFound);
    }
    let material = db::materials::find(&mut conn, id, kind).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let chunks = blob_chunks(state, material.blob_id);
    Ok(Download { material, chunks })
}

/// A stored file's bytes, as a stream of its chunks.
pub type Chunks = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, sqlx::Error>> + Send>>;

/// The chunks of a blob, one per query, each on a pooled connection: a slow
/// reader does not hold a connection for the whole download.
pub(super) fn blob_chunks(state: &AppState, blob_id: Uuid) -> Chunks {
    let pool = state.db.clone();
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
    Box::pin(chunks)
}

/// Deletes file contents that no material or objection evidence uses any
/// more (replaced or deleted materials; a blob an upload is about to reuse
/// is locked by that upload and skipped), and chunks of uploads abandoned an
/// hour ago.
pub async fn purge_unused_blobs(state: &AppState) -> Result<u64> {
    let mut tx = state.db.begin().await?;
    let purged = db::blobs::delete_unused(&mut tx, 100).await?;
    let before = state.clock.now() - chrono::Duration::hours(1);
    let abandoned = db::blobs::delete_abandoned_chunks(&mut tx, before).await?;
    tx.commit().await?;
    Ok(purged + abandoned)
}

/// The application, if the organization has it and it can still change.
async fn editable(conn: &mut PgConnection, org_id: Uuid, id: Uuid, what: &str) -> Result<ApplicationRow> {
    let application = db::applications::find_in_org(conn, org_id, id).await?.ok_or(Error::NotFound)?;
    if application.state.is_editable() { Ok(application) } else { Err(refusal(application.state, what)) }
}

async fn not_editable(conn: &mut sqlx::PgConnection, id: Uuid, what: &str) -> Error {
    match db::applications::find(conn, id).await {
        Ok(Some(application)) => refusal(application.state, what),
        Ok(None) => Error::NotFound,
        Err(error) => error.into(),
    }
}

fn refusal(state: ApplicationState, what: &str) -> Error {
    Error::InvalidTransition { subject: "application", from: state.to_string(), action: what.to_owned() }
}

/// The declared media type without parameters, if the registry accepts it.
pub(super) fn allowed_media_type(declared: Option<&str>, allowed: &[String]) -> Result<String> {
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

/// A safe file name: no directories, no control characters, at most 255
/// characters; the kind when none is given.
fn clean_filename(given: Option<&str>, kind: MaterialKind) -> String {
    safe_filename(given, kind.as_str())
}

/// [`clean_filename`], with `fallback` when none is given.
pub(super) fn safe_filename(given: Option<&str>, fallback: &str) -> String {
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
        assert_eq!(clean_filename(Some("../../etc/passwd"), MaterialKind::Summary), "passwd");
        assert_eq!(clean_filename(Some("C:\\docs\\申请表.pdf"), MaterialKind::Summary), "申请表.pdf");
        assert_eq!(clean_filename(Some("a\u{0}b.pdf"), MaterialKind::Summary), "ab.pdf");
        assert_eq!(clean_filename(Some(".."), MaterialKind::Sample), "sample");
        assert_eq!(clean_filename(None, MaterialKind::ApplicationForm), "application_form");
    }
}
