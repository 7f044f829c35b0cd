//! `dataip ledger replay`: every certificate's status recomputed from the
//! tiles alone, and the registry's signed statements checked against it:
//! they agree, at the witnessed checkpoint when witnesses lag, and a
//! database that says otherwise than the log is caught, field by field.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use dataip::{clock::Clock, config::WitnessPeer, jobs::Worker};
use serde_json::{Value, json};
use tlog::{
    note::{self, COSIGNATURE_V1_TYPE, Note},
    signing::Signer,
};
use uuid::Uuid;

use crate::{
    certificates::acts::{Holder, approve, file_confirmed, file_ok, holder, pledge, setup},
    helpers::{TestApp, dataip, spawn_app_with},
};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

async fn run(command: &mut std::process::Command) -> Output {
    let mut command = std::mem::replace(command, std::process::Command::new("true"));
    tokio::task::spawn_blocking(move || command.output()).await.expect("joined").expect("runs")
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The registry's suggested policy, written where the command reads it.
async fn policy_file(app: &TestApp, dir: &Path) -> PathBuf {
    let answer = app.client.get(app.url("/tlog/policy")).send().await.expect("sent");
    assert_eq!(answer.status(), 200);
    let path = dir.join("policy");
    std::fs::write(&path, answer.text().await.expect("text")).expect("written");
    path
}

/// `dataip ledger replay LOCATION --policy P --compare BASE [more]`.
async fn replay(app: &TestApp, location: &str, policy: &Path, more: &[&str]) -> Output {
    let mut command = dataip(&app.database_url);
    command.args(["ledger", "replay", location, "--policy"]).arg(policy).args(["--compare", &app.base]).args(more);
    run(&mut command).await
}

/// Appends what was recorded (one worker step).
async fn step(app: &TestApp) {
    Worker::new(app.state.clone()).step().await;
}

/// A pledged certificate (the pledge approved, not yet appended).
async fn pledged(app: &TestApp) -> Holder {
    let h = holder(app).await;
    let act = file_confirmed(app, &h, pledge()).await;
    approve(app, &h, &act).await.assert_status(200);
    h
}

async fn revoke(app: &TestApp, h: &Holder) {
    let path = format!("/review/certificates/{}/revoke", h.certificate);
    app.post(&path, Some(&h.reviewer), json!({"grounds": "登记时提交的材料存在虚假内容"})).await.assert_status(200);
}

#[tokio::test]
async fn the_replay_of_the_tiles_agrees_with_every_signed_statement() {
    let app = spawn_app_with(setup).await;
    let pledged = pledged(&app).await;
    let cancelled = holder(&app).await;
    let cancel = file_ok(&app, &cancelled, json!({"kind": "cancellation", "reason": "产品停止运营"})).await;
    approve(&app, &cancelled, &cancel).await.assert_status(200);
    let revoked = holder(&app).await;
    revoke(&app, &revoked).await;
    step(&app).await;

    let dir = scratch_dir("status-replay");
    let policy = policy_file(&app, &dir).await;
    let out = dir.join("statements.ndjson");
    let output = replay(&app, &app.base, &policy, &["--out", out.to_str().expect("path")]).await;
    let report = said(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains("3 certificates (1 active, 0 expired, 1 revoked, 1 cancelled); 1 pledged, 0 preserved"),
        "{report}"
    );
    assert!(report.contains("the registry's answers agree with the replay for all 3 certificates"), "{report}");
    assert!(!report.contains("do not fit"), "{report}");

    // --out: each certificate's replayed statement, unsigned.
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .expect("written")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    let of = |number: &str| lines.iter().find(|line| line["certificate_number"] == number).expect("a line").clone();
    assert_eq!(of(&pledged.number)["pledgees"], json!([{"name": "上海银行", "rank": 1}]));
    assert_eq!(of(&cancelled.number)["status"], "cancelled");
    assert_eq!(of(&revoked.number)["status"], "revoked");
    assert!(of(&revoked.number)["signature"].is_null() && of(&revoked.number)["proof"].is_null());

    // Tiles older than the registry's checkpoint: their replay cannot say
    // what the registry's answers are of.
    let mirror = dir.join("mirror");
    let output = run(dataip(&app.database_url).args(["ledger", "export"]).arg(&mirror)).await;
    assert!(output.status.success(), "{}", said(&output));
    holder(&app).await;
    step(&app).await;
    let output = replay(&app, mirror.to_str().expect("path"), &policy, &[]).await;
    assert!(!output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("the log grew meanwhile: run again"), "{}", said(&output));
    // The registry's own tiles, read again, agree once more.
    let output = replay(&app, &app.base, &policy, &[]).await;
    assert!(said(&output).contains("agree with the replay for all 4 certificates"), "{}", said(&output));
}

#[tokio::test]
async fn a_registry_whose_database_says_otherwise_than_its_log_is_caught() {
    let app = spawn_app_with(setup).await;
    let h = pledged(&app).await;
    let other = holder(&app).await;
    step(&app).await;

    // The pledge's leaf filed under another number: the registry's
    // statements no longer see it, its tiles still hold it.
    let pledge_index: i64 = sqlx::query_scalar("SELECT max(idx) FROM ledger_leaves WHERE certificate_number = $1")
        .bind(&h.number)
        .fetch_one(&app.state.db)
        .await
        .expect("the pledge's leaf");
    sqlx::query("UPDATE ledger_leaves SET certificate_number = '20261131009999999' WHERE idx = $1")
        .bind(pledge_index)
        .execute(&app.state.db)
        .await
        .expect("tampered");

    let dir = scratch_dir("status-replay-tampered");
    let policy = policy_file(&app, &dir).await;
    let output = replay(&app, &app.base, &policy, &[]).await;
    let report = said(&output);
    assert!(!output.status.success(), "{report}");
    assert!(
        report.contains(&format!("DISAGREE {} pledged: the registry says false, the replay true", h.number)),
        "{report}"
    );
    assert!(report.contains(&format!("DISAGREE {} pledgees: the registry says []", h.number)), "{report}");
    assert!(!report.contains(&format!("DISAGREE {}", other.number)), "{report}");
    assert!(!report.contains("REFUSED"), "the statements are signed and proven: {report}");
    assert!(report.contains("2 disagreements and 0 refused statements"), "{report}");
}

#[tokio::test]
async fn statements_of_a_checkpoint_the_witness_lags_behind_are_replayed_at_its_size() {
    // A witness that cosigned an early checkpoint and is unreachable since.
    let witness = Signer::from_seed(&[9u8; 32]).expect("key");
    let witness_key = note::verifier_key("witness.example/lagging", COSIGNATURE_V1_TYPE, &witness);
    let app = spawn_app_with(|config| {
        setup(config);
        config.ledger.witnesses =
            vec![WitnessPeer { vkey: witness_key.to_string(), url: "http://127.0.0.1:9".into(), name: String::new() }];
    })
    .await;
    let first = holder(&app).await;
    let second = holder(&app).await;
    let (witnessed, note_text): (i64, String) =
        sqlx::query_as("SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1")
            .fetch_one(&app.state.db)
            .await
            .expect("a checkpoint");
    let body = Note::parse(&note_text).expect("a note").body;
    let timestamp = u64::try_from(app.clock.now().timestamp()).expect("after 1970");
    let line = note::cosign(&body, &witness_key.name, &witness, timestamp).to_line();
    let mut conn = app.state.db.acquire().await.expect("connection");
    let size = u64::try_from(witnessed).expect("size");
    let now = app.clock.now();
    dataip::db::tlog::insert_cosignature(&mut conn, size, &witness_key.name, line.trim_end(), now).await.expect("in");
    dataip::db::tlog::set_witness_state(&mut conn, &witness_key.to_string(), size, None, now).await.expect("set");
    drop(conn);

    // Later acts are in the tiles, not yet in the witnessed checkpoint.
    let act = file_confirmed(&app, &first, pledge()).await;
    approve(&app, &first, &act).await.assert_status(200);
    revoke(&app, &second).await;
    // A certificate issued since: unknown at the witnessed checkpoint, to both.
    holder(&app).await;
    step(&app).await;
    let latest: i64 = sqlx::query_scalar("SELECT max(tree_size) FROM ledger_checkpoints")
        .fetch_one(&app.state.db)
        .await
        .expect("a checkpoint");
    assert!(latest > witnessed);

    let dir = scratch_dir("status-replay-lagging");
    let policy = policy_file(&app, &dir).await;
    assert!(std::fs::read_to_string(&policy).expect("policy").contains("witness.example/lagging"));
    let output = replay(&app, &app.base, &policy, &[]).await;
    let report = said(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(&format!("the registry answered at tree size {witnessed} (the tiles' checkpoint: {latest})")),
        "{report}"
    );
    assert!(report.contains("1 pledged") && report.contains("1 revoked"), "the tiles' replay: {report}");
    assert!(report.contains("agree with the replay for all 3 certificates"), "{report}");
}

/// An address's allowance spent, a relying party's key lets the replay ask
/// on; a key of no relying party is refused.
#[tokio::test]
async fn a_relying_partys_key_lets_the_comparison_past_the_address_allowance() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.throttle.status_queries_per_address = 1;
    })
    .await;
    let first = holder(&app).await;
    holder(&app).await;
    step(&app).await;
    let dir = scratch_dir("replay-key");
    let policy = policy_file(&app, &dir).await;
    let location = format!("{}/tlog", app.base);
    let spent = replay(&app, &location, &policy, &[]).await;
    assert!(!spent.status.success() && said(&spent).contains("429"), "{}", said(&spent));

    let bank = app.signup().await;
    let key = app.post("/organization/api-keys", Some(&bank.token), json!({"name": "审计"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();
    let refused = replay(&app, &location, &policy, &["--api-key", &key]).await;
    assert!(!refused.status.success() && said(&refused).contains("403"), "{}", said(&refused));
    let ask = json!({"kind": "bank", "purpose": "审计登记机构的状态应答"});
    app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&bank.token), Some(ask))
        .await
        .assert_status(200);
    let verify = format!("/admin/relying-parties/{}/verify", bank.org_id);
    app.post(&verify, Some(&first.reviewer), json!({})).await.assert_status(200);
    let output = replay(&app, &location, &policy, &["--api-key", &key]).await;
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("agree with the replay for all 2 certificates"), "{}", said(&output));
    let _ = std::fs::remove_dir_all(&dir);
}
