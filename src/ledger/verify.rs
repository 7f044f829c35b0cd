//! Offline verification of a certificate: its signature, its ledger leaf,
//! the leaf's inclusion proof and the checkpoint's signature. Needs nothing
//! but the certificate (as the API serves it) and the registry's public key.

use serde::Deserialize;

use super::{Receipt, checkpoint, merkle};
use crate::signing::{self, Signature};

/// The parts of a certificate that verification reads; both the holder's
/// and the public record carry them.
#[derive(Debug, Deserialize)]
pub struct Certificate {
    pub document: serde_json::Value,
    pub signature: Signature,
    pub ledger: Option<Receipt>,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

impl Check {
    fn new(name: &'static str, outcome: Result<String, String>) -> Self {
        match outcome {
            Ok(detail) => Self { name, passed: true, detail },
            Err(detail) => Self { name, passed: false, detail },
        }
    }
}

/// Runs every check; later checks run even when earlier ones fail, so the
/// report is complete.
pub fn verify(certificate: &Certificate, public_key: &[u8]) -> Vec<Check> {
    let mut checks = Vec::new();
    let document = signing::canonical_json(&certificate.document).map_err(|e| e.to_string());
    checks.push(Check::new(
        "document signature",
        document.clone().and_then(|bytes| {
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
    let entry = signing::canonical_json(&serde_json::json!({
        "type": "certificate.issued",
        "document": certificate.document,
        "signature": certificate.signature,
    }));
    let leaf = entry.map(|bytes| merkle::leaf_hash(&bytes)).map_err(|e| e.to_string());
    checks.push(Check::new(
        "ledger leaf",
        leaf.clone().and_then(|leaf| {
            if hex::encode(leaf) == receipt.leaf_hash {
                Ok(format!(
                    "leaf {} = SHA-256(0x00 ‖ certificate.issued entry) = {}",
                    receipt.leaf_index, receipt.leaf_hash
                ))
            } else {
                Err(format!("the entry hashes to {}, the receipt says {}", hex::encode(leaf), receipt.leaf_hash))
            }
        }),
    ));
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
