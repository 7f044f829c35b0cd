//! The public read paths over HTTP against the release server, each beside
//! pgbench of the same SQL on the same data, in one run:
//!
//!     cargo bench --bench http -- [ANNOUNCED] [REGISTERED] [CONNECTIONS] [SECONDS]
//!
//! (defaults 2000 200 64 10). For each path: the closed-loop throughput and
//! latency at CONNECTIONS connections, pgbench's transactions per second at
//! as many clients, their ratio, and the p99 at a fixed offered rate of half
//! the pgbench figure (half the throughput where there is no SQL to compare
//! with); then the server's peak RSS. Needs the PostgreSQL of DATABASE_URL
//! (default 127.0.0.1:5432) and its `pgbench`; makes and drops a database of
//! its own. The test suite runs the same workload with a tiny N
//! (tests/api/benchmarks.rs), so it cannot rot.

#[path = "workloads/database.rs"]
mod database;
#[path = "workloads/http.rs"]
mod workload;

use std::{path::Path, time::Duration};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let size = workload::Size {
        announced: arg(0, 2000),
        registered: arg(1, 200),
        connections: arg(2, 64),
        duration: Duration::from_secs(arg(3, 10) as u64),
    };
    let binary = Path::new(env!("CARGO_BIN_EXE_dataip"));
    let server = workload::start(binary).await?;
    let seeded = workload::seed(&server, binary, size).await?;
    println!(
        "{} announced, {} registered, {} connections, {} s per measurement\n",
        size.announced,
        size.registered,
        size.connections,
        size.duration.as_secs()
    );
    println!("| path | req/s | p50 ms | p99 ms | pgbench tps | ratio | offered req/s | p99 ms at that rate |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for path in workload::paths(&server, &seeded) {
        let run = workload::load(&path.urls, size.connections, size.duration, None).await;
        anyhow::ensure!(run.errors == 0, "{}: {} of {} requests failed", path.name, run.errors, run.requests);
        let tps = match &path.sql {
            Some(sql) => Some(workload::pgbench(&server.database_url, sql, size.connections, size.duration.as_secs())?),
            None => None,
        };
        let offered = tps.unwrap_or(run.per_second()) / 2.0;
        let held = workload::load(&path.urls, size.connections, size.duration, Some(offered)).await;
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.0} | {:.1} |",
            path.name,
            run.per_second(),
            run.percentile_ms(50),
            run.percentile_ms(99),
            tps.map_or("—".into(), |t| format!("{t:.0}")),
            tps.map_or("—".into(), |t| format!("{:.2}×", run.per_second() / t)),
            offered,
            held.percentile_ms(99),
        );
    }
    println!("\nserver peak RSS: {:.0} MiB", server.peak_rss_mib());
    server.stop().await
}
