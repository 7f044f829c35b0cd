//! How the ledger grows: appends in worker-sized batches up to `size`
//! leaves, then inclusion and consistency proofs against the whole log,
//! each checked.

use std::time::{Duration, Instant};

use chrono::Utc;
use dataip::ledger::{Ledger, PgLedger};
use tlog::merkle;

use super::database::BenchDatabase;

/// Entries per append: the worker's default batch.
const BATCH: usize = 10_000;
/// About the size of a real `certificate.issued` entry.
const ENTRY_BYTES: usize = 900;

pub struct LedgerRun {
    /// Every append, in order of the batches.
    pub total: Duration,
    /// The last batch's append alone.
    pub last_batch: Duration,
    pub last_batch_size: usize,
    /// One sample per proof, sorted.
    pub inclusion: Vec<Duration>,
    pub consistency: Vec<Duration>,
}

/// Appends `size` leaves, then times `proofs` inclusion proofs of random
/// leaves and a tenth as many consistency proofs from random earlier sizes.
pub async fn run(size: usize, proofs: usize) -> anyhow::Result<LedgerRun> {
    anyhow::ensure!(size > 0, "an empty ledger has no proofs to time");
    let database = BenchDatabase::create().await?;
    let signer = dataip::secrets::signing_key(&database.config)?;
    let origin = database.config.ledger.origin.clone();

    let started = Instant::now();
    let (mut last_batch, mut last_batch_size) = (Duration::ZERO, 0);
    let mut appended = 0;
    while appended < size {
        let count = BATCH.min(size - appended);
        let entries: Vec<Vec<u8>> = (appended..appended + count).map(entry).collect();
        let batch_started = Instant::now();
        let mut tx = database.pool.begin().await?;
        PgLedger { conn: &mut tx, signer: &signer, origin: &origin }.append(&entries, Utc::now()).await?;
        tx.commit().await?;
        (last_batch, last_batch_size) = (batch_started.elapsed(), count);
        appended += count;
    }
    let total = started.elapsed();

    let mut conn = database.pool.acquire().await?;
    let mut ledger = PgLedger { conn: &mut conn, signer: &signer, origin: &origin };
    let n = size as u64;
    let mut random = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        random = random.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        random
    };
    let mut inclusion = Vec::with_capacity(proofs);
    for _ in 0..proofs {
        let index = next() % n;
        let proof_started = Instant::now();
        let (proof, root) = ledger.inclusion_proof(index, n).await?;
        inclusion.push(proof_started.elapsed());
        let leaf = merkle::leaf_hash(&entry(index as usize));
        anyhow::ensure!(merkle::verify_inclusion(&leaf, index, n, &proof, &root), "bad proof for leaf {index}");
    }
    let mut consistency = Vec::with_capacity(proofs / 10);
    for _ in 0..proofs.div_ceil(10) {
        let first = 1 + next() % n;
        let proof_started = Instant::now();
        ledger.consistency_proof(first, n).await?;
        consistency.push(proof_started.elapsed());
    }
    drop(conn);
    database.drop().await?;
    inclusion.sort_unstable();
    consistency.sort_unstable();
    Ok(LedgerRun { total, last_batch, last_batch_size, inclusion, consistency })
}

fn entry(index: usize) -> Vec<u8> {
    let mut entry = format!("{{\"type\":\"bench\",\"index\":{index},\"pad\":\"").into_bytes();
    entry.resize(ENTRY_BYTES - 2, b'x');
    entry.extend_from_slice(b"\"}");
    entry
}

/// The `p`th percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted.get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}
