//! The rules an act must meet, both when it is filed and again when it
//! takes effect (the register may have moved on in between).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    db::{self, certificates::CertificateRow},
    domain::{ActKind, CertificateStatus, ValidityBound, Verification, authorization},
    services::{Error, Result},
    state::AppState,
};

/// Only active certificates within their validity take acts.
pub fn ensure_active(certificate: &CertificateRow, now: DateTime<Utc>) -> Result<()> {
    let from = match certificate.status {
        CertificateStatus::Active if certificate.valid_until > now => return Ok(()),
        // Past its validity, though the worker has not marked it yet.
        CertificateStatus::Active => CertificateStatus::Expired,
        status => status,
    };
    Err(Error::InvalidTransition { subject: "certificate", from: from.as_str().into(), action: "take new acts".into() })
}

/// Whether `party_id` is the pledgee of the certificate's unreleased
/// pledge `pledge_id`: the verified party holding the credit code the
/// pledge names.
pub async fn is_pledgee(
    conn: &mut PgConnection,
    party_id: Uuid,
    certificate_id: Uuid,
    pledge_id: Uuid,
) -> Result<bool> {
    let pledges = db::pledges::unreleased(conn, certificate_id).await?;
    let Some(pledge) = pledges.iter().find(|p| p.act_id == pledge_id) else { return Ok(false) };
    let party = db::parties::find(conn, party_id).await?;
    Ok(party.is_some_and(|party| {
        party.verification == Verification::Verified
            && party.credit_code.as_deref() == Some(pledge.pledgee_credit_code.as_str())
    }))
}

/// Acts that decide who holds the certificate or what it answers for:
/// while one of them waits, no other of them is filed. Deciding them in
/// turn keeps the register from having to choose a winner and reject the
/// rest as moot.
const DISPOSALS: [ActKind; 3] = [ActKind::Transfer, ActKind::Cancellation, ActKind::Pledge];

/// A transfer, cancellation or pledge is refused while another of them
/// waits on the certificate (`409`, naming it). Filings lock the
/// certificate's row, so two racing filings are decided one after the
/// other: the second sees the first.
pub async fn ensure_no_waiting_disposal(conn: &mut PgConnection, certificate_id: Uuid, kind: ActKind) -> Result<()> {
    if !DISPOSALS.contains(&kind) {
        return Ok(());
    }
    match db::acts::waiting_of_kinds(conn, certificate_id, &DISPOSALS).await? {
        None => Ok(()),
        Some((act_id, other)) => Err(Error::ConflictingAct {
            message: format!(
                "a {} (act {act_id}) already waits on this certificate; it must be decided or withdrawn first",
                other.as_str()
            ),
            act_id,
        }),
    }
}

/// Renewal is open from `renewal_window` before `valid_until` until then.
pub fn ensure_renewable(state: &AppState, certificate: &CertificateRow, now: DateTime<Utc>) -> Result<()> {
    let opens = state
        .config
        .calendar
        .deadline_before(certificate.valid_until, state.config.workflow.renewal_window)
        .ok_or_else(|| anyhow::anyhow!("renewal window out of range"))?;
    if now < opens {
        return Err(Error::Conflict(format!(
            "renewal opens at {} ({} before the end of validity)",
            opens.to_rfc3339(),
            state.config.workflow.renewal_window
        )));
    }
    Ok(())
}

/// Where a renewal moves `valid_until`: on by the validity period, but no
/// later than the end of the day the earliest data-source agreement ends
/// (with the bound when it cuts the period short). A renewal that could not
/// move it at all is refused: the agreement must be extended first (a
/// `change` act's `extended_agreements`).
pub fn renewed_validity(
    state: &AppState,
    certificate: &CertificateRow,
) -> Result<(DateTime<Utc>, Option<ValidityBound>)> {
    let config = &state.config;
    let full = config
        .calendar
        .deadline(certificate.valid_until, config.workflow.certificate_validity)
        .ok_or_else(|| anyhow::anyhow!("validity out of range"))?;
    let sources = &certificate.data_sources.0;
    let (until, bound) = authorization::bounded_validity(full, sources, &config.calendar.zone);
    if until <= certificate.valid_until {
        let agreement = authorization::earliest(sources)
            .map_or_else(|| "a data-source agreement".to_owned(), |a| format!("the agreement of {a}"));
        return Err(Error::Conflict(format!(
            "{agreement} ends no later than the certificate's validity already does, so a renewal cannot \
             extend it: record the extended agreement with a change act (extended_agreements) first"
        )));
    }
    Ok((until, bound))
}

/// Two exclusive licenses of one certificate never overlap in time.
pub fn exclusive_overlap() -> Error {
    Error::Conflict("an exclusive license of this certificate already covers part of that term".into())
}
