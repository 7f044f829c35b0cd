//! The README's walk-through, run as a newcomer would: `dataip demo` in one
//! process, `examples/walkthrough.sh` against it, from signup to a verified
//! certificate and a verified disclosure; then `dataip demo --reset`.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use crate::helpers::{free_port, wait_until_healthy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_runs_against_the_demo_from_signup_to_a_verified_certificate() {
    let config = dataip::config::Config::load_from(
        dataip::config::Environment::Test,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
    )
    .expect("test configuration");
    let name = format!("dataip_walk_{}", uuid::Uuid::now_v7().simple());
    let database_url = dataip::db::with_database(config.database.url.expose(), &name);
    let scratch = std::env::temp_dir().join(format!("dataip-walkthrough-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(scratch.join("config")).expect("scratch");
    let port = free_port();
    let demo = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dataip"));
        command
            .arg("demo")
            .args(args)
            .current_dir(&scratch)
            .env_remove("DATAIP_ENV")
            .env("DATAIP_CONFIG_DIR", scratch.join("config"))
            .env("DATABASE_URL", &database_url)
            .env("DATAIP__SERVER__ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn");
        command
    };
    let mut server =
        demo(&["--announcement-period", "PT6S"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("demo");
    let base = format!("http://127.0.0.1:{port}");
    assert!(wait_until_healthy(&base).await, "the demo answered /healthz");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/walkthrough.sh");
    let workdir = scratch.join("walkthrough");
    let run = Command::new("bash")
        .arg(&script)
        .env("DATAIP_URL", &base)
        .env("DATAIP", env!("CARGO_BIN_EXE_dataip"))
        .env("WORKDIR", &workdir)
        .output();
    let output = tokio::task::spawn_blocking(move || run).await.expect("joined").expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = tokio::time::timeout(Duration::from_secs(10), tokio::task::spawn_blocking(move || server.wait())).await;
    let reset = demo(&["--reset"]).output().expect("demo --reset");
    let dropped = String::from_utf8_lossy(&reset.stdout).into_owned();

    assert!(output.status.success(), "the walk-through failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("the certificate is authentic and recorded in the ledger"), "{stdout}");
    assert!(stdout.contains("every disclosed value is the one the ledger committed to"), "{stdout}");
    let pdf = std::fs::read(workdir.join("certificate.pdf")).expect("the PDF was downloaded");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(reset.status.success() && dropped.contains(&format!("{name}_demo")), "{dropped}");
    let _ = std::fs::remove_dir_all(scratch);
}
