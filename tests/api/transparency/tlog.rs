//! Transparency anyone can check without trusting the registry: the log as
//! C2SP tiles, witnesses (real `dataip witness` processes on databases of
//! their own) cosigning its checkpoints, offline proofs checked against a
//! policy, mirrors audited, and a monitor catching a split view. Tiles,
//! notes and proofs are also checked by implementations we did not write
//! (see `interop`).

use std::{
    path::{Path, PathBuf},
    process::{Child, Output, Stdio},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use dataip::{domain::StaffRole, jobs::Worker, services};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tlog::{
    Entry,
    checkpoint::Checkpoint,
    merkle,
    note::{COSIGNATURE_V1_TYPE, Note, Signed, VerifierKey},
    offline,
    policy::Policy,
    proof::Proof,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::{
    helpers::{PASSWORD, TestApp, dataip, free_port, spawn_app_with},
    transparency::interop,
};

/// A `dataip witness` process on a database of its own, stopped (and its
/// database dropped) when dropped.
struct WitnessProcess {
    name: String,
    vkey: String,
    url: String,
    key_file: PathBuf,
    database_url: String,
    child: Option<Child>,
}

impl WitnessProcess {
    /// Makes the witness's key (its verifier key is needed before the
    /// registry starts, the registry's before the witness does).
    fn prepare(dir: &Path, name: &str) -> Self {
        let key_file = dir.join(format!("{}.key", name.replace('/', "_")));
        let database_url = dataip::db::with_database(
            &std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            &format!("dataip_witness_{}", Uuid::now_v7().simple()),
        );
        let output = dataip(&database_url)
            .args(["witness", "--print-vkey", "--name", name, "--key-file"])
            .arg(&key_file)
            .output()
            .expect("dataip witness runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let vkey = String::from_utf8(output.stdout).expect("utf-8").trim().to_owned();
        let url = format!("http://127.0.0.1:{}", free_port());
        Self { name: name.to_owned(), vkey, url, key_file, database_url, child: None }
    }

    fn peer(&self) -> dataip::config::WitnessPeer {
        dataip::config::WitnessPeer { vkey: self.vkey.clone(), url: self.url.clone(), name: String::new() }
    }

    async fn start(&mut self, log_vkey: &str) {
        self.start_with(log_vkey, &[]).await;
    }

    /// Starts it with `env` set besides the test configuration.
    async fn start_with(&mut self, log_vkey: &str, env: &[(&str, &str)]) {
        let listen = self.url.trim_start_matches("http://").to_owned();
        let child = dataip(&self.database_url)
            .args(["witness", "--listen", &listen, "--name", &self.name, "--log", log_vkey, "--key-file"])
            .arg(&self.key_file)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dataip witness starts");
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..300 {
            // An unknown origin's checkpoint: 404 once it listens.
            if client.get(format!("{}/00/checkpoint", self.url)).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the witness {} did not start", self.name);
    }

    fn key(&self) -> VerifierKey {
        VerifierKey::parse(&self.vkey).expect("a verifier key")
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let url = self.database_url.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(dataip::db::drop_database(&url))
        })
        .join();
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn short_windows(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
    config.worker.interval = "PT1H".parse().expect("duration");
}

/// Registers `count` applications and appends them (one worker step);
/// returns the certificate numbers, newest first.
async fn issue(app: &TestApp, count: usize) -> Vec<String> {
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    for _ in 0..count {
        app.announced_application(&tenant.token, &reviewer).await;
    }
    app.close_windows(chrono::Duration::seconds(3)).await;
    app.login(&tenant.email, PASSWORD).await;
    let register = app.get("/public/registry?limit=100", None).await;
    register.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["certificate_number"].as_str().expect("number").to_owned())
        .collect()
}

async fn text(app: &TestApp, path: &str) -> String {
    let answer = app.client.get(app.url(path)).send().await.expect("sent");
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().await.expect("text")
}

async fn run(command: &mut std::process::Command) -> Output {
    let mut command = std::mem::replace(command, std::process::Command::new("true"));
    tokio::task::spawn_blocking(move || command.output()).await.expect("joined").expect("runs")
}

/// Flips the low bit of the byte `from_end` bytes before a file's end.
fn flip_byte(path: &Path, from_end: usize) {
    let mut bytes = std::fs::read(path).expect("a file");
    let at = bytes.len() - from_end;
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("written");
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test]
async fn two_witnesses_cosign_and_a_proof_verifies_offline_against_a_two_of_two_policy() {
    let dir = scratch_dir("witnesses");
    let mut first = WitnessProcess::prepare(&dir, "w1.dataip.test/witness");
    let mut second = WitnessProcess::prepare(&dir, "w2.dataip.test/witness");
    let peers = vec![first.peer(), second.peer()];
    let app = spawn_app_with(|config| {
        short_windows(config);
        config.ledger.witnesses = peers;
    })
    .await;
    let log_vkey = text(&app, "/tlog/vkey").await.trim().to_owned();
    assert!(log_vkey.starts_with(&app.state.config.ledger.origin));
    first.start(&log_vkey).await;
    second.start(&log_vkey).await;
    let worker = Worker::new(app.state.clone());

    // Both witnesses cosign the first checkpoint, then the next one (with a
    // consistency proof from the size they cosigned).
    let numbers = issue(&app, 2).await;
    worker.witness_step().await;
    let note = text(&app, "/tlog/checkpoint").await;
    let parsed = Note::parse(&note).expect("a note");
    assert_eq!(parsed.signatures.len(), 3, "the log's signature and two cosignatures: {note}");
    for witness in [&first, &second] {
        assert!(matches!(parsed.signed_by(&witness.key()), Signed::Valid { timestamp: Some(_) }), "{}", witness.name);
    }
    let more = issue(&app, 1).await;
    worker.witness_step().await;
    let note = text(&app, "/tlog/checkpoint").await;
    let parsed = Note::parse(&note).expect("a note");
    let checkpoint = Checkpoint::parse_body(&parsed.body).expect("a checkpoint");
    assert_eq!(checkpoint.size, 3);
    for witness in [&first, &second] {
        assert!(matches!(parsed.signed_by(&witness.key()), Signed::Valid { .. }), "{} cosigned size 3", witness.name);
    }
    // Each witness serves what it cosigned to monitors.
    let origin_hash = hex::encode(Sha256::digest(app.state.config.ledger.origin.as_bytes()));
    let served = reqwest::get(format!("{}/{origin_hash}/checkpoint", first.url)).await.expect("sent");
    assert_eq!(served.status(), 200);
    let served = Note::parse(&served.text().await.expect("text")).expect("a note");
    assert_eq!(served.body, parsed.body);
    assert!(matches!(served.signed_by(&first.key()), Signed::Valid { .. }));

    // The portal shows who cosigned, and offers the proof file.
    let portal = |path: &str| reqwest::get(format!("{}{path}", app.base));
    let page = portal("/ledger?lang=en").await.expect("sent").text().await.expect("text");
    assert!(page.contains("w1.dataip.test/witness") && page.contains("w2.dataip.test/witness"), "{page}");
    assert!(page.contains("/tlog/policy"), "{page}");
    let verified = portal(&format!("/verify?number={}&lang=en", numbers[0])).await.expect("sent");
    let verified = verified.text().await.expect("text");
    assert!(verified.contains("cosigned by witnesses: w1.dataip.test/witness"), "{verified}");
    assert!(verified.contains(&format!("/api/v1/public/certificates/{}/proof", numbers[0])), "{verified}");

    // The suggested policy needs both witnesses; the proof meets it.
    let policy_text = text(&app, "/tlog/policy").await;
    let policy = Policy::parse(&policy_text).expect("a policy");
    assert_eq!(policy.witnesses.len(), 2);
    let number = more[0].clone();
    assert!(!numbers.contains(&number));
    let proof_text = text(&app, &format!("/api/v1/public/certificates/{number}/proof")).await;
    let proof = Proof::parse(&proof_text).expect("a tlog proof");
    assert_eq!(proof.index, 2);
    let entry = Entry::parse(proof.extra.as_deref().expect("the entry")).expect("an entry");
    assert_eq!(entry.certificate_number(), number);
    let (checks, _) = offline::verify(&proof, &policy);
    assert!(checks.iter().all(|check| check.passed), "{checks:?}");

    let policy_file = dir.join("policy.txt");
    let proof_file = dir.join(format!("{number}.tlog-proof"));
    std::fs::write(&policy_file, &policy_text).expect("written");
    std::fs::write(&proof_file, &proof_text).expect("written");
    let output = run(dataip(&app.database_url).arg("verify").arg(&proof_file).arg("--policy").arg(&policy_file)).await;
    let report = said(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("w1.dataip.test/witness") && report.contains("quorum"), "{report}");
    assert!(report.contains("issuance only, not today's status"), "{report}");

    // --online adds today's status from the registry the policy names.
    let output =
        run(dataip(&app.database_url).arg("verify").arg(&proof_file).args(["--online", "--policy"]).arg(&policy_file))
            .await;
    let report = said(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("status registered") || report.contains("status active"), "{report}");
    assert!(report.contains("no anchor"), "{report}");

    // The certificate's PDF carries the same proof, and verifies as a file.
    let tenant_number = &numbers[0];
    let pdf_proof = {
        let certificate = app.get(&format!("/public/certificates/{tenant_number}"), None).await;
        certificate.assert_status(200);
        services::transparency::log_files::certificate_proof(&app.state, tenant_number).await.expect("a proof")
    };
    assert!(Proof::parse(&pdf_proof).is_ok());

    // A policy needing a third witness is not met, and says so.
    let stranger = tlog::signing::Signer::from_seed(&[9u8; 32]).expect("key");
    let third = tlog::note::verifier_key("w3.dataip.test/witness", COSIGNATURE_V1_TYPE, &stranger);
    let strict = format!(
        "log {log_vkey}\nwitness A {}\nwitness B {}\nwitness C {third}\ngroup all3 all A B C\nquorum all3\n",
        first.vkey, second.vkey
    );
    let (checks, _) = offline::verify(&proof, &Policy::parse(&strict).expect("policy"));
    let failed: Vec<_> = checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1, "{checks:?}");
    assert!(failed[0].name == "witness cosignatures" && failed[0].detail.contains("not met"), "{failed:?}");

    // Flipping any byte of the proof fails a check, with a reason.
    let bytes = proof_text.as_bytes();
    for position in 0..bytes.len() {
        let mut flipped = bytes.to_vec();
        flipped[position] ^= 0x01;
        let Ok(flipped) = String::from_utf8(flipped) else { continue };
        let failure = match Proof::parse(&flipped) {
            Err(reason) => reason,
            Ok(proof) => {
                let (checks, _) = offline::verify(&proof, &policy);
                checks.into_iter().find(|c| !c.passed).map(|c| format!("{}: {}", c.name, c.detail)).unwrap_or_default()
            }
        };
        assert!(!failure.is_empty(), "flipping byte {position} went unnoticed");
    }
    // And the command says what failed.
    let tampered = proof_text.replacen("index 2", "index 1", 1);
    std::fs::write(&proof_file, tampered).expect("written");
    let output = run(dataip(&app.database_url).arg("verify").arg(&proof_file).arg("--policy").arg(&policy_file)).await;
    assert!(!output.status.success());
    assert!(said(&output).contains("✗ inclusion proof"), "{}", said(&output));

    // Implementations we did not write agree.
    let witness_vkeys = [first.vkey.as_str(), second.vkey.as_str()];
    let (size, root, cosigners) =
        interop::azul_open_checkpoint(&note, &log_vkey, &witness_vkeys).expect("signed_note opens the checkpoint");
    assert_eq!((size, root), (checkpoint.size, checkpoint.root));
    assert_eq!(cosigners.len(), 2, "{cosigners:?}");
    interop::azul_check_proof(&proof_text, &log_vkey, &witness_vkeys).expect("tlog_tiles checks the proof");
    assert_eq!(interop::azul_check_log(&app.base, &log_vkey).await, Ok(3));
    let vkey_file = dir.join("log.vkey");
    std::fs::write(&vkey_file, &log_vkey).expect("written");
    let checkpoint_file = dir.join("checkpoint");
    std::fs::write(&checkpoint_file, &note).expect("written");
    std::fs::write(&proof_file, &proof_text).expect("written");
    let vkey_arg = vkey_file.to_str().expect("path");
    let go = interop::go_tlogcheck(&["checkpoint", vkey_arg, checkpoint_file.to_str().expect("path")]);
    assert!(go.status.success(), "{}", said(&go));
    let go = interop::go_tlogcheck(&["proof", vkey_arg, proof_file.to_str().expect("path")]);
    assert!(go.status.success(), "{}", said(&go));
    std::fs::write(&proof_file, proof_text.replacen("index 2", "index 1", 1)).expect("written");
    let go = interop::go_tlogcheck(&["proof", vkey_arg, proof_file.to_str().expect("path")]);
    assert!(!go.status.success(), "x/mod refuses a tampered proof");
}

#[tokio::test]
async fn two_registries_witness_each_other_each_witness_beside_its_own_registrys_database() {
    let dir = scratch_dir("mutual");
    let mut at_a = WitnessProcess::prepare(&dir, "a.dataip.test/witness");
    let mut at_b = WitnessProcess::prepare(&dir, "b.dataip.test/witness");
    let (peer_a, peer_b) = (at_a.peer(), at_b.peer());
    let registry_a = spawn_app_with(|config| {
        short_windows(config);
        config.ledger.witnesses = vec![peer_b];
    })
    .await;
    let registry_b = spawn_app_with(|config| {
        short_windows(config);
        config.ledger.witnesses = vec![peer_a];
    })
    .await;
    // Each registry's operator runs a witness of the other's log on its own database.
    at_a.database_url = registry_a.database_url.clone();
    at_b.database_url = registry_b.database_url.clone();
    at_a.start(text(&registry_b, "/tlog/vkey").await.trim()).await;
    at_b.start(text(&registry_a, "/tlog/vkey").await.trim()).await;
    for (registry, other) in [(&registry_a, &at_b), (&registry_b, &at_a)] {
        issue(registry, 1).await;
        Worker::new(registry.state.clone()).witness_step().await;
        let note = Note::parse(&text(registry, "/tlog/checkpoint").await).expect("a note");
        assert!(matches!(note.signed_by(&other.key()), Signed::Valid { .. }), "{} cosigned", other.name);
    }
    let mut conn = registry_a.state.db.acquire().await.expect("connection");
    let witnessed: String =
        sqlx::query_scalar("SELECT origin FROM witnessed_logs").fetch_one(&mut *conn).await.expect("row");
    assert_eq!(witnessed, registry_b.state.config.ledger.origin);
}

/// Posts an add-checkpoint request to a witness.
async fn add_checkpoint(
    witness: &WitnessProcess,
    old: u64,
    proof: &[merkle::Hash],
    note: &str,
) -> (u16, String, String) {
    let mut body = format!("old {old}\n");
    for hash in proof {
        body.push_str(&STANDARD.encode(hash));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    let answer =
        reqwest::Client::new().post(format!("{}/add-checkpoint", witness.url)).body(body).send().await.expect("sent");
    let status = answer.status().as_u16();
    let kind = answer.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, answer.text().await.expect("text"))
}

#[tokio::test]
async fn a_witness_refuses_what_it_must_not_cosign_with_the_specifications_codes() {
    let dir = scratch_dir("witness-refusals");
    let mut witness = WitnessProcess::prepare(&dir, "w.dataip.test/witness");
    let peer = witness.peer();
    let app = spawn_app_with(|config| {
        short_windows(config);
        config.ledger.witnesses = vec![peer];
    })
    .await;
    let log_vkey = text(&app, "/tlog/vkey").await.trim().to_owned();
    witness.start(&log_vkey).await;
    issue(&app, 2).await;
    Worker::new(app.state.clone()).witness_step().await;
    let (size, signed) = services::transparency::log_files::checkpoint(&app.state).await.expect("checkpoint");
    assert_eq!(size, 2);
    let body = Note::parse(&signed).expect("note").body;
    let cosigned = Checkpoint::parse_body(&body).expect("checkpoint");
    let origin = app.state.config.ledger.origin.clone();
    let sign =
        |size: u64, root: merkle::Hash| Checkpoint { origin: origin.clone(), size, root }.sign(&app.state.signer);

    // Another root for the size it cosigned: 422, and never cosigned.
    let forged = sign(2, [7u8; 32]);
    let (status, _, _) = add_checkpoint(&witness, 2, &[], &forged).await;
    assert_eq!(status, 422);
    // A larger tree whose consistency proof does not verify: 422.
    let (status, _, _) = add_checkpoint(&witness, 2, &[[1u8; 32]], &sign(3, [8u8; 32])).await;
    assert_eq!(status, 422);
    // An old size other than the one it holds: 409 with that size.
    let (status, kind, said) = add_checkpoint(&witness, 1, &[], &sign(3, [8u8; 32])).await;
    assert_eq!((status, kind.as_str(), said.as_str()), (409, "text/x.tlog.size", "2\n"));
    // An old size beyond the checkpoint's: 400.
    let (status, _, _) = add_checkpoint(&witness, 5, &[], &sign(3, [8u8; 32])).await;
    assert_eq!(status, 400);
    // A checkpoint not signed by the log's key: 403; an unknown origin: 404.
    let stranger = tlog::signing::Signer::from_seed(&[5u8; 32]).expect("key");
    let unsigned = Checkpoint { origin: origin.clone(), size: 3, root: [8u8; 32] }.sign(&stranger);
    let (status, _, _) = add_checkpoint(&witness, 2, &[], &unsigned).await;
    assert_eq!(status, 403);
    let elsewhere = Checkpoint { origin: "elsewhere.example/tlog".into(), size: 3, root: [8u8; 32] }.sign(&stranger);
    let (status, _, _) = add_checkpoint(&witness, 0, &[], &elsewhere).await;
    assert_eq!(status, 404);
    // A size-0 checkpoint must have the empty root: 422. Garbage: 400.
    let (status, _, _) = add_checkpoint(&witness, 0, &[], &sign(0, [1u8; 32])).await;
    assert!(status == 409 || status == 422, "{status}");
    let answer = reqwest::Client::new().post(format!("{}/add-checkpoint", witness.url)).body("nonsense").send().await;
    assert_eq!(answer.expect("sent").status(), 400);

    // What it cosigned is unchanged: the genuine checkpoint again is fine.
    let (status, _, line) = add_checkpoint(&witness, 2, &[], &signed).await;
    assert_eq!(status, 200, "{line}");
    let mut again = Note::parse(&signed).expect("note");
    again.add(line.lines().filter_map(tlog::note::SignatureLine::parse));
    assert!(matches!(again.signed_by(&witness.key()), Signed::Valid { .. }));
    assert_eq!(Checkpoint::parse_body(&again.body).expect("checkpoint"), cosigned);

    // A witness that is down delays nothing but its own cosignature.
    drop(witness);
    issue(&app, 1).await;
    Worker::new(app.state.clone()).witness_step().await;
    let (size, note) = services::transparency::log_files::checkpoint(&app.state).await.expect("checkpoint");
    assert_eq!(size, 3, "the log moved on");
    assert_eq!(Note::parse(&note).expect("note").signatures.len(), 1, "no cosignature yet");
    let proof = services::transparency::log_files::certificate_proof(&app.state, &issue_numbers(&app).await[0])
        .await
        .expect("proof");
    let proof = Proof::parse(&proof).expect("proof");
    assert_eq!(
        Note::parse(&proof.checkpoint).expect("note").signatures.len(),
        2,
        "proofs of older entries keep leading to the cosigned checkpoint"
    );
}

#[tokio::test]
async fn a_witness_drops_a_client_that_never_finishes_its_request_head() {
    let dir = scratch_dir("witness-slow-head");
    let mut witness = WitnessProcess::prepare(&dir, "slow.dataip.test/witness");
    let app = spawn_app_with(short_windows).await;
    let log_vkey = text(&app, "/tlog/vkey").await.trim().to_owned();
    witness.start_with(&log_vkey, &[("DATAIP__SERVER__HEADER_READ_TIMEOUT", "PT1S")]).await;
    let address = witness.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connects");
    stream.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nX-Slow: ").await.expect("writes");
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "still held after 10 s");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

async fn issue_numbers(app: &TestApp) -> Vec<String> {
    let register = app.get("/public/registry?limit=100", None).await;
    let mut numbers: Vec<String> = register.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["certificate_number"].as_str().expect("number").to_owned())
        .collect();
    numbers.sort();
    numbers
}

/// Appends `count` well-formed entries straight to the ledger (expiry
/// records), enough for full tiles without registering hundreds of
/// products.
async fn append_entries(app: &TestApp, count: usize) {
    let now = app.state.clock.now();
    let mut conn = app.state.db.acquire().await.expect("connection");
    for i in 0..count {
        let entry = Entry::CertificateExpired {
            certificate_number: format!("{:017}", 20_261_131_000_000_000u64 + i as u64),
            recorded_at: now,
            valid_until: now,
        };
        services::transparency::ledger::enqueue(
            &mut conn,
            &entry,
            services::transparency::ledger::Recording::Nothing,
            now,
        )
        .await
        .expect("queued");
    }
    drop(conn);
    services::transparency::ledger::append_pending(&app.state).await.expect("appended");
}

#[tokio::test]
async fn tiles_are_served_cached_and_mirrored_and_a_tampered_mirror_is_found() {
    let app = spawn_app_with(short_windows).await;
    issue(&app, 1).await;
    append_entries(&app, 300).await;
    let size = 301u64;

    let checkpoint = text(&app, "/tlog/checkpoint").await;
    assert!(checkpoint.contains(&format!("\n{size}\n")));
    let answer = app.client.get(app.url("/tlog/checkpoint")).send().await.expect("sent");
    assert_eq!(answer.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(answer.headers()["cache-control"], "public, max-age=5");

    // A full level-0 tile: 256 leaf hashes, immutable.
    let full = app.client.get(app.url("/tlog/tile/0/000")).send().await.expect("sent");
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(full.headers()["content-type"], "application/octet-stream");
    let hashes = full.bytes().await.expect("bytes");
    assert_eq!(hashes.len(), 256 * 32);
    // Its entry bundle hashes to it.
    let bundle = app.client.get(app.url("/tlog/tile/entries/000")).send().await.expect("sent");
    let bundle = bundle.bytes().await.expect("bytes");
    let entries = tlog::tiles::unbundle(&bundle).expect("a bundle");
    assert_eq!(entries.len(), 256);
    let leaves: Vec<u8> = entries.iter().flat_map(|entry| merkle::leaf_hash(entry)).collect();
    assert_eq!(leaves, hashes.to_vec());
    // The partial tiles of this size, short-lived; the level-1 tile of width 1.
    let partial = app.client.get(app.url("/tlog/tile/0/001.p/45")).send().await.expect("sent");
    assert_eq!(partial.status(), 200);
    assert_eq!(partial.headers()["cache-control"], "public, max-age=5");
    assert_eq!(partial.bytes().await.expect("bytes").len(), 45 * 32);
    let level1 = app.client.get(app.url("/tlog/tile/1/000.p/1")).send().await.expect("sent");
    let level1 = level1.bytes().await.expect("bytes");
    let mut tree = merkle::MemoryTree::new();
    for leaf in leaves.chunks(32) {
        tree.push(leaf.try_into().expect("32 bytes"));
    }
    assert_eq!(level1.as_ref(), merkle::root(&tree, 256).expect("root").as_slice());
    // Tiles that do not exist at this size, and malformed paths: 404.
    for path in [
        "/tlog/tile/0/001",
        "/tlog/tile/0/001.p/44",
        "/tlog/tile/0/002.p/1",
        "/tlog/tile/0/x000/001",
        "/tlog/tile/2/000.p/1",
        "/tlog/tile/entries/001.p/46",
        "/tlog/tile/64/000",
        "/tlog/nothing",
        "/tlog/tile/0/1",
    ] {
        let answer = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(answer.status(), 404, "{path}");
        assert!(answer.headers()["content-type"].to_str().unwrap_or_default().contains("problem+json"), "{path}");
    }

    // An export is a mirror that audits clean, as does the registry itself.
    let dir = scratch_dir("mirror");
    let output = run(dataip(&app.database_url).args(["ledger", "export"]).arg(&dir)).await;
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(std::fs::read(dir.join("tile/0/000")).expect("exported"), hashes.to_vec());
    assert_eq!(std::fs::read_to_string(dir.join("checkpoint")).expect("exported"), checkpoint);
    assert!(dir.join("tile/entries/001.p/45").exists() && dir.join("vkey").exists() && dir.join("policy").exists());
    for mirror in [dir.to_str().expect("path"), app.base.as_str()] {
        let output = run(dataip(&app.database_url).args(["ledger", "audit", "--mirror", mirror])).await;
        assert!(output.status.success(), "{mirror}: {}", said(&output));
        assert!(said(&output).contains("is intact"), "{}", said(&output));
    }
    // A tampered tile is found, and named.
    flip_byte(&dir.join("tile/0/001.p/45"), 100);
    let output = run(dataip(&app.database_url).args(["ledger", "audit", "--mirror"]).arg(&dir)).await;
    assert!(!output.status.success());
    assert!(said(&output).contains("tile/0/001.p/45"), "{}", said(&output));
    // So is a tampered entry.
    let output = run(dataip(&app.database_url).args(["ledger", "export"]).arg(&dir)).await;
    assert!(output.status.success());
    flip_byte(&dir.join("tile/entries/000"), 5);
    let output = run(dataip(&app.database_url).args(["ledger", "audit", "--mirror"]).arg(&dir)).await;
    assert!(!output.status.success());
    assert!(said(&output).contains("tile/entries/000") || said(&output).contains("entry 255"), "{}", said(&output));
}

#[tokio::test]
async fn the_monitor_follows_the_log_and_exits_on_a_split_view_with_both_checkpoints() {
    let app = spawn_app_with(short_windows).await;
    issue(&app, 2).await;
    let dir = scratch_dir("monitor");
    let state = dir.join("monitor.json");
    let monitor = |location: &str| {
        let mut command = dataip(&app.database_url);
        command.args(["ledger", "monitor", location, "--once", "--state"]).arg(&state);
        command
    };
    let output = run(&mut monitor(&app.base)).await;
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("0 → 2"), "{}", said(&output));

    issue(&app, 1).await;
    append_entries(&app, 260).await;
    let output = run(&mut monitor(&app.base)).await;
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("2 → 263"), "{}", said(&output));
    let output = run(&mut monitor(&app.base)).await;
    assert!(said(&output).contains("unchanged"), "{}", said(&output));

    // A mirror that shows another tree of the same size, signed with the
    // registry's own key: a split view.
    let mirror = dir.join("mirror");
    let output = run(dataip(&app.database_url).args(["ledger", "export"]).arg(&mirror)).await;
    assert!(output.status.success(), "{}", said(&output));
    let genuine = std::fs::read_to_string(mirror.join("checkpoint")).expect("checkpoint");
    let forged = Checkpoint { origin: app.state.config.ledger.origin.clone(), size: 263, root: [3u8; 32] }
        .sign(&app.state.signer);
    std::fs::write(mirror.join("checkpoint"), &forged).expect("written");
    let output = run(&mut monitor(mirror.to_str().expect("path"))).await;
    assert!(!output.status.success());
    let report = said(&output);
    assert!(report.contains("SPLIT VIEW"), "{report}");
    assert!(report.contains(&genuine) && report.contains(&forged), "both checkpoints are shown: {report}");

    // A larger tree that does not extend the verified one is caught too.
    let _ = std::fs::remove_file(mirror.join("checkpoint"));
    append_entries(&app, 1).await;
    let output = run(dataip(&app.database_url).args(["ledger", "export"]).arg(&mirror)).await;
    assert!(output.status.success());
    flip_byte(&mirror.join("tile/entries/001.p/8"), 3);
    let output = run(&mut monitor(mirror.to_str().expect("path"))).await;
    assert!(!output.status.success(), "{}", said(&output));
}

#[tokio::test]
async fn proofs_answer_404_until_recorded_and_the_pdf_carries_one() {
    let app = spawn_app_with(short_windows).await;
    let answer = app.get("/public/certificates/20261131000000001/proof", None).await;
    answer.assert_problem(404, "not_found");
    app.get("/public/certificates/not-a-number/proof", None).await.assert_problem(404, "not_found");

    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let token = app.login(&tenant.email, PASSWORD).await;
    let certificates = app.get("/certificates", Some(&token)).await;
    let certificate = certificates.assert_status(200)["items"][0].clone();
    let number = certificate["certificate_number"].as_str().expect("number");
    let answer = app.client.get(app.url(&format!("/api/v1/public/certificates/{number}/proof"))).send().await;
    let answer = answer.expect("sent");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/plain; charset=utf-8");
    let disposition = answer.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(disposition.contains(&format!("{number}.tlog-proof")), "{disposition}");
    let proof_text = answer.text().await.expect("text");
    assert!(proof_text.starts_with("c2sp.org/tlog-proof@v1\nextra "));

    let id = certificate["id"].as_str().expect("id");
    let pdf = app.client.get(app.url(&format!("/api/v1/certificates/{id}/pdf"))).bearer_auth(&token).send().await;
    let pdf = pdf.expect("sent").bytes().await.expect("pdf");
    let attached = dataip::pdf::attachment::read_back(&pdf, dataip::pdf::attachment::PROOF_FILENAME)
        .expect("readable")
        .expect("attached");
    assert_eq!(String::from_utf8(attached).expect("utf-8"), proof_text);

    // The PDF verifies offline against the registry's suggested policy
    // (no witnesses configured: quorum none).
    let dir = scratch_dir("pdf-proof");
    std::fs::write(dir.join("certificate.pdf"), &pdf).expect("written");
    std::fs::write(dir.join("policy"), text(&app, "/tlog/policy").await).expect("written");
    let output = run(dataip(&app.database_url)
        .arg("verify")
        .arg(dir.join("certificate.pdf"))
        .arg("--policy")
        .arg(dir.join("policy")))
    .await;
    assert!(output.status.success(), "{}", said(&output));
    let value: Value = serde_json::from_slice(
        &dataip::pdf::attachment::read_back(&pdf, dataip::pdf::attachment::FILENAME)
            .expect("readable")
            .expect("certificate.json"),
    )
    .expect("json");
    assert_eq!(value["document"]["certificate_number"], number);
}
