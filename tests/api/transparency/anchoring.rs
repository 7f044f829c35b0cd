use std::{future::Future, time::Duration};

use dataip::{domain::StaffRole, jobs::Worker, ledger::anchor, services::transparency::anchoring, state::AppState};
use serde_json::json;
use tlog::checkpoint;
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{TestApp, spawn_app_with},
    transparency::chain::{ANVIL_CHAIN_ID, ANVIL_KEY, Anvil, SilentChain},
};

fn anchored_to(url: String) -> impl FnOnce(&mut dataip::config::Config) {
    move |config| {
        crate::helpers::short_windows(config);
        config.worker.interval = "PT1H".parse().expect("duration");
        config.anchor.rpc_url = url;
        config.anchor.chain_id = ANVIL_CHAIN_ID;
        config.anchor.signer_key = dataip::config::Secret::new(ANVIL_KEY);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_anchored_on_a_local_chain() {
    let chain = Anvil::start().await;
    let app = spawn_app_with(anchored_to(chain.url.clone())).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;

    let note =
        app.client.get(app.url("/public/ledger/checkpoint")).send().await.expect("sent").text().await.expect("note");
    let signed =
        checkpoint::open(&note, &app.state.config.ledger.origin, app.state.signer.public_key()).expect("signed");
    let anchors = app.get("/public/ledger/anchors", None).await;
    let anchors = anchors.assert_status(200);
    let published = &anchors["items"][0];
    assert_eq!(published["tree_size"], signed.size);
    assert_eq!(published["root_hash"], hex::encode(signed.root));
    assert_eq!(published["chain_id"], ANVIL_CHAIN_ID);
    assert!(published["block_number"].as_u64().is_some_and(|b| b > 0));

    // Read the transaction back from the chain: its data names that checkpoint.
    let tx_hash = published["tx_hash"].as_str().expect("tx hash");
    let transaction = chain.rpc("eth_getTransactionByHash", json!([tx_hash])).await.expect("the chain has it");
    let input = transaction["input"].as_str().expect("input").trim_start_matches("0x");
    let data = hex::decode(input).expect("hex");
    assert_eq!(anchor::parse_anchor_data(&data), Some((signed.size, signed.root)));
    assert_eq!(
        transaction["blockNumber"].as_str().map(|b| u64::from_str_radix(b.trim_start_matches("0x"), 16).ok()),
        Some(published["block_number"].as_u64())
    );
}

#[tokio::test]
async fn an_unreachable_chain_is_retried_later_without_holding_anything_up() {
    let app = spawn_app_with(anchored_to("http://127.0.0.1:9".into())).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;

    let list = app.get("/certificates", Some(&tenant.token)).await;
    assert!(list.body["items"][0]["ledger"].is_object(), "receipts do not wait for the chain");
    assert_eq!(app.get("/public/ledger/anchors", None).await.body["items"], json!([]));
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM ledger_anchors").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(attempts, 1);
    assert!(error.is_some());

    // Not retried before its time; retried after.
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let attempts: i32 =
        sqlx::query_scalar("SELECT attempts FROM ledger_anchors").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(attempts, 1);
    app.clock.advance(chrono::Duration::seconds(11));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let attempts: i32 =
        sqlx::query_scalar("SELECT attempts FROM ledger_anchors").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_keep_issuing_while_the_chain_never_answers() {
    let chain = SilentChain::start().await;
    let anchored = anchored_to(chain.url.clone());
    // The worker runs its own loops, every second, as in production.
    let app = spawn_app_with(move |config| {
        anchored(config);
        config.worker.interval = "PT1S".parse().expect("duration");
        config.anchor.rpc_timeout = "PT5S".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    let second = app.claimed_application(&tenant.token, &reviewer).await;

    // The first certificate lands in the ledger, whose new checkpoint goes
    // to the chain, which never answers.
    app.clock.advance(chrono::Duration::seconds(3));
    eventually("the first certificate's receipt", || receipts(&app, 1)).await;
    chain.wait_for_a_caller().await;

    // Meanwhile the second application is approved, announced, registered
    // and appended.
    app.post(&format!("/review/applications/{second}/approve"), Some(&reviewer), json!({})).await.assert_status(200);
    app.clock.advance(chrono::Duration::seconds(3));
    eventually("the second certificate's receipt", || receipts(&app, 2)).await;
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_anchors WHERE last_error IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(failures, 0, "the second certificate was issued while the anchoring attempt still waited");

    // Then the attempt times out, and that is recorded, to be retried later.
    let (attempts, error) = eventually("the timeout recorded", || async {
        let (attempts, error): (i32, Option<String>) =
            sqlx::query_as("SELECT attempts, last_error FROM ledger_anchors ORDER BY tree_size LIMIT 1")
                .fetch_one(&app.state.db)
                .await
                .expect("row");
        error.map(|error| (attempts, error))
    })
    .await;
    assert!(attempts >= 1);
    assert!(error.contains("timed out") && error.contains("anchor.rpc_timeout"), "{error}");
    assert_eq!(app.get("/public/ledger/anchors", None).await.body["items"], json!([]));
    let list = app.get("/certificates", Some(&tenant.token)).await;
    let items = list.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|item| item["ledger"].is_object()), "both certificates have their receipt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_stops_promptly_while_the_chain_never_answers() {
    let chain = SilentChain::start().await;
    let anchored = anchored_to(chain.url.clone());
    let app = spawn_app_with(move |config| {
        anchored(config);
        config.anchor.rpc_timeout = "PT1H".parse().expect("duration");
    })
    .await;
    checkpoint_waiting_for_the_chain(&app).await;

    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(Worker::new(app.state.clone()).run(shutdown.clone()));
    chain.wait_for_a_caller().await;
    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(2), worker).await;
    assert!(stopped.is_ok_and(|joined| joined.is_ok()), "the worker did not stop within two seconds");

    // Nothing was held open: the checkpoint stays claimed by the dropped
    // attempt until its claim runs out (an hour and a minute), then is
    // claimed again.
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM ledger_anchors").fetch_one(&app.state.db).await.expect("row");
    assert_eq!((attempts, error), (1, None));
    assert!(anchoring::claim(&app.state).await.expect("claim").is_none());
    app.clock.advance(chrono::Duration::minutes(62));
    let again = anchoring::claim(&app.state).await.expect("claim").expect("claimed again after the claim ran out");
    assert_eq!(again.attempt, 2);
}

#[tokio::test]
async fn a_checkpoint_is_claimed_by_one_worker_at_a_time() {
    let app = spawn_app_with(anchored_to("http://127.0.0.1:9".into())).await;
    checkpoint_waiting_for_the_chain(&app).await;

    let (first, second) = tokio::join!(anchoring::claim(&app.state), anchoring::claim(&app.state));
    let claims: Vec<anchoring::Claim> = [first, second].into_iter().filter_map(|claim| claim.expect("claim")).collect();
    assert_eq!(claims.len(), 1, "two claimers at once: one gets the checkpoint, the other nothing");
    assert_eq!(claims[0].attempt, 1);

    // Not again while the claim holds: anchor.rpc_timeout (30 s) and a minute.
    assert!(anchoring::claim(&app.state).await.expect("claim").is_none());
    app.clock.advance(chrono::Duration::seconds(88));
    assert!(anchoring::claim(&app.state).await.expect("claim").is_none());
    app.clock.advance(chrono::Duration::seconds(3));
    let again = anchoring::claim(&app.state).await.expect("claim").expect("claimed once the claim ran out");
    assert_eq!((again.tree_size, again.attempt), (claims[0].tree_size, 2));
}

/// Issues a certificate and appends it, leaving its checkpoint queued for
/// the chain but unpublished: the step runs on a state without a chain.
async fn checkpoint_waiting_for_the_chain(app: &TestApp) {
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.clock.advance(chrono::Duration::seconds(3));
    Worker::new(AppState { anchor: None, ..app.state.clone() }).step().await;
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_anchors WHERE tx_hash IS NULL AND attempts = 0")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(waiting, 1);
}

/// How many certificates have their ledger receipt, if at least `wanted`.
async fn receipts(app: &TestApp, wanted: usize) -> Option<usize> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM certificates WHERE ledger IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    usize::try_from(count).ok().filter(|count| *count >= wanted)
}

/// Polls `check` until it yields something, for at most fifteen seconds.
async fn eventually<T, F: Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "still waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
