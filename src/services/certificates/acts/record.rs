//! What the ledger shows of an approved act, per kind: the public fields in
//! clear, each private field as a salted commitment whose opening (value
//! and salt) the registry keeps for the organization whose terms these are,
//! and no internal ids. The README's table "What the ledger shows" says the
//! same in prose; the entry shapes themselves are `ledger::entry`.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    auth::Principal,
    db::{self, acts::ActRow, certificates::CertificateRow},
    domain::{ActDetails, ActState, LicenseTerms, PledgeTerms, authorization},
    services::{Error, Result, certificates::issuance::recorded_party, transparency::ledger},
    state::AppState,
};
use tlog::{
    Entry,
    commitment::{self, Opening, Openings},
    document::NEW_HOLDER_ID_NUMBER,
    entry::{Named, Pledge, private},
    verify::Disclosure,
};

/// The ledger entry of an act taking effect now, and the openings of its
/// commitments; `filed` holds those sealed when it was filed (a person
/// licensee's number, which the terms keep only masked).
pub async fn entry(
    conn: &mut PgConnection,
    state: &AppState,
    certificate: &CertificateRow,
    details: &ActDetails,
    filed: &Openings,
    now: DateTime<Utc>,
) -> Result<(Entry, Openings)> {
    let certificate_number = certificate.certificate_number.clone();
    let mut openings = Openings::new();
    let entry = match details {
        ActDetails::License(LicenseTerms { licensee, exclusive, scope, starts_on, ends_on }) => {
            match (&licensee.credit_code, filed.get(private::LICENSEE_ID_NUMBER)) {
                (Some(code), _) => seal(&mut openings, private::LICENSEE_CREDIT_CODE, code)?,
                (None, Some(opening)) => {
                    openings.insert(private::LICENSEE_ID_NUMBER.to_owned(), opening.clone());
                }
                (None, None) => return Err(anyhow::anyhow!("a person licensee filed without their number").into()),
            }
            seal(&mut openings, private::SCOPE, scope)?;
            Entry::LicenseRecorded {
                certificate_number,
                recorded_at: now,
                licensee: Named { name: licensee.name.to_string() },
                exclusive: *exclusive,
                starts_on: starts_on.date(),
                ends_on: ends_on.date(),
                commitments: commitments(&openings)?,
            }
        }
        ActDetails::Pledge(terms) => {
            openings = pledge_openings(state, terms)?;
            Entry::PledgeRecorded(pledge(certificate_number, now, terms, &openings)?)
        }
        ActDetails::PledgeRelease { pledge_id } => {
            // The release repeats the pledge's public fields and its very
            // commitments (same salts): that is how it names the pledge.
            let pledged = db::acts::find(conn, *pledge_id).await?.ok_or(Error::NotFound)?;
            let ActDetails::Pledge(terms) = &pledged.details.0 else {
                return Err(anyhow::anyhow!("act {pledge_id} released as a pledge is a {:?}", pledged.kind).into());
            };
            openings = pledged.openings.0.clone();
            if !openings.contains_key(private::PLEDGEE_CREDIT_CODE) {
                // Recorded before entries carried commitments: seal it now.
                openings = pledge_openings(state, terms)?;
            }
            Entry::PledgeReleased(pledge(certificate_number, now, terms, &openings)?)
        }
        ActDetails::Transfer { transferee, .. } => {
            // A person is named by a commitment to their number, whose
            // opening the transferor and the transferee may both see.
            let party = db::parties::find(conn, transferee.id).await?.ok_or(Error::NotFound)?;
            let new_holder = recorded_party(&party, NEW_HOLDER_ID_NUMBER, &mut openings)?;
            Entry::CertificateTransferred { certificate_number, recorded_at: now, new_holder }
        }
        ActDetails::Change { product_name, summary, extended_agreements, .. } => Entry::CertificateChanged {
            certificate_number,
            recorded_at: now,
            product_name: product_name.clone(),
            summary: summary.clone(),
            data_authorization_ends_on: match extended_agreements.as_slice() {
                [] => None,
                extensions => {
                    let sources = authorization::extended(&certificate.data_sources.0, extensions);
                    authorization::earliest(&sources).map(|agreement| agreement.ends_on)
                }
            },
        },
        ActDetails::Renewal { previous_valid_until: Some(previous), valid_until: Some(until), validity_bounded_by } => {
            Entry::CertificateRenewed {
                certificate_number,
                recorded_at: now,
                previous_valid_until: *previous,
                valid_until: *until,
                validity_bounded_by: *validity_bounded_by,
            }
        }
        ActDetails::Renewal { .. } => return Err(anyhow::anyhow!("a renewal is recorded only once applied").into()),
        ActDetails::Cancellation { reason } => {
            seal(&mut openings, private::REASON, reason)?;
            Entry::CertificateCancelled { certificate_number, recorded_at: now, commitments: commitments(&openings)? }
        }
        ActDetails::Revocation { grounds } => {
            Entry::CertificateRevoked { certificate_number, recorded_at: now, grounds: grounds.clone() }
        }
    };
    Ok((entry, openings))
}

/// A pledge's openings: its pledgee's credit code always, its amount unless
/// the registry publishes pledge amounts.
fn pledge_openings(state: &AppState, terms: &PledgeTerms) -> Result<Openings> {
    let mut openings = Openings::new();
    let code = terms.pledgee.credit_code.as_ref().ok_or_else(|| anyhow::anyhow!("a pledgee without a credit code"))?;
    seal(&mut openings, private::PLEDGEE_CREDIT_CODE, code)?;
    if !state.config.registry.public_pledge_amounts {
        seal(&mut openings, private::SECURED_AMOUNT, &terms.secured_amount)?;
    }
    Ok(openings)
}

/// A pledge as the ledger shows it under these openings: the amount in
/// clear only where it is not committed to.
fn pledge(certificate_number: String, now: DateTime<Utc>, terms: &PledgeTerms, openings: &Openings) -> Result<Pledge> {
    let committed = openings.contains_key(private::SECURED_AMOUNT);
    Ok(Pledge {
        certificate_number,
        recorded_at: now,
        pledgee: Named { name: terms.pledgee.name.to_string() },
        starts_on: terms.starts_on.date(),
        ends_on: terms.ends_on.date(),
        secured_amount: (!committed).then(|| terms.secured_amount.clone()),
        rank: terms.rank,
        commitments: commitments(openings)?,
    })
}

fn seal(openings: &mut Openings, field_path: &str, value: &impl Serialize) -> Result<()> {
    openings.insert(field_path.to_owned(), Opening::seal(value)?);
    Ok(())
}

fn commitments(openings: &Openings) -> Result<commitment::Commitments> {
    commitment::commitments(openings).map_err(|e| Error::Internal(e.into()))
}

/// The openings of an approved act's entry, with the entry and its
/// inclusion in the latest checkpoint once appended: what a holder hands a
/// bank or a court. Only the party that held the certificate when the act
/// was recorded, the transferee of a transfer, and staff may see them; to
/// anyone else the act does not exist.
pub async fn disclosure(
    state: &AppState,
    principal: Principal,
    certificate_id: Uuid,
    act_id: Uuid,
) -> Result<Disclosure> {
    let mut conn = state.db.acquire().await?;
    let act = db::acts::find(&mut conn, act_id).await?.filter(|act| act.certificate_id == certificate_id);
    let party = match principal {
        Principal::User { role, .. } if role.is_staff() => None,
        Principal::User { org_id, .. } => Some(org_id.ok_or(Error::NotFound)?),
        Principal::ApiKey { org_id, .. } => Some(org_id),
    };
    let allowed = |act: &ActRow| match (party, &act.details.0) {
        (None, _) => true,
        (Some(party), ActDetails::Transfer { transferee, .. }) => party == act.holder_org_id || party == transferee.id,
        (Some(party), _) => party == act.holder_org_id,
    };
    let act = act.filter(allowed).ok_or(Error::NotFound)?;
    if act.state != ActState::Approved {
        return Err(Error::NotFound);
    }
    let certificate = db::certificates::find(&mut conn, certificate_id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let (entry, receipt) = match act.ledger_index.and_then(|index| u64::try_from(index).ok()) {
        Some(index) => {
            let (bytes, receipt) = ledger::receipt(state, index).await?;
            (Some(STANDARD.encode(bytes)), Some(receipt))
        }
        None => (None, None),
    };
    Ok(Disclosure {
        act_id: Some(act.id),
        certificate_number: certificate.certificate_number,
        openings: act.openings.0,
        entry,
        ledger: receipt,
    })
}
