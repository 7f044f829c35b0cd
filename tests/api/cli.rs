//! The `dataip` binary's subcommands.

use std::{
    io::Write,
    process::{Output, Stdio},
};

use crate::helpers::spawn_app;

fn dataip(database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dataip"));
    command
        .env("DATABASE_URL", database_url)
        .env("DATAIP_ENV", "test")
        .env("DATAIP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"));
    command
}

/// Runs `dataip args...` with `input` on its standard input.
async fn run_with_input(database_url: &str, args: &[&str], input: &'static [u8]) -> Output {
    let mut child = dataip(database_url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dataip runs");
    child.stdin.take().expect("stdin").write_all(input).expect("input written");
    tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("joined").expect("output")
}

#[tokio::test]
async fn staff_add_reads_the_password_from_stdin() {
    let app = spawn_app().await;
    let args = ["staff", "add", "--email", "first-admin@registry.example", "--name", "首位管理员", "--role", "admin"];
    let output = run_with_input(&app.database_url, &args, b"a long admin password\n").await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let token = app.login("first-admin@registry.example", "a long admin password").await;
    assert_eq!(app.get("/me", Some(&token)).await.body["user"]["role"], "admin");
}

#[tokio::test]
async fn staff_add_refuses_a_short_password() {
    let app = spawn_app().await;
    let args = ["staff", "add", "--email", "r@registry.example", "--name", "R", "--role", "reviewer"];
    let output = run_with_input(&app.database_url, &args, b"short\n").await;
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
async fn verify_says_it_is_not_available_yet() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dataip"))
        .args(["verify", "certificate.json", "--public-key", "key"])
        .output()
        .expect("dataip runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not yet available"));
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let app = spawn_app().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let mut child = dataip(&app.database_url)
        .arg("serve")
        .env("DATAIP__SERVER__ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dataip runs");
    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if app.client.get(&health).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "dataip serve answered /healthz");
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exit status");
    assert!(status.success(), "exit status {status:?}");
}
