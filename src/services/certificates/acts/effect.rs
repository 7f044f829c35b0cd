//! An approved act taking effect on the register: licenses and pledges
//! recorded, the certificate moved, renamed, renewed or ended.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::rules;
use crate::{
    db::{self, acts::ActRow, certificates::CertificateRow, licenses::LicenseRow, pledges::PledgeRow},
    domain::{ActDetails, ActKind, CertificateStatus, LicenseTerms, PledgeTerms, RecordDate, Verification},
    services::{Error, Result},
    state::AppState,
};

/// Applies an act to the register; answers its terms with what it changed
/// filled in (the transferor, the previous name, the new validity).
pub async fn apply(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    certificate: &CertificateRow,
    now: DateTime<Utc>,
) -> Result<ActDetails> {
    let mut details = act.details.0.clone();
    let mut register = certificate.register();
    match &mut details {
        ActDetails::License(LicenseTerms { licensee, exclusive, scope, starts_on, ends_on }) => {
            let license = LicenseRow {
                act_id: act.id,
                certificate_id: certificate.id,
                org_id: certificate.org_id,
                licensee_kind: licensee.kind(),
                licensee_name: licensee.name.to_string(),
                licensee_credit_code: licensee.credit_code.as_ref().map(ToString::to_string),
                exclusive: *exclusive,
                scope: scope.to_string(),
                starts_on: starts_on.date(),
                ends_on: ends_on.date(),
            };
            db::licenses::insert(conn, &license).await.map_err(|e| match db::violated_constraint(&e) {
                Some("licenses_exclusive_overlap") => rules::exclusive_overlap(),
                _ => e.into(),
            })?;
        }
        ActDetails::Pledge(PledgeTerms { pledgee, secured_amount, starts_on, ends_on, rank }) => {
            // After every pledge of record, whose pledgees consented.
            let last = db::pledges::unreleased(conn, certificate.id).await?.iter().map(|p| p.rank).max();
            let ranked = last.unwrap_or(0) + 1;
            *rank = Some(u32::try_from(ranked).map_err(|e| anyhow::anyhow!("rank out of range: {e}"))?);
            let pledge = PledgeRow {
                act_id: act.id,
                certificate_id: certificate.id,
                org_id: certificate.org_id,
                pledgee_name: pledgee.name.to_string(),
                pledgee_credit_code: pledgee
                    .credit_code
                    .as_ref()
                    .map(ToString::to_string)
                    .ok_or_else(|| anyhow::anyhow!("a pledgee without a credit code"))?,
                amount: secured_amount.amount.clone(),
                currency: secured_amount.currency.clone(),
                starts_on: starts_on.date(),
                ends_on: ends_on.date(),
                released_at: None,
                rank: ranked,
            };
            db::pledges::insert(conn, &pledge).await?;
        }
        ActDetails::PledgeRelease { pledge_id } => {
            if !db::pledges::release(conn, certificate.id, *pledge_id, act.id, now).await? {
                return Err(Error::Conflict("that pledge is no longer unreleased".into()));
            }
        }
        ActDetails::Transfer { transferee, transferor } => {
            // Its pledges, consented to it, move with the certificate.
            let to = db::parties::find(conn, transferee.id)
                .await?
                .filter(|to| to.verification == Verification::Verified)
                .ok_or_else(|| Error::Conflict("the transferee is no longer a verified party here".into()))?;
            let from = db::parties::find(conn, certificate.org_id).await?.ok_or(Error::NotFound)?;
            register.org_id = to.id;
            db::acts::move_to(conn, certificate.id, to.id).await?;
            *transferee = to.as_transferee();
            *transferor = Some(from.as_former_holder());
        }
        ActDetails::Change { product_name, summary, previous_product_name, previous_abstract, extended_agreements } => {
            if let Some(name) = product_name {
                *previous_product_name = Some(std::mem::replace(&mut register.product_name, name.clone()));
            }
            if let Some(text) = summary {
                *previous_abstract = Some(std::mem::replace(&mut register.r#abstract, text.clone()));
            }
            for extension in extended_agreements.iter_mut() {
                let source = usize::try_from(extension.data_source)
                    .ok()
                    .and_then(|i| register.data_sources.0.get_mut(i))
                    .ok_or_else(|| anyhow::anyhow!("an extension names data source {}", extension.data_source))?;
                // Another change may have extended it further meanwhile.
                let current = source.agreement_ends_on;
                if current.is_some_and(|current| current >= extension.agreement_ends_on) {
                    return Err(Error::Conflict(format!(
                        "the agreement of data_sources[{}] now ends on {}, no earlier than this change's {}",
                        extension.data_source,
                        current.map(|c| c.to_string()).unwrap_or_default(),
                        extension.agreement_ends_on
                    )));
                }
                extension.previous_agreement_ends_on = current.map(RecordDate::date);
                source.agreement_ends_on = Some(extension.agreement_ends_on);
            }
        }
        ActDetails::Renewal { previous_valid_until, valid_until, validity_bounded_by } => {
            rules::ensure_renewable(state, certificate, now)?;
            let (until, bound) = rules::renewed_validity(state, certificate)?;
            register.valid_until = until;
            register.validity_bound = bound.map(|bound| bound.agreement_ends_on);
            *previous_valid_until = Some(certificate.valid_until);
            *valid_until = Some(until);
            *validity_bounded_by = bound;
        }
        ActDetails::Cancellation { .. } => register.status = CertificateStatus::Cancelled,
        ActDetails::Revocation { .. } => register.status = CertificateStatus::Revoked,
    }
    if !db::certificates::update_active(conn, certificate.id, &register, now).await? {
        return Err(Error::InvalidTransition {
            subject: "certificate",
            from: "inactive".into(),
            action: "take new acts".into(),
        });
    }
    // The certificate's other pending acts can no longer apply.
    let moot = match details.kind() {
        ActKind::Transfer => Some("moot: the certificate was transferred"),
        ActKind::Cancellation => Some("moot: the certificate was cancelled"),
        ActKind::Revocation => Some("moot: the certificate was revoked"),
        _ => None,
    };
    if let Some(reason) = moot {
        db::acts::reject_pending(conn, &[certificate.id], Some(act.id), reason, now).await?;
    }
    Ok(details)
}
