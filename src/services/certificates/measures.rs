//! Preservation measures (查封等保全措施): staff record an authority's order
//! holding a certificate, attach the scanned order, and lift it; the worker
//! lifts a measure whose term has ended. While one is in force the
//! certificate is not transferred, pledged, licensed or cancelled. Each
//! recording and lifting is a ledger entry, is audited, and the holder and
//! the pledgees registered here hear of it.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Staff,
    db::{
        self,
        certificates::CertificateRow,
        measures::{MeasureRow, OrderDocument},
    },
    domain::{ActDetails, ActKind, AuditAction, AuthorityName, DocumentNumber, MeasureKind, Reason, RecordDate},
    notifications::{EventKind, messages::Facts},
    services::{
        Error, Fields, Result,
        audit::{self, Audit, AuditActor},
        files::{self, Download, Rules, StoredFile, Upload},
        transparency::ledger,
    },
    state::AppState,
};
use tlog::{Entry, entry::Measure};

/// A measure as staff record it, from the authority's order.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeasure {
    /// The court, procuratorate, public security organ or administrative
    /// authority that ordered it.
    pub authority: AuthorityName,
    #[serde(deserialize_with = "crate::domain::fields::text")]
    #[eserde(compat)]
    pub kind: MeasureKind,
    /// The order's document number.
    pub document_number: DocumentNumber,
    /// Its first day (a date of the years 1900 to 9999).
    pub starts_on: RecordDate,
    /// Its last day, if the order sets one; not before `starts_on`. The
    /// worker lifts the measure after it.
    #[serde(default)]
    pub ends_on: Option<RecordDate>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftMeasure {
    /// Why: the authority's order lifting it, as staff read it.
    pub reason: Reason,
}

/// The scanned order, as staff see it (never public).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// A preservation measure, as staff see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeasureView {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub authority: String,
    pub kind: MeasureKind,
    pub document_number: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
    /// True until lifted.
    pub in_force: bool,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lift_reason: Option<String>,
    /// The scanned order, once uploaded.
    pub document: Option<OrderView>,
}

impl From<MeasureRow> for MeasureView {
    fn from(row: MeasureRow) -> Self {
        let document = match (row.document_filename, row.document_media_type, row.document_size, row.document_sha256) {
            (Some(filename), Some(media_type), Some(size), Some(sha256)) => {
                Some(OrderView { filename, media_type, size, sha256: hex::encode(sha256) })
            }
            _ => None,
        };
        Self {
            id: row.id,
            certificate_id: row.certificate_id,
            authority: row.authority,
            kind: row.kind,
            document_number: row.document_number,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            recorded_at: row.recorded_at,
            in_force: row.lifted_at.is_none(),
            lifted_at: row.lifted_at,
            lift_reason: row.lift_reason,
            document,
        }
    }
}

/// What the public record shows of a measure: all but the order itself and
/// who recorded or lifted it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicMeasure {
    pub authority: String,
    pub kind: MeasureKind,
    pub document_number: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub in_force: bool,
    pub lifted_at: Option<DateTime<Utc>>,
}

/// The acts a measure in force holds back: every change of who holds the
/// certificate or what it answers for.
const HELD_BACK: [ActKind; 4] = [ActKind::Transfer, ActKind::Pledge, ActKind::License, ActKind::Cancellation];

/// Refuses an act of a kind a measure holds back while one is in force
/// (`409 under_preservation`, naming it); checked when the act is filed and
/// again when it would take effect.
pub async fn ensure_not_held(conn: &mut PgConnection, certificate_id: Uuid, kind: ActKind) -> Result<()> {
    if !HELD_BACK.contains(&kind) {
        return Ok(());
    }
    match db::measures::first_in_force(conn, certificate_id).await? {
        None => Ok(()),
        Some(measure) => Err(Error::UnderPreservation {
            message: format!(
                "the certificate is under preservation: {} by {} ({}, measure {}); no {} until it is lifted",
                measure.kind.english().to_lowercase(),
                measure.authority,
                measure.document_number,
                measure.id,
                kind.as_str()
            ),
            measure_id: measure.id,
        }),
    }
}

/// The public record's measures, oldest first, in force or lifted.
pub async fn public(conn: &mut PgConnection, certificate_id: Uuid) -> Result<Vec<PublicMeasure>> {
    let rows = db::measures::of_certificate(conn, certificate_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| PublicMeasure {
            authority: row.authority,
            kind: row.kind,
            document_number: row.document_number,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            in_force: row.lifted_at.is_none(),
            lifted_at: row.lifted_at,
        })
        .collect())
}

/// Records a measure on an active certificate: in force at once, on the
/// ledger, audited, and the holder told.
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, certificate_id = %certificate_id))]
pub async fn record(state: &AppState, staff: Staff, certificate_id: Uuid, request: NewMeasure) -> Result<MeasureView> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let authority = fields.check("authority", request.authority.parse());
    let document_number = fields.check("document_number", request.document_number.parse());
    if let Some(ends_on) = request.ends_on
        && ends_on.date() < request.starts_on.date()
    {
        fields.add("ends_on", "must not be before starts_on");
    }
    fields.finish()?;
    let (Some(authority), Some(document_number)) = (authority, document_number) else {
        return Err(Error::field("authority", "invalid"));
    };
    let mut tx = state.db.begin().await?;
    let certificate = db::certificates::find_for_update(&mut tx, certificate_id).await?.ok_or(Error::NotFound)?;
    super::acts::ensure_active(&certificate, now)?;
    let row = MeasureRow {
        id: Uuid::now_v7(),
        certificate_id,
        authority: authority.into_string(),
        kind: request.kind,
        document_number: document_number.into_string(),
        starts_on: request.starts_on.date(),
        ends_on: request.ends_on.map(RecordDate::date),
        recorded_by: staff.user_id,
        recorded_at: now,
        document_filename: None,
        document_media_type: None,
        document_size: None,
        document_sha256: None,
        document_blob_id: None,
        lifted_at: None,
        lifted_by: None,
        lift_reason: None,
    };
    db::measures::insert(&mut tx, &row).await?;
    let entry = Entry::MeasureRecorded(ledger_measure(&certificate, &row, now));
    ledger::enqueue(&mut tx, &entry, ledger::Recording::Nothing, now).await?;
    let audit = Audit {
        action: AuditAction::MeasureRecord,
        target_id: row.id,
        before: None,
        after: Some(json!({"certificate_id": certificate_id, "kind": row.kind.as_str(),
            "authority": row.authority, "document_number": row.document_number})),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    tell_parties(&mut tx, state, &certificate, &row, EventKind::MeasureRecorded, now).await?;
    tx.commit().await?;
    tracing::info!(measure_id = %row.id, kind = row.kind.as_str(), "preservation measure recorded");
    Ok(row.into())
}

/// Attaches the scanned order to a measure (replacing an earlier scan).
pub async fn upload_order<S, E>(
    state: &AppState,
    staff: Staff,
    (certificate_id, measure_id): (Uuid, Uuid),
    upload: Upload,
    mut body: S,
) -> Result<MeasureView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let rules = Rules::scan(state, "an order");
    let media_type = upload.media_type(&rules)?;
    let filename = upload.filename("order");
    let found = db::measures::find_for_update(&mut *state.db.acquire().await?, certificate_id, measure_id).await?;
    found.ok_or(Error::NotFound)?;
    let received = files::receive(state, &mut body, &media_type, &rules).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let measure = db::measures::find_for_update(&mut tx, certificate_id, measure_id).await?.ok_or(Error::NotFound)?;
    let blob_id = db::blobs::finish(&mut tx, received.blob_id, &received.sha256, received.size, now).await?;
    let document = OrderDocument { filename, media_type, size: received.size, sha256: received.sha256, blob_id };
    db::measures::set_document(&mut tx, measure.id, &document).await?;
    let audit = Audit {
        action: AuditAction::MeasureUploadDocument,
        target_id: measure.id,
        before: None,
        after: Some(json!({"sha256": hex::encode(&document.sha256), "size": document.size})),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    tx.commit().await?;
    // The row as now stored, without reading it back.
    Ok(MeasureRow {
        document_filename: Some(document.filename),
        document_media_type: Some(document.media_type),
        document_size: Some(document.size),
        document_sha256: Some(document.sha256),
        document_blob_id: Some(document.blob_id),
        ..measure
    }
    .into())
}

/// The scanned order, for staff.
pub async fn download_order(state: &AppState, certificate_id: Uuid, measure_id: Uuid) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let measure = db::measures::find_for_update(&mut conn, certificate_id, measure_id).await?.ok_or(Error::NotFound)?;
    let (Some(filename), Some(media_type), Some(size), Some(sha256), Some(blob_id)) = (
        measure.document_filename,
        measure.document_media_type,
        measure.document_size,
        measure.document_sha256,
        measure.document_blob_id,
    ) else {
        return Err(Error::NotFoundBecause("no order has been uploaded for this measure"));
    };
    Ok(Download::new(&state.db, StoredFile { filename, media_type, size, sha256 }, blob_id))
}

/// The certificate's measures, for staff, oldest first.
pub async fn list(state: &AppState, certificate_id: Uuid) -> Result<Vec<MeasureView>> {
    let mut conn = state.db.acquire().await?;
    db::certificates::find(&mut conn, certificate_id).await?.ok_or(Error::NotFound)?;
    let rows = db::measures::of_certificate(&mut conn, certificate_id).await?;
    Ok(rows.into_iter().map(MeasureView::from).collect())
}

/// Lifts a measure in force, saying why.
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, measure_id = %measure_id))]
pub async fn lift(
    state: &AppState,
    staff: Staff,
    (certificate_id, measure_id): (Uuid, Uuid),
    request: LiftMeasure,
) -> Result<MeasureView> {
    let reason = request.reason.parse().map_err(|m| Error::field("reason", m))?.into_string();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let measure = db::measures::find_for_update(&mut tx, certificate_id, measure_id).await?.ok_or(Error::NotFound)?;
    let lifted = take_off(&mut tx, state, measure, Some(staff.user_id), &reason, now).await?;
    let audit = Audit {
        action: AuditAction::MeasureLift,
        target_id: measure_id,
        before: Some(json!({"in_force": true})),
        after: Some(json!({"in_force": false, "reason": reason})),
    };
    audit::record(&mut tx, AuditActor::Staff(staff.user_id), now, audit).await?;
    tx.commit().await?;
    Ok(lifted.into())
}

/// Lifts, in one transaction each batch, the measures whose term ended
/// before today (the registry's calendar): the worker's job. Answers how
/// many.
pub async fn lift_ended(state: &AppState) -> Result<u64> {
    let now = state.clock.now();
    let today = state.config.calendar.today(now);
    let mut tx = state.db.begin().await?;
    let ended = db::measures::ended_before(&mut tx, today, 100).await?;
    let count = ended.len() as u64;
    for measure in ended {
        let reason = format!("its term ended on {}", measure.ends_on.map(|d| d.to_string()).unwrap_or_default());
        take_off(&mut tx, state, measure, None, &reason, now).await?;
    }
    tx.commit().await?;
    Ok(count)
}

/// Lifts a locked measure: marked lifted, on the ledger, the holder told.
async fn take_off(
    conn: &mut PgConnection,
    state: &AppState,
    measure: MeasureRow,
    by: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<MeasureRow> {
    if !db::measures::lift(conn, measure.id, by, reason, now).await? {
        return Err(Error::InvalidTransition { subject: "measure", from: "lifted".into(), action: "lift".into() });
    }
    let certificate = db::certificates::find(conn, measure.certificate_id).await?.ok_or(Error::NotFound)?;
    let entry = Entry::MeasureLifted(ledger_measure(&certificate, &measure, now));
    ledger::enqueue(conn, &entry, ledger::Recording::Nothing, now).await?;
    tell_parties(conn, state, &certificate, &measure, EventKind::MeasureLifted, now).await?;
    tracing::info!(measure_id = %measure.id, "preservation measure lifted");
    Ok(MeasureRow { lifted_at: Some(now), lifted_by: by, lift_reason: Some(reason.to_owned()), ..measure })
}

/// The measure as the ledger shows it (recorded and lifted alike).
fn ledger_measure(certificate: &CertificateRow, measure: &MeasureRow, now: DateTime<Utc>) -> Measure {
    Measure {
        certificate_number: certificate.certificate_number.clone(),
        recorded_at: now,
        authority: measure.authority.clone(),
        kind: measure.kind.as_str().to_owned(),
        document_number: measure.document_number.clone(),
        starts_on: measure.starts_on,
        ends_on: measure.ends_on,
    }
}

/// The holder hears of a measure recorded or lifted, and so does every
/// pledgee of the certificate: the verified party holding its credit code
/// when registered here, else at the contact its pledge gave (pledges
/// recorded before pledgees gave contacts have none).
async fn tell_parties(
    conn: &mut PgConnection,
    state: &AppState,
    certificate: &CertificateRow,
    measure: &MeasureRow,
    kind: EventKind,
    now: DateTime<Utc>,
) -> Result<()> {
    let number = &certificate.certificate_number;
    let facts = Facts {
        product_name: Some(certificate.product_name.clone()),
        certificate_number: Some(number.clone()),
        reason: Some(format!("{} · {} · {}", measure.kind.chinese(), measure.authority, measure.document_number)),
        link: Some(crate::services::notifications::link(state, &format!("/certificates/{number}"))),
        ..Facts::default()
    };
    let mut parties = vec![certificate.org_id];
    for pledge in db::pledges::unreleased(conn, certificate.id).await? {
        match db::parties::find_verified_by_credit_code(conn, &pledge.pledgee_credit_code).await? {
            Some(pledgee) if !parties.contains(&pledgee.id) => parties.push(pledgee.id),
            Some(_) => {}
            // Not registered here: at the contact the pledge gave, if any.
            None => {
                let terms = db::acts::find(conn, pledge.act_id).await?.map(|act| act.details.0);
                if let Some(ActDetails::Pledge(terms)) = terms
                    && let Some(address) = &terms.pledgee.contact_email
                {
                    let lang = crate::domain::Lang::ZhCn;
                    crate::services::notifications::to_address(conn, state, address, lang, kind, &facts, now).await?;
                }
            }
        }
    }
    let notices: Vec<_> = parties
        .into_iter()
        .map(|org_id| crate::services::notifications::Notice {
            org_id,
            kind,
            facts: &facts,
            via: crate::services::notifications::Via::Both,
        })
        .collect();
    crate::services::notifications::to_organizations(conn, state, &notices, now).await
}
