//! The binary as an operator meets it: what it reads and says, where it
//! keeps state, and how it refuses to run on a ledger signed with another
//! key.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    time::Duration,
};

use dataip::domain::StaffRole;

use crate::helpers::{TestApp, dataip, free_port, signup_body, spawn_app, spawn_app_with, wait_until_healthy};

const BIN: &str = env!("CARGO_BIN_EXE_dataip");
/// The key of config/test.toml, which signs the test suite's ledgers.
const TEST_KEY: &str = "dGVzdC1vbmx5LWNlcnQtc2lnbmluZy1rZXktMzJieXQ=";

/// Stops a server as SIGTERM does and waits for it.
async fn stop(mut child: Child) -> ExitStatus {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    tokio::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exit status")
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output()).await.expect("joined").expect("dataip runs")
}

/// A scratch directory to start dataip in, with an empty configuration
/// directory.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dataip-operator-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(dir.join("config")).expect("scratch");
    dir
}

/// `dataip` as a newcomer runs it: development, started in `dir`, with no
/// configuration file and no secrets given.
fn development(dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("DATAIP_ENV")
        .env_remove("DATAIP__DATA_DIR")
        .env("DATAIP_CONFIG_DIR", dir.join("config"))
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command
}

fn serve(dir: &Path, database_url: &str, port: u16) -> Command {
    let mut command = development(dir, database_url);
    command.arg("serve").env("DATAIP__SERVER__ADDR", format!("127.0.0.1:{port}"));
    command
}

#[tokio::test]
async fn version_and_help_say_what_is_read() {
    let version = output({
        let mut c = Command::new(BIN);
        c.arg("--version");
        c
    })
    .await;
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("dataip {}", env!("CARGO_PKG_VERSION")));
    for command in [vec!["--help"], vec!["serve", "--help"], vec!["staff", "add", "--help"], vec!["demo", "--help"]] {
        let help = output({
            let mut c = Command::new(BIN);
            c.args(&command);
            c
        })
        .await;
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        for mention in ["DATABASE_URL", "DATAIP_CONFIG_DIR", "DATAIP__SECTION__KEY", "--data-dir", "DATAIP_ENV"] {
            assert!(text.contains(mention), "{command:?} --help mentions {mention}:\n{text}");
        }
    }
    let verify = output({
        let mut c = Command::new(BIN);
        c.args(["verify", "--help"]);
        c
    })
    .await;
    assert!(String::from_utf8_lossy(&verify.stdout).contains("Reads no configuration"));
}

#[tokio::test]
async fn config_show_prints_every_value_with_its_layer_and_no_secret() {
    let dir = scratch();
    std::fs::write(dir.join("config/development.toml"), "[worker]\ninterval = \"PT2S\"\n").expect("file");
    let mut command = development(&dir, "postgres://app:hunter2-secret@db.example:5433/registry");
    command
        .args(["config", "show", "--data-dir", "/srv/dataip"])
        .env("DATAIP__AUTH__JWT_SECRET", "a-long-token-secret-that-must-not-show")
        .env("DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD", "PT2M");
    let shown = output(command).await;
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.status.success(), "{text}{}", String::from_utf8_lossy(&shown.stderr));
    let line = |key: &str| text.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_default().to_owned();
    assert!(
        line("workflow.announcement_period").contains("\"PT2M\"")
            && line("workflow.announcement_period").contains("DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD")
    );
    assert!(line("worker.interval").contains("development.toml"), "{text}");
    assert!(line("registry.public_url").ends_with("# built-in default"), "{text}");
    assert!(line("database.url").contains("app:<redacted>@db.example:5433/registry"), "{text}");
    assert!(line("data_dir").contains("command line --data-dir"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains("must-not-show"), "{text}");
    assert!(text.contains("# signing key: /srv/dataip/signing.key"), "{text}");

    // A production without its file is an error that says where it looked.
    let mut command = development(&dir, "postgres://localhost/x");
    command.args(["config", "show"]).env("DATAIP_ENV", "production");
    let refused = output(command).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("production.toml"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_keep_tokens_and_certificates_valid_through_the_data_directory() {
    let app = spawn_app().await;
    let dir = scratch();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(&dir, &app.database_url, port).stderr(Stdio::null()).spawn().expect("serve");
    assert!(wait_until_healthy(&base).await);
    let client = reqwest::Client::new();
    let email = format!("restart-{}@example.com", uuid::Uuid::now_v7().simple());
    let signup: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&signup_body(&email, &crate::helpers::fresh_credit_code()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let token = signup["access_token"].as_str().expect("token").to_owned();
    let key = client.get(format!("{base}/api/v1/public/ledger/key")).send().await.expect("key").text().await;
    assert!(stop(server).await.success());

    for file in ["data/signing.key", "data/token.secret"] {
        let metadata = std::fs::metadata(dir.join(file)).unwrap_or_else(|_| panic!("{file} kept"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "{file}");
        }
        let _ = metadata;
    }
    let server = serve(&dir, &app.database_url, port).stderr(Stdio::null()).spawn().expect("serve again");
    assert!(wait_until_healthy(&base).await);
    let me = client.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.expect("sent");
    assert_eq!(me.status(), 200, "a token outlives a restart");
    let again = client.get(format!("{base}/api/v1/public/ledger/key")).send().await.expect("key").text().await;
    assert_eq!(key.ok(), again.ok(), "the same signing key");
    assert!(stop(server).await.success());
    let _ = std::fs::remove_dir_all(dir);
}

/// A ledger with one checkpoint, signed with the test key.
async fn signed_ledger() -> TestApp {
    let app = spawn_app_with(|config| {
        crate::helpers::short_windows(config);
        config.worker.interval = "PT1H".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_signed_with_another_key_is_refused_unless_the_new_key_is_accepted() {
    let app = signed_ledger().await;
    let origin = app.state.config.ledger.origin.clone();
    // Started from another directory: a new data directory, a new key.
    let dir = scratch();
    let port = free_port();
    for command in ["serve", "worker"] {
        let mut refused = development(&dir, &app.database_url);
        refused
            .arg(command)
            .env("DATAIP__LEDGER__ORIGIN", &origin)
            .env("DATAIP__SERVER__ADDR", format!("127.0.0.1:{port}"));
        let refused = output(refused).await;
        let stderr = String::from_utf8_lossy(&refused.stderr).into_owned();
        assert!(!refused.status.success(), "{command} refuses");
        for says in ["signed by", "not by the configured signing key", "data/signing.key", "--accept-new-signing-key"] {
            assert!(stderr.contains(says), "{command}: {says}: {stderr}");
        }
    }

    // The right key under another origin (here derived from another public
    // address) would start another log: refused, naming the origin to set.
    let mut moved = serve(&dir, &app.database_url, port);
    moved.env("DATAIP__SIGNING__KEY", TEST_KEY).env("DATAIP__REGISTRY__PUBLIC_URL", "https://moved.example");
    let moved = output(moved).await;
    let stderr = String::from_utf8_lossy(&moved.stderr).into_owned();
    assert!(!moved.status.success());
    assert!(
        stderr.contains("moved.example/tlog") && stderr.contains(&format!("ledger.origin = \"{origin}\"")),
        "{stderr}"
    );

    // The right key starts; so does the new one when accepted.
    let base = format!("http://127.0.0.1:{port}");
    let mut right = serve(&dir, &app.database_url, port);
    right.env("DATAIP__LEDGER__ORIGIN", &origin).env("DATAIP__SIGNING__KEY", TEST_KEY);
    let server = right.stderr(Stdio::null()).spawn().expect("serve");
    assert!(wait_until_healthy(&base).await, "the key that signed the ledger");
    assert!(stop(server).await.success());
    let mut accepted = serve(&dir, &app.database_url, port);
    accepted.arg("--accept-new-signing-key").env("DATAIP__LEDGER__ORIGIN", &origin);
    let server = accepted.stderr(Stdio::piped()).spawn().expect("serve");
    assert!(wait_until_healthy(&base).await, "accepted");
    let stopped = tokio::task::spawn_blocking(move || {
        let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
        server.wait_with_output()
    })
    .await
    .expect("joined")
    .expect("output");
    assert!(String::from_utf8_lossy(&stopped.stderr).contains("--accept-new-signing-key"), "the change is logged");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unreachable_database_is_named_with_the_setting_to_change() {
    let dir = scratch();
    let port = free_port();
    let mut command = development(&dir, &format!("postgres://postgres@127.0.0.1:{port}/nowhere"));
    command.arg("migrate");
    let failed = output(command).await;
    let stderr = String::from_utf8_lossy(&failed.stderr).into_owned();
    assert!(!failed.status.success());
    for says in [format!("127.0.0.1:{port}"), "\"nowhere\"".into(), "DATABASE_URL".into()] {
        assert!(stderr.contains(&says), "{says}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `dataip staff add` on a terminal (`script` gives it one), typing
/// `typed` line by line at its prompts.
fn staff_add_on_a_terminal(database_url: &str, email: &str, typed: &'static [u8]) -> Output {
    let add = format!("{BIN} staff add --email {email} --name Prompted --role reviewer");
    let mut child = Command::new("script")
        .args(["-qec", &add, "/dev/null"])
        .env("DATABASE_URL", database_url)
        .env("DATAIP_ENV", "test")
        .env("DATAIP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        for line in typed.split_inclusive(|b| *b == b'\n') {
            std::thread::sleep(Duration::from_millis(300));
            let _ = stdin.write_all(line);
        }
    });
    child.wait_with_output().expect("output")
}

#[tokio::test]
async fn staff_add_asks_for_the_password_on_a_terminal() {
    let app = spawn_app().await;
    let url = app.database_url.clone();
    let (typed, mistyped) = tokio::task::spawn_blocking(move || {
        (
            staff_add_on_a_terminal(&url, "prompted@registry.example", b"a typed password\na typed password\n"),
            staff_add_on_a_terminal(&url, "mistyped@registry.example", b"first password 1\nother password 2\n"),
        )
    })
    .await
    .expect("ran");
    let shown = String::from_utf8_lossy(&typed.stdout).into_owned();
    assert!(typed.status.success(), "{shown}");
    assert!(shown.contains("Password for prompted@registry.example"), "{shown}");
    assert!(!shown.contains("a typed password"), "the password is not echoed: {shown}");
    let token = app.login("prompted@registry.example", "a typed password").await;
    assert_eq!(app.get("/me", Some(&token)).await.body["user"]["role"], "reviewer");

    assert!(!mistyped.status.success());
    assert!(String::from_utf8_lossy(&mistyped.stdout).contains("the two passwords differ"));
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn the_demo_never_runs_in_production() {
    let dir = scratch();
    std::fs::write(dir.join("config/production.toml"), "").expect("file");
    let mut command = development(&dir, "postgres://postgres@127.0.0.1:5432/dataip");
    command
        .arg("demo")
        .env("DATAIP_ENV", "production")
        .env("DATAIP__AUTH__JWT_SECRET", "0123456789abcdef0123456789abcdef");
    let refused = output(command).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not run with DATAIP_ENV=production"));
    let _ = std::fs::remove_dir_all(dir);
}

/// What a newcomer's first `dataip serve` does where nothing answers at the
/// default database address: run in a network namespace of its own (only
/// loopback, nothing listening), which needs root and `unshare`.
const NO_DATABASE_HERE: &str = r#"
set -u
ip link set lo up
cd "$SCRATCH"
up() { for _ in $(seq 150); do curl -sf http://127.0.0.1:8080/readyz >/dev/null && return 0; sleep 0.2; done; return 1; }
"$BIN" serve >> serve.log 2>&1 & pid=$!
up || { echo "not ready"; exit 1; }
curl -sf -X POST http://127.0.0.1:8080/api/v1/auth/signup -H 'content-type: application/json' --data "$SIGNUP" >/dev/null \
    || { echo "signup failed"; exit 1; }
kill -TERM $pid; wait $pid || { echo "serve failed"; exit 1; }
"$BIN" serve >> serve.log 2>&1 & pid=$!
up || { echo "not ready after a restart"; exit 1; }
kill -9 $pid; wait $pid 2>/dev/null
"$BIN" serve >> serve.log 2>&1 & pid=$!
up || { echo "not ready after a crash"; exit 1; }
curl -sf -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' --data "$LOGIN" >/dev/null \
    || { echo "the data did not survive"; exit 1; }
kill -TERM $pid; wait $pid || { echo "serve failed"; exit 1; }
DATAIP_PG_BINDIR=/nonexistent "$BIN" serve >> serve.log 2>&1 && { echo "started without PostgreSQL"; exit 1; }
# A data directory the postgres user cannot reach (as under root's home).
mkdir -m 700 private
DATAIP__DATA_DIR="$SCRATCH/private/data" "$BIN" serve >> serve.log 2>&1 & pid=$!
up || { echo "not ready with a private data directory"; exit 1; }
kill -TERM $pid; wait $pid || { echo "serve failed"; exit 1; }
echo all done
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_starts_a_private_postgresql_when_none_answers() {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let unshare = Command::new("unshare").args(["-n", "true"]).status().is_ok_and(|s| s.success());
    if !root || !unshare {
        eprintln!("skipped: needs root and unshare(1) for a network namespace where nothing answers at 127.0.0.1:5432");
        return;
    }
    let dir = scratch();
    let email = format!("private-{}@example.com", uuid::Uuid::now_v7().simple());
    let signup = serde_json::to_string(&signup_body(&email, &crate::helpers::fresh_credit_code())).expect("json");
    let login = serde_json::json!({"email": email, "password": crate::helpers::PASSWORD}).to_string();
    let mut command = Command::new("unshare");
    command
        .args(["-n", "bash", "-c", NO_DATABASE_HERE])
        .env_remove("DATABASE_URL")
        .env_remove("DATAIP_ENV")
        .env_remove("DATAIP__DATA_DIR")
        .env("DATAIP_CONFIG_DIR", dir.join("config"))
        .env("DATAIP__SERVER__ADDR", "127.0.0.1:8080")
        .env("RUST_LOG", "info")
        .env("SCRATCH", &dir)
        .env("BIN", BIN)
        .env("SIGNUP", signup)
        .env("LOGIN", login);
    let ran = output(command).await;
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default();
    let stdout = String::from_utf8_lossy(&ran.stdout).into_owned();
    assert!(
        ran.status.success() && stdout.contains("all done"),
        "{stdout}{}\n{log}",
        String::from_utf8_lossy(&ran.stderr)
    );
    for said in [
        "creating a private PostgreSQL cluster",
        "started a private PostgreSQL",
        "stopped the private PostgreSQL",
        "was left running (a crash?)",
        "apt-get install postgresql",
        "cannot reach the data directory",
    ] {
        assert!(log.contains(said), "{said}:\n{log}");
    }
    assert!(dir.join("data/postgres/PG_VERSION").is_file(), "the cluster lives in the data directory");
    // The one the postgres user could not reach lives under /var/tmp, named after it.
    use sha2::Digest;
    let unreachable = dir.join("private/data/postgres");
    let digest = sha2::Sha256::digest(unreachable.as_os_str().as_encoded_bytes());
    let elsewhere = PathBuf::from(format!("/var/tmp/dataip-{}", hex::encode(&digest[..6])));
    assert!(elsewhere.join("postgres/PG_VERSION").is_file(), "{}", elsewhere.display());
    let _ = std::fs::remove_dir_all(elsewhere);
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `dataip args…` with the test configuration on the app's database.
async fn dataip_on(app: &TestApp, args: &[&str]) -> (bool, String) {
    let mut command = dataip(&app.database_url);
    command.args(args);
    let ran = output(command).await;
    let text = format!("{}{}", String::from_utf8_lossy(&ran.stdout), String::from_utf8_lossy(&ran.stderr));
    (ran.status.success(), text)
}

#[tokio::test]
async fn operators_list_disable_and_enable_staff_from_the_command_line() {
    let app = spawn_app().await;
    let (ok, text) = dataip_on(&app, &["staff", "list"]).await;
    assert!(ok && text.contains("no staff yet"), "{text}");
    let token = app.staff(StaffRole::Reviewer).await;
    let email = app.get("/me", Some(&token)).await.body["user"]["email"].as_str().expect("email").to_owned();
    let (ok, text) = dataip_on(&app, &["staff", "list"]).await;
    assert!(ok && text.contains(&email) && text.contains("reviewer") && text.contains("active"), "{text}");

    let (ok, text) = dataip_on(&app, &["staff", "disable", "--email", &email]).await;
    assert!(ok && text.contains("is disabled"), "{text}");
    app.get("/review/applications", Some(&token)).await.assert_problem(401, "unauthorized");
    let login =
        app.post("/auth/login", None, serde_json::json!({"email": email, "password": crate::helpers::PASSWORD}));
    login.await.assert_problem(401, "unauthorized");
    let (ok, text) = dataip_on(&app, &["staff", "list"]).await;
    assert!(ok && text.contains("disabled"), "{text}");

    let (ok, text) = dataip_on(&app, &["staff", "enable", "--email", &email]).await;
    assert!(ok && text.contains("is active"), "{text}");
    app.login(&email, crate::helpers::PASSWORD).await;
    let (ok, text) = dataip_on(&app, &["staff", "disable", "--email", "nobody@registry.example"]).await;
    assert!(!ok && text.contains("no staff member"), "{text}");
}

#[tokio::test]
async fn a_password_reset_token_from_the_command_line_sets_a_new_password_once() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let (ok, text) = dataip_on(&app, &["user", "reset-password", "--email", &tenant.email]).await;
    assert!(ok, "{text}");
    let token = text.split_whitespace().find(|word| word.starts_with("dipw_")).expect("a token is printed").to_owned();
    assert!(text.contains("/api/v1/auth/password-reset"), "{text}");
    let reset = serde_json::json!({"token": token, "new_password": "a brand new password"});
    app.post("/auth/password-reset", None, reset.clone()).await.assert_status(204);
    app.login(&tenant.email, "a brand new password").await;
    app.post("/auth/password-reset", None, reset).await.assert_problem(422, "validation_failed");
    let (ok, text) = dataip_on(&app, &["user", "reset-password", "--email", "nobody@example.com"]).await;
    assert!(!ok && text.contains("no user"), "{text}");
}

#[tokio::test]
async fn commands_log_where_their_configuration_came_from() {
    let app = spawn_app().await;
    let dir = scratch();
    let mut command = development(&dir, &app.database_url);
    command.arg("migrate").env("RUST_LOG", "info");
    let ran = output(command).await;
    let log = String::from_utf8_lossy(&ran.stderr).into_owned();
    assert!(ran.status.success(), "{log}");
    assert!(log.contains("configuration read"), "{log}");
    assert!(log.contains(&dir.join("config").display().to_string()), "the directory: {log}");
    assert!(log.contains("none (built-in defaults and environment only)"), "no file in development: {log}");
    assert!(log.contains(&dir.join("data").display().to_string()), "the data directory: {log}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The container files as shipped: no secret has a default, the image holds
/// no test settings, and `/metrics` is published on loopback only. (The
/// files are also run for real against local stand-ins of their base images;
/// see the notes of issue 26.)
#[test]
fn the_container_files_ship_no_secret_and_no_test_settings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compose = std::fs::read_to_string(root.join("docker-compose.yml")).expect("compose file");
    for secret in ["POSTGRES_PASSWORD", "DATAIP_JWT_SECRET", "DATAIP_SIGNING_KEY"] {
        let uses: Vec<&str> = compose.match_indices(&format!("${{{secret}")).map(|(at, _)| &compose[at..]).collect();
        assert!(!uses.is_empty(), "{secret} is used");
        for used in uses {
            assert!(used.starts_with(&format!("${{{secret}:?")), "{secret} must be required: {}", &used[..60]);
        }
    }
    for line in compose.lines().filter(|line| line.contains("SIGNER_KEY:")) {
        assert!(line.trim_end().ends_with("${DATAIP_ANCHOR_SIGNER_KEY:-}"), "no default chain key: {line}");
    }
    assert!(compose.contains("DATAIP__SERVER__METRICS_ADDR: 0.0.0.0:9090"), "metrics on a port of their own");
    assert!(compose.contains(r#""127.0.0.1:${DATAIP_METRICS_PORT:-9090}:9090""#), "published on loopback only");

    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("Dockerfile");
    let runtime = dockerfile.rsplit_once("\nFROM ").expect("a runtime stage").1;
    let copied: Vec<&str> = runtime.lines().filter(|line| line.starts_with("COPY ")).collect();
    assert!(copied.iter().all(|line| !line.contains("test.toml") && !line.starts_with("COPY config ")), "{copied:?}");
    assert!(copied.iter().any(|line| line.starts_with("COPY config/production.toml ")), "{copied:?}");
}
