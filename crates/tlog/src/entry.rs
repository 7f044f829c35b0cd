//! What a ledger leaf holds: one typed entry per kind, the only place the
//! entry format is written down. The writer builds these, `dataip verify`
//! rebuilds the issuance entry from a certificate, and `dataip ledger audit`
//! reads every leaf back through [`Entry::parse`].
//!
//! The ledger is public forever, so an entry carries only what the public
//! record shows; each private field is a salted commitment (see
//! [`super::commitment`]) and internal ids are left out. A leaf's bytes are
//! the RFC 8785 (JCS) form of the entry; unknown fields are refused, so an
//! entry that parses is exactly one of these shapes.
//!
//! # Examples
//!
//! ```
//! use tlog::entry::{Entry, EntryError};
//!
//! let leaf = br#"{"certificate_number":"20261131000000042","grounds":"fraud","recorded_at":"2027-01-01T00:00:00Z","type":"certificate.revoked"}"#;
//! let entry = Entry::parse(leaf)?;
//! assert_eq!((entry.type_name(), entry.certificate_number()), ("certificate.revoked", "20261131000000042"));
//! assert_eq!(entry.to_bytes()?, leaf);
//!
//! // The same entry with a space is not canonical, so it is not a leaf.
//! let spaced = String::from_utf8_lossy(leaf).replacen(":", ": ", 1);
//! assert!(matches!(Entry::parse(spaced.as_bytes()), Err(EntryError::NotCanonical)));
//! # Ok::<(), EntryError>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    commitment::Commitments,
    document::{CertificateDocument, HOLDER_ID_NUMBER, Money, NEW_HOLDER_ID_NUMBER, Party, ValidityBound},
    signing::{Signature, canonical_json},
};

/// The field paths that are committed to rather than shown.
pub mod private {
    /// A licensee's credit code (`license.recorded`).
    pub const LICENSEE_CREDIT_CODE: &str = "licensee.credit_code";
    /// A licensee's resident identity number, in place of the credit code
    /// when the licensee is a natural person (`license.recorded`).
    pub const LICENSEE_ID_NUMBER: &str = "licensee.id_number";
    /// A license's scope (`license.recorded`).
    pub const SCOPE: &str = "scope";
    /// A pledgee's credit code (`pledge.recorded`, `pledge.released`).
    pub const PLEDGEE_CREDIT_CODE: &str = "pledgee.credit_code";
    /// A pledge's secured amount, unless the registry publishes amounts.
    pub const SECURED_AMOUNT: &str = "secured_amount";
    /// A holder's reason for cancelling (`certificate.cancelled`).
    pub const REASON: &str = "reason";
}

/// A counterparty as the public sees it: by name (its credit code is
/// committed to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    /// The counterparty's name.
    pub name: String,
}

/// A pledge as recorded and as released: the release repeats the pledge's
/// public fields and commitments, which is how it names the pledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pledge {
    /// The pledged certificate.
    pub certificate_number: String,
    /// When the registry recorded the pledge (or its release).
    pub recorded_at: DateTime<Utc>,
    /// To whom it is pledged.
    pub pledgee: Named,
    /// The pledge's first day.
    pub starts_on: NaiveDate,
    /// The pledge's last day.
    pub ends_on: NaiveDate,
    /// In clear only where the registry publishes pledge amounts
    /// (`registry.public_pledge_amounts`); otherwise committed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_amount: Option<Money>,
    /// The pledge's rank among the certificate's pledges: 1 for the first;
    /// a later one, recorded with every earlier pledgee's consent, after
    /// them. Absent from pledges recorded before ranks were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Commitments to the private fields.
    pub commitments: Commitments,
}

/// A preservation measure as recorded and as lifted: an authority's order
/// holding the certificate, named by the order's number. All of it is
/// public; the scanned order never is on the ledger. The lifting repeats
/// the measure's fields, which is how it names the measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// The certificate held.
    pub certificate_number: String,
    /// When the registry recorded the measure (or its lifting).
    pub recorded_at: DateTime<Utc>,
    /// The court, procuratorate, public security organ or administrative
    /// authority that ordered it.
    pub authority: String,
    /// `seizure`, `freeze`, `temporary_control` or `other`.
    pub kind: String,
    /// The order's document number.
    pub document_number: String,
    /// The measure's first day.
    pub starts_on: NaiveDate,
    /// Its last day, if the order sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<NaiveDate>,
}

/// A ledger entry: one variant per kind, tagged by `type`. Every kind but
/// the issuance names its certificate by number and says when the registry
/// recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Entry {
    /// The signed issuance document, exactly as the certificate carries it.
    #[serde(rename = "certificate.issued")]
    CertificateIssued {
        /// The document the registry signed.
        document: CertificateDocument,
        /// The registry's signature over its RFC 8785 bytes.
        signature: Signature,
    },
    /// A certificate's validity ended.
    #[serde(rename = "certificate.expired")]
    CertificateExpired {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// The end of its validity.
        valid_until: DateTime<Utc>,
    },
    /// A license of a certificate's product (the licensee's credit code and
    /// the scope are committed to).
    #[serde(rename = "license.recorded")]
    LicenseRecorded {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// To whom.
        licensee: Named,
        /// Whether the license is exclusive.
        exclusive: bool,
        /// The license's first day.
        starts_on: NaiveDate,
        /// The license's last day.
        ends_on: NaiveDate,
        /// Commitments to the private fields.
        commitments: Commitments,
    },
    /// A pledge of a certificate.
    #[serde(rename = "pledge.recorded")]
    PledgeRecorded(Pledge),
    /// The release of a pledge.
    #[serde(rename = "pledge.released")]
    PledgeReleased(Pledge),
    /// The new holder (holders are public).
    #[serde(rename = "certificate.transferred")]
    CertificateTransferred {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// The holder from now on.
        new_holder: Party,
    },
    /// What changed on the register; the signed document never changes.
    #[serde(rename = "certificate.changed")]
    CertificateChanged {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// The product's new name, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product_name: Option<String>,
        /// The product's new abstract, if it changed.
        #[serde(rename = "abstract", default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// When the change extended data-source agreements: the day the
        /// earliest agreement now ends, which bounds later renewals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_authorization_ends_on: Option<NaiveDate>,
    },
    /// A renewal: the validity's new end.
    #[serde(rename = "certificate.renewed")]
    CertificateRenewed {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// The end of the validity before.
        previous_valid_until: DateTime<Utc>,
        /// The end of the validity from now on.
        valid_until: DateTime<Utc>,
        /// When a data-source agreement ending first cut the renewal short.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        validity_bounded_by: Option<ValidityBound>,
    },
    /// The holder's reason is committed to.
    #[serde(rename = "certificate.cancelled")]
    CertificateCancelled {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// The commitment to the reason.
        commitments: Commitments,
    },
    /// A preservation measure recorded on a certificate.
    #[serde(rename = "measure.recorded")]
    MeasureRecorded(Measure),
    /// A preservation measure lifted, by staff or at the end of its term.
    #[serde(rename = "measure.lifted")]
    MeasureLifted(Measure),
    /// The registry's grounds are public: a revoked record says why.
    #[serde(rename = "certificate.revoked")]
    CertificateRevoked {
        /// The certificate.
        certificate_number: String,
        /// When the registry recorded it.
        recorded_at: DateTime<Utc>,
        /// Why the registry revoked it.
        grounds: String,
    },
}

/// Bytes that are not an entry, or an entry that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// Not one of the shapes (unknown type, missing or unknown field).
    #[error("not a dataip ledger entry: {0}")]
    Shape(#[from] serde_json::Error),
    /// A shape, but not in RFC 8785 canonical form.
    #[error("not in RFC 8785 canonical form")]
    NotCanonical,
    /// Commitments to other fields than its kind's private fields.
    #[error("commits to {found:?}, but a {kind} entry commits to {expected:?}")]
    Commitments {
        /// The entry's type.
        kind: &'static str,
        /// The fields it must commit to.
        expected: Vec<&'static str>,
        /// The fields it commits to.
        found: Vec<String>,
    },
    /// A commitment (of this field) that is not lowercase hex SHA-256.
    #[error("commitment {0:?} is not a lowercase hex SHA-256")]
    CommitmentForm(String),
    /// The entry has no RFC 8785 form.
    #[error(transparent)]
    Encoding(#[from] anyhow::Error),
}

impl Entry {
    /// The entry's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::CertificateIssued { .. } => "certificate.issued",
            Self::CertificateExpired { .. } => "certificate.expired",
            Self::LicenseRecorded { .. } => "license.recorded",
            Self::PledgeRecorded(_) => "pledge.recorded",
            Self::PledgeReleased(_) => "pledge.released",
            Self::CertificateTransferred { .. } => "certificate.transferred",
            Self::CertificateChanged { .. } => "certificate.changed",
            Self::CertificateRenewed { .. } => "certificate.renewed",
            Self::CertificateCancelled { .. } => "certificate.cancelled",
            Self::CertificateRevoked { .. } => "certificate.revoked",
            Self::MeasureRecorded(_) => "measure.recorded",
            Self::MeasureLifted(_) => "measure.lifted",
        }
    }

    /// The certificate the entry is about.
    pub fn certificate_number(&self) -> &str {
        match self {
            Self::CertificateIssued { document, .. } => &document.certificate_number,
            Self::PledgeRecorded(pledge) | Self::PledgeReleased(pledge) => &pledge.certificate_number,
            Self::MeasureRecorded(measure) | Self::MeasureLifted(measure) => &measure.certificate_number,
            Self::CertificateExpired { certificate_number, .. }
            | Self::LicenseRecorded { certificate_number, .. }
            | Self::CertificateTransferred { certificate_number, .. }
            | Self::CertificateChanged { certificate_number, .. }
            | Self::CertificateRenewed { certificate_number, .. }
            | Self::CertificateCancelled { certificate_number, .. }
            | Self::CertificateRevoked { certificate_number, .. } => certificate_number,
        }
    }

    /// The entry's commitments (none for kinds without private fields).
    pub fn commitments(&self) -> Option<&Commitments> {
        match self {
            Self::LicenseRecorded { commitments, .. } | Self::CertificateCancelled { commitments, .. } => {
                Some(commitments)
            }
            Self::PledgeRecorded(pledge) | Self::PledgeReleased(pledge) => Some(&pledge.commitments),
            _ => None,
        }
    }

    /// The commitment at `field_path`: in the entry's `commitments`, or a
    /// person's identity number in an issuance's holder
    /// ([`HOLDER_ID_NUMBER`]) or a transfer's new holder
    /// ([`NEW_HOLDER_ID_NUMBER`]).
    pub fn commitment(&self, field_path: &str) -> Option<&str> {
        match (self, field_path) {
            (Self::CertificateIssued { document, .. }, HOLDER_ID_NUMBER) => document.holder.id_commitment(),
            (Self::CertificateTransferred { new_holder, .. }, NEW_HOLDER_ID_NUMBER) => new_holder.id_commitment(),
            _ => self.commitments().and_then(|commitments| commitments.get(field_path)).map(String::as_str),
        }
    }

    /// The fields this entry must commit to: every private field of its
    /// kind that is not shown in clear.
    fn private_fields(&self) -> Vec<&'static str> {
        use private::*;
        match self {
            // The licensee by one identifier: a person's number, else
            // (as every licence before persons) a credit code.
            Self::LicenseRecorded { commitments, .. } => match commitments.contains_key(LICENSEE_ID_NUMBER) {
                true => vec![LICENSEE_ID_NUMBER, SCOPE],
                false => vec![LICENSEE_CREDIT_CODE, SCOPE],
            },
            Self::PledgeRecorded(pledge) | Self::PledgeReleased(pledge) => match pledge.secured_amount {
                Some(_) => vec![PLEDGEE_CREDIT_CODE],
                None => vec![PLEDGEE_CREDIT_CODE, SECURED_AMOUNT],
            },
            Self::CertificateCancelled { .. } => vec![REASON],
            _ => Vec::new(),
        }
    }

    /// The exact bytes of the leaf: RFC 8785 JSON.
    ///
    /// # Errors
    ///
    /// When the commitments are not exactly those of the entry's kind.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EntryError> {
        self.check()?;
        Ok(canonical_json(self)?)
    }

    /// Reads a leaf's bytes back: they must be one of the shapes above, in
    /// canonical form, committing to exactly its kind's private fields.
    ///
    /// # Errors
    ///
    /// [`EntryError`] saying which of those it is not.
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        let entry: Self = serde_json::from_slice(bytes)?;
        if canonical_json(&entry)? != bytes {
            return Err(EntryError::NotCanonical);
        }
        entry.check()?;
        Ok(entry)
    }

    fn check(&self) -> Result<(), EntryError> {
        let mut expected = self.private_fields();
        expected.sort_unstable();
        let found: Vec<String> = self.commitments().map(|c| c.keys().cloned().collect()).unwrap_or_default();
        if found != expected {
            return Err(EntryError::Commitments { kind: self.type_name(), expected, found });
        }
        let well_formed =
            |hex: &String| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match self.commitments().into_iter().flatten().find(|(_, hex)| !well_formed(hex)) {
            Some((path, _)) => Err(EntryError::CommitmentForm(path.clone())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn license() -> Entry {
        Entry::LicenseRecorded {
            certificate_number: "20261131000000042".into(),
            recorded_at: "2026-11-26T08:00:00Z".parse().expect("time"),
            licensee: Named { name: "杭州智算有限公司".into() },
            exclusive: true,
            starts_on: "2027-01-01".parse().expect("date"),
            ends_on: "2027-12-31".parse().expect("date"),
            commitments: [(private::LICENSEE_CREDIT_CODE, "a"), (private::SCOPE, "b")]
                .into_iter()
                .map(|(path, c)| (path.to_owned(), c.repeat(64)))
                .collect(),
        }
    }

    #[test]
    fn entries_read_back_from_their_bytes() {
        let entry = license();
        let bytes = entry.to_bytes().expect("bytes");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(
            text.starts_with(r#"{"certificate_number":"20261131000000042","commitments":{"licensee.credit_code":"#)
        );
        assert!(text.contains(r#""type":"license.recorded""#));
        assert_eq!(Entry::parse(&bytes).expect("parses"), entry);
        assert_eq!(entry.type_name(), "license.recorded");
        assert_eq!(entry.certificate_number(), "20261131000000042");
    }

    #[test]
    fn every_type_name_is_the_serialized_type() {
        let released = Pledge {
            certificate_number: "1".into(),
            recorded_at: Utc::now(),
            pledgee: Named { name: "上海银行".into() },
            starts_on: "2027-01-01".parse().expect("date"),
            ends_on: "2027-12-31".parse().expect("date"),
            secured_amount: Some(Money { amount: "1.00".into(), currency: "CNY".into() }),
            rank: Some(1),
            commitments: [(private::PLEDGEE_CREDIT_CODE.to_owned(), "c".repeat(64))].into(),
        };
        for entry in [license(), Entry::PledgeRecorded(released.clone()), Entry::PledgeReleased(released)] {
            let json = serde_json::to_value(&entry).expect("json");
            assert_eq!(json["type"], entry.type_name());
        }
    }

    /// Documents signed before certificates carried `validity_bounded_by`
    /// read back as exactly their bytes, so their signatures and leaves
    /// still verify; a bounded one carries its bound.
    #[test]
    fn issuance_entries_from_before_the_validity_bound_read_back_unchanged() {
        let document = r#"{"certificate_number":"20261131000000001","holder":{"credit_code":"91310000MA1FL4B24G","name":"上海数据科技有限公司"},"issued_at":"2026-11-26T08:00:00.123456Z","issuer":{"code":"3100","name":"Data Product IP Registry"},"materials":[{"kind":"summary","sha256":"ab"}],"product":{"abstract":"物流时效数据","category":"data_collection","name":"长三角物流时效数据集"},"registration_number":"3100202600000017","valid_from":"2026-11-26T08:00:00.123456Z","valid_until":"2029-11-26T08:00:00.123456Z"}"#;
        let signature = r#"{"alg":"Ed25519","key_id":"k","value":"c2lnbmF0dXJl"}"#;
        let leaf = format!(r#"{{"document":{document},"signature":{signature},"type":"certificate.issued"}}"#);
        let entry = Entry::parse(leaf.as_bytes()).expect("an issuance entry");
        assert_eq!(entry.to_bytes().expect("bytes"), leaf.as_bytes());
        let Entry::CertificateIssued { document: parsed, .. } = &entry else { panic!("{entry:?}") };
        assert_eq!(parsed.validity_bounded_by, None);
        assert_eq!(canonical_json(parsed).expect("jcs"), document.as_bytes(), "the signed bytes");

        let bounded = document.replace(
            r#","valid_until":"2029-11-26T08:00:00.123456Z"}"#,
            r#","valid_until":"2027-06-30T16:00:00Z","validity_bounded_by":{"agreement_ends_on":"2027-06-30","kind":"data_source_agreement"}}"#,
        );
        let parsed: CertificateDocument = serde_json::from_str(&bounded).expect("a bounded document");
        assert_eq!(parsed.validity_bounded_by.map(|b| b.agreement_ends_on.to_string()), Some("2027-06-30".into()));
        assert_eq!(canonical_json(&parsed).expect("jcs"), bounded.as_bytes());
    }

    /// A natural person is named by a commitment wherever an entry names a
    /// party: as an issuance's holder, a transfer's new holder, a licensee
    /// (by `licensee.id_number` in place of the credit code, never both).
    #[test]
    fn persons_read_back_under_their_commitments() {
        let transfer = r#"{"certificate_number":"1","new_holder":{"id_commitment":"aa","kind":"person","name":"王芳"},"recorded_at":"2026-12-07T08:00:00Z","type":"certificate.transferred"}"#;
        let entry = Entry::parse(transfer.as_bytes()).expect("a transfer to a person");
        assert_eq!(entry.to_bytes().expect("bytes"), transfer.as_bytes());
        assert_eq!(entry.commitment(NEW_HOLDER_ID_NUMBER), Some("aa"));
        let organization = transfer.replace(
            r#"{"id_commitment":"aa","kind":"person","name":"王芳"}"#,
            r#"{"credit_code":"91330100MA2H3E5E7H","name":"杭州智算有限公司"}"#,
        );
        let entry = Entry::parse(organization.as_bytes()).expect("a transfer to an organization");
        assert_eq!(entry.commitment(NEW_HOLDER_ID_NUMBER), None);

        let mut licence = license();
        let Entry::LicenseRecorded { commitments, .. } = &mut licence else { unreachable!() };
        let code = commitments.remove(private::LICENSEE_CREDIT_CODE).expect("a code");
        commitments.insert(private::LICENSEE_ID_NUMBER.to_owned(), code.clone());
        let bytes = licence.to_bytes().expect("a person licensee");
        assert_eq!(Entry::parse(&bytes).expect("parses"), licence);
        assert_eq!(licence.commitment(private::LICENSEE_ID_NUMBER), Some(code.as_str()));
        let Entry::LicenseRecorded { commitments, .. } = &mut licence else { unreachable!() };
        commitments.insert(private::LICENSEE_CREDIT_CODE.to_owned(), code);
        assert!(matches!(licence.to_bytes(), Err(EntryError::Commitments { .. })), "one identifier, not two");
    }

    #[test]
    fn malformed_entries_are_refused() {
        let bytes = license().to_bytes().expect("bytes");
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let reformatted = serde_json::to_vec_pretty(&json).expect("pretty");
        assert!(matches!(Entry::parse(&reformatted), Err(EntryError::NotCanonical)));

        json["licensee"]["credit_code"] = json!("91330100MA2H3E5E7H");
        let leaked = canonical_json(&json).expect("jcs");
        assert!(matches!(Entry::parse(&leaked), Err(EntryError::Shape(_))), "a private field in clear is refused");

        let mut missing = license();
        if let Entry::LicenseRecorded { commitments, .. } = &mut missing {
            commitments.remove(private::SCOPE);
        }
        assert!(matches!(missing.to_bytes(), Err(EntryError::Commitments { .. })));
        let unknown = br#"{"certificate_number":"1","type":"certificate.gifted"}"#;
        assert!(matches!(Entry::parse(unknown), Err(EntryError::Shape(_))));
    }
}
