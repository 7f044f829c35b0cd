//! The public read paths over HTTP against the release server, each beside
//! pgbench of the same SQL on the same data, in one run:
//!
//!     cargo bench --bench http -- [ANNOUNCED] [REGISTERED] [CONNECTIONS] [SECONDS]
//!
//! (defaults 2000 200 64 10), then words that choose the paths measured
//! (e.g. `search`: only those whose names hold it, and nothing else; the
//! sections after the paths are named `POST /api/v1/public/status (1,000
//! numbers, 16 connections)`, `POST /api/v1/applications`, `login storm`
//! and `idle connections`);
//! `cargo bench --bench http -- --statements`
//! prints the statements the server runs for each path instead. For each path: the closed-loop throughput and
//! latency at CONNECTIONS connections, pgbench's transactions per second at
//! as many clients, their ratio, and the p99 at a fixed offered rate of half
//! the pgbench figure (half the throughput where there is no SQL to compare
//! with); then the server's peak RSS. Needs the PostgreSQL of DATABASE_URL
//! (default 127.0.0.1:5432) and its `pgbench`; makes and drops a database of
//! its own. The test suite runs the same workload with a tiny N
//! (tests/api/operations/benchmarks.rs), so it cannot rot.

#[path = "workloads/child.rs"]
mod child;
#[path = "workloads/database.rs"]
mod database;
#[path = "workloads/http.rs"]
mod workload;

use std::{path::Path, time::Duration};

/// Concurrent logins of the storm.
const STORM: usize = 200;
/// Idle keep-alive connections held at the end.
const IDLE: usize = 1000;
/// Connections of the bulk status measurement (and pgbench's clients).
const BULK_CONNECTIONS: usize = 16;
/// The bulk status measurement's row (the word `status` chooses it).
const BULK_STATUS: &str = "POST /api/v1/public/status (1,000 numbers, 16 connections)";

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
    if std::env::args().any(|arg| arg == "--statements") {
        return print_statements(binary).await;
    }
    let server = workload::start(binary, None).await?;
    let idle = server.rss_mib();
    let seeded = workload::seed(&server, binary, size).await?;
    println!(
        "{} announced, {} registered, {} connections, {} s per measurement\n",
        size.announced,
        size.registered,
        size.connections,
        size.duration.as_secs()
    );
    println!("server RSS: {idle:.0} MiB idle, {:.0} MiB after loading\n", server.rss_mib());
    println!(
        "| path | req/s | p50 ms | p99 ms | pgbench tps | ratio | offered req/s | p99 ms at that rate | server RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    // Words among the arguments choose the paths whose names hold one.
    // (`cargo bench` passes `--bench`: flags are not words.)
    let only: Vec<String> =
        std::env::args().skip(1).filter(|a| a.parse::<usize>().is_err() && !a.starts_with("--")).collect();
    let chosen = |name: &str| only.is_empty() || only.iter().any(|word| name.contains(word.as_str()));
    for path in workload::paths(&server, &seeded).into_iter().filter(|path| chosen(path.name)) {
        let run = workload::load(&path.urls, size.connections, size.duration, None).await;
        anyhow::ensure!(run.errors == 0, "{}: {} of {} requests failed", path.name, run.errors, run.requests);
        let tps = match &path.sql {
            Some(sql) => Some(workload::pgbench(&server.database_url, sql, size.connections, size.duration.as_secs())?),
            None => None,
        };
        let offered = tps.unwrap_or(run.per_second()) / 2.0;
        let held = workload::load(&path.urls, size.connections, size.duration, Some(offered)).await;
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.0} | {:.1} | {:.0} |",
            path.name,
            run.per_second(),
            run.percentile_ms(50),
            run.percentile_ms(99),
            tps.map_or("—".into(), |t| format!("{t:.0}")),
            tps.map_or("—".into(), |t| format!("{:.2}×", run.per_second() / t)),
            offered,
            held.percentile_ms(99),
            server.rss_mib(),
        );
    }

    let bulk = match chosen(BULK_STATUS) {
        true => Some(bulk_status(&server, &seeded, size).await?),
        false => None,
    };
    if chosen("POST /api/v1/applications") {
        creation(&server, &seeded, size).await?;
    }
    if let Some(note) = bulk {
        println!("\n{note}");
    }
    if chosen("login storm") {
        login_storm(&server, &seeded, size).await?;
    }
    println!("\nserver RSS after the benchmark: {:.0} MiB (peak {:.0} MiB)", server.rss_mib(), server.peak_rss_mib());
    if chosen("idle connections") {
        let held = workload::idle_connections(&server, IDLE).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("server RSS holding {} idle keep-alive connections: {:.0} MiB", held.len(), server.rss_mib());
    }
    server.stop().await
}

/// Signed status statements of 1,000 numbers per answer, 16 connections,
/// beside pgbench of the statements the service runs for them; what one
/// answer held, for after the table.
async fn bulk_status(
    server: &workload::Server,
    seeded: &workload::Seeded,
    size: workload::Size,
) -> anyhow::Result<String> {
    let connections = BULK_CONNECTIONS;
    let numbers = workload::status_numbers(seeded);
    let bundle = workload::check_bundle(server, &numbers).await?;
    let run = workload::bulk_status(server, &numbers, connections, size.duration).await;
    anyhow::ensure!(run.errors == 0, "bulk status: {} of {} requests failed", run.errors, run.requests);
    let script = workload::status_script(server, &numbers, bundle.tree_size).await?;
    let tps = workload::pgbench(&server.database_url, &script, connections, size.duration.as_secs())?;
    println!(
        "| {} | {:.0} | {:.1} | {:.1} | {tps:.0} | {:.2}× | — | — | {:.0} |",
        BULK_STATUS,
        run.per_second(),
        run.percentile_ms(50),
        run.percentile_ms(99),
        run.per_second() / tps,
        server.rss_mib(),
    );
    workload::check_bundle(server, &numbers).await?;
    Ok(format!(
        "The bulk status answer: {} statements ({} with a proof, {} of numbers never issued) at tree size {}, \
         {:.0} KiB; {:.0} statements signed a second.",
        bundle.statements,
        bundle.proved,
        bundle.unknown,
        bundle.tree_size,
        bundle.bytes as f64 / 1024.0,
        run.per_second() * bundle.statements as f64,
    ))
}

/// Creating applications, 16 connections, beside pgbench of the same
/// transaction from the same table.
async fn creation(server: &workload::Server, seeded: &workload::Seeded, size: workload::Size) -> anyhow::Result<()> {
    let writers = 16;
    let created = workload::create_applications(server, &seeded.owner_token, writers, size.duration).await;
    anyhow::ensure!(created.errors == 0, "creation: {} of {} requests failed", created.errors, created.requests);
    workload::drop_drafts(server).await?;
    let (org_id, user_id) = workload::owner_ids(server).await?;
    let script = workload::statements::create_application(&org_id, &user_id, workload::DRAFT_QUOTA);
    let tps = workload::pgbench(&server.database_url, &script, writers, size.duration.as_secs())?;
    workload::drop_drafts(server).await?;
    println!(
        "| POST /api/v1/applications ({writers} connections) | {:.0} | {:.1} | {:.1} | {tps:.0} | {:.2}× | — | — | {:.0} |",
        created.per_second(),
        created.percentile_ms(50),
        created.percentile_ms(99),
        created.per_second() / tps,
        server.rss_mib(),
    );
    Ok(())
}

/// A storm of logins beside the public list at a fixed rate.
async fn login_storm(server: &workload::Server, seeded: &workload::Seeded, size: workload::Size) -> anyhow::Result<()> {
    let list = &workload::paths(server, seeded)[1];
    let list_tps = workload::pgbench(&server.database_url, list.sql.as_deref().unwrap_or_default(), 64, 5)?;
    let rate = list_tps / 2.0;
    let calm = workload::load(&list.urls, size.connections, size.duration, Some(rate)).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let storm = workload::login_storm(server, STORM, stop.clone());
    let stormy = workload::load(&list.urls, size.connections, size.duration, Some(rate)).await;
    stop.cancel();
    let logins: usize = storm.join_all().await.into_iter().sum();
    println!(
        "\nThe list at {rate:.0} req/s: p99 {:.1} ms alone, {:.1} ms during a storm of {STORM} concurrent logins \
         ({logins} logged in, {:.1} a second): {:.1}×",
        calm.percentile_ms(99),
        stormy.percentile_ms(99),
        logins as f64 / size.duration.as_secs_f64(),
        stormy.percentile_ms(99) / calm.percentile_ms(99).max(f64::EPSILON),
    );
    Ok(())
}

/// `--statements`: the statements the server runs for one request of each
/// path (cache off), as sqlx logs them, to check the pgbench scripts
/// (`bench/workloads/statements.rs`) against.
async fn print_statements(binary: &Path) -> anyhow::Result<()> {
    let log = std::env::temp_dir().join(format!("dataip-statements-{}.log", std::process::id()));
    let server = workload::start(binary, Some(&log)).await?;
    let size = workload::Size { announced: 40, registered: 2, connections: 1, duration: Duration::from_secs(1) };
    let seeded = workload::seed(&server, binary, size).await?;
    let client = reqwest::Client::new();
    for path in workload::paths(&server, &seeded) {
        let statements = workload::statements_of(&log, client.get(&path.urls[0])).await?;
        println!("{} ({}):", path.name, path.urls[0]);
        for statement in statements {
            println!("    {statement}");
        }
    }
    let create = client
        .post(format!("{}/api/v1/applications", server.base))
        .bearer_auth(&seeded.owner_token)
        .json(&workload::draft(0));
    println!("POST /api/v1/applications:");
    for statement in workload::statements_of(&log, create).await? {
        println!("    {statement}");
    }
    let bulk = client
        .post(format!("{}/api/v1/public/status", server.base))
        .json(&serde_json::json!({ "numbers": workload::status_numbers(&seeded) }));
    println!("{BULK_STATUS}:");
    for statement in workload::statements_of(&log, bulk).await? {
        println!("    {statement}");
    }
    let _ = std::fs::remove_file(&log);
    server.stop().await
}
