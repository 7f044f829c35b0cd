//! The transparency log of the dataip registry, as formats and checks that
//! anyone can run: the dataip service builds its ledger on this crate, and a
//! bank, a court or an auditor can use it to check the registry's
//! certificates and proofs offline, trusting nothing but the registry's
//! public key (or a C2SP tlog-policy naming it and its witnesses).
//!
//! What is here, and the specifications it follows:
//!
//! - [`merkle`]: RFC 9162 Merkle trees: leaf and node hashes, roots,
//!   inclusion and consistency proofs ([`merkle::inclusion_proof`],
//!   [`merkle::verify_inclusion`], [`merkle::consistency_proof`],
//!   [`merkle::verify_consistency`]) and an in-memory tree.
//! - [`note`]: C2SP signed-note: verifier keys, notes and their signature
//!   lines, witness cosignatures (C2SP tlog-cosignature, `cosignature/v1`).
//! - [`checkpoint`]: C2SP tlog-checkpoint: the signed statement of a tree's
//!   size and root.
//! - [`tiles`]: C2SP tlog-tiles: tile paths and entry bundles.
//! - [`proof`] and [`policy`]: C2SP tlog-proof files (one file that proves
//!   an entry's inclusion offline) and C2SP tlog-policy files (which logs
//!   and witnesses a verifier trusts, and the quorum it needs).
//! - [`signing`]: the registry's Ed25519 signatures over RFC 8785 (JCS)
//!   canonical JSON.
//! - [`document`], [`entry`] and [`commitment`]: the registry's own formats:
//!   the signed certificate document, the one JSON shape of each kind of
//!   ledger entry, and the salted commitments that stand in an entry for
//!   the private terms of an act.
//! - [`verify`] and [`offline`]: offline verification of a certificate (or
//!   a disclosure of an act's private terms) with its ledger [`Receipt`],
//!   and of a tlog-proof against a tlog-policy.
//! - [`status`]: a certificate's status replayed from the log's entries,
//!   and the signed status statements (`dataip.status/v1`) and bundles
//!   that relying parties keep, with their offline checks.
//!
//! The crate does no I/O and keeps no state: storage, auditing, mirroring
//! and anchoring of the log, and the witness, are the service's.
//!
//! # Features
//!
//! None is on by default; a verifier needs none of them.
//!
//! - `openapi`: `utoipa::ToSchema` on the types the registry's API shows.
//! - `postgres`: `sqlx::Type` on the enums the registry keeps in PostgreSQL.
//! - `eserde`: `eserde::Deserialize` on the values the registry reads from
//!   filings.
//!
//! # Examples
//!
//! A log of three entries, a checkpoint of it, and a check of the second
//! entry's inclusion, all as a verifier would do it:
//!
//! ```
//! use tlog::{checkpoint::{self, Checkpoint}, merkle, signing::Signer};
//!
//! let signer = Signer::from_seed(&[7u8; 32])?;
//! let mut tree = merkle::MemoryTree::new();
//! for entry in ["one", "two", "three"] {
//!     tree.push(merkle::leaf_hash(entry.as_bytes()));
//! }
//! let note = Checkpoint { origin: "example.org/log".into(), size: tree.len(), root: tree.root() }.sign(&signer);
//! let proof = merkle::inclusion_proof(&tree, 1, tree.len())?;
//!
//! // The verifier's side: the note, the entry, its index and the proof.
//! let opened = checkpoint::open(&note, "example.org/log", signer.public_key())?;
//! assert!(merkle::verify_inclusion(&merkle::leaf_hash(b"two"), 1, opened.size, &proof, &opened.root));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod commitment;
pub mod document;
pub mod entry;
pub mod merkle;
pub mod note;
pub mod offline;
pub mod policy;
pub mod proof;
pub mod signing;
pub mod status;
pub mod tiles;
pub mod verify;

pub use entry::Entry;
use serde::{Deserialize, Serialize};

/// Where an entry stands in the ledger: everything needed to verify a
/// certificate's issuance offline. Hashes are lowercase hex.
///
/// # Examples
///
/// A receipt as the registry gives it out reads back from JSON:
///
/// ```
/// let receipt: tlog::Receipt = serde_json::from_str(r#"{
///     "origin": "example.org/log", "leaf_index": 0, "leaf_hash": "00", "tree_size": 1,
///     "root_hash": "00", "inclusion_proof": [], "checkpoint": "example.org/log\n1\n\n"
/// }"#)?;
/// assert_eq!(receipt.tree_size, 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The log's origin (the first line of its checkpoints).
    pub origin: String,
    /// The entry's index in the log, from 0.
    pub leaf_index: u64,
    /// The entry's leaf hash, SHA-256(0x00 ‖ entry).
    pub leaf_hash: String,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The root of that tree.
    pub root_hash: String,
    /// The inclusion proof (RFC 9162), deepest sibling first.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note) of `tree_size`.
    pub checkpoint: String,
}
