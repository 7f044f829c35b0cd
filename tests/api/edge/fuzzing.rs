//! schemathesis, from the README's test command, against a fresh server:
//! every operation under /api/v1, all its checks, a fixed seed and a fixed
//! time budget. The contract's semantic refusals (a schema-valid body that
//! a rule still refuses) are configured as expected statuses in
//! tools/schemathesis/schemathesis.toml, each with its reason.

use std::{path::PathBuf, process::Command};

use crate::helpers::spawn_app;

/// The budget, in seconds: about two minutes, as the issue asks. One
/// worker: with two, Python 3.11 before 3.11.8 (Debian 12's) may fail
/// inside `ast.parse`, which was not thread-safe there (CPython gh-106905),
/// and schemathesis reports that as an error of the run.
const BUDGET: &str = "120";

fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("DATAIP_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/schemathesis/.venv/bin/schemathesis");
    assert!(
        path.is_file(),
        "schemathesis is not installed at {}: run tools/test, or python3 -m venv tools/schemathesis/.venv && \
         tools/schemathesis/.venv/bin/pip install -r tools/schemathesis/requirements.txt (or set DATAIP_SCHEMATHESIS)",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_the_document_does_not_say() {
    let binary = schemathesis();
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(binary);
    command
        .current_dir(root.join("tools/schemathesis"))
        .args(["--config-file", "schemathesis.toml", "--no-color"])
        .args(["run", &format!("{}/api/v1/openapi.json", app.base)])
        .args(["--checks", "all", "--seed", "20261126", "--max-time", BUDGET, "--workers", "1"])
        .args(["--include-path-regex", "^/api/v1/"])
        .args(["--header", &format!("Authorization: Bearer {}", tenant.token)])
        .env_remove("SCHEMATHESIS_HOOKS");
    let output =
        tokio::task::spawn_blocking(move || command.output()).await.expect("joined").expect("schemathesis runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "schemathesis found problems:\n{report}");
}
