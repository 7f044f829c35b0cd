//! Issuing certificates: the signed issuance document, its holder as the
//! document names it (a person by a commitment), the stored row, the
//! openings of its commitments, and its ledger entry; one application at a
//! time, or a batch set-based (the worker's).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::services::{Error, Result, transparency::ledger};
use crate::{
    db::{self, applications::ApplicationRow, certificates::CertificateRow, materials::MaterialRow, parties::PartyRow},
    domain::{CertificateDocument, CertificateNumber, CertificateStatus, Issuer, Party, Product, authorization},
    state::AppState,
};
use tlog::signing::canonical_json;
use tlog::{
    Entry,
    commitment::{Opening, Openings},
    document::HOLDER_ID_NUMBER,
};

pub(super) async fn issue(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    now: DateTime<Utc>,
) -> Result<CertificateRow> {
    let holder = db::parties::find(conn, application.org_id).await?.ok_or(Error::NotFound)?;
    let materials = db::materials::of_applications(conn, &[application.id]).await?;
    let serial = db::certificates::next_serial(conn).await?;
    let (row, openings) = certificate(state, application, &holder, &materials, serial, now)?;
    if !db::certificates::insert(conn, &row).await? {
        // Issued meanwhile by another transaction: that one stands.
        return db::certificates::find_for_application(conn, application.id).await?.ok_or(Error::NotFound);
    }
    if let Some(openings) = openings {
        db::certificates::insert_openings(conn, &[(row.id, openings)]).await?;
    }
    ledger::enqueue(conn, &issuance_entry(&row), ledger::Recording::Certificate(row.id), now).await?;
    tracing::info!(certificate_number = %row.certificate_number, application_id = %application.id, "certificate issued");
    Ok(row)
}

/// [`issue`] for many applications, set-based: their holders, materials
/// and serials fetched in one query each, the certificates stored in one
/// statement and their ledger entries queued in another, in the order
/// given. Returns the number each application is registered under: its
/// new certificate's, or the one another transaction issued meanwhile.
pub(in crate::services) async fn issue_each(
    conn: &mut PgConnection,
    state: &AppState,
    applications: &[&ApplicationRow],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    if applications.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = applications.iter().map(|a| a.id).collect();
    let mut org_ids: Vec<Uuid> = applications.iter().map(|a| a.org_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let holders: HashMap<Uuid, PartyRow> =
        db::parties::find_each(conn, &org_ids).await?.into_iter().map(|org| (org.id, org)).collect();
    let mut materials: HashMap<Uuid, Vec<MaterialRow>> = HashMap::with_capacity(ids.len());
    for material in db::materials::of_applications(conn, &ids).await? {
        materials.entry(material.application_id).or_default().push(material);
    }
    let serials = db::certificates::next_serials(conn, applications.len()).await?;
    let rows = applications
        .iter()
        .zip(serials)
        .map(|(application, serial)| {
            let holder = holders.get(&application.org_id).ok_or(Error::NotFound)?;
            let materials = materials.get(&application.id).map_or(&[][..], Vec::as_slice);
            certificate(state, application, holder, materials, serial, now)
        })
        .collect::<Result<Vec<_>>>()?;
    let (rows, openings): (Vec<CertificateRow>, Vec<Option<Openings>>) = rows.into_iter().unzip();
    let stored: HashSet<Uuid> = db::certificates::insert_each(conn, &rows).await?.into_iter().collect();
    let opened: Vec<(Uuid, Openings)> = rows
        .iter()
        .zip(openings)
        .filter(|(row, _)| stored.contains(&row.application_id))
        .filter_map(|(row, openings)| Some((row.id, openings?)))
        .collect();
    db::certificates::insert_openings(conn, &opened).await?;
    let mut standing = HashMap::new();
    if stored.len() < rows.len() {
        // Some were issued meanwhile by another transaction: those stand.
        let others: Vec<Uuid> = ids.iter().copied().filter(|id| !stored.contains(id)).collect();
        standing = db::certificates::numbers_of_applications(conn, &others).await?.into_iter().collect();
    }
    let entries: Vec<_> = rows
        .iter()
        .filter(|row| stored.contains(&row.application_id))
        .map(|row| (issuance_entry(row), ledger::Recording::Certificate(row.id)))
        .collect();
    ledger::enqueue_each(conn, &entries, now).await?;
    rows.into_iter()
        .map(|row| match stored.contains(&row.application_id) {
            true => {
                tracing::debug!(certificate_number = %row.certificate_number, application_id = %row.application_id, "certificate issued");
                Ok(row.certificate_number)
            }
            false => standing.remove(&row.application_id).ok_or(Error::NotFound),
        })
        .collect()
}

/// The application's certificate numbered `serial`, with its signed
/// issuance document: what is stored, before it is; and the openings of the
/// document's commitments (a person holder's identity number).
fn certificate(
    state: &AppState,
    application: &ApplicationRow,
    holder: &PartyRow,
    materials: &[MaterialRow],
    serial: i64,
    now: DateTime<Utc>,
) -> Result<(CertificateRow, Option<Openings>)> {
    let config = &state.config;
    let registration_number = application
        .registration_number
        .clone()
        .ok_or_else(|| anyhow::anyhow!("an approved application has a registration number"))?;
    let local = now.with_timezone(&config.calendar.zone);
    let serial = u64::try_from(serial).unwrap_or(u64::MAX);
    let number = CertificateNumber::new(local.year(), local.month(), &config.registry.code, serial)
        .map_err(|e| Error::Internal(e.into()))?;
    let full_validity = config
        .calendar
        .deadline(now, config.workflow.certificate_validity)
        .ok_or_else(|| anyhow::anyhow!("validity out of range"))?;
    let (valid_until, validity_bounded_by) =
        authorization::bounded_validity(full_validity, &application.data_sources.0, &config.calendar.zone);
    let mut openings = Openings::new();
    let document = CertificateDocument {
        certificate_number: number.to_string(),
        registration_number: registration_number.clone(),
        holder: recorded_party(holder, HOLDER_ID_NUMBER, &mut openings)?,
        product: Product {
            name: application.product_name.clone(),
            category: application.category,
            summary: application.r#abstract.clone(),
        },
        materials: materials.iter().map(MaterialRow::hash).collect(),
        issued_at: now,
        valid_from: now,
        valid_until,
        issuer: Issuer { name: config.registry.name.clone(), code: config.registry.code.clone() },
        validity_bounded_by,
    };
    let signature = state.signer.sign(&canonical_json(&document)?);
    let row = CertificateRow {
        id: Uuid::now_v7(),
        org_id: application.org_id,
        application_id: application.id,
        certificate_number: number.to_string(),
        registration_number,
        product_name: application.product_name.clone(),
        category: application.category,
        r#abstract: application.r#abstract.clone(),
        status: CertificateStatus::Active,
        valid_from: now,
        valid_until,
        document: Json(document),
        signature: Json(signature),
        ledger: None,
        issued_at: now,
        status_changed_at: now,
        data_sources: application.data_sources.clone(),
        validity_bound: validity_bounded_by.map(|bound| bound.agreement_ends_on),
    };
    Ok((row, (!openings.is_empty()).then_some(openings)))
}

/// A party as a signed document or a ledger entry names it: an
/// organization by its credit code; a person by a commitment to their
/// identity number under `field_path`, whose opening is added to `openings`.
pub(crate) fn recorded_party(party: &PartyRow, field_path: &str, openings: &mut Openings) -> Result<Party> {
    match (&party.credit_code, &party.id_number) {
        (Some(credit_code), _) => Ok(Party::organization(&party.name, credit_code)),
        (None, Some(id_number)) => {
            let opening = Opening::seal(id_number)?;
            let commitment = opening.commitment(field_path).map_err(|e| Error::Internal(e.into()))?;
            openings.insert(field_path.to_owned(), opening);
            Ok(Party::person(&party.name, commitment))
        }
        (None, None) => {
            Err(anyhow::anyhow!("party {} has neither a credit code nor an identity number", party.id).into())
        }
    }
}

/// The ledger entry that records a certificate's issuance.
fn issuance_entry(row: &CertificateRow) -> Entry {
    Entry::CertificateIssued { document: row.document.0.clone(), signature: row.signature.0.clone() }
}
