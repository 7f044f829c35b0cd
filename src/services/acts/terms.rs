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
        ActDetails, Counterparty, CreditCode, LicenseTerms, Money, Name, Organization, PledgeTerms, Text, parse_amount,
        parse_currency,
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
    #[schema(min_length = 18, pattern = r"^\s*[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}\s*$")]
    pub transferee_credit_code: String,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewal {}

#[derive(Debug, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
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
    let name = fields.check(&format!("{prefix}.name"), Name::parse(&party.name, 200));
    let code = fields.check(&format!("{prefix}.credit_code"), CreditCode::parse(&party.credit_code));
    Some(Counterparty { name: name?.into_string(), credit_code: code?.to_string() })
}

fn term(fields: &mut Fields, starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) {
    if ends_on < starts_on {
        fields.add("ends_on", "must not be before starts_on");
    } else if ends_on < today {
        fields.add("ends_on", "the term has already ended");
    }
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
            let scope = fields.check("scope", Text::parse(&scope, 2000));
            term(&mut fields, starts_on, ends_on, today);
            fields.finish()?;
            if exclusive && db::licenses::exclusive_overlaps(conn, certificate.id, starts_on, ends_on).await? {
                return Err(rules::exclusive_overlap());
            }
            let (Some(licensee), Some(scope)) = (licensee, scope) else {
                return Err(Error::field("licensee", "invalid"));
            };
            ActDetails::License(LicenseTerms { licensee, exclusive, scope: scope.into_string(), starts_on, ends_on })
        }
        NewAct::Pledge(PledgeTerms { pledgee, secured_amount, starts_on, ends_on }) => {
            let pledgee = counterparty(&mut fields, "pledgee", &pledgee);
            let amount = fields.check("secured_amount.amount", parse_amount(&secured_amount.amount));
            let currency = fields.check("secured_amount.currency", parse_currency(&secured_amount.currency));
            term(&mut fields, starts_on, ends_on, today);
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
            let code = CreditCode::parse(&transferee_credit_code)
                .map_err(|e| Error::field("transferee_credit_code", e.to_string()))?;
            // Only a verified organization receives a certificate: the
            // one that holds the code, not any that merely claims it.
            let Some(transferee) = db::organizations::find_verified_by_credit_code(conn, code.as_str()).await? else {
                let claimed = !db::organizations::with_credit_code(conn, code.as_str()).await?.is_empty();
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
            let transferee =
                Organization { id: transferee.id, name: transferee.name, credit_code: transferee.credit_code };
            ActDetails::Transfer { transferee, transferor: None }
        }
        NewAct::Change(Change { product_name, summary }) => {
            let name = product_name.as_deref().map(|n| fields.check("product_name", Name::parse(n, 100)));
            let text = summary.as_deref().map(|a| fields.check("abstract", Text::parse(a, 2000)));
            if name.is_none() && text.is_none() {
                fields.add("product_name", "give product_name, abstract, or both");
            }
            fields.finish()?;
            ActDetails::Change {
                product_name: name.flatten().map(Name::into_string),
                summary: text.flatten().map(Text::into_string),
                previous_product_name: None,
                previous_abstract: None,
            }
        }
        NewAct::Renewal(Renewal {}) => {
            rules::ensure_renewable(state, certificate, now)?;
            ActDetails::Renewal { previous_valid_until: None, valid_until: None }
        }
        NewAct::Cancellation(Cancellation { reason }) => {
            let reason = Text::parse(&reason, 2000).map_err(|m| Error::field("reason", m))?;
            rules::ensure_no_unreleased_pledge(conn, certificate.id, "cancelled").await?;
            ActDetails::Cancellation { reason: reason.into_string() }
        }
    })
}
