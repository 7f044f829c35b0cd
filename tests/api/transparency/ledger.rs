use base64::{Engine, engine::general_purpose::STANDARD};
use dataip::domain::StaffRole;
use serde_json::{Value, json};
use tlog::{checkpoint, merkle};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

/// The log's origin: the test server's address plus /tlog (C2SP tlog-tiles).
fn origin(app: &TestApp) -> String {
    let origin = app.state.config.ledger.origin.clone();
    assert_eq!(origin, format!("{}/tlog", app.base.trim_start_matches("http://")));
    origin
}

fn short_windows(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
    config.worker.interval = "PT1H".parse().expect("duration");
}

fn hash(value: &Value) -> merkle::Hash {
    hex::decode(value.as_str().expect("hex")).expect("hex").try_into().expect("32 bytes")
}

/// Registers `count` applications (one worker step), returning a fresh token.
async fn register(app: &TestApp, email: &str, token: &str, reviewer: &str, count: usize) -> String {
    for _ in 0..count {
        app.announced_application(token, reviewer).await;
    }
    app.close_windows(chrono::Duration::seconds(3)).await;
    app.login(email, PASSWORD).await
}

#[tokio::test]
async fn an_empty_ledger_has_a_signed_empty_checkpoint() {
    let app = spawn_app().await;
    let answer = app.client.get(app.url("/public/ledger/checkpoint")).send().await.expect("sent");
    assert!(answer.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/plain"));
    let note = answer.text().await.expect("text");
    let opened = checkpoint::open(&note, &origin(&app), app.state.signer.public_key()).expect("signed");
    assert_eq!((opened.size, opened.root), (0, merkle::empty_root()));

    let key = app.get("/public/ledger/key", None).await;
    let key = key.assert_status(200);
    assert_eq!(key["origin"], origin(&app));
    assert_eq!(key["key_name"], origin(&app));
    assert_eq!(STANDARD.decode(key["public_key"].as_str().expect("b64")).expect("b64"), app.state.signer.public_key());
    assert_eq!(key["key_id"], hex::encode(checkpoint::key_hint(&origin(&app), app.state.signer.public_key())));
    assert!(key["vkey"].as_str().is_some_and(|v| v.starts_with(&origin(&app))));
    app.get("/public/ledger/entries/0", None).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn entries_proofs_and_checkpoints_fit_together() {
    let app = spawn_app_with(short_windows).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let token = register(&app, &tenant.email, &tenant.token, &reviewer, 3).await;
    let first_note =
        app.client.get(app.url("/public/ledger/checkpoint")).send().await.expect("sent").text().await.expect("text");
    let first = checkpoint::open(&first_note, &origin(&app), app.state.signer.public_key()).expect("signed");
    assert_eq!(first.size, 3, "one batch, one checkpoint");
    let reviewer = app.staff(StaffRole::Reviewer).await;
    register(&app, &tenant.email, &token, &reviewer, 2).await;
    let second_note =
        app.client.get(app.url("/public/ledger/checkpoint")).send().await.expect("sent").text().await.expect("text");
    let second = checkpoint::open(&second_note, &origin(&app), app.state.signer.public_key()).expect("signed");
    assert_eq!(second.size, 5);

    // Each entry is the exact JSON hashed into its leaf.
    for index in 0..5u64 {
        let entry = app.get(&format!("/public/ledger/entries/{index}"), None).await;
        let entry = entry.assert_status(200).clone();
        let bytes = STANDARD.decode(entry["entry"].as_str().expect("b64")).expect("b64");
        let leaf = merkle::leaf_hash(&bytes);
        assert_eq!(entry["leaf_hash"], hex::encode(leaf));
        let parsed: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(parsed["type"], "certificate.issued");
        assert_eq!(tlog::signing::canonical_json(&parsed).expect("jcs"), bytes, "canonical bytes");

        let proof = app.get(&format!("/public/ledger/proofs/inclusion?index={index}&tree_size=5"), None).await;
        let proof = proof.assert_status(200);
        assert_eq!(hash(&proof["root_hash"]), second.root);
        let hashes: Vec<merkle::Hash> = proof["hashes"].as_array().expect("hashes").iter().map(hash).collect();
        assert!(merkle::verify_inclusion(&leaf, index, 5, &hashes, &second.root));
    }
    let latest = app.get("/public/ledger/proofs/inclusion?index=0", None).await;
    assert_eq!(latest.assert_status(200)["tree_size"], 5, "the latest size by default");

    let consistency = app.get("/public/ledger/proofs/consistency?first=3&second=5", None).await;
    let hashes: Vec<merkle::Hash> =
        consistency.assert_status(200)["hashes"].as_array().expect("hashes").iter().map(hash).collect();
    assert!(merkle::verify_consistency(3, 5, &hashes, &first.root, &second.root));
}

#[tokio::test]
async fn bad_proof_parameters_are_clear_4xx() {
    let app = spawn_app_with(short_windows).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    register(&app, &tenant.email, &tenant.token, &reviewer, 2).await;
    for (path, status) in [
        ("/public/ledger/proofs/inclusion?index=2&tree_size=2", 422),
        ("/public/ledger/proofs/inclusion?index=0&tree_size=3", 422),
        ("/public/ledger/proofs/inclusion?index=-1&tree_size=2", 400),
        ("/public/ledger/proofs/inclusion?index=x", 400),
        ("/public/ledger/proofs/inclusion", 400),
        ("/public/ledger/proofs/consistency?first=0&second=2", 422),
        ("/public/ledger/proofs/consistency?first=2&second=1", 422),
        ("/public/ledger/proofs/consistency?first=1&second=3", 422),
        ("/public/ledger/proofs/consistency?first=1", 400),
        ("/public/ledger/entries/2", 404),
        ("/public/ledger/entries/-1", 400),
        ("/public/ledger/entries/abc", 400),
    ] {
        let answer = app.get(path, None).await;
        assert_eq!(answer.status.as_u16(), status, "{path}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/problem+json"), "{path}");
    }
    let same = app.get("/public/ledger/proofs/consistency?first=2&second=2", None).await;
    assert_eq!(same.assert_status(200)["hashes"], json!([]));
}

#[tokio::test]
async fn expiry_is_recorded_on_the_ledger() {
    let app = spawn_app_with(|config| {
        short_windows(config);
        config.workflow.certificate_validity = "PT10S".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    register(&app, &tenant.email, &tenant.token, &reviewer, 1).await;
    app.close_windows(chrono::Duration::seconds(11)).await;
    let entry = app.get("/public/ledger/entries/1", None).await;
    let bytes = STANDARD.decode(entry.body["entry"].as_str().expect("b64")).expect("b64");
    let parsed: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(parsed["type"], "certificate.expired");
    assert!(parsed["certificate_number"].as_str().is_some_and(|n| n.len() == 17));
}
