//! Evidence for an objection: files the objector attaches with the tracking
//! token while the objection is open. Never public: the holder organization
//! and registry staff read them. Stored, limited and checked as materials
//! are (streamed, hashed while received, one copy per content).

use std::net::IpAddr;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{
    Error, Result,
    files::{self, Download, Received, Rules, StoredFile, Upload},
    objections,
    procedure::{self, EventActor},
    throttle::{Throttle, address_key},
};
use crate::{
    auth::Principal,
    config::Config,
    db::{self, objection_evidence::EvidenceRow, objections::ObjectionRow},
    domain::{HistoryAction, ObjectionState},
    state::AppState,
};

/// Files one objection may carry.
pub const MAX_FILES: i64 = 5;

/// A file attached to an objection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceView {
    pub id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<EvidenceRow> for EvidenceView {
    fn from(row: EvidenceRow) -> Self {
        Self {
            id: row.id,
            filename: row.filename,
            media_type: row.media_type,
            size: row.size,
            sha256: hex::encode(&row.sha256),
            uploaded_at: row.uploaded_at,
        }
    }
}

fn throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "evidence.address",
        limit: config.throttle.evidence_per_address,
        window: config.throttle.evidence_window.get(),
    }
}

/// An open objection with room for another file, found by its tracking
/// token: what is checked before any of an upload's body is read.
pub struct Admitted {
    id: Uuid,
}

/// Admits an upload to objection `id`: 404 for a wrong id or token, 409
/// when the objection is no longer open, already has [`MAX_FILES`], or an
/// evidence quota is spent.
pub async fn admit(state: &AppState, id: Uuid, token: &str) -> Result<Admitted> {
    let mut conn = state.db.acquire().await?;
    let objection = objections::tracked(&mut conn, id, token, false).await?;
    takes_more(&mut conn, &objection).await?;
    within_quotas(state, &mut conn, &objection, 1).await?;
    Ok(Admitted { id })
}

/// Fails with `QuotaExceeded` unless `size` more bytes of evidence fit the
/// objection's, its announcement's and the day's quotas (`evidence.*`).
async fn within_quotas(state: &AppState, conn: &mut PgConnection, objection: &ObjectionRow, size: u64) -> Result<()> {
    let config = &state.config.evidence;
    let since = state.clock.now() - chrono::Duration::days(1);
    let (objection_bytes, announcement_bytes, day_bytes) =
        db::objection_evidence::bytes_used(conn, objection.id, objection.application_id, since).await?;
    let quotas = [
        ("this objection's evidence", objection_bytes, config.bytes_per_objection, "evidence.bytes_per_objection"),
        (
            "the evidence of every objection to this announcement",
            announcement_bytes,
            config.bytes_per_announcement,
            "evidence.bytes_per_announcement",
        ),
        (
            "the evidence the registry took in the last 24 hours",
            day_bytes,
            config.bytes_per_day,
            "evidence.bytes_per_day",
        ),
    ];
    for (what, used, quota, setting) in quotas {
        let used = u64::try_from(used).unwrap_or(0);
        if used.saturating_add(size) > quota {
            return Err(Error::QuotaExceeded(format!(
                "{what} would take more than {quota} bytes ({setting}); {used} are stored"
            )));
        }
    }
    Ok(())
}

/// Attaches a file to an open objection, for the holder of its tracking
/// token. Refused before the body is read when the token is wrong (404),
/// the objection is no longer open, already has [`MAX_FILES`] or a quota
/// is spent (409), the media type is not allowed (415), the declared length
/// is over `evidence.max_size` (413), or the client address is over its
/// budget (429). Once received, the file must fit the quotas too (409).
pub async fn upload<S, E>(
    state: &AppState,
    id: Uuid,
    token: &str,
    upload: Upload,
    body: S,
    client: IpAddr,
) -> Result<EvidenceView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let admitted = admit(state, id, token).await?;
    upload_admitted(state, admitted, upload, body, client).await
}

/// Attaches a file to an objection [`admit`] admitted (see [`upload`]).
#[tracing::instrument(skip_all, fields(objection_id = %admitted.id))]
pub async fn upload_admitted<S, E>(
    state: &AppState,
    admitted: Admitted,
    upload: Upload,
    mut body: S,
    client: IpAddr,
) -> Result<EvidenceView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let id = admitted.id;
    let rules = Rules {
        what: "an evidence file",
        max_size: state.config.evidence.max_size,
        media_types: &state.config.materials.media_types,
    };
    let media_type = upload.media_type(&rules)?;
    let filename = upload.filename("evidence");
    throttle(&state.config).take(&mut *state.db.acquire().await?, &address_key(client), state.clock.now()).await?;

    let Received { blob_id, sha256, size } = files::receive(state, &mut body, &media_type, &rules).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Locked: the objection cannot close, nor take a sixth file, meanwhile;
    // and no other upload's quotas are checked until this one is stored.
    let objection = db::objections::find_for_update(&mut tx, id).await?.ok_or(Error::NotFound)?;
    takes_more(&mut tx, &objection).await?;
    db::objection_evidence::lock_quotas(&mut tx).await?;
    within_quotas(state, &mut tx, &objection, u64::try_from(size).unwrap_or(u64::MAX)).await?;
    let blob_id = db::blobs::finish(&mut tx, blob_id, &sha256, size, now).await?;
    let row = EvidenceRow {
        id: Uuid::now_v7(),
        objection_id: id,
        org_id: objection.org_id,
        filename,
        media_type,
        size,
        sha256,
        blob_id,
        uploaded_at: now,
    };
    db::objection_evidence::insert(&mut tx, &row).await?;
    let application = db::applications::find(&mut tx, objection.application_id).await?.ok_or(Error::NotFound)?;
    let note =
        format!("evidence for objection {id}: {} ({size} bytes, sha256 {})", row.filename, hex::encode(&row.sha256));
    procedure::record(
        &mut tx,
        &application,
        EventActor::Public,
        HistoryAction::AddObjectionEvidence,
        None,
        Some(note),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(evidence_id = %row.id, size, "objection evidence received");
    Ok(row.into())
}

/// Fails unless the objection is open with room for another file.
async fn takes_more(conn: &mut PgConnection, objection: &ObjectionRow) -> Result<()> {
    if objection.state != ObjectionState::Open {
        return Err(Error::InvalidTransition {
            subject: "objection",
            from: objection.state.as_str().into(),
            action: "add evidence".into(),
        });
    }
    if db::objection_evidence::count(conn, objection.id).await? >= MAX_FILES {
        return Err(Error::Conflict(format!("an objection takes at most {MAX_FILES} evidence files; it has them")));
    }
    Ok(())
}

/// The objection to the application, if `principal` may read its evidence:
/// a user or API key of the holder organization, or registry staff.
async fn readable(
    conn: &mut PgConnection,
    principal: Principal,
    application_id: Uuid,
    objection_id: Uuid,
) -> Result<ObjectionRow> {
    let objection = db::objections::find(conn, objection_id)
        .await?
        .filter(|objection| objection.application_id == application_id)
        .ok_or(Error::NotFound)?;
    let allowed = match principal {
        Principal::User { role, .. } if role.is_staff() => true,
        Principal::User { org_id, .. } => org_id == Some(objection.org_id),
        Principal::ApiKey { org_id, .. } => org_id == objection.org_id,
    };
    if allowed { Ok(objection) } else { Err(Error::NotFound) }
}

/// An objection's evidence, oldest first.
pub async fn list(
    state: &AppState,
    principal: Principal,
    application_id: Uuid,
    objection_id: Uuid,
) -> Result<Vec<EvidenceView>> {
    let mut conn = state.db.acquire().await?;
    readable(&mut conn, principal, application_id, objection_id).await?;
    let rows = db::objection_evidence::of_objections(&mut conn, &[objection_id]).await?;
    Ok(rows.into_iter().map(EvidenceView::from).collect())
}

/// A file's bytes, for the holder organization and for staff.
pub async fn download(
    state: &AppState,
    principal: Principal,
    application_id: Uuid,
    objection_id: Uuid,
    evidence_id: Uuid,
) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    readable(&mut conn, principal, application_id, objection_id).await?;
    let evidence = db::objection_evidence::find(&mut conn, objection_id, evidence_id).await?.ok_or(Error::NotFound)?;
    let file = StoredFile {
        filename: evidence.filename,
        media_type: evidence.media_type,
        size: evidence.size,
        sha256: evidence.sha256,
    };
    Ok(Download::new(&state.db, file, evidence.blob_id))
}
