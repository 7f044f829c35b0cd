//! A pledgee's written consent, uploaded by the holder as an act's
//! document: how the pledgee of a pledge recorded before pledgees had
//! contacts (and not registered here) gives its word. The upload gives the
//! word; staff then review the document with the act, and reject the act
//! if it does not bear the consent.

use std::net::IpAddr;

use bytes::Bytes;
use futures_util::Stream;
use uuid::Uuid;

use super::{ActView, confirmations};
use crate::{
    auth::{Actor, Tenant},
    db::{self, act_documents::ActDocumentRow},
    services::{
        Error, Result,
        files::{self, Download, Rules, StoredFile, Upload},
        theirs,
    },
    state::AppState,
};

/// Uploads the written consent of an act on one of the party's
/// certificates (the raw bytes, streamed), replacing an earlier upload;
/// the act then settles as when a counterparty answers.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, act_id = %act_id))]
pub async fn upload<S, E>(
    state: &AppState,
    tenant: Tenant,
    (certificate_id, act_id): (Uuid, Uuid),
    upload: Upload,
    client: IpAddr,
    mut body: S,
) -> Result<ActView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let rules = Rules::scan(state, "a written consent");
    let media_type = upload.media_type(&rules)?;
    let filename = upload.filename("consent");
    {
        let mut conn = state.db.acquire().await?;
        theirs(&tenant, db::certificates::find(&mut conn, certificate_id).await?)?;
        let act = db::acts::find(&mut conn, act_id).await?.filter(|act| act.certificate_id == certificate_id);
        // Refused before the bytes are read when the act awaits none.
        confirmations::awaited_in_writing(&mut conn, &act.ok_or(Error::NotFound)?).await?;
    }
    let received = files::receive(state, &mut body, &media_type, &rules).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    theirs(&tenant, db::certificates::find_for_update(&mut tx, certificate_id).await?)?;
    let act = db::acts::find_for_update(&mut tx, act_id)
        .await?
        .filter(|act| act.certificate_id == certificate_id)
        .ok_or(Error::NotFound)?;
    let blob_id = db::blobs::finish(&mut tx, received.blob_id, &received.sha256, received.size, now).await?;
    let by = match tenant.actor {
        Actor::User(id) | Actor::ApiKey(id) => id,
    };
    let document = ActDocumentRow {
        act_id,
        filename,
        media_type,
        size: received.size,
        sha256: received.sha256,
        blob_id,
        uploaded_by: by,
        uploaded_at: now,
    };
    db::act_documents::put(&mut tx, &document).await?;
    let user = matches!(tenant.actor, Actor::User(_)).then_some(by);
    let act = confirmations::given_in_writing(&mut tx, state, &act, user, client, now).await?;
    tx.commit().await?;
    tracing::info!("written consent uploaded");
    Ok(ActView::full(act))
}

/// Who reads an act's written consent.
pub enum Reader {
    /// The party holding the certificate, by the certificate's id.
    Holder(Tenant, Uuid),
    Staff,
}

/// The act's written consent, as uploaded; to any other reader than its
/// certificate's holder and staff the act does not exist.
pub async fn download(state: &AppState, reader: Reader, act_id: Uuid) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let act = db::acts::find(&mut conn, act_id).await?.ok_or(Error::NotFound)?;
    if let Reader::Holder(tenant, certificate_id) = reader {
        let certificate = db::certificates::find(&mut conn, certificate_id).await?;
        theirs(&tenant, certificate.filter(|c| c.id == act.certificate_id))?;
    }
    let document = db::act_documents::find(&mut conn, act_id)
        .await?
        .ok_or(Error::NotFoundBecause("no written consent has been uploaded for this act"))?;
    let file = StoredFile {
        filename: document.filename,
        media_type: document.media_type,
        size: document.size,
        sha256: document.sha256,
    };
    Ok(Download::new(&state.db, file, document.blob_id))
}
