//! Verified applicants. Anyone may sign up with any valid credit code, so
//! a new organization is `unverified`: its owner uploads the business
//! licence (`pending`), registry staff check it and verify the organization
//! (correcting its name to the licence's if need be) or refuse the licence
//! with a reason (`refused`; uploading another makes it `pending` again).
//! Only a verified organization submits applications and receives
//! transferred certificates, and a credit code is held by at most one
//! verified organization. An operator may also verify from the command
//! line, having seen the licence by other means.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{
    Error, Result,
    accounts::PartyView,
    audit::{self, Audit, AuditActor},
    files::{self, Download, Rules, StoredFile, Upload},
};
use crate::{
    auth::{Owner, Staff},
    db::{
        self,
        business_licences::BusinessLicenceRow,
        parties::{PartyRow, VerificationChange},
    },
    domain::{
        AuditAction, CreditCode, IdNumber, Name, OrganizationName, PartyKind, Reason, Verification, VerificationStep,
    },
    notifications::{EventKind, messages::Facts},
    pagination::{Page, PageRequest},
    state::AppState,
};

/// An organization's business licence as stored: never its contents.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessLicenceView {
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the file, in hex.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<BusinessLicenceRow> for BusinessLicenceView {
    fn from(row: BusinessLicenceRow) -> Self {
        Self {
            filename: row.filename,
            media_type: row.media_type,
            size: row.size,
            sha256: hex::encode(&row.sha256),
            uploaded_at: row.uploaded_at,
        }
    }
}

/// An organization with where its verification stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDetails {
    #[serde(flatten)]
    pub organization: PartyView,
    /// When it entered its current verification state (for `pending`: when
    /// its licence was first uploaded since the last decision).
    pub verification_changed_at: DateTime<Utc>,
    /// Why registry staff refused its business licence, while `refused`.
    pub refusal_reason: Option<String>,
    /// The business licence last uploaded; null if none.
    pub business_licence: Option<BusinessLicenceView>,
}

impl OrganizationDetails {
    fn new(row: PartyRow, licence: Option<BusinessLicenceRow>) -> Self {
        Self {
            verification_changed_at: row.verification_changed_at,
            refusal_reason: row.refusal_reason.clone(),
            business_licence: licence.map(BusinessLicenceView::from),
            organization: row.into(),
        }
    }

    async fn load(conn: &mut PgConnection, row: PartyRow) -> Result<Self> {
        let licence = db::business_licences::find(conn, row.id).await?;
        Ok(Self::new(row, licence))
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerificationFilter {
    /// Parties in this verification state (default `pending`).
    pub verification: Option<Verification>,
    /// Only parties of this kind (`/admin/parties`; `/admin/organizations`
    /// lists organizations only).
    pub kind: Option<PartyKind>,
}

/// Staff verify an organization, optionally correcting its name.
#[derive(Debug, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The organization's name as its business licence gives it, if the
    /// name it signed up with differs; left out, the name stays.
    #[serde(default)]
    pub name: Option<OrganizationName>,
}

/// Staff refuse an organization's business licence.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    /// Why, for the organization's owner: what is wrong with the licence.
    pub reason: Reason,
}

/// The organization, with its verification and licence.
pub async fn get(state: &AppState, org_id: Uuid) -> Result<OrganizationDetails> {
    let mut conn = state.db.acquire().await?;
    let row = db::parties::find(&mut conn, org_id).await?.ok_or(Error::NotFound)?;
    OrganizationDetails::load(&mut conn, row).await
}

/// Stores the organization's business licence, replacing any earlier one,
/// and makes the organization `pending` (from `unverified` or `refused`;
/// a pending one keeps its place in the queue). Refused before the body is
/// read when the media type is not allowed (415), the declared length is
/// over the limit (413), or the organization is verified already (409).
#[tracing::instrument(skip_all, fields(org_id = %owner.org_id))]
pub async fn upload_licence<S, E>(
    state: &AppState,
    owner: Owner,
    upload: Upload,
    mut body: S,
) -> Result<OrganizationDetails>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let rules = Rules::scan(state, "a business licence");
    let media_type = upload.media_type(&rules)?;
    let filename = upload.filename("business_licence");
    let current = db::parties::find(&mut *state.db.acquire().await?, owner.org_id).await?;
    next(&current.ok_or(Error::NotFound)?, VerificationStep::UploadLicence)?;

    let received = files::receive(state, &mut body, &media_type, &rules).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Verified while the bytes arrived: the licence on record stays.
    let current = db::parties::find_for_update(&mut tx, owner.org_id).await?.ok_or(Error::NotFound)?;
    let to = next(&current, VerificationStep::UploadLicence)?;
    let blob_id = db::blobs::finish(&mut tx, received.blob_id, &received.sha256, received.size, now).await?;
    let licence = BusinessLicenceRow {
        org_id: owner.org_id,
        filename,
        media_type,
        size: received.size,
        sha256: received.sha256,
        blob_id,
        uploaded_by: owner.user_id,
        uploaded_at: now,
    };
    db::business_licences::upsert(&mut tx, &licence).await?;
    let row = match current.verification == to {
        true => current,
        false => {
            let change = VerificationChange { to, decided_by: None, refusal_reason: None, name: None };
            changed(db::parties::change_verification(&mut tx, owner.org_id, current.verification, change, now).await?)?
        }
    };
    tx.commit().await?;
    tracing::info!(size = licence.size, "business licence uploaded");
    Ok(OrganizationDetails::new(row, Some(licence)))
}

/// The organization's business licence: for the organization, and for
/// staff. Never public.
pub async fn download_licence(state: &AppState, org_id: Uuid) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let licence = db::business_licences::find(&mut conn, org_id).await?.ok_or(Error::NotFound)?;
    Ok(licence_download(state, licence))
}

fn licence_download(state: &AppState, licence: BusinessLicenceRow) -> Download {
    let file = StoredFile {
        filename: licence.filename,
        media_type: licence.media_type,
        size: licence.size,
        sha256: licence.sha256,
    };
    Download::new(&state.db, file, licence.blob_id)
}

/// The party's document as staff download it. A person's identity document
/// is sensitive personal information: each download by staff is audited
/// (`person.download_document`), before the file is served.
pub async fn download_licence_as_staff(state: &AppState, staff: Staff, id: Uuid) -> Result<Download> {
    let mut conn = state.db.acquire().await?;
    let party = db::parties::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let licence = db::business_licences::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    if party.kind == PartyKind::Person {
        let audit = Audit {
            action: AuditAction::PersonDownloadDocument,
            target_id: id,
            before: None,
            // Not the filename: a person may have named the file after the
            // number, and the audit log is append-only.
            after: Some(json!({"sha256": hex::encode(&licence.sha256), "size": licence.size})),
        };
        audit::record(&mut conn, AuditActor::Staff(staff.user_id), state.clock.now(), audit).await?;
    }
    Ok(licence_download(state, licence))
}

/// Deletes the identity documents of persons with nothing under way for
/// `registry.identity_document_retention` (see
/// [`db::business_licences::delete_idle_identity_documents`]). A person
/// stays verified; staff can no longer download the document.
pub async fn purge_idle_identity_documents(state: &AppState, now: DateTime<Utc>) -> Result<u64> {
    let retention = &state.config.registry.identity_document_retention;
    let Some(before) = retention.before(&now) else { return Ok(0) };
    let mut conn = state.db.acquire().await?;
    let purged = db::business_licences::delete_idle_identity_documents(&mut conn, before).await?;
    if purged > 0 {
        tracing::info!(purged, "identity documents past their retention deleted");
    }
    Ok(purged)
}

/// Staff's queue: organizations in a verification state (default
/// `pending`), the longest in it first.
pub async fn queue(
    state: &AppState,
    filter: VerificationFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<OrganizationDetails>> {
    let wanted = filter.verification.unwrap_or(Verification::Pending);
    let mut conn = state.db.acquire().await?;
    let rows =
        db::parties::list_by_verification(&mut conn, wanted, filter.kind, page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| (row.verification_changed_at, row.id), |row| row);
    Ok(Page { items: with_licences(&mut conn, rows.items).await?, next_cursor: rows.next_cursor })
}

/// Staff verify a pending organization, whose licence they have checked,
/// correcting its name to the licence's if asked. `licence_seen` is the
/// SHA-256 of the licence they read (its `ETag`, sent back as `If-Match`):
/// should the owner have replaced it since, nothing changes (412), so no
/// organization is verified on a licence no one opened. Required (428).
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, org_id = %id))]
pub async fn verify(
    state: &AppState,
    staff: Staff,
    id: Uuid,
    request: VerifyRequest,
    licence_seen: Option<[u8; 32]>,
) -> Result<OrganizationDetails> {
    let licence_seen = licence_seen.ok_or_else(|| {
        Error::PreconditionRequired(
            "send If-Match with the ETag of the business licence you checked (GET \
             /api/v1/admin/organizations/{id}/business-licence), so that a licence replaced meanwhile is not \
             verified unseen"
                .into(),
        )
    })?;
    let name = parse_name(request.name.as_ref().map(OrganizationName::as_str))?;
    let decision = Decision {
        step: VerificationStep::Verify,
        decided_by: Some(staff.user_id),
        refusal_reason: None,
        name: name.as_deref(),
        licence_seen: Some(licence_seen),
    };
    let row = decide(state, id, decision).await?;
    let mut conn = state.db.acquire().await?;
    OrganizationDetails::load(&mut conn, row).await
}

/// Staff refuse a pending organization's licence, saying why.
#[tracing::instrument(skip_all, fields(staff_id = %staff.user_id, org_id = %id))]
pub async fn refuse(state: &AppState, staff: Staff, id: Uuid, request: RefuseRequest) -> Result<OrganizationDetails> {
    let reason = request.reason.parse().map_err(|m| Error::field("reason", m))?.into_string();
    let decision = Decision {
        step: VerificationStep::Refuse,
        decided_by: Some(staff.user_id),
        refusal_reason: Some(&reason),
        name: None,
        licence_seen: None,
    };
    let row = decide(state, id, decision).await?;
    let mut conn = state.db.acquire().await?;
    OrganizationDetails::load(&mut conn, row).await
}

/// Every organization that claims the credit code, oldest first (for an
/// operator choosing which to verify).
pub async fn claimants(state: &AppState, credit_code: &str) -> Result<Vec<OrganizationDetails>> {
    let code = CreditCode::parse(credit_code).map_err(|e| Error::field("credit_code", e.to_string()))?;
    let mut conn = state.db.acquire().await?;
    let rows = db::parties::with_credit_code(&mut conn, code.as_str()).await?;
    with_licences(&mut conn, rows).await
}

/// Every person who claims the identity number, oldest first, each with
/// their document.
pub async fn claimants_by_id_number(state: &AppState, id_number: &str) -> Result<Vec<OrganizationDetails>> {
    let number = IdNumber::parse(id_number).map_err(|e| Error::field("id_number", e.to_string()))?;
    let mut conn = state.db.acquire().await?;
    let rows = db::parties::with_id_number(&mut conn, number.expose()).await?;
    with_licences(&mut conn, rows).await
}

/// An operator verifies an organization from the command line, having
/// checked its licence by other means: from any state but `verified`, with
/// or without a licence uploaded.
#[tracing::instrument(skip_all, fields(org_id = %id))]
pub async fn verify_by_operator(state: &AppState, id: Uuid, name: Option<&str>) -> Result<OrganizationDetails> {
    let name = parse_name(name)?;
    let decision = Decision {
        step: VerificationStep::VerifyByOperator,
        decided_by: None,
        refusal_reason: None,
        name: name.as_deref(),
        licence_seen: None,
    };
    let row = decide(state, id, decision).await?;
    let mut conn = state.db.acquire().await?;
    OrganizationDetails::load(&mut conn, row).await
}

/// Refuses with 409 `organization_unverified` (`party_unverified` for a
/// person) unless the party is verified: what it asks for needs it to be.
pub async fn ensure_verified(conn: &mut PgConnection, org_id: Uuid, what: &str) -> Result<()> {
    let party = db::parties::find(conn, org_id).await?.ok_or(Error::NotFound)?;
    let document = match party.kind {
        PartyKind::Organization => "business licence",
        PartyKind::Person => "identity document",
    };
    let why = match party.verification {
        Verification::Verified => return Ok(()),
        Verification::Unverified => {
            format!("upload the {document} (PUT /api/v1/party/verification-document) for registry staff to check")
        }
        Verification::Pending => format!("the {document} awaits registry staff"),
        Verification::Refused => format!(
            "registry staff refused the {document} ({}); upload a new one",
            party.refusal_reason.as_deref().unwrap_or("no reason given")
        ),
    };
    let message = format!("the {} must be verified to {what}, and is {}: {why}", party.kind, party.verification);
    Err(match party.kind {
        PartyKind::Organization => Error::OrganizationUnverified(message),
        PartyKind::Person => Error::PartyUnverified(message),
    })
}

/// A decision on an organization's verification.
struct Decision<'a> {
    step: VerificationStep,
    /// The member of staff deciding; `None` for an operator.
    decided_by: Option<Uuid>,
    refusal_reason: Option<&'a str>,
    /// The name to correct the organization's to.
    name: Option<&'a str>,
    /// The SHA-256 of the licence the decision was made on.
    licence_seen: Option<[u8; 32]>,
}

/// Applies a decision to the organization, in one transaction: verifying
/// makes it the holder of its credit code, which a second organization
/// cannot become. The organization is locked first, as an upload locks it
/// before replacing the licence, so the licence compared is the one on
/// record when the decision takes effect.
async fn decide(state: &AppState, id: Uuid, decision: Decision<'_>) -> Result<PartyRow> {
    let Decision { step, decided_by, refusal_reason, name, licence_seen } = decision;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = db::parties::find_for_update(&mut tx, id).await?.ok_or(Error::NotFound)?;
    let to = next(&current, step)?;
    if let Some(seen) = licence_seen {
        let on_record = db::business_licences::find(&mut tx, id).await?;
        if on_record.as_ref().is_none_or(|licence| licence.sha256 != seen) {
            return Err(Error::PreconditionFailed(format!(
                "the business licence is not the one you checked (If-Match \"{}\"): its owner replaced it; \
                 download it again (now {}) and check that one",
                hex::encode(seen),
                on_record.map_or_else(|| "none".to_owned(), |licence| format!("\"{}\"", hex::encode(licence.sha256)))
            )));
        }
    }
    if to == Verification::Verified
        && let Some(holder) = db::parties::find_verified(&mut tx, current.identity()).await?
    {
        return Err(held_by(&holder));
    }
    let change = VerificationChange { to, decided_by, refusal_reason, name };
    let updated = db::parties::change_verification(&mut tx, id, current.verification, change, now).await;
    let row = match updated {
        Ok(row) => changed(row)?,
        // Another party with the code or number was verified a moment ago.
        Err(error)
            if matches!(
                db::violated_constraint(&error),
                Some("organizations_verified_credit_code_key" | "organizations_verified_id_number_key")
            ) =>
        {
            return Err(Error::Conflict(format!(
                "{} was just verified for another {}",
                current.shown_identity(),
                current.kind
            )));
        }
        Err(error) => return Err(error.into()),
    };
    let audit = Audit {
        action: match (step, current.kind) {
            (VerificationStep::Refuse, PartyKind::Organization) => AuditAction::OrganizationRefuse,
            (_, PartyKind::Organization) => AuditAction::OrganizationVerify,
            (VerificationStep::Refuse, PartyKind::Person) => AuditAction::PersonRefuse,
            (_, PartyKind::Person) => AuditAction::PersonVerify,
        },
        target_id: id,
        before: Some(json!({"verification": current.verification.to_string(), "name": current.name})),
        after: Some(json!({"verification": row.verification.to_string(), "name": row.name, "reason": refusal_reason})),
    };
    let actor = decided_by.map_or(AuditActor::Cli, AuditActor::Staff);
    audit::record(&mut tx, actor, now, audit).await?;
    let (kind, reason) = match row.verification {
        Verification::Refused => (EventKind::OrganizationRefused, refusal_reason.map(str::to_owned)),
        _ => (EventKind::OrganizationVerified, None),
    };
    let facts = Facts { organization_name: Some(row.name.clone()), reason, ..Facts::default() };
    crate::services::notifications::to_organization(&mut tx, state, id, kind, &facts, now).await?;
    tx.commit().await?;
    tracing::info!(verification = %row.verification, "organization {}", row.verification);
    Ok(row)
}

/// The state `step` leads to, or why it cannot be taken.
fn next(org: &PartyRow, step: VerificationStep) -> Result<Verification> {
    org.verification.after(step).ok_or_else(|| Error::InvalidTransition {
        subject: "organization",
        from: org.verification.to_string(),
        action: step.as_str().to_owned(),
    })
}

/// The row a guarded update returned: the organization was locked, so it
/// cannot have left the state it was read in.
fn changed(row: Option<PartyRow>) -> Result<PartyRow> {
    row.ok_or_else(|| anyhow::anyhow!("a locked organization changed its verification").into())
}

/// Each organization with its licence.
async fn with_licences(conn: &mut PgConnection, rows: Vec<PartyRow>) -> Result<Vec<OrganizationDetails>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut licences = db::business_licences::of_organizations(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let licence = licences.iter().position(|l| l.org_id == row.id).map(|at| licences.swap_remove(at));
            OrganizationDetails::new(row, licence)
        })
        .collect())
}

fn held_by(holder: &PartyRow) -> Error {
    Error::Conflict(format!(
        "{} is already held by a verified {} ({}, {}); refuse this one",
        holder.shown_identity(),
        holder.kind,
        holder.name,
        holder.id
    ))
}

fn parse_name(name: Option<&str>) -> Result<Option<String>> {
    name.map(|name| OrganizationName::from(name).parse().map(Name::into_string).map_err(|m| Error::field("name", m)))
        .transpose()
}
