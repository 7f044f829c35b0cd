//! Acts on a registered product's certificate: their kinds, states and
//! terms. The terms are stored as typed JSON with their kind, so a stored
//! act always reads back as exactly one of these shapes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
// Pledge entries carry amounts, so `Money` is part of the ledger's format (tlog).
pub use tlog::document::Money;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CreditCodeText, IdNumberText, LicenseScope, OrganizationName, PartyKind, RecordDate, ValidityBound};

/// What can happen to a registered product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "act_kind", rename_all = "snake_case")]
pub enum ActKind {
    License,
    Pledge,
    PledgeRelease,
    Transfer,
    Change,
    Renewal,
    Cancellation,
    Revocation,
}

impl ActKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::License => "license",
            Self::Pledge => "pledge",
            Self::PledgeRelease => "pledge_release",
            Self::Transfer => "transfer",
            Self::Change => "change",
            Self::Renewal => "renewal",
            Self::Cancellation => "cancellation",
            Self::Revocation => "revocation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "act_state", rename_all = "snake_case")]
pub enum ActState {
    /// Filed; its counterparty's word is awaited before review (a
    /// transfer, until the transferee accepts).
    AwaitingConfirmation,
    /// Awaiting review.
    Pending,
    Approved,
    /// Refused by a reviewer, declined by the counterparty, or moot.
    Rejected,
    /// Its counterparty did not answer within `workflow.counterparty_period`.
    Lapsed,
}

impl ActState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingConfirmation => "awaiting_confirmation",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Lapsed => "lapsed",
        }
    }
}

/// A party named in an act's terms: an organization by its name and
/// unified social credit code; a natural person (a licensee) by name and
/// resident identity number. Filed with exactly one of `credit_code` and
/// `id_number`; the number is then kept only as the opening of the ledger's
/// commitment to it, and the terms answer it masked (`id_number_masked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counterparty {
    pub name: OrganizationName,
    /// Unified social credit code of an organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCodeText>,
    /// A natural person's resident identity number, as filed: never kept
    /// in the terms (see `id_number_masked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(write_only)]
    pub id_number: Option<IdNumberText>,
    /// A natural person's identity number, masked: what the terms show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub id_number_masked: Option<String>,
    /// An e-mail address alone (`name@example.com`) where the party is
    /// asked for its word by a single-use link when it is not a verified
    /// party registered here: a pledgee confirming its pledge (and later
    /// consenting to acts that would defeat it), a licensee where licences
    /// need confirmation. Kept with the terms, never public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Email, max_length = 254)]
    pub contact_email: Option<String>,
}

impl Counterparty {
    /// An organization named by its credit code.
    pub fn organization(name: OrganizationName, credit_code: CreditCodeText) -> Self {
        Self { name, credit_code: Some(credit_code), id_number: None, id_number_masked: None, contact_email: None }
    }

    /// A natural person, as the terms keep them: the number masked.
    pub fn person(name: OrganizationName, id_number_masked: String) -> Self {
        Self { name, credit_code: None, id_number: None, id_number_masked: Some(id_number_masked), contact_email: None }
    }

    /// The kind of party it names.
    pub fn kind(&self) -> PartyKind {
        match self.credit_code {
            Some(_) => PartyKind::Organization,
            None => PartyKind::Person,
        }
    }
}

/// A party registered here, as a transfer names its transferee: an
/// organization by its credit code, a natural person by their identity
/// number masked (the ledger commits to the number; see docs/ledger.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisteredParty {
    pub id: Uuid,
    /// Absent in acts recorded before persons could hold certificates:
    /// those name organizations.
    #[serde(default, skip_serializing_if = "PartyKind::is_organization")]
    #[schema(default = "organization")]
    pub kind: PartyKind,
    pub name: String,
    /// An organization's unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// A person's resident identity number, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number_masked: Option<String>,
}

/// The holder a transfer moved the certificate from, as it records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormerHolder {
    #[serde(default, skip_serializing_if = "PartyKind::is_organization")]
    #[schema(default = "organization")]
    pub kind: PartyKind,
    pub name: String,
    /// An organization's unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// A person's resident identity number, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number_masked: Option<String>,
}

/// A license as filed: to whom, exclusive or not, for what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseTerms {
    pub licensee: Counterparty,
    pub exclusive: bool,
    pub scope: LicenseScope,
    /// A date of the years 1900 to 9999.
    pub starts_on: RecordDate,
    /// A date of the years 1900 to 9999, not before `starts_on`.
    pub ends_on: RecordDate,
}

/// A pledge as filed: to whom, securing how much, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PledgeTerms {
    pub pledgee: Counterparty,
    pub secured_amount: Money,
    /// A date of the years 1900 to 9999.
    pub starts_on: RecordDate,
    /// A date of the years 1900 to 9999, not before `starts_on`.
    pub ends_on: RecordDate,
    /// The pledge's rank among the certificate's pledges, set when it is
    /// recorded: 1 for the first; a later pledge, recorded with every
    /// earlier pledgee's consent, ranks after them. Absent for pledges
    /// recorded before ranks were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only, minimum = 1)]
    pub rank: Option<u32>,
}

/// A data-source agreement that a `change` act records as extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendedAgreement {
    /// The data source's position in the registration's `data_sources`,
    /// from 0.
    pub data_source: u32,
    /// The agreement's new end.
    pub agreement_ends_on: RecordDate,
    /// The end on record before; set when the change took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_agreement_ends_on: Option<NaiveDate>,
}

/// An act's terms as filed and, once it took effect, what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActDetails {
    License(LicenseTerms),
    Pledge(PledgeTerms),
    PledgeRelease {
        /// The act that recorded the pledge.
        pledge_id: Uuid,
    },
    Transfer {
        transferee: RegisteredParty,
        /// The holder the certificate left; set when the transfer took effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transferor: Option<FormerHolder>,
    },
    Change {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product_name: Option<String>,
        #[serde(rename = "abstract", default, skip_serializing_if = "Option::is_none")]
        #[schema(rename = "abstract")]
        summary: Option<String>,
        /// Set when the change took effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_product_name: Option<String>,
        /// Set when the change took effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_abstract: Option<String>,
        /// Data-source agreements extended (renewed by the parties): later
        /// renewals of the certificate are bounded by the new ends.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        extended_agreements: Vec<ExtendedAgreement>,
    },
    Renewal {
        /// Set when the renewal took effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_valid_until: Option<DateTime<Utc>>,
        /// Set when the renewal took effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<DateTime<Utc>>,
        /// Set when the renewal took effect, if a data-source agreement
        /// ending first cut it short.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        validity_bounded_by: Option<ValidityBound>,
    },
    Cancellation {
        reason: String,
    },
    Revocation {
        grounds: String,
    },
}

impl ActDetails {
    /// The terms without the contacts the filer gave: what a counterparty
    /// asked for its word sees (another pledgee's address is not theirs).
    pub fn without_contacts(mut self) -> Self {
        match &mut self {
            Self::License(terms) => terms.licensee.contact_email = None,
            Self::Pledge(terms) => terms.pledgee.contact_email = None,
            _ => {}
        }
        self
    }

    pub fn kind(&self) -> ActKind {
        match self {
            Self::License(_) => ActKind::License,
            Self::Pledge(_) => ActKind::Pledge,
            Self::PledgeRelease { .. } => ActKind::PledgeRelease,
            Self::Transfer { .. } => ActKind::Transfer,
            Self::Change { .. } => ActKind::Change,
            Self::Renewal { .. } => ActKind::Renewal,
            Self::Cancellation { .. } => ActKind::Cancellation,
            Self::Revocation { .. } => ActKind::Revocation,
        }
    }
}

/// A decimal amount greater than zero, with at most 15 digits before the
/// point and two after it.
pub fn parse_amount(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole, 15) || !(fraction.is_empty() || digits(fraction, 2)) || text.ends_with('.') {
        return Err("must be a decimal string such as \"5000000.00\"");
    }
    if text.bytes().all(|b| b == b'0' || b == b'.') {
        return Err("must be greater than zero");
    }
    Ok(text.to_owned())
}

/// An ISO 4217 currency code, upper-cased.
pub fn parse_currency(text: &str) -> Result<String, &'static str> {
    let currency = text.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("must be an ISO 4217 code such as CNY");
    }
    Ok(currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_kinds_say_their_serialized_names() {
        use ActKind::*;
        for kind in [License, Pledge, PledgeRelease, Transfer, Change, Renewal, Cancellation, Revocation] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::json!(kind.as_str())));
        }
    }

    #[test]
    fn amounts_are_positive_decimals() {
        assert_eq!(parse_amount("5000000.00"), Ok("5000000.00".into()));
        assert_eq!(parse_amount(" 12.5 "), Ok("12.5".into()));
        for bad in ["", "0", "0.00", "-1", "1.234", "1e6", "1,000", "1.", ".5", "１２"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_currency(" cny"), Ok("CNY".into()));
        assert!(parse_currency("yuan").is_err());
    }

    #[test]
    fn details_read_back_as_exactly_their_kind() {
        let details = ActDetails::Cancellation { reason: "停止运营".into() };
        let json = serde_json::to_value(&details).expect("json");
        assert_eq!(json, serde_json::json!({"kind": "cancellation", "reason": "停止运营"}));
        assert_eq!(serde_json::from_value::<ActDetails>(json).expect("back"), details);
        assert_eq!(details.kind(), ActKind::Cancellation);
        let unknown = serde_json::json!({"kind": "cancellation", "reason": "x", "extra": 1});
        assert!(serde_json::from_value::<ActDetails>(unknown).is_err(), "no field is dropped silently");
        let missing = serde_json::json!({"kind": "license", "exclusive": true});
        assert!(serde_json::from_value::<ActDetails>(missing).is_err(), "no field is defaulted silently");
        let license = serde_json::json!({"kind": "license", "licensee": {"name": "杭州智算", "credit_code": "x"},
            "exclusive": true, "scope": "s", "starts_on": "2027-01-01", "ends_on": "2027-12-31"});
        let parsed: ActDetails = serde_json::from_value(license.clone()).expect("a license");
        assert_eq!(serde_json::to_value(&parsed).expect("json"), license);
        let mut extra = license;
        extra["licensee_scope"] = serde_json::json!("x");
        assert!(serde_json::from_value::<ActDetails>(extra).is_err(), "terms refuse unknown fields too");
    }
}
