//! The `dataip` binary's subcommands.

use std::process::{Output, Stdio};

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::helpers::{dataip, dataip_with_input, free_port, spawn_app, wait_until_healthy};

#[tokio::test]
async fn staff_add_reads_the_password_from_stdin() {
    let app = spawn_app().await;
    let args = ["staff", "add", "--email", "first-admin@registry.example", "--name", "首位管理员", "--role", "admin"];
    let output = dataip_with_input(&app.database_url, &args, b"a long admin password\n").await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let token = app.login("first-admin@registry.example", "a long admin password").await;
    assert_eq!(app.get("/me", Some(&token)).await.body["user"]["role"], "admin");
}

#[tokio::test]
async fn staff_add_refuses_a_short_password() {
    let app = spawn_app().await;
    let args = ["staff", "add", "--email", "r@registry.example", "--name", "R", "--role", "reviewer"];
    let output = dataip_with_input(&app.database_url, &args, b"short\n").await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("password"));
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn migrate_creates_and_migrates_a_missing_database() {
    let app = spawn_app().await;
    let fresh = app.database_url.replace("dataip_test_", "dataip_test_migrate_");
    let output = tokio::task::spawn_blocking({
        let fresh = fresh.clone();
        move || dataip(&fresh).arg("migrate").output()
    })
    .await
    .expect("joined")
    .expect("output");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let encoding: String = sqlx::query_scalar(
        "SELECT pg_encoding_to_char(encoding)::text FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&mut <sqlx::PgConnection as sqlx::Connection>::connect(&fresh).await.expect("connects"))
    .await
    .expect("encoding");
    assert_eq!(encoding, "UTF8");
    dataip::db::drop_database(&fresh).await.expect("dropped");
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let app = spawn_app().await;
    let port = free_port();
    let mut child = dataip(&app.database_url)
        .arg("serve")
        .env("DATAIP__SERVER__ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dataip runs");
    assert!(wait_until_healthy(&format!("http://127.0.0.1:{port}")).await, "dataip serve answered /healthz");
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exit status");
    assert!(status.success(), "exit status {status:?}");
}

/// A registered certificate, as its holder downloads it.
async fn certificate(app: &crate::helpers::TestApp) -> serde_json::Value {
    let tenant = app.signup().await;
    let reviewer = app.staff(dataip::domain::StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let list = app.get("/certificates", Some(&tenant.token)).await;
    list.body["items"][0].clone()
}

fn short_windows(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
    config.worker.interval = "PT1H".parse().expect("duration");
}

pub async fn verify(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_dataip")).arg("verify").args(args).output()
    })
    .await
    .expect("joined")
    .expect("dataip runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_a_certificate_offline() {
    let app = crate::helpers::spawn_app_with(short_windows).await;
    let certificate = certificate(&app).await;
    assert!(certificate["ledger"].is_object(), "{certificate}");
    let dir = std::env::temp_dir().join(format!("dataip-verify-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("certificate.json");
    std::fs::write(&file, certificate.to_string()).expect("written");
    let key = app.get("/public/ledger/key", None).await.body;
    let public_key = key["public_key"].as_str().expect("key").to_owned();
    let key_file = dir.join("key.json");
    std::fs::write(&key_file, key.to_string()).expect("written");
    let path = file.display().to_string();

    // With the key given inline, as a file, and fetched from the registry.
    for source in [public_key.clone(), key_file.display().to_string(), app.base.clone()] {
        let output = verify(vec![path.clone(), "--public-key".into(), source.clone()]).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{source}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        for check in ["document signature", "ledger leaf", "inclusion proof", "checkpoint"] {
            assert!(stdout.contains(&format!("✓ {check}")), "{stdout}");
        }
    }

    // Any change to the document fails, and says where.
    let mut forged = certificate.clone();
    forged["document"]["valid_until"] = serde_json::json!("2099-01-01T00:00:00Z");
    std::fs::write(&file, forged.to_string()).expect("written");
    let output = verify(vec![path.clone(), "--public-key".into(), public_key.clone()]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!output.status.success());
    assert!(stdout.contains("✗ document signature") && stdout.contains("✗ ledger leaf"), "{stdout}");

    // Another key fails.
    std::fs::write(&file, certificate.to_string()).expect("written");
    let output = verify(vec![path, "--public-key".into(), STANDARD.encode([9u8; 32])]).await;
    assert!(!output.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_passes_an_intact_ledger_and_finds_a_flipped_byte() {
    let app = crate::helpers::spawn_app_with(short_windows).await;
    for _ in 0..3 {
        certificate(&app).await;
    }
    let (passed, output) = audit(&app.database_url).await;
    assert!(passed, "{output}");
    assert!(output.contains("3 leaves recomputed"), "{output}");

    // One byte of one entry changed in the database.
    tamper(&app, "UPDATE ledger_leaves SET entry = overlay(entry placing '\\x58'::bytea from 40 for 1) WHERE idx = 1")
        .await;
    let (passed, output) = audit(&app.database_url).await;
    assert!(!passed);
    assert!(output.contains("leaf 1"), "{output}");

    // With its leaf hash recomputed, the forged entry no longer carries a
    // valid signature (or is no longer an entry at all).
    tamper(&app, "UPDATE ledger_leaves SET leaf_hash = sha256('\\x00'::bytea || entry) WHERE idx = 1").await;
    let (passed, output) = audit(&app.database_url).await;
    assert!(!passed);
    assert!(output.contains("leaf 1:"), "{output}");

    // A consistent forgery of well-formed, signed entries (leaf 0 copied
    // over leaf 1) is caught by the tree.
    tamper(
        &app,
        "UPDATE ledger_leaves SET (entry, leaf_hash) = (SELECT entry, leaf_hash FROM ledger_leaves WHERE idx = 0)
         WHERE idx = 1",
    )
    .await;
    let (passed, output) = audit(&app.database_url).await;
    assert!(!passed);
    assert!(output.contains("subtree at level 0, index 1"), "{output}");
}

/// Runs `dataip ledger audit`: whether it passed, and all it printed.
pub async fn audit(database_url: &str) -> (bool, String) {
    let url = database_url.to_owned();
    let output = tokio::task::spawn_blocking(move || dataip(&url).args(["ledger", "audit"]).output())
        .await
        .expect("joined")
        .expect("output");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

pub async fn tamper(app: &crate::helpers::TestApp, statement: &'static str) {
    sqlx::query(statement).execute(&app.state.db).await.expect("tampered");
}
