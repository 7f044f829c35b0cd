//! An act as the holder files it, checked into its typed terms.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::rules;
use crate::{
    db::{self, certificates::CertificateRow},
    domain::{
        Abstract, ActDetails, Counterparty, CreditCodeText, ExtendedAgreement, LicenseTerms, Money, Name, Organization,
        PledgeTerms, ProductName, Reason, RecordDate, Text, authorization, parse_amount, parse_currency,
    },
    input::{self, Body, BodyError},
    services::{Error, Fields, Result},
    state::AppState,
};

/// An act as filed: `kind` and its fields.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewAct {
    License(LicenseTerms),
    Pledge(PledgeTerms),
    PledgeRelease(PledgeRelease),
    /// To another organization registered here.
    Transfer(Transfer),
    Change(Change),
    /// Only inside the renewal window before `valid_until`.
    Renewal(Renewal),
    Cancellation(Cancellation),
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PledgeRelease {
    /// The act that recorded the pledge.
    #[eserde(compat)]
    pub pledge_id: Uuid,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// The unified social credit code of an organization registered here.
    pub transferee_credit_code: CreditCodeText,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    #[serde(default)]
    pub product_name: Option<ProductName>,
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    #[serde(default)]
    pub summary: Option<Abstract>,
    /// Data-source agreements the parties have extended: each names a data
    /// source of the registration and its agreement's new end, later than
    /// the one on record. Later renewals are bounded by the new ends.
    #[schema(max_items = 20)]
    #[serde(default)]
    pub extended_agreements: Option<Vec<AgreementExtension>>,
}

/// A data-source agreement's new end, as a `change` files it.
#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementExtension {
    /// The data source's position in the registration's `data_sources`,
    /// from 0; it must have an agreement (`licensed`, `purchased` or
    /// `public_authorized`) with an end.
    #[schema(minimum = 0, maximum = 19)]
    pub data_source: u32,
    /// A date of the years 1900 to 9999, later than the agreement's end on
    /// record.
    pub agreement_ends_on: RecordDate,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewal {}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    pub reason: Reason,
}

/// The kinds an applicant files (revocation is the registry's own).
const KINDS: [&str; 7] = ["license", "pledge", "pledge_release", "transfer", "change", "renewal", "cancellation"];

impl Body for NewAct {
    /// The kind picks the shape; the other fields are read as that shape,
    /// every problem at once.
    fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        input::read_tagged(
            bytes,
            |kind, rest| {
                Some(match kind {
                    "license" => input::read(rest).map(NewAct::License),
                    "pledge" => input::read(rest).map(NewAct::Pledge),
                    "pledge_release" => input::read(rest).map(NewAct::PledgeRelease),
                    "transfer" => input::read(rest).map(NewAct::Transfer),
                    "change" => input::read(rest).map(NewAct::Change),
                    "renewal" => input::read(rest).map(NewAct::Renewal),
                    "cancellation" => input::read(rest).map(NewAct::Cancellation),
                    _ => return None,
                })
            },
            &KINDS,
        )
    }
}

fn counterparty(fields: &mut Fields, prefix: &str, party: &Counterparty) -> Option<Counterparty> {
    let name = fields.check(&format!("{prefix}.name"), party.name.parse());
    let code = fields.check(&format!("{prefix}.credit_code"), party.credit_code.parse());
    Some(Counterparty { name: name?.into_string().into(), credit_code: code?.to_string().into() })
}

fn term(fields: &mut Fields, starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) {
    if ends_on < starts_on {
        fields.add("ends_on", "must not be before starts_on");
    } else if ends_on < today {
        fields.add("ends_on", "the term has already ended");
    }
}

/// Checks each extension against the certificate's data sources: a source
/// with an agreement that ends, each once, its new end later than the one
/// on record.
fn agreement_extensions(
    fields: &mut Fields,
    certificate: &CertificateRow,
    extensions: &[AgreementExtension],
) -> Vec<ExtendedAgreement> {
    const MAX: usize = 20;
    if extensions.len() > MAX {
        fields.add("extended_agreements", format!("at most {MAX} agreements"));
        return Vec::new();
    }
    let sources = &certificate.data_sources.0;
    let mut parsed: Vec<ExtendedAgreement> = Vec::with_capacity(extensions.len());
    for (i, extension) in extensions.iter().enumerate() {
        let at = format!("extended_agreements[{i}]");
        let index = usize::try_from(extension.data_source).unwrap_or(usize::MAX);
        let Some(source) = sources.get(index) else {
            fields.add(
                &format!("{at}.data_source"),
                format!("no such data source: the registration has {}", sources.len()),
            );
            continue;
        };
        if parsed.iter().any(|p| p.data_source == extension.data_source) {
            fields.add(&format!("{at}.data_source"), "names a data source another extension names already");
            continue;
        }
        match source.agreement_ends_on.filter(|_| authorization::under_agreement(source.kind)) {
            None => fields.add(
                &format!("{at}.data_source"),
                format!("data_sources[{index}] has no agreement with an end to extend"),
            ),
            Some(current) if extension.agreement_ends_on <= current => fields.add(
                &format!("{at}.agreement_ends_on"),
                format!("must be later than the agreement's end on record, {current}"),
            ),
            Some(_) => parsed.push(ExtendedAgreement {
                data_source: extension.data_source,
                agreement_ends_on: extension.agreement_ends_on,
                previous_agreement_ends_on: None,
            }),
        }
    }
    parsed
}

/// Checks a filed act against the certificate and the register as they
/// are now, answering its terms; `today` is the registry's date.
pub async fn parse(
    conn: &mut PgConnection,
    state: &AppState,
    certificate: &CertificateRow,
    request: NewAct,
    today: NaiveDate,
) -> Result<ActDetails> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    Ok(match request {
        NewAct::License(LicenseTerms { licensee, exclusive, scope, starts_on, ends_on }) => {
            let licensee = counterparty(&mut fields, "licensee", &licensee);
            let scope = fields.check("scope", scope.parse());
            term(&mut fields, starts_on.date(), ends_on.date(), today);
            fields.finish()?;
            if exclusive
                && db::licenses::exclusive_overlaps(conn, certificate.id, starts_on.date(), ends_on.date()).await?
            {
                return Err(rules::exclusive_overlap());
            }
            let (Some(licensee), Some(scope)) = (licensee, scope) else {
                return Err(Error::field("licensee", "invalid"));
            };
            ActDetails::License(LicenseTerms {
                licensee,
                exclusive,
                scope: scope.into_string().into(),
                starts_on,
                ends_on,
            })
        }
        NewAct::Pledge(PledgeTerms { pledgee, secured_amount, starts_on, ends_on }) => {
            let pledgee = counterparty(&mut fields, "pledgee", &pledgee);
            let amount = fields.check("secured_amount.amount", parse_amount(&secured_amount.amount));
            let currency = fields.check("secured_amount.currency", parse_currency(&secured_amount.currency));
            term(&mut fields, starts_on.date(), ends_on.date(), today);
            fields.finish()?;
            let (Some(pledgee), Some(amount), Some(currency)) = (pledgee, amount, currency) else {
                return Err(Error::field("pledgee", "invalid"));
            };
            ActDetails::Pledge(PledgeTerms { pledgee, secured_amount: Money { amount, currency }, starts_on, ends_on })
        }
        NewAct::PledgeRelease(PledgeRelease { pledge_id }) => {
            let unreleased = db::pledges::unreleased(conn, certificate.id).await?;
            if !unreleased.iter().any(|p| p.act_id == pledge_id) {
                return Err(Error::field("pledge_id", "is not an unreleased pledge of this certificate"));
            }
            ActDetails::PledgeRelease { pledge_id }
        }
        NewAct::Transfer(Transfer { transferee_credit_code }) => {
            let code =
                transferee_credit_code.parse().map_err(|e| Error::field("transferee_credit_code", e.to_string()))?;
            // Only a verified organization receives a certificate: the
            // one that holds the code, not any that merely claims it.
            let Some(transferee) = db::parties::find_verified_by_credit_code(conn, code.as_str()).await? else {
                let claimed = !db::parties::with_credit_code(conn, code.as_str()).await?.is_empty();
                let why = match claimed {
                    true => {
                        "the organization with this code has not been verified; certificates go only to \
                             verified organizations"
                    }
                    false => "no organization with this code is registered here",
                };
                return Err(Error::field("transferee_credit_code", why));
            };
            if transferee.id == certificate.org_id {
                return Err(Error::field("transferee_credit_code", "is the holder itself"));
            }
            rules::ensure_no_unreleased_pledge(conn, certificate.id, "transferred").await?;
            // Found by its credit code: an organization.
            let transferee = Organization { id: transferee.id, name: transferee.name, credit_code: code.to_string() };
            ActDetails::Transfer { transferee, transferor: None }
        }
        NewAct::Change(Change { product_name, summary, extended_agreements }) => {
            let name = product_name.map(|n| fields.check("product_name", n.parse()));
            let text = summary.map(|a| fields.check("abstract", a.parse()));
            let extensions = extended_agreements.unwrap_or_default();
            if name.is_none() && text.is_none() && extensions.is_empty() {
                fields.add("product_name", "give product_name, abstract, extended_agreements, or several of them");
            }
            let extended_agreements = agreement_extensions(&mut fields, certificate, &extensions);
            fields.finish()?;
            ActDetails::Change {
                product_name: name.flatten().map(Name::into_string),
                summary: text.flatten().map(Text::into_string),
                previous_product_name: None,
                previous_abstract: None,
                extended_agreements,
            }
        }
        NewAct::Renewal(Renewal {}) => {
            rules::ensure_renewable(state, certificate, now)?;
            rules::renewed_validity(state, certificate)?;
            ActDetails::Renewal { previous_valid_until: None, valid_until: None, validity_bounded_by: None }
        }
        NewAct::Cancellation(Cancellation { reason }) => {
            let reason = reason.parse().map_err(|m| Error::field("reason", m))?;
            rules::ensure_no_unreleased_pledge(conn, certificate.id, "cancelled").await?;
            ActDetails::Cancellation { reason: reason.into_string() }
        }
    })
}
