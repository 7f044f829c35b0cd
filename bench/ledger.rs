//! How the ledger grows: append throughput in worker-sized batches up to
//! 10k, 100k and 1M leaves, and inclusion-proof latency at the end.
//!
//!     cargo bench --bench ledger -- 10000 100000 1000000
//!
//! Needs the PostgreSQL of DATABASE_URL (default 127.0.0.1:5432); makes and
//! drops a database of its own per size. The test suite runs the same
//! workload with a tiny size (tests/api/operations/benchmarks.rs), so it cannot rot.

use std::time::Duration;

#[path = "workloads/database.rs"]
mod database;
#[path = "workloads/ledger.rs"]
mod workload;

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
        let run = workload::run(size, PROOFS).await?;
        println!(
            "| {size} | {:.0} | {:.0} | {} | {} | {} |",
            size as f64 / run.total.as_secs_f64(),
            run.last_batch_size as f64 / run.last_batch.as_secs_f64(),
            millis(workload::percentile(&run.inclusion, 50)),
            millis(workload::percentile(&run.inclusion, 99)),
            millis(workload::percentile(&run.consistency, 50)),
        );
    }
    Ok(())
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
