//! How the ledger grows: append throughput in worker-sized batches up to
//! 10k, 100k and 1M leaves, and inclusion-proof latency at the end.
//!
//!     cargo bench --bench ledger -- 10000 100000 1000000
//!
//! Needs the PostgreSQL of DATABASE_URL (default 127.0.0.1:5432); makes and
//! drops a database of its own per size.

use std::time::{Duration, Instant};

use chrono::Utc;
use dataip::{
    config::{Config, Environment, Secret},
    db,
    ledger::{Ledger, PgLedger, merkle},
    signing::Signer,
};
use uuid::Uuid;

/// Entries per append: the worker's default batch.
const BATCH: usize = 10_000;
/// About the size of a real `certificate.issued` entry.
const ENTRY_BYTES: usize = 900;
const PROOFS: usize = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    println!(
        "| leaves | append leaves/s (all) | append leaves/s (last batch) | inclusion proof p50 | p99 | consistency proof p50 |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        run(size).await?;
    }
    Ok(())
}

async fn run(size: usize) -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut config = Config::load_from(Environment::Test, &dir)?;
    let url = config.database.url.expose().to_owned();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    let url = format!("{base}/dataip_bench_{}", Uuid::now_v7().simple());
    config.database.url = Secret::new(url.clone());
    let pool = db::prepare(&config).await?;
    let signer = Signer::load(&config)?;
    let origin = config.ledger.origin.clone();

    let started = Instant::now();
    let mut last_batch = Duration::ZERO;
    let mut appended = 0;
    while appended < size {
        let count = BATCH.min(size - appended);
        let entries: Vec<Vec<u8>> = (appended..appended + count).map(entry).collect();
        let batch_started = Instant::now();
        let mut tx = pool.begin().await?;
        PgLedger { conn: &mut tx, signer: &signer, origin: &origin }.append(&entries, Utc::now()).await?;
        tx.commit().await?;
        last_batch = batch_started.elapsed();
        appended += count;
    }
    let total = started.elapsed();

    let mut conn = pool.acquire().await?;
    let mut ledger = PgLedger { conn: &mut conn, signer: &signer, origin: &origin };
    let n = size as u64;
    let mut inclusion = Vec::with_capacity(PROOFS);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..PROOFS {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let index = state % n;
        let proof_started = Instant::now();
        let (proof, root) = ledger.inclusion_proof(index, n).await?;
        inclusion.push(proof_started.elapsed());
        anyhow::ensure!(merkle::verify_inclusion(&merkle::leaf_hash(&entry(index as usize)), index, n, &proof, &root));
    }
    let mut consistency = Vec::with_capacity(PROOFS / 10);
    for _ in 0..PROOFS / 10 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let first = 1 + state % n;
        let proof_started = Instant::now();
        ledger.consistency_proof(first, n).await?;
        consistency.push(proof_started.elapsed());
    }
    drop(conn);
    pool.close().await;
    db::drop_database(&url).await?;

    println!(
        "| {size} | {:.0} | {:.0} | {} | {} | {} |",
        size as f64 / total.as_secs_f64(),
        BATCH.min(size) as f64 / last_batch.as_secs_f64(),
        millis(percentile(&mut inclusion, 50)),
        millis(percentile(&mut inclusion, 99)),
        millis(percentile(&mut consistency, 50)),
    );
    Ok(())
}

fn entry(index: usize) -> Vec<u8> {
    let mut entry = format!("{{\"type\":\"bench\",\"index\":{index},\"pad\":\"").into_bytes();
    entry.resize(ENTRY_BYTES - 2, b'x');
    entry.extend_from_slice(b"\"}");
    entry
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort_unstable();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
