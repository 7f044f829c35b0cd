//! An act as the holder files it, checked into its typed terms.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use tlog::commitment::{Opening, Openings};
use utoipa::ToSchema;
use uuid::Uuid;

use super::rules;
use crate::{
    db::{self, certificates::CertificateRow, parties::Identity},
    domain::{
        Abstract, ActDetails, ActKind, Counterparty, CreditCodeText, Email, ExtendedAgreement, IdNumberText,
        LicenseTerms, Money, Name, PartyKind, PledgeTerms, ProductName, Reason, RecordDate, Text, authorization,
        parse_amount, parse_currency,
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
    /// The unified social credit code of a verified organization registered
    /// here; or give `transferee_id_number`.
    #[serde(default)]
    pub transferee_credit_code: Option<CreditCodeText>,
    /// The resident identity number of a verified natural person registered
    /// here; or give `transferee_credit_code`.
    #[serde(default)]
    pub transferee_id_number: Option<IdNumberText>,
    /// An e-mail address alone (`name@example.com`) where the transferee
    /// may also accept by a single-use link, besides through the API.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub transferee_contact_email: Option<String>,
}

impl Transfer {
    /// The transferee's identity, checked: exactly one of the two fields,
    /// well formed; with the field that named it.
    fn identity(self) -> Result<(&'static str, PartyKind, String)> {
        const CODE: &str = "transferee_credit_code";
        const NUMBER: &str = "transferee_id_number";
        match (self.transferee_credit_code, self.transferee_id_number) {
            (Some(code), None) => {
                let code = code.parse().map_err(|e| Error::field(CODE, e.to_string()))?;
                Ok((CODE, PartyKind::Organization, code.to_string()))
            }
            (None, Some(number)) => {
                let number = number.parse().map_err(|e| Error::field(NUMBER, e.to_string()))?;
                Ok((NUMBER, PartyKind::Person, number.expose().to_owned()))
            }
            (Some(_), Some(_)) => Err(Error::field(NUMBER, "give transferee_credit_code or this, not both")),
            (None, None) => Err(Error::field(CODE, "give this, or transferee_id_number for a natural person")),
        }
    }
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

impl NewAct {
    pub fn kind(&self) -> ActKind {
        match self {
            Self::License(_) => ActKind::License,
            Self::Pledge(_) => ActKind::Pledge,
            Self::PledgeRelease(_) => ActKind::PledgeRelease,
            Self::Transfer(_) => ActKind::Transfer,
            Self::Change(_) => ActKind::Change,
            Self::Renewal(_) => ActKind::Renewal,
            Self::Cancellation(_) => ActKind::Cancellation,
        }
    }
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

/// Who may be named where: a licensee may be a natural person; a pledgee
/// is an organization (a bank or other lender).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Persons {
    Allowed,
    Refused,
}

/// A counterparty as filed, checked: its name and exactly one of a credit
/// code and an identity number. A person's number goes into `filed` as the
/// opening of its commitment (`{prefix}.id_number`); the terms keep it
/// masked.
fn counterparty(
    fields: &mut Fields,
    prefix: &str,
    party: &Counterparty,
    persons: Persons,
    filed: &mut Openings,
) -> Result<Option<Counterparty>> {
    let name = fields.check(&format!("{prefix}.name"), party.name.parse());
    let contact = party.contact_email.as_deref().map(|address| {
        fields.check(&format!("{prefix}.contact_email"), Email::parse(address)).map(|email| email.to_string())
    });
    let party = match (&party.credit_code, &party.id_number) {
        (Some(code), None) => {
            let code = fields.check(&format!("{prefix}.credit_code"), code.parse());
            let (Some(name), Some(code)) = (name, code) else { return Ok(None) };
            Some(Counterparty::organization(name.into_string().into(), code.to_string().into()))
        }
        (None, Some(number)) if persons == Persons::Allowed => {
            let field = format!("{prefix}.id_number");
            let number = fields.check(&field, number.parse());
            let (Some(name), Some(number)) = (name, number) else { return Ok(None) };
            filed.insert(field, Opening::seal(&number.expose())?);
            Some(Counterparty::person(name.into_string().into(), number.masked()))
        }
        (None, Some(_)) => {
            fields.add(&format!("{prefix}.id_number"), "must be an organization's: give credit_code");
            None
        }
        (Some(_), Some(_)) => {
            fields.add(&format!("{prefix}.id_number"), "give credit_code or this, not both");
            None
        }
        (None, None) => {
            let person = match persons {
                Persons::Allowed => ", or id_number for a natural person",
                Persons::Refused => "",
            };
            fields.add(&format!("{prefix}.credit_code"), format!("give the credit code{person}"));
            None
        }
    };
    Ok(party.map(|party| Counterparty { contact_email: contact.flatten(), ..party }))
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
/// are now, answering its terms and the openings of what they name only
/// masked (a person licensee's number); `today` is the registry's date.
pub async fn parse(
    conn: &mut PgConnection,
    state: &AppState,
    certificate: &CertificateRow,
    request: NewAct,
    today: NaiveDate,
) -> Result<(ActDetails, Openings)> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let mut filed = Openings::new();
    let details = match request {
        NewAct::License(LicenseTerms { licensee, exclusive, scope, starts_on, ends_on }) => {
            let licensee = counterparty(&mut fields, "licensee", &licensee, Persons::Allowed, &mut filed)?;
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
        NewAct::Pledge(PledgeTerms { pledgee, secured_amount, starts_on, ends_on, rank: _ }) => {
            let pledgee = counterparty(&mut fields, "pledgee", &pledgee, Persons::Refused, &mut filed)?;
            let amount = fields.check("secured_amount.amount", parse_amount(&secured_amount.amount));
            let currency = fields.check("secured_amount.currency", parse_currency(&secured_amount.currency));
            term(&mut fields, starts_on.date(), ends_on.date(), today);
            // The debt's term may not outlast the right that secures it.
            let last_day = state.config.calendar.today(certificate.valid_until - chrono::Duration::microseconds(1));
            if ends_on.date() > last_day {
                fields.add("ends_on", format!("must not be after the certificate's validity ends, on {last_day}"));
            }
            fields.finish()?;
            let (Some(pledgee), Some(amount), Some(currency)) = (pledgee, amount, currency) else {
                return Err(Error::field("pledgee", "invalid"));
            };
            let secured_amount = Money { amount, currency };
            ActDetails::Pledge(PledgeTerms { pledgee, secured_amount, starts_on, ends_on, rank: None })
        }
        NewAct::PledgeRelease(PledgeRelease { pledge_id }) => {
            let unreleased = db::pledges::unreleased(conn, certificate.id).await?;
            if !unreleased.iter().any(|p| p.act_id == pledge_id) {
                return Err(Error::field("pledge_id", "is not an unreleased pledge of this certificate"));
            }
            ActDetails::PledgeRelease { pledge_id }
        }
        NewAct::Transfer(transfer) => {
            let (field, kind, identifier) = transfer.identity()?;
            let identity = match kind {
                PartyKind::Organization => Identity::CreditCode(&identifier),
                PartyKind::Person => Identity::IdNumber(&identifier),
            };
            // Only a verified party receives a certificate: the one that
            // holds the identifier, not any that merely claims it.
            let Some(transferee) = db::parties::find_verified(conn, identity).await? else {
                let claimed = !db::parties::with_identity(conn, identity).await?.is_empty();
                let why = match (claimed, kind) {
                    (true, _) => {
                        "the party with this identifier has not been verified; certificates go only to \
                                  verified parties"
                    }
                    (false, PartyKind::Organization) => "no organization with this code is registered here",
                    (false, PartyKind::Person) => "no person with this number is registered here",
                };
                return Err(Error::field(field, why));
            };
            if transferee.id == certificate.org_id {
                return Err(Error::field(field, "is the holder itself"));
            }
            ActDetails::Transfer { transferee: transferee.as_transferee(), transferor: None }
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
            ActDetails::Cancellation { reason: reason.into_string() }
        }
    };
    Ok((details, filed))
}
