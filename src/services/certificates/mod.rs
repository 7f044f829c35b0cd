//! Registration certificates: issued when an announcement ends with no
//! objection standing, signed, valid for the configured period, and looked
//! up by their holder and by the public.

pub mod acts;
pub mod check;
mod issuance;
pub mod measures;

use issuance::issue;
pub(in crate::services) use issuance::issue_each;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{
    Error, Result,
    procedure::{self, EventActor, Step},
    search::Search,
    theirs,
    transparency::ledger,
};
use crate::{
    auth::{Principal, Tenant},
    db::{
        self,
        applications::{ApplicationRow, TransitionChanges},
        certificates::{CertificateRow, PublicCertificateRow},
    },
    domain::{
        Action, Category, CertificateDocument, CertificateNumber, CertificateStatus, PartyKind, Product, RefusalGround,
        ValidityBound, ValidityBoundKind, authorization,
    },
    pagination::{Page, PageRequest},
    state::AppState,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use tlog::signing::Signature;
use tlog::verify::Disclosure;
use tlog::{Entry, Receipt};

/// What every view of a certificate shows: its numbers, current status and
/// validity, and the signed issuance record with its ledger receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateRecord {
    pub certificate_number: String,
    pub registration_number: String,
    /// active, expired, revoked or cancelled: the current state.
    pub status: CertificateStatus,
    pub valid_from: DateTime<Utc>,
    /// The current end of validity (a renewal moves it).
    pub valid_until: DateTime<Utc>,
    /// Present when the current `valid_until` is earlier than the validity
    /// period would give because the data's authorization ends first: the
    /// day the earliest data-source agreement ends (set at issuance, and
    /// again by each renewal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_bounded_by: Option<ValidityBound>,
    pub issued_at: DateTime<Utc>,
    pub document: CertificateDocument,
    pub signature: Signature,
    /// The receipt of the issuance entry; null until the worker appends it.
    pub ledger: Option<Receipt>,
}

impl From<CertificateRow> for CertificateRecord {
    fn from(row: CertificateRow) -> Self {
        Self {
            certificate_number: row.certificate_number,
            registration_number: row.registration_number,
            status: row.status,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            validity_bounded_by: row.validity_bound.map(|agreement_ends_on| ValidityBound {
                kind: ValidityBoundKind::DataSourceAgreement,
                agreement_ends_on,
            }),
            issued_at: row.issued_at,
            document: row.document.0,
            signature: row.signature.0,
            ledger: row.ledger.map(|receipt| receipt.0),
        }
    }
}

/// A certificate as its holder sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    pub application_id: Uuid,
    #[serde(flatten)]
    pub record: CertificateRecord,
}

impl From<CertificateRow> for CertificateView {
    fn from(row: CertificateRow) -> Self {
        Self { id: row.id, application_id: row.application_id, record: row.into() }
    }
}

/// A certificate's current holder, as the public record shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicHolder {
    /// An organization or a natural person.
    pub kind: PartyKind,
    pub name: String,
    /// An organization's unified social credit code (GB 32100-2015). A
    /// person's identity number is never public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// Registry staff have checked the holder's business licence (or a
    /// person's identity document): it is who its name and number say.
    pub verified: bool,
}

/// The public record of a certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCertificateView {
    #[serde(flatten)]
    pub record: CertificateRecord,
    /// The current holder.
    pub holder: PublicHolder,
    /// The product as registered now.
    pub product: Product,
    /// Current licenses (in the single record, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<acts::PublicLicense>>,
    /// Unreleased pledges (in the single record, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pledges: Option<Vec<acts::PublicPledge>>,
    /// Approved acts, oldest first, with their ledger indexes (in the single record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<acts::PublicAct>>,
    /// Preservation measures, in force and lifted, oldest first (in the
    /// single record). While one is `in_force`, the certificate is under
    /// preservation: not transferred, pledged, licensed or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measures: Option<Vec<measures::PublicMeasure>>,
}

impl From<PublicCertificateRow> for PublicCertificateView {
    fn from(row: PublicCertificateRow) -> Self {
        let certificate = &row.certificate;
        let product = Product {
            name: certificate.product_name.clone(),
            category: certificate.category,
            summary: certificate.r#abstract.clone(),
        };
        Self {
            holder: PublicHolder {
                kind: row.holder_kind,
                name: row.holder_name,
                credit_code: row.holder_credit_code,
                verified: row.holder_verified,
            },
            product,
            record: row.certificate.into(),
            licenses: None,
            pledges: None,
            history: None,
            measures: None,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryFilter {
    pub category: Option<Category>,
    /// Only certificates in this state now.
    pub status: Option<CertificateStatus>,
    /// Words of the product name, abstract or holder name (Chinese
    /// included), at most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// What registering an application came to.
#[derive(Debug)]
pub enum Registration {
    /// The certificate was issued and the application is `registered`.
    Issued(Box<CertificateRow>),
    /// A data-source agreement ended before issuance: nothing was issued
    /// and the application is `rejected`, with this reason.
    Refused(String),
}

/// Registers the application: issues its certificate and moves it to
/// `registered` by `action`, in the caller's transaction. Issuing twice is
/// impossible: the certificate is unique per application. If one of its
/// data-source agreements has ended meanwhile, nothing is issued and the
/// registry rejects it for an unlawful source.
pub async fn register(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    action: Action,
    actor: EventActor,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<Registration> {
    procedure::check(application, action)?;
    if let Some(reason) = lapsed_authorization(state, application, now) {
        let refused = procedure::apply(conn, application, lapse_step(reason.clone()), now).await?;
        crate::services::notifications::application_changed(conn, state, &refused, now).await?;
        tracing::info!(application_id = %application.id, "not registered: a data-source agreement ended");
        return Ok(Registration::Refused(reason));
    }
    let certificate = issue(conn, state, application, now).await?;
    let step = registration_step(action, actor, note, certificate.certificate_number.clone());
    let registered = procedure::apply(conn, application, step, now).await?;
    crate::services::notifications::application_changed(conn, state, &registered, now).await?;
    Ok(Registration::Issued(Box::new(certificate)))
}

/// The step that registers an application under its certificate's number.
pub(super) fn registration_step(
    action: Action,
    actor: EventActor,
    note: Option<String>,
    certificate_number: String,
) -> Step {
    let changes = TransitionChanges { certificate_number: Some(certificate_number), ..Default::default() };
    Step::new(action, actor).note(note).changes(changes)
}

/// The step that refuses an application, instead of registering it, for a
/// data-source agreement that ended (`reason`, from [`lapsed_authorization`]).
pub(super) fn lapse_step(reason: String) -> Step {
    let changes = TransitionChanges {
        decision_reason: Some(reason.clone()),
        refusal_grounds: Some(vec![RefusalGround::UnlawfulSource]),
        ..Default::default()
    };
    Step::new(Action::LapseAgreement, EventActor::System).note(Some(reason)).changes(changes)
}

/// The refusal ground `unlawful_source`, and why, when a data-source
/// agreement of the application ended before today.
// The ground leads the reason as a word until rejections carry their
// grounds in a field of their own.
pub(super) fn lapsed_authorization(
    state: &AppState,
    application: &ApplicationRow,
    now: DateTime<Utc>,
) -> Option<String> {
    let today = state.config.calendar.today(now);
    let ended = authorization::ended(&application.data_sources.0, today);
    let first = ended.first()?;
    let others: Vec<String> = ended[1..].iter().map(|a| format!("{a}, on {}", a.ends_on)).collect();
    let also = if others.is_empty() { String::new() } else { format!(" (and {})", others.join("; ")) };
    Some(format!(
        "unlawful_source: the agreement of {first} ended on {}{also}, before the certificate could be issued; \
         the data's authorization no longer supports the registration",
        first.ends_on
    ))
}

/// The organization's certificates, newest first.
pub async fn list(state: &AppState, tenant: Tenant, page: PageRequest<Uuid>) -> Result<Page<CertificateView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::certificates::list_in_org(&mut conn, tenant.org_id, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, CertificateView::from))
}

/// One of the organization's certificates.
pub async fn get(state: &AppState, tenant: Tenant, id: Uuid) -> Result<CertificateView> {
    let mut conn = state.db.acquire().await?;
    let row = db::certificates::find(&mut conn, id).await?;
    theirs(&tenant, row).map(CertificateView::from)
}

/// The openings of the certificate document's commitments (a person
/// holder's identity number), with its issuance entry and that entry's
/// inclusion in the latest checkpoint, so that `dataip verify --opening
/// FILE` checks them offline. Only for the party it was issued to, and for
/// registry staff; 404 for an organization's certificate (it commits to
/// nothing).
pub async fn holder_disclosure(state: &AppState, principal: Principal, id: Uuid) -> Result<Disclosure> {
    let mut conn = state.db.acquire().await?;
    let certificate = db::certificates::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let application = db::applications::find(&mut conn, certificate.application_id).await?.ok_or(Error::NotFound)?;
    let allowed = match principal {
        Principal::User { role, .. } if role.is_staff() => true,
        Principal::User { org_id, .. } => org_id == Some(application.org_id),
        Principal::ApiKey { org_id, .. } => org_id == application.org_id,
    };
    if !allowed {
        return Err(Error::NotFound);
    }
    let openings = db::certificates::openings(&mut conn, id).await?;
    drop(conn);
    if openings.is_empty() {
        return Err(Error::NotFound);
    }
    let (entry, receipt) = match certificate.ledger.as_ref().map(|receipt| receipt.leaf_index) {
        Some(index) => {
            let (bytes, receipt) = ledger::receipt(state, index).await?;
            (Some(STANDARD.encode(bytes)), Some(receipt))
        }
        None => (None, None),
    };
    Ok(Disclosure {
        act_id: None,
        certificate_number: certificate.certificate_number,
        openings,
        entry,
        ledger: receipt,
    })
}

/// What the PDF carries attached: what `dataip verify` and `/verify` read.
#[derive(Serialize)]
struct SignedCertificate<'a> {
    document: &'a CertificateDocument,
    signature: &'a Signature,
    ledger: Option<&'a Receipt>,
}

/// The certificate as an A4 PDF, for its holder.
pub async fn pdf(state: &AppState, tenant: Tenant, id: Uuid) -> Result<(String, Vec<u8>)> {
    let mut conn = state.db.acquire().await?;
    let certificate = theirs(&tenant, db::certificates::find(&mut conn, id).await?)?;
    let holder = db::parties::find(&mut conn, certificate.org_id).await?.ok_or(Error::NotFound)?;
    let in_force: Vec<String> = db::measures::of_certificate(&mut conn, certificate.id)
        .await?
        .into_iter()
        .filter(|measure| measure.lifted_at.is_none())
        .map(|m| {
            let until = m.ends_on.map_or_else(|| "解除之日".to_owned(), |day| day.to_string());
            format!("{} {} {} {} 至 {until}", m.kind.chinese(), m.authority, m.document_number, m.starts_on)
        })
        .collect();
    drop(conn);
    let zone = state.config.calendar.zone;
    let date = |at: DateTime<Utc>| at.with_timezone(&zone).format("%Y-%m-%d").to_string();
    let ledger_index = certificate.ledger.as_ref().map(|receipt| receipt.leaf_index);
    let signed = serde_json::to_vec_pretty(&SignedCertificate {
        document: &certificate.document.0,
        signature: &certificate.signature.0,
        ledger: certificate.ledger.as_ref().map(|receipt| &receipt.0),
    })
    .map_err(|e| Error::Internal(e.into()))?;
    let proof = match ledger_index {
        Some(index) => Some(crate::services::transparency::log_files::proof_of(state, index).await?),
        None => None,
    };
    let verify_url = format!(
        "{}/certificates/{}",
        state.config.registry.public_url.trim_end_matches('/'),
        certificate.certificate_number
    );
    let content = crate::pdf::CertificatePdf {
        registry_name: state.config.registry.name.clone(),
        certificate_number: certificate.certificate_number.clone(),
        registration_number: certificate.registration_number.clone(),
        holder_name: holder.name.clone(),
        holder_kind: holder.kind,
        holder_identity: holder.shown_identity(),
        product_name: certificate.product_name.clone(),
        category: certificate.category,
        status: certificate.status,
        valid_from: date(certificate.valid_from),
        // A bounded validity runs through the agreement's last day (it ends
        // at the midnight after it): that day is the one to print.
        valid_until: certificate
            .validity_bound
            .map_or_else(|| date(certificate.valid_until), |day| day.format("%Y-%m-%d").to_string()),
        validity_bound: certificate.validity_bound.map(|day| day.format("%Y-%m-%d").to_string()),
        measures: in_force,
        materials: certificate.document.materials.iter().map(|m| (m.kind, m.sha256.clone())).collect(),
        verify_url,
        signed,
        proof,
        key_id: state.signer.key_id().to_owned(),
        ledger_index,
    };
    // Rendering and font subsetting take a few milliseconds of CPU: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || crate::pdf::render(&content))
        .await
        .map_err(|e| Error::Internal(e.into()))??;
    Ok((certificate.certificate_number, bytes))
}

/// The public record of a certificate by its number: status, validity,
/// holder, current licenses and pledges, and the history of approved acts.
pub async fn public(state: &AppState, number: &str) -> Result<PublicCertificateView> {
    let number = CertificateNumber::parse(number).map_err(|_| Error::NotFound)?;
    let mut conn = state.public_read().await?;
    let row = db::certificates::find_public(&mut conn, number.as_str()).await?.ok_or(Error::NotFound)?;
    let (licenses, pledges, history) = acts::public_record(&mut conn, state, row.certificate.id).await?;
    let held = measures::public(&mut conn, row.certificate.id).await?;
    let mut view = PublicCertificateView::from(row);
    (view.licenses, view.pledges, view.history) = (Some(licenses), Some(pledges), Some(history));
    view.measures = Some(held);
    Ok(view)
}

/// The public register of registered products, newest first.
pub async fn registry(
    state: &AppState,
    filter: RegistryFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<PublicCertificateView>> {
    let search = Search::parse(filter.q.as_deref())?;
    let mut conn = state.public_read().await?;
    let rows = db::certificates::search_public(
        &mut conn,
        filter.category,
        filter.status,
        search.patterns(),
        page.after,
        page.fetch_limit(),
    )
    .await?;
    Ok(page.page(rows, |row| (row.certificate.issued_at, row.certificate.id), PublicCertificateView::from))
}

/// Marks certificates whose validity ended as expired, each with its ledger
/// entry, a batch at a time; safe with several workers at once.
pub async fn expire_due(state: &AppState, batch: i64) -> Result<u64> {
    let mut expired = 0;
    loop {
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let due = db::certificates::lock_due_expiries(&mut tx, now, batch).await?;
        db::acts::reject_pending(&mut tx, &due, None, "moot: the certificate expired", now).await?;
        for certificate in db::certificates::expire(&mut tx, &due, now).await? {
            let entry = Entry::CertificateExpired {
                certificate_number: certificate.certificate_number,
                recorded_at: now,
                valid_until: certificate.valid_until,
            };
            ledger::enqueue(&mut tx, &entry, ledger::Recording::Nothing, now).await?;
            expired += 1;
        }
        tx.commit().await?;
        if (due.len() as i64) < batch {
            return Ok(expired);
        }
    }
}

/// Certificates valid now.
pub async fn active_count(state: &AppState) -> Result<i64> {
    Ok(db::certificates::count_active(&mut *state.public_read().await?).await?)
}

/// The latest changes to the register (issuances, expiries, revocations
/// and cancellations), latest first, for the gazette's feed.
pub async fn recent_changes(state: &AppState, limit: i64) -> Result<Vec<db::certificates::ChangeRow>> {
    Ok(db::certificates::recent_changes(&mut *state.public_read().await?, limit).await?)
}

/// How many certificates the register holds, whatever their status.
pub async fn count(state: &AppState) -> Result<i64> {
    Ok(db::certificates::count(&mut *state.public_read().await?).await?)
}

/// Certificates' numbers and when each record last changed, in number
/// order: `limit` past the first `offset` (a part of the sitemap).
pub async fn numbers(state: &AppState, offset: i64, limit: i64) -> Result<Vec<(String, DateTime<Utc>)>> {
    Ok(db::certificates::numbers(&mut *state.public_read().await?, offset, limit).await?)
}
