//! Smoke runs of every benchmark's workload with a tiny N, in the test
//! profile: a benchmark whose seed or code path no longer fits the service
//! fails here, not on the day someone measures. Nothing is timed.

#[path = "../../../bench/workloads/database.rs"]
mod database;
#[path = "../../../bench/workloads/http.rs"]
mod http;
#[path = "../../../bench/workloads/ledger.rs"]
mod ledger;
#[path = "../../../bench/workloads/worker.rs"]
mod worker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_benchmark_registers_every_seeded_application() {
    for workers in [1, 2] {
        let run = worker::run(25, workers, worker::BATCH).await.expect("the worker benchmark runs");
        assert_eq!(run.issued, 25, "{workers} worker(s)");
        assert_eq!(run.leaves, 25, "every certificate with its leaf and receipt");
        // Each holder has a webhook and two users mailed.
        assert_eq!(run.notifications, 75);
        assert!(run.seconds >= run.ledger_seconds && run.ledger_seconds >= 0.0);
    }
}

#[tokio::test]
async fn the_ledger_benchmark_appends_and_checks_its_proofs() {
    let run = ledger::run(37, 20).await.expect("the ledger benchmark runs");
    assert_eq!((run.inclusion.len(), run.consistency.len(), run.last_batch_size), (20, 2, 37));
    assert!(ledger::percentile(&run.inclusion, 99) >= ledger::percentile(&run.inclusion, 50));
    assert!(run.total >= run.last_batch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_benchmark_loads_through_the_api_and_measures_every_path() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_dataip"));
    let size =
        http::Size { announced: 3, registered: 1, connections: 2, duration: std::time::Duration::from_millis(300) };
    // Logging its statements, as `--statements` runs it.
    let log = std::env::temp_dir().join(format!("dataip-smoke-{}.log", uuid::Uuid::now_v7().simple()));
    let server = http::start(binary, Some(&log)).await.expect("the server starts");
    let seeded = http::seed(&server, binary, size).await.expect("the data loads");
    let list = &http::paths(&server, &seeded)[1];
    let logged = http::statements_of(&log, reqwest::Client::new().get(&list.urls[0])).await.expect("logged");
    assert!(logged.iter().any(|s| s.contains("application_id")), "the page's materials: {logged:?}");
    assert_eq!((seeded.products, seeded.newest.len()), (4, 3));
    for path in http::paths(&server, &seeded) {
        let run = http::load(&path.urls, size.connections, size.duration, None).await;
        assert!(run.per_second() > 0.0 && run.errors == 0, "{}: {} errors of {}", path.name, run.errors, run.requests);
        assert!(run.percentile_ms(99) >= run.percentile_ms(50));
        if let Some(sql) = &path.sql {
            let tps = http::pgbench(&server.database_url, sql, 2, 1).expect("pgbench runs the path's SQL");
            assert!(tps > 0.0, "{}", path.name);
        }
        let held = http::load(&path.urls, size.connections, size.duration, Some(50.0)).await;
        assert_eq!(held.errors, 0, "{}", path.name);
    }
    // The bulk status answer: checked once, loaded, and its statements in
    // the server's log as in the pgbench script: three per round of a
    // hundred (besides the allowance's count, the checkpoint and its
    // cosignatures, and whatever the worker runs meanwhile).
    let numbers = http::status_numbers(&seeded);
    let bundle = http::check_bundle(&server, &numbers).await.expect("a bulk status answer");
    assert_eq!((bundle.statements, bundle.proved, bundle.unknown), (1000, 990, 10));
    assert!(bundle.bytes > 1000 * 100, "{} bytes", bundle.bytes);
    let bulk = reqwest::Client::new()
        .post(format!("{}/api/v1/public/status", server.base))
        .json(&serde_json::json!({ "numbers": numbers }));
    let logged = http::statements_of(&log, bulk).await.expect("logged");
    for statement in ["SELECT certificate_number, idx, entry", "SELECT certificate_number AS", "SELECT n.level"] {
        assert_eq!(logged.iter().filter(|s| s.starts_with(statement)).count(), 10, "{statement}: {logged:?}");
    }
    let run = http::bulk_status(&server, &numbers, size.connections, size.duration).await;
    assert!(run.requests > 0 && run.errors == 0, "bulk status: {} errors of {}", run.errors, run.requests);
    let script = http::status_script(&server, &numbers, bundle.tree_size).await.expect("the script");
    assert!(http::pgbench(&server.database_url, &script, 2, 1).expect("pgbench runs the status SQL") > 0.0);
    let created = http::create_applications(&server, &seeded.owner_token, 2, size.duration).await;
    assert!(created.requests > 0 && created.errors == 0, "{} of {} creations failed", created.errors, created.requests);
    http::drop_drafts(&server).await.expect("drafts dropped");
    let (org_id, user_id) = http::owner_ids(&server).await.expect("ids");
    let script = http::statements::create_application(&org_id, &user_id, http::DRAFT_QUOTA);
    assert!(http::pgbench(&server.database_url, &script, 2, 1).expect("pgbench creates") > 0.0);
    let stop = tokio_util::sync::CancellationToken::new();
    let storm = http::login_storm(&server, 3, stop.clone());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.cancel();
    assert!(storm.join_all().await.into_iter().sum::<usize>() > 0, "someone logged in");
    assert_eq!(http::idle_connections(&server, 5).await.expect("held").len(), 5);
    assert!(server.peak_rss_mib() >= server.rss_mib() && server.rss_mib() > 0.0);
    server.stop().await.expect("stopped");
    let _ = std::fs::remove_file(&log);
}
