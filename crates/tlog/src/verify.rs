//! Offline verification, needing nothing but a file the registry gave out
//! and the registry's public key:
//! - a certificate: its signature, its ledger leaf, the leaf's inclusion
//!   proof and the checkpoint's signature;
//! - a disclosure of an act's private fields: each disclosed value against
//!   the commitment in the act's ledger entry, then the entry's leaf,
//!   inclusion proof and checkpoint.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Receipt, checkpoint,
    commitment::{Opening, Openings},
    entry::Entry,
    merkle,
};
use crate::{
    domain::CertificateDocument,
    signing::{self, Signature},
};

/// The parts of a certificate that verification reads; both the holder's
/// and the public record carry them.
#[derive(Debug, Deserialize)]
pub struct Certificate {
    pub document: CertificateDocument,
    pub signature: Signature,
    pub ledger: Option<Receipt>,
}

/// The private fields of an act's ledger entry, disclosed by the
/// organization whose terms they are: each field's value and salt, with the
/// entry and its receipt so that the whole chain checks offline. Fields one
/// does not wish to disclose can be deleted from `openings`; the rest still
/// verify.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Disclosure {
    pub act_id: Uuid,
    pub certificate_number: String,
    /// Field path → value and salt.
    #[schema(value_type = std::collections::BTreeMap<String, Opening>)]
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
    pub name: String,
    pub passed: bool,
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

/// Runs every check of a disclosure.
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
            let committed = entry
                .commitments()
                .and_then(|commitments| commitments.get(path))
                .ok_or_else(|| format!("the entry commits to no field {path:?}"))?;
            let computed = opening.commitment(path).map_err(|e| e.to_string())?;
            if &computed == committed {
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
