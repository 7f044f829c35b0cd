//! Checking an offline proof (C2SP tlog-proof) of a certificate's issuance
//! against a policy (C2SP tlog-policy), with no network: the checkpoint is
//! signed by a log the policy lists, enough witnesses cosigned it, the
//! entry in the proof is a well-formed issuance entry whose document the
//! registry signed, and the inclusion proof binds that entry to the
//! checkpoint's root.
//!
//! # Examples
//!
//! ```
//! use tlog::{
//!     checkpoint::Checkpoint,
//!     document::CertificateDocument,
//!     entry::Entry,
//!     merkle,
//!     note::{self, COSIGNATURE_V1_TYPE, Note},
//!     offline,
//!     policy::{Log, Policy, Witness},
//!     proof::Proof,
//!     signing::{Signer, canonical_json},
//! };
//!
//! // The registry issues a certificate, appends it and has a witness cosign
//! // the checkpoint.
//! let (registry, witness) = (Signer::from_seed(&[7u8; 32])?, Signer::from_seed(&[9u8; 32])?);
//! let origin = "example.org/log";
//! let document: CertificateDocument = serde_json::from_value(serde_json::json!({
//!     "certificate_number": "20261131000000001", "registration_number": "3100202600000017",
//!     "holder": {"name": "上海数据科技有限公司", "credit_code": "91310000MA1FL4B24G"},
//!     "product": {"name": "长三角物流时效数据集", "category": "data_collection", "abstract": "物流时效数据"},
//!     "materials": [], "issued_at": "2026-11-26T08:00:00Z", "valid_from": "2026-11-26T08:00:00Z",
//!     "valid_until": "2029-11-26T08:00:00Z", "issuer": {"name": "Data Product IP Registry", "code": "3100"}
//! }))?;
//! let signature = registry.sign(&canonical_json(&document)?);
//! let entry = Entry::CertificateIssued { document, signature }.to_bytes()?;
//! let mut tree = merkle::MemoryTree::new();
//! tree.push(merkle::leaf_hash(&entry));
//! let body = Checkpoint { origin: origin.into(), size: 1, root: tree.root() }.body();
//! let checkpoint = Note {
//!     signatures: vec![note::sign(&body, origin, &registry), note::cosign(&body, "w.example", &witness, 1_700_000_000)],
//!     body,
//! };
//! let proof = Proof { extra: Some(entry), index: 0, inclusion: vec![], checkpoint: checkpoint.to_text() };
//! let policy = Policy::suggested(
//!     Log { key: note::verifier_key(origin, note::ED25519_TYPE, &registry), url: None },
//!     vec![Witness { name: "w".into(), key: note::verifier_key("w.example", COSIGNATURE_V1_TYPE, &witness), url: None }],
//! );
//!
//! // A court, with the proof file and the policy file.
//! let (checks, established) = offline::verify(&Proof::parse(&proof.to_text())?, &Policy::parse(&policy)?);
//! assert!(checks.iter().all(|check| check.passed), "{checks:?}");
//! assert_eq!(established.certificate_number.as_deref(), Some("20261131000000001"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;

use chrono::DateTime;

use crate::{
    checkpoint::Checkpoint,
    entry::Entry,
    merkle,
    note::{Note, Signed},
    policy::{Log, Policy},
    proof::Proof,
    signing,
    verify::Check,
};

/// What a checked proof established, for the report's conclusion.
#[derive(Debug, Clone, Default)]
pub struct Established {
    /// The certificate whose issuance the entry is, if it is one.
    pub certificate_number: Option<String>,
    /// The entry's index in the log.
    pub index: u64,
    /// The size of the tree the checkpoint signs.
    pub tree_size: u64,
    /// The URL the policy gives for the log, if any.
    pub log_url: Option<String>,
}

/// Runs every check; later checks run even when earlier ones fail, so the
/// report names everything that failed.
pub fn verify(proof: &Proof, policy: &Policy) -> (Vec<Check>, Established) {
    let mut established = Established { index: proof.index, ..Established::default() };
    let (mut checks, log, checkpoint) = check_checkpoint(proof, policy);
    if let Ok(checkpoint) = &checkpoint {
        established.tree_size = checkpoint.size;
    }
    if let Ok(log) = &log {
        established.log_url = log.url.clone();
    }

    // The entry and the registry's signature on its document.
    let entry = proof.extra.as_deref().ok_or_else(|| "the proof carries no entry (no extra line)".to_owned());
    let parsed =
        entry.clone().and_then(|bytes| Entry::parse(bytes).map_err(|e| format!("the entry is malformed: {e}")));
    checks.push(Check::new(
        "entry",
        parsed.clone().and_then(|entry| match entry {
            Entry::CertificateIssued { document, .. } => {
                established.certificate_number = Some(document.certificate_number.clone());
                Ok(format!("the issuance of certificate {} to {}", document.certificate_number, document.holder.name()))
            }
            other => Err(format!("a {} entry, not a certificate's issuance", other.type_name())),
        }),
    ));
    checks.push(Check::new(
        "document signature",
        parsed.and_then(|entry| {
            let Entry::CertificateIssued { document, signature } = entry else {
                return Err("no issuance document to check".into());
            };
            let log = log.clone().map_err(|_| "no log key the policy trusts signed the checkpoint".to_owned())?;
            let key_id = signing::key_id(&log.key.public_key);
            let bytes = signing::canonical_json(&document).map_err(|e| e.to_string())?;
            if signature.key_id != key_id || !signing::verify(&log.key.public_key, &bytes, &signature) {
                return Err(format!("the document is not signed by the log's key ({key_id})"));
            }
            Ok(format!("Ed25519 by the registry's key {key_id} over the RFC 8785 bytes of the document"))
        }),
    ));

    // The inclusion proof.
    checks.push(check_inclusion(proof, entry.as_deref().map_err(Clone::clone), &checkpoint));
    (checks, established)
}

/// The checks of a proof's checkpoint against a policy: the log's
/// signature and the witnesses' quorum. Returns them with the log that
/// signed and the parsed checkpoint (or why there is none), for the checks
/// that follow.
pub(crate) fn check_checkpoint<'p>(
    proof: &Proof,
    policy: &'p Policy,
) -> (Vec<Check>, Result<&'p Log, String>, Result<Checkpoint, String>) {
    let mut checks = Vec::new();
    let note = Note::parse(&proof.checkpoint).map_err(|e| e.to_string());
    let checkpoint = note.clone().and_then(|note| Checkpoint::parse_body(&note.body).map_err(|e| e.to_string()));

    // The log's signature.
    let log: Result<&Log, String> = match (&note, &checkpoint) {
        (Ok(note), Ok(checkpoint)) => {
            let candidates: Vec<&Log> = policy.logs.iter().filter(|log| log.key.name == checkpoint.origin).collect();
            match candidates.iter().find(|log| matches!(note.signed_by(&log.key), Signed::Valid { .. })) {
                Some(log) => Ok(*log),
                None if candidates.is_empty() => {
                    Err(format!("the policy lists no log of origin {}", checkpoint.origin))
                }
                None => Err(format!("the checkpoint's signature by {} does not verify", checkpoint.origin)),
            }
        }
        (Err(error), _) | (_, Err(error)) => Err(format!("the checkpoint is malformed: {error}")),
    };
    checks.push(Check::new(
        "checkpoint signature",
        log.clone().and_then(|log| {
            let checkpoint = checkpoint.as_ref().map_err(Clone::clone)?;
            Ok(format!("tree size {} signed by the log {}", checkpoint.size, log.key))
        }),
    ));

    // The witnesses' cosignatures.
    checks.push(Check::new(
        "witness cosignatures",
        note.as_ref().map_err(|e| format!("the checkpoint is malformed: {e}")).and_then(|note| {
            let mut cosigned = HashSet::new();
            let mut seen = Vec::new();
            let mut invalid = Vec::new();
            for witness in &policy.witnesses {
                match note.signed_by(&witness.key) {
                    Signed::Valid { timestamp } => {
                        cosigned.insert(witness.name.as_str());
                        let at = timestamp
                            .and_then(|t| DateTime::from_timestamp(i64::try_from(t).ok()?, 0))
                            .map_or_else(String::new, |at| format!(" at {}", at.format("%Y-%m-%dT%H:%M:%SZ")));
                        seen.push(format!("{}{at}", witness.name));
                    }
                    Signed::Invalid => invalid.push(witness.name.clone()),
                    Signed::Absent => {}
                }
            }
            let mut detail = match seen.is_empty() {
                true => "no witness the policy knows cosigned".to_owned(),
                false => format!("cosigned by {}", seen.join(", ")),
            };
            if !invalid.is_empty() {
                detail.push_str(&format!("; cosignatures by {} do not verify", invalid.join(", ")));
            }
            match policy.quorum_met(&cosigned) {
                true => Ok(format!("{detail}: the policy's quorum ({}) is met", policy.quorum)),
                false => Err(format!("{detail}: the policy's quorum ({}) is not met", policy.quorum)),
            }
        }),
    ));

    (checks, log, checkpoint)
}

/// The check that the proof's inclusion hashes lead from `entry` to the
/// checkpoint's root.
pub(crate) fn check_inclusion(
    proof: &Proof,
    entry: Result<&[u8], String>,
    checkpoint: &Result<Checkpoint, String>,
) -> Check {
    Check::new(
        "inclusion proof",
        entry.and_then(|bytes| {
            let checkpoint = checkpoint.as_ref().map_err(Clone::clone)?;
            let leaf = merkle::leaf_hash(bytes);
            match merkle::verify_inclusion(&leaf, proof.index, checkpoint.size, &proof.inclusion, &checkpoint.root) {
                true => Ok(format!(
                    "{} hashes lead from leaf {} to the root of the tree of {}",
                    proof.inclusion.len(),
                    proof.index,
                    checkpoint.size
                )),
                false => Err(format!("the proof does not lead from leaf {} to the checkpoint's root", proof.index)),
            }
        }),
    )
}
