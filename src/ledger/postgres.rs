//! The ledger in PostgreSQL: leaves and perfect-subtree nodes, so that an
//! append writes O(batch + log n) rows and a proof reads O(log n) rows in
//! one query.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{Appended, Ledger, LedgerError};
use crate::db;
use tlog::signing::Signer;
use tlog::{
    checkpoint::Checkpoint,
    merkle::{self, Hash},
};

/// The ledger, in the caller's transaction.
pub struct PgLedger<'a> {
    pub conn: &'a mut PgConnection,
    pub signer: &'a Signer,
    pub origin: &'a str,
}

impl PgLedger<'_> {
    async fn subtrees(&mut self, wanted: &[(u32, u64)]) -> Result<HashMap<(u32, u64), Hash>, LedgerError> {
        Ok(db::ledger::nodes(self.conn, wanted).await?)
    }

    async fn size(&mut self) -> Result<u64, LedgerError> {
        Ok(db::ledger::size(self.conn).await?)
    }

    fn check_size(size: u64, current: u64) -> Result<(), LedgerError> {
        if size > current {
            return Err(LedgerError::OutOfRange(format!("the ledger has {current} entries, not {size}")));
        }
        Ok(())
    }
}

impl Ledger for PgLedger<'_> {
    async fn append(&mut self, entries: &[Vec<u8>], now: DateTime<Utc>) -> Result<Appended, LedgerError> {
        db::ledger::lock_appends(self.conn).await?;
        let size = self.size().await?;
        let peaks = self.subtrees(&merkle::needed_for_root(size)).await?;
        let leaves: Vec<Hash> = entries.iter().map(|entry| merkle::leaf_hash(entry)).collect();
        let added = merkle::subtrees_completed_by(size, &peaks, &leaves);
        // Each leaf is indexed by its certificate (an entry that is not the
        // registry's, as benchmarks append, by none).
        let numbers: Vec<String> = entries
            .iter()
            .map(|entry| tlog::Entry::parse(entry).map(|e| e.certificate_number().to_owned()).unwrap_or_default())
            .collect();
        db::ledger::insert_leaves(self.conn, size, entries, &leaves, &numbers, now).await?;
        db::ledger::insert_nodes(self.conn, &added).await?;

        let new_size = size + entries.len() as u64;
        let mut known = peaks;
        known.extend(added.into_iter().map(|(level, index, hash)| ((level, index), hash)));
        let root = merkle::root(&known, new_size)?;
        let checkpoint = Checkpoint { origin: self.origin.to_owned(), size: new_size, root };
        let note = checkpoint.sign(self.signer);
        db::ledger::insert_checkpoint(self.conn, new_size, &root, &note, now).await?;
        Ok(Appended { first_index: size, checkpoint, note })
    }

    async fn latest(&mut self) -> Result<Option<(Checkpoint, String)>, LedgerError> {
        let Some(row) = db::ledger::latest_checkpoint(self.conn).await? else { return Ok(None) };
        let root: Hash = row
            .root_hash
            .try_into()
            .map_err(|_| LedgerError::OutOfRange("a stored root hash is not 32 bytes".into()))?;
        let size = u64::try_from(row.tree_size).unwrap_or(0);
        Ok(Some((Checkpoint { origin: self.origin.to_owned(), size, root }, row.note)))
    }

    async fn root(&mut self, size: u64) -> Result<Hash, LedgerError> {
        let current = self.size().await?;
        Self::check_size(size, current)?;
        let known = self.subtrees(&merkle::needed_for_root(size)).await?;
        Ok(merkle::root(&known, size)?)
    }

    async fn inclusion_proof(&mut self, index: u64, size: u64) -> Result<(Vec<Hash>, Hash), LedgerError> {
        let current = self.size().await?;
        Self::check_size(size, current)?;
        if index >= size {
            return Err(LedgerError::OutOfRange(format!("index {index} is not below tree_size {size}")));
        }
        // The proof's subtrees and the root's, in one query.
        let mut wanted = merkle::needed_for_inclusion(index, size);
        wanted.extend(merkle::needed_for_root(size));
        let known = self.subtrees(&wanted).await?;
        Ok((merkle::inclusion_proof(&known, index, size)?, merkle::root(&known, size)?))
    }

    async fn consistency_proof(&mut self, first: u64, second: u64) -> Result<Vec<Hash>, LedgerError> {
        let current = self.size().await?;
        Self::check_size(second, current)?;
        if first == 0 || first > second {
            return Err(LedgerError::OutOfRange(format!("first must be between 1 and second ({second}), not {first}")));
        }
        let known = self.subtrees(&merkle::needed_for_consistency(first, second)).await?;
        Ok(merkle::consistency_proof(&known, first, second)?)
    }
}
