//! An application's materials: uploaded as a stream, hashed while received,
//! stored once per content, downloadable by the organization and by staff.

use bytes::Bytes;
use futures_util::Stream;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::services::{
    Error, Result,
    files::{self, Download, Rules, StoredFile, Upload},
    procedure::{self, EventActor},
    registration::application_views::MaterialView,
};
use crate::{
    auth::{Principal, Tenant},
    db::{self, applications::ApplicationRow, materials::MaterialRow},
    domain::{ApplicationState, HistoryAction, MaterialKind},
    state::AppState,
};

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
    let rules = Rules { what: "a material", max_size: config.max_size, media_types: &config.media_types };
    let media_type = upload.media_type(&rules)?;
    let filename = upload.filename(kind.as_str());

    // Refused before a byte is read if the application cannot change, or
    // if the declared length would not fit the organization's quota.
    let mut conn = state.db.acquire().await?;
    editable(&mut conn, tenant.org_id, id, "upload materials").await?;
    if let Some(length) = upload.length {
        within_quota(state, &mut conn, tenant.org_id, id, kind, length).await?;
    }
    drop(conn);

    let received = files::receive(state, &mut body, &media_type, &rules).await?;
    let (sha256, size) = (received.sha256, received.size);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Uploads of one organization finish one at a time, so that two cannot
    // both fit a quota that only one fits.
    db::parties::lock(&mut tx, tenant.org_id).await?;
    within_quota(state, &mut tx, tenant.org_id, id, kind, u64::try_from(size).unwrap_or(u64::MAX)).await?;
    let blob_id = db::blobs::finish(&mut tx, received.blob_id, &sha256, size, now).await?;
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
    procedure::record(&mut tx, &application, tenant.actor.into(), HistoryAction::UploadMaterial, None, Some(note), now)
        .await?;
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
    procedure::record(
        &mut tx,
        &application,
        actor,
        HistoryAction::DeleteMaterial,
        None,
        Some(kind.as_str().to_owned()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The material's bytes, for its organization, or for staff once the
/// application has been submitted.
pub async fn download(state: &AppState, principal: Principal, id: Uuid, kind: MaterialKind) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let application = db::applications::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let allowed = match principal {
        Principal::User { role, .. } if role.is_staff() => {
            if !application.ever_submitted() {
                return Err(Error::NotFoundBecause(crate::services::registration::review::DRAFT_NOT_VISIBLE));
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
    let file = StoredFile {
        filename: material.filename,
        media_type: material.media_type,
        size: material.size,
        sha256: material.sha256,
    };
    Ok(Download::new(&state.db, file, material.blob_id))
}

/// Deletes file contents that nothing uses any more (replaced or deleted
/// materials, replaced business licences; a blob an upload is about to
/// reuse is locked by that upload and skipped), and chunks of uploads
/// abandoned an hour ago.
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
