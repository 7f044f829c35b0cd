//! Smoke runs of every benchmark's workload with a tiny N, in the test
//! profile: a benchmark whose seed or code path no longer fits the service
//! fails here, not on the day someone measures. Nothing is timed.

#[path = "../../bench/workloads/database.rs"]
mod database;
#[path = "../../bench/workloads/ledger.rs"]
mod ledger;
#[path = "../../bench/workloads/worker.rs"]
mod worker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_benchmark_registers_every_seeded_application() {
    for workers in [1, 2] {
        let run = worker::run(25, workers).await.expect("the worker benchmark runs");
        assert_eq!(run.issued, 25, "{workers} worker(s)");
        assert!(run.seconds >= 0.0);
    }
}

#[tokio::test]
async fn the_ledger_benchmark_appends_and_checks_its_proofs() {
    let run = ledger::run(37, 20).await.expect("the ledger benchmark runs");
    assert_eq!((run.inclusion.len(), run.consistency.len(), run.last_batch_size), (20, 2, 37));
    assert!(ledger::percentile(&run.inclusion, 99) >= ledger::percentile(&run.inclusion, 50));
    assert!(run.total >= run.last_batch);
}
