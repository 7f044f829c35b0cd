use dataip::{
    domain::StaffRole,
    ledger::{anchor, checkpoint},
};
use serde_json::json;

use crate::{
    chain::{ANVIL_CHAIN_ID, ANVIL_KEY, Anvil},
    helpers::spawn_app_with,
};

fn anchored_to(url: String) -> impl FnOnce(&mut dataip::config::Config) {
    move |config| {
        config.workflow.announcement_period = "PT2S".parse().expect("duration");
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
    let signed = checkpoint::open(&note, "test.dataip.example/ledger", app.state.signer.public_key()).expect("signed");
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
