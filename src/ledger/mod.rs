//! The tamper-evident ledger: an append-only RFC 9162 Merkle log of every
//! act of public consequence, with signed checkpoints, optionally anchored
//! to a blockchain.
//!
//! [`Ledger`] is what the registry needs of a log; [`PgLedger`] keeps it in
//! PostgreSQL, [`tlog::merkle::MemoryTree`] in memory (audits, benchmarks).
//!
//! The log's formats, proofs and offline verification are the `tlog` crate
//! (crates/tlog); what is here is the service's: storage, audit, mirroring,
//! replay and anchoring.

pub mod anchor;
pub mod audit;
pub mod mirror;
mod postgres;
/// Every certificate's status recomputed from a log's tiles, and checked against the registry's answers.
pub mod replay;

use std::future::Future;

use chrono::{DateTime, Utc};
pub use postgres::PgLedger;

use tlog::{checkpoint::Checkpoint, merkle::Hash};

/// The result of an append: where the entries went and the new signed
/// checkpoint.
#[derive(Debug, Clone)]
pub struct Appended {
    pub first_index: u64,
    pub checkpoint: Checkpoint,
    /// The signed note of the checkpoint.
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    OutOfRange(String),
    #[error(transparent)]
    Missing(#[from] tlog::merkle::MissingSubtree),
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
