//! How fast the worker registers applications whose announcement has ended:
//! N applications made due at once, then timed while the worker closes
//! their windows, issues their certificates with their history rows and
//! notifications, and the ledger appends their issuance entries as leaves
//! with receipts; with one worker and with two side by side.
//!
//!     cargo bench --bench worker -- 10000 100000
//!     cargo bench --bench worker -- 10000 batch=100   # another batch size
//!
//! Needs the PostgreSQL of DATABASE_URL (default 127.0.0.1:5432); makes and
//! drops a database of its own. The test suite runs the same workload with
//! a tiny N (tests/api/operations/benchmarks.rs), so it cannot rot.

#[path = "workloads/database.rs"]
mod database;
#[path = "workloads/worker.rs"]
mod workload;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000] } else { sizes };
    // `batch=N` tries another batch size than the worker's.
    let batch = args.iter().find_map(|a| a.strip_prefix("batch=")?.parse().ok()).unwrap_or(workload::BATCH);
    println!("batch size {batch}");
    println!(
        "| applications | workers | seconds | of which ledger | certificates/s | µs per certificate | notifications |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        for workers in [1, 2] {
            let run = workload::run(n, workers, batch).await?;
            anyhow::ensure!(run.issued == n as i64, "issued {} certificates for {n} applications", run.issued);
            anyhow::ensure!(run.leaves == n as i64, "{} of {n} certificates have their leaf", run.leaves);
            println!(
                "| {n} | {workers} | {:.2} | {:.2} | {:.0} | {:.0} | {} |",
                run.seconds,
                run.ledger_seconds,
                n as f64 / run.seconds,
                run.seconds * 1e6 / n as f64,
                run.notifications
            );
        }
    }
    Ok(())
}
