//! Offline verification, needing nothing but a file the registry gave out
//! and the registry's public key:
//! - a certificate: its signature, its ledger leaf, the leaf's inclusion
//!   proof and the checkpoint's signature;
//! - a disclosure of an act's private fields: each disclosed value against
//!   the commitment in the act's ledger entry, then the entry's leaf,
//!   inclusion proof and checkpoint.
//!
//! # Examples
//!
//! A certificate issued, appended to a log, and checked by someone who has
//! only the certificate's JSON and the registry's public key:
//!
//! ```
//! use tlog::{
//!     Receipt,
//!     checkpoint::Checkpoint,
//!     document::CertificateDocument,
//!     entry::Entry,
//!     merkle,
//!     signing::{Signer, canonical_json},
//!     verify::{self, Certificate},
//! };
//!
//! // The registry's side.
//! let signer = Signer::from_seed(&[7u8; 32])?;
//! let document: CertificateDocument = serde_json::from_value(serde_json::json!({
//!     "certificate_number": "20261131000000001", "registration_number": "3100202600000017",
//!     "holder": {"name": "上海数据科技有限公司", "credit_code": "91310000MA1FL4B24G"},
//!     "product": {"name": "长三角物流时效数据集", "category": "data_collection", "abstract": "物流时效数据"},
//!     "materials": [{"kind": "summary", "sha256": "ab"}],
//!     "issued_at": "2026-11-26T08:00:00Z", "valid_from": "2026-11-26T08:00:00Z",
//!     "valid_until": "2029-11-26T08:00:00Z", "issuer": {"name": "Data Product IP Registry", "code": "3100"}
//! }))?;
//! let signature = signer.sign(&canonical_json(&document)?);
//! let entry = Entry::CertificateIssued { document: document.clone(), signature: signature.clone() }.to_bytes()?;
//! let mut tree = merkle::MemoryTree::new();
//! tree.push(merkle::leaf_hash(b"an earlier entry"));
//! tree.push(merkle::leaf_hash(&entry));
//! let origin = "example.org/log";
//! let receipt = Receipt {
//!     origin: origin.into(),
//!     leaf_index: 1,
//!     leaf_hash: hex::encode(merkle::leaf_hash(&entry)),
//!     tree_size: 2,
//!     root_hash: hex::encode(tree.root()),
//!     inclusion_proof: merkle::inclusion_proof(&tree, 1, 2)?.iter().map(hex::encode).collect(),
//!     checkpoint: Checkpoint { origin: origin.into(), size: 2, root: tree.root() }.sign(&signer),
//! };
//! let json = serde_json::json!({"document": document, "signature": signature, "ledger": receipt});
//!
//! // The verifier's side.
//! let certificate: Certificate = serde_json::from_value(json)?;
//! let checks = verify::verify(&certificate, signer.public_key());
//! let names: Vec<&str> = checks.iter().map(|check| check.name.as_str()).collect();
//! assert_eq!(names, ["document signature", "ledger leaf", "inclusion proof", "checkpoint"]);
//! assert!(checks.iter().all(|check| check.passed), "{checks:?}");
//!
//! let stranger = Signer::from_seed(&[8u8; 32])?;
//! assert!(verify::verify(&certificate, stranger.public_key()).iter().any(|check| !check.passed));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use crate::commitment::Opening;
use crate::{
    Receipt, checkpoint,
    commitment::Openings,
    document::CertificateDocument,
    entry::Entry,
    merkle,
    signing::{self, Signature},
};

/// The parts of a certificate that verification reads; both the holder's
/// and the public record carry them.
#[derive(Debug, Deserialize)]
pub struct Certificate {
    /// The signed issuance document.
    pub document: CertificateDocument,
    /// The registry's signature over the document's RFC 8785 bytes.
    pub signature: Signature,
    /// Where its issuance stands in the ledger; none until appended.
    pub ledger: Option<Receipt>,
}

/// The private fields of an act's ledger entry, disclosed by the
/// organization whose terms they are: each field's value and salt, with the
/// entry and its receipt so that the whole chain checks offline. Fields one
/// does not wish to disclose can be deleted from `openings`; the rest still
/// verify.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    /// The act whose terms are disclosed; absent when the disclosure is of
    /// the certificate's own issuance (a person holder's identity number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_id: Option<Uuid>,
    /// The certificate the act is about.
    pub certificate_number: String,
    /// Field path → value and salt.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, Opening>))]
    pub openings: Openings,
    /// Base64 of the ledger leaf's exact bytes; null until the worker
    /// appends the entry.
    pub entry: Option<String>,
    /// The leaf's inclusion in the latest checkpoint; null until appended.
    pub ledger: Option<Receipt>,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `inclusion proof`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found: why it passed, or why not.
    pub detail: String,
}

impl Check {
    pub(crate) fn new(name: impl Into<String>, outcome: Result<String, String>) -> Self {
        let name = name.into();
        match outcome {
            Ok(detail) => Self { name, passed: true, detail },
            Err(detail) => Self { name, passed: false, detail },
        }
    }
}

/// Runs every check of a certificate; later checks run even when earlier
/// ones fail, so the report is complete.
pub fn verify(certificate: &Certificate, public_key: &[u8]) -> Vec<Check> {
    let mut checks = Vec::new();
    let document = signing::canonical_json(&certificate.document).map_err(|e| e.to_string());
    checks.push(Check::new(
        "document signature",
        document.and_then(|bytes| {
            let key_id = signing::key_id(public_key);
            if certificate.signature.key_id != key_id {
                return Err(format!("signed by key {}, not by this key ({key_id})", certificate.signature.key_id));
            }
            if signing::verify(public_key, &bytes, &certificate.signature) {
                Ok(format!("Ed25519 by key {key_id} over the RFC 8785 bytes of the document"))
            } else {
                Err("the signature does not match the document".into())
            }
        }),
    ));
    let Some(receipt) = &certificate.ledger else {
        checks.push(Check::new("ledger receipt", Err("the certificate has no ledger receipt yet".into())));
        return checks;
    };
    let entry =
        Entry::CertificateIssued { document: certificate.document.clone(), signature: certificate.signature.clone() };
    let bytes = entry.to_bytes().map_err(|e| e.to_string());
    checks.extend(verify_leaf(bytes, receipt, public_key));
    checks
}

/// Runs every check of a disclosure: the entry is the certificate's, each
/// disclosed value opens its commitment in the entry, and the entry is a
/// leaf of the signed tree.
///
/// # Examples
///
/// A disclosure of an act not yet on the ledger checks nothing:
///
/// ```
/// use tlog::verify::{self, Disclosure};
///
/// let disclosure: Disclosure = serde_json::from_value(serde_json::json!({
///     "act_id": "0190a4e4-0000-7000-8000-000000000000", "certificate_number": "20261131000000001",
///     "openings": {}, "entry": null, "ledger": null
/// }))?;
/// let checks = verify::verify_disclosure(&disclosure, &[0; 32]);
/// assert_eq!(checks.len(), 1);
/// assert!(!checks[0].passed);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn verify_disclosure(disclosure: &Disclosure, public_key: &[u8]) -> Vec<Check> {
    let mut checks = Vec::new();
    let (Some(encoded), Some(receipt)) = (&disclosure.entry, &disclosure.ledger) else {
        checks.push(Check::new("ledger entry", Err("the act is not on the ledger yet".into())));
        return checks;
    };
    let bytes = STANDARD.decode(encoded).map_err(|_| "the entry is not base64".to_owned());
    let entry = bytes.clone().and_then(|bytes| Entry::parse(&bytes).map_err(|e| e.to_string()));
    checks.push(Check::new(
        "ledger entry",
        entry.clone().and_then(|entry| {
            if entry.certificate_number() == disclosure.certificate_number {
                Ok(format!("a {} entry of certificate {}", entry.type_name(), disclosure.certificate_number))
            } else {
                Err(format!(
                    "the entry is about certificate {}, not {}",
                    entry.certificate_number(),
                    disclosure.certificate_number
                ))
            }
        }),
    ));
    if disclosure.openings.is_empty() {
        checks.push(Check::new("openings", Err("the file discloses no field".into())));
    }
    for (path, opening) in &disclosure.openings {
        let outcome = entry.clone().and_then(|entry| {
            let committed = entry.commitment(path).ok_or_else(|| format!("the entry commits to no field {path:?}"))?;
            let computed = opening.commitment(path).map_err(|e| e.to_string())?;
            if computed == committed {
                Ok(format!("{} is the committed value ({committed})", opening.value))
            } else {
                Err(format!("{} with this salt commits to {computed}, the entry to {committed}", opening.value))
            }
        });
        checks.push(Check::new(format!("opening {path}"), outcome));
    }
    checks.extend(verify_leaf(bytes, receipt, public_key));
    checks
}

/// The checks that an entry's bytes are a leaf of the signed tree: its
/// hash, its inclusion proof and the checkpoint's signature.
fn verify_leaf(entry: Result<Vec<u8>, String>, receipt: &Receipt, public_key: &[u8]) -> Vec<Check> {
    let leaf = entry.map(|bytes| merkle::leaf_hash(&bytes));
    let mut checks = vec![Check::new(
        "ledger leaf",
        leaf.clone().and_then(|leaf| {
            if hex::encode(leaf) == receipt.leaf_hash {
                Ok(format!("leaf {} = SHA-256(0x00 ‖ entry) = {}", receipt.leaf_index, receipt.leaf_hash))
            } else {
                Err(format!("the entry hashes to {}, the receipt says {}", hex::encode(leaf), receipt.leaf_hash))
            }
        }),
    )];
    let root = decode_hash(&receipt.root_hash);
    let proof: Result<Vec<merkle::Hash>, String> = receipt.inclusion_proof.iter().map(|h| decode_hash(h)).collect();
    checks.push(Check::new(
        "inclusion proof",
        leaf.and_then(|leaf| {
            let (root, proof) = (root.clone()?, proof?);
            if merkle::verify_inclusion(&leaf, receipt.leaf_index, receipt.tree_size, &proof, &root) {
                Ok(format!(
                    "{} hashes lead from leaf {} to root {} of a tree of {}",
                    proof.len(),
                    receipt.leaf_index,
                    receipt.root_hash,
                    receipt.tree_size
                ))
            } else {
                Err("the proof does not lead to the receipt's root".into())
            }
        }),
    ));
    checks.push(Check::new(
        "checkpoint",
        checkpoint::open(&receipt.checkpoint, &receipt.origin, public_key).map_err(|e| e.to_string()).and_then(
            |opened| {
                let root = root?;
                if opened.size == receipt.tree_size && opened.root == root && opened.origin == receipt.origin {
                    Ok(format!("signed note of {} for tree size {} and that root", receipt.origin, opened.size))
                } else {
                    Err("the signed checkpoint names another tree size or root".into())
                }
            },
        ),
    ));
    checks
}

fn decode_hash(text: &str) -> Result<merkle::Hash, String> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| format!("{text:?} is not a hex SHA-256"))
}
