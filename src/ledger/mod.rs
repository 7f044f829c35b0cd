//! The tamper-evident ledger: an append-only RFC 9162 Merkle log of every
//! act of public consequence, with signed checkpoints, optionally anchored
//! to a blockchain.
//!
//! [`Ledger`] is what the registry needs of a log; [`PgLedger`] keeps it in
//! PostgreSQL, [`merkle::MemoryTree`] in memory (audits, benchmarks).

pub mod anchor;
pub mod audit;
pub mod checkpoint;
pub mod commitment;
pub mod entry;
pub mod merkle;
pub mod mirror;
pub mod note;
pub mod offline;
pub mod policy;
mod postgres;
pub mod proof;
pub mod tiles;
pub mod verify;

use std::future::Future;

use chrono::{DateTime, Utc};
pub use entry::Entry;
pub use postgres::PgLedger;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::{checkpoint::Checkpoint, merkle::Hash};

/// The result of an append: where the entries went and the new signed
/// checkpoint.
#[derive(Debug, Clone)]
pub struct Appended {
    pub first_index: u64,
    pub checkpoint: Checkpoint,
    /// The signed note of the checkpoint.
    pub note: String,
}

/// Where an entry stands in the ledger: everything needed to verify a
/// certificate's issuance offline. Hashes are lowercase hex.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub origin: String,
    pub leaf_index: u64,
    pub leaf_hash: String,
    pub tree_size: u64,
    pub root_hash: String,
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note) of `tree_size`.
    pub checkpoint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    OutOfRange(String),
    #[error(transparent)]
    Missing(#[from] merkle::MissingSubtree),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// An append-only log with signed checkpoints and proofs.
pub trait Ledger {
    /// Appends entries (one writer at a time) and signs the new checkpoint.
    fn append(
        &mut self,
        entries: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Appended, LedgerError>> + Send;

    /// The latest signed checkpoint, if anything was appended.
    fn latest(&mut self) -> impl Future<Output = Result<Option<(Checkpoint, String)>, LedgerError>> + Send;

    /// The root of the tree of the first `size` leaves.
    fn root(&mut self, size: u64) -> impl Future<Output = Result<Hash, LedgerError>> + Send;

    /// The inclusion proof of leaf `index` in the tree of `size` leaves, and
    /// the root it leads to.
    fn inclusion_proof(
        &mut self,
        index: u64,
        size: u64,
    ) -> impl Future<Output = Result<(Vec<Hash>, Hash), LedgerError>> + Send;

    /// The consistency proof from the tree of `first` leaves to that of `second`.
    fn consistency_proof(
        &mut self,
        first: u64,
        second: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, LedgerError>> + Send;
}
