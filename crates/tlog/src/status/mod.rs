//! Signed status statements (`dataip.status/v1`): what a bank, an exchange
//! or a court files as evidence of a certificate's status on a day, and
//! the replay that computes that status from the ledger's entries alone.
//!
//! A status is never stored: it is what the certificate's entries up to a
//! checkpoint leave ([`Replay`]), so the registry's answer and an
//! auditor's replay of the tiles are the same computation. A statement
//! carries the registry's Ed25519 signature over its RFC 8785 bytes without
//! `signature` and `proof`; its `type` is the domain separation (a
//! certificate document has no `type` and refuses unknown fields, so
//! neither can be read as the other). Its `proof` (C2SP tlog-proof) proves
//! the certificate's latest entry into the checkpoint of `tree_size`.
//!
//! # Examples
//!
//! ```
//! use chrono::Utc;
//! use tlog::{entry::Entry, status::{Replay, Status}};
//!
//! let issued = r#"{"document":{"certificate_number":"20261131000000001","holder":{"credit_code":"91310000MA1FL4B24G","name":"上海数据科技有限公司"},"issued_at":"2026-11-26T08:00:00Z","issuer":{"code":"3100","name":"Registry"},"materials":[],"product":{"abstract":"a","category":"data_collection","name":"n"},"registration_number":"3100202600000017","valid_from":"2026-11-26T08:00:00Z","valid_until":"2029-11-26T08:00:00Z"},"signature":{"alg":"Ed25519","key_id":"k","value":"cw=="},"type":"certificate.issued"}"#;
//! let revoked = r#"{"certificate_number":"20261131000000001","grounds":"fraud","recorded_at":"2027-01-01T00:00:00Z","type":"certificate.revoked"}"#;
//! let mut replay = Replay::default();
//! replay.push(0, &Entry::parse(issued.as_bytes())?);
//! replay.push(1, &Entry::parse(revoked.as_bytes())?);
//! let statement = replay.statement("20261131000000001", Utc::now(), 2);
//! assert_eq!(statement.status, Status::Revoked);
//! assert_eq!(statement.holders[0].name, "上海数据科技有限公司");
//! assert_eq!(replay.statement("20261131000000002", Utc::now(), 2).status, Status::Unknown);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use check::{BundleReport, Expectations, verify, verify_bundle};

use crate::{
    document::Party,
    entry::{Entry, Measure, Pledge},
    signing::{self, Signature, Signer},
};

/// The `type` of a status statement.
pub const STATEMENT_TYPE: &str = "dataip.status/v1";

/// The `type` of a bundle's first line.
pub const BUNDLE_TYPE: &str = "dataip.status-bundle/v1";

/// A certificate's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Valid.
    Active,
    /// Its validity ended.
    Expired,
    /// The registry revoked it.
    Revoked,
    /// Its holder cancelled it.
    Cancelled,
    /// No certificate of this number is in the ledger up to `tree_size`.
    Unknown,
}

impl Status {
    /// The word in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Cancelled => "cancelled",
            Self::Unknown => "unknown",
        }
    }
}

/// A holder as the statement names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// `organization` or `person`.
    pub kind: String,
    /// The holder's name.
    pub name: String,
}

/// A pledgee of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Pledgee {
    /// The pledgee's name.
    pub name: String,
    /// 1 for the first pledge; later ones after it.
    pub rank: u32,
}

/// A preservation measure in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MeasureInForce {
    /// The authority that ordered it.
    pub authority: String,
    /// `seizure`, `freeze`, `temporary_control` or `other`.
    pub kind: String,
    /// The order's document number.
    pub document_number: String,
    /// Its first day.
    pub starts_on: NaiveDate,
    /// Its last day, if the order sets one.
    pub ends_on: Option<NaiveDate>,
}

/// A status statement. Served signed, with a proof; the fields are fixed
/// (relying parties keep statements for years), so unknown ones are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always `dataip.status/v1`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(rename = "type", example = "dataip.status/v1"))]
    pub kind: String,
    /// The certificate's number.
    pub certificate_number: String,
    /// `active`, `expired`, `revoked`, `cancelled` or `unknown`.
    pub status: Status,
    /// Who holds it.
    pub holders: Vec<Holder>,
    /// Whether a pledge of record holds it.
    pub pledged: bool,
    /// The pledgees of record, by rank.
    pub pledgees: Vec<Pledgee>,
    /// Whether a preservation measure holds it.
    pub preserved: bool,
    /// The measures in force, in the order recorded.
    pub measures: Vec<MeasureInForce>,
    /// When its validity began (null when unknown).
    pub valid_from: Option<DateTime<Utc>>,
    /// When its validity ends, renewals counted (null when unknown).
    pub valid_until: Option<DateTime<Utc>>,
    /// When the registry made the statement.
    pub as_of: DateTime<Utc>,
    /// The checkpoint whose entries the status is computed from.
    pub tree_size: u64,
    /// Present (true) when a change of this certificate is recorded but not
    /// yet in a checkpoint: ask again after the next one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// The registry's signature; absent only before signing.
    pub signature: Option<Signature>,
    /// The C2SP tlog-proof of the certificate's latest entry into the
    /// checkpoint of `tree_size` (null for an unknown number, which has no
    /// entry to prove).
    pub proof: Option<String>,
}

impl Statement {
    /// The bytes the signature covers: the RFC 8785 form of the statement
    /// without `signature` and `proof`.
    ///
    /// # Errors
    ///
    /// When the statement does not serialize (it always does).
    pub fn signed_bytes(&self) -> anyhow::Result<Vec<u8>> {
        signed_bytes(serde_json::to_value(self)?)
    }

    /// Signs the statement with the registry's key.
    ///
    /// # Errors
    ///
    /// When the statement does not serialize (it always does).
    pub fn sign(&mut self, signer: &Signer) -> anyhow::Result<()> {
        self.signature = Some(signer.sign(&self.signed_bytes()?));
        Ok(())
    }
}

/// The signed bytes of a statement as JSON: whatever it holds besides
/// `signature` and `proof`, so a field added to a stored file breaks its
/// signature rather than passing unsigned.
fn signed_bytes(mut value: serde_json::Value) -> anyhow::Result<Vec<u8>> {
    if let Some(object) = value.as_object_mut() {
        object.remove("signature");
        object.remove("proof");
    }
    signing::canonical_json(&value)
}

/// One certificate as its entries leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Active, expired, revoked or cancelled (as the entries say: an active
    /// record past its validity is expired in a statement).
    pub status: Status,
    /// The holder of record.
    pub holder: Party,
    /// When its validity began.
    pub valid_from: DateTime<Utc>,
    /// When it ends, renewals counted.
    pub valid_until: DateTime<Utc>,
    /// Pledges recorded and not released, in the order recorded.
    pub pledges: Vec<Pledge>,
    /// Measures recorded and not lifted, in the order recorded.
    pub measures: Vec<Measure>,
    /// The index of its latest entry.
    pub latest: u64,
}

impl Record {
    /// Applies one later entry of the certificate.
    ///
    /// # Errors
    ///
    /// An entry that does not fit the record: a release of no pledge of
    /// record, a lifting of no measure in force, a second issuance.
    pub fn apply(&mut self, index: u64, entry: &Entry) -> Result<(), String> {
        self.latest = index;
        match entry {
            Entry::CertificateIssued { .. } => return Err("a second issuance of the certificate".into()),
            Entry::CertificateExpired { .. } => self.status = Status::Expired,
            Entry::CertificateRevoked { .. } => self.status = Status::Revoked,
            Entry::CertificateCancelled { .. } => self.status = Status::Cancelled,
            Entry::CertificateRenewed { valid_until, .. } => self.valid_until = *valid_until,
            Entry::CertificateTransferred { new_holder, .. } => self.holder = new_holder.clone(),
            Entry::PledgeRecorded(pledge) => self.pledges.push(pledge.clone()),
            Entry::PledgeReleased(released) => {
                let at = self.pledges.iter().position(|pledge| same_pledge(pledge, released));
                self.pledges.remove(at.ok_or("the release of a pledge not of record")?);
            }
            Entry::MeasureRecorded(measure) => self.measures.push(measure.clone()),
            Entry::MeasureLifted(lifted) => {
                let at = self.measures.iter().position(|measure| same_measure(measure, lifted));
                self.measures.remove(at.ok_or("the lifting of a measure not in force")?);
            }
            Entry::LicenseRecorded { .. } | Entry::CertificateChanged { .. } => {}
        }
        Ok(())
    }

    /// The record as a statement at `as_of`, unsigned.
    pub fn statement(&self, number: &str, as_of: DateTime<Utc>, tree_size: u64) -> Statement {
        let status = match self.status {
            Status::Active if self.valid_until <= as_of => Status::Expired,
            status => status,
        };
        let (kind, name) = match &self.holder {
            Party::Organization(organization) => ("organization", &organization.name),
            Party::Person(person) => ("person", &person.name),
        };
        let mut pledgees: Vec<Pledgee> = self
            .pledges
            .iter()
            // Pledges from before ranks were recorded are the only ones of
            // their certificate: a second pledge then was refused.
            .map(|pledge| Pledgee { name: pledge.pledgee.name.clone(), rank: pledge.rank.unwrap_or(1) })
            .collect();
        pledgees.sort_by_key(|pledgee| pledgee.rank);
        Statement {
            kind: STATEMENT_TYPE.into(),
            certificate_number: number.into(),
            status,
            holders: vec![Holder { kind: kind.into(), name: name.clone() }],
            pledged: !pledgees.is_empty(),
            pledgees,
            preserved: !self.measures.is_empty(),
            measures: self
                .measures
                .iter()
                .map(|measure| MeasureInForce {
                    authority: measure.authority.clone(),
                    kind: measure.kind.clone(),
                    document_number: measure.document_number.clone(),
                    starts_on: measure.starts_on,
                    ends_on: measure.ends_on,
                })
                .collect(),
            valid_from: Some(self.valid_from),
            valid_until: Some(self.valid_until),
            as_of,
            tree_size,
            pending: false,
            signature: None,
            proof: None,
        }
    }
}

/// A release names its pledge by repeating it: equal but for the time.
fn same_pledge(recorded: &Pledge, released: &Pledge) -> bool {
    Pledge { recorded_at: released.recorded_at, ..recorded.clone() } == *released
}

/// A lifting names its measure by repeating it: equal but for the time.
fn same_measure(recorded: &Measure, lifted: &Measure) -> bool {
    Measure { recorded_at: lifted.recorded_at, ..recorded.clone() } == *lifted
}

/// A statement of a number the ledger does not hold (up to `tree_size`).
pub fn unknown(number: &str, as_of: DateTime<Utc>, tree_size: u64) -> Statement {
    Statement {
        kind: STATEMENT_TYPE.into(),
        certificate_number: number.into(),
        status: Status::Unknown,
        holders: Vec::new(),
        pledged: false,
        pledgees: Vec::new(),
        preserved: false,
        measures: Vec::new(),
        valid_from: None,
        valid_until: None,
        as_of,
        tree_size,
        pending: false,
        signature: None,
        proof: None,
    }
}

/// Every certificate's record, rebuilt from entries in log order: what the
/// registry computes each statement from, and what an auditor replays from
/// the tiles to check the registry's answers.
#[derive(Debug, Default)]
pub struct Replay {
    records: BTreeMap<String, Record>,
    /// Entries that did not fit their certificate's record, by index.
    pub problems: Vec<(u64, String)>,
}

impl Replay {
    /// Applies the entry at `index` (entries must come in log order).
    pub fn push(&mut self, index: u64, entry: &Entry) {
        let number = entry.certificate_number();
        let outcome = match (entry, self.records.get_mut(number)) {
            (Entry::CertificateIssued { document, .. }, None) => {
                let record = Record {
                    status: Status::Active,
                    holder: document.holder.clone(),
                    valid_from: document.valid_from,
                    valid_until: document.valid_until,
                    pledges: Vec::new(),
                    measures: Vec::new(),
                    latest: index,
                };
                self.records.insert(number.to_owned(), record);
                Ok(())
            }
            (_, Some(record)) => record.apply(index, entry),
            (_, None) => Err(format!("a {} entry of a certificate never issued", entry.type_name())),
        };
        if let Err(problem) = outcome {
            self.problems.push((index, format!("{number}: {problem}")));
        }
    }

    /// A certificate's record, if it was issued.
    pub fn record(&self, number: &str) -> Option<&Record> {
        self.records.get(number)
    }

    /// Every certificate's record, by number.
    pub fn records(&self) -> impl Iterator<Item = (&String, &Record)> {
        self.records.iter()
    }

    /// A certificate's statement at `as_of` (`unknown` if never issued),
    /// unsigned and without its proof.
    pub fn statement(&self, number: &str, as_of: DateTime<Utc>, tree_size: u64) -> Statement {
        match self.records.get(number) {
            Some(record) => record.statement(number, as_of, tree_size),
            None => unknown(number, as_of, tree_size),
        }
    }
}

/// The first line of a bundle: the checkpoint every statement in it is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleHeader {
    /// Always `dataip.status-bundle/v1`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(rename = "type", example = "dataip.status-bundle/v1"))]
    pub kind: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint (C2SP signed note, with the witnesses' cosignatures).
    pub checkpoint: String,
    /// How many statements follow, one per number asked, in the order asked.
    pub count: usize,
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::{
        checkpoint::Checkpoint,
        document::{CertificateDocument, Money},
        entry::Named,
        merkle,
        note::{self, ED25519_TYPE},
        policy::Log,
        policy::Policy,
        proof::Proof,
    };

    const NUMBER: &str = "20261131000000001";

    fn issued() -> Entry {
        let document: CertificateDocument = serde_json::from_value(serde_json::json!({
            "certificate_number": NUMBER, "registration_number": "3100202600000017",
            "holder": {"name": "上海数据科技有限公司", "credit_code": "91310000MA1FL4B24G"},
            "product": {"name": "数据集", "category": "data_collection", "abstract": "a"},
            "materials": [], "issued_at": "2026-11-26T08:00:00Z", "valid_from": "2026-11-26T08:00:00Z",
            "valid_until": "2029-11-26T08:00:00Z", "issuer": {"name": "Registry", "code": "3100"}
        }))
        .expect("document");
        Entry::CertificateIssued {
            document,
            signature: Signature { alg: "Ed25519".into(), key_id: "k".into(), value: "cw==".into() },
        }
    }

    fn pledge(rank: u32, name: &str) -> Pledge {
        Pledge {
            certificate_number: NUMBER.into(),
            recorded_at: "2027-01-01T00:00:00Z".parse().expect("time"),
            pledgee: Named { name: name.into() },
            starts_on: "2027-01-01".parse().expect("date"),
            ends_on: "2027-12-31".parse().expect("date"),
            secured_amount: Some(Money { amount: "1.00".into(), currency: "CNY".into() }),
            rank: Some(rank),
            commitments: [(crate::entry::private::PLEDGEE_CREDIT_CODE.to_owned(), "c".repeat(64))].into(),
        }
    }

    #[test]
    fn entries_fold_into_the_status() {
        let mut replay = Replay::default();
        replay.push(0, &issued());
        replay.push(1, &Entry::PledgeRecorded(pledge(1, "上海银行")));
        replay.push(2, &Entry::PledgeRecorded(pledge(2, "浦发银行")));
        let mut released = pledge(1, "上海银行");
        released.recorded_at = "2027-02-01T00:00:00Z".parse().expect("time");
        replay.push(3, &Entry::PledgeReleased(released.clone()));
        let now: DateTime<Utc> = "2027-03-01T00:00:00Z".parse().expect("time");
        let statement = replay.statement(NUMBER, now, 4);
        assert_eq!(statement.pledgees, vec![Pledgee { name: "浦发银行".into(), rank: 2 }]);
        assert_eq!(replay.record(NUMBER).map(|r| r.latest), Some(3));
        replay.push(4, &Entry::PledgeReleased(released));
        assert_eq!(replay.problems.len(), 1, "a second release of one pledge does not fit");
        let later: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().expect("time");
        assert_eq!(replay.statement(NUMBER, later, 5).status, Status::Expired, "past its validity");
    }

    #[test]
    fn signed_statements_verify_and_tampered_ones_do_not() {
        let signer = Signer::from_seed(&[7u8; 32]).expect("key");
        let origin = "example.org/log";
        let entry = issued().to_bytes().expect("bytes");
        let mut tree = merkle::MemoryTree::new();
        tree.push(merkle::leaf_hash(&entry));
        let checkpoint = Checkpoint { origin: origin.into(), size: 1, root: tree.root() }.sign(&signer);
        let mut replay = Replay::default();
        replay.push(0, &issued());
        let now = Utc::now();
        let mut statement = replay.statement(NUMBER, now, 1);
        statement.proof = Some(Proof { extra: Some(entry), index: 0, inclusion: vec![], checkpoint }.to_text());
        statement.sign(&signer).expect("signed");
        let policy = Policy::parse(&Policy::suggested(
            Log { key: note::verifier_key(origin, ED25519_TYPE, &signer), url: None },
            vec![],
        ))
        .expect("policy");
        let expect = Expectations { now, max_age: Some(Duration::days(1)) };
        let json = serde_json::to_value(&statement).expect("json");
        let (checks, _) = verify(&json, &policy, expect);
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");

        let mut tampered = json.clone();
        tampered["pledged"] = serde_json::json!(true);
        let (checks, _) = verify(&tampered, &policy, expect);
        assert!(checks.iter().any(|c| c.name == "statement signature" && !c.passed));

        let stale = Expectations { now: now + Duration::days(2), max_age: Some(Duration::days(1)) };
        let (checks, _) = verify(&json, &policy, stale);
        assert!(checks.iter().any(|c| c.name == "age" && !c.passed && c.detail.contains("stale")));

        let mut bare = json;
        bare["proof"] = serde_json::Value::Null;
        let (checks, _) = verify(&bare, &policy, expect);
        assert!(checks.iter().any(|c| c.name == "proof" && !c.passed));
    }
}
