//! Signed status (issue 30): statements of a certificate's status that a
//! bank, an exchange or a court files, verified offline against the
//! registry's policy; bulk bundles; allowances and relying parties.

use std::process::Output;

use dataip::clock::Clock;

use serde_json::{Value, json};
use tlog::{
    policy::Policy,
    status::{self, Expectations},
};

use crate::{
    certificates::acts::{accept, approve, file, file_confirmed, holder, license, pledge, setup, transferred},
    helpers::{Answer, TestApp, dataip, spawn_app_with},
};

/// A well-formed number no certificate has.
const NEVER_ISSUED: &str = "20261131009999999";

async fn text(app: &TestApp, path: &str) -> String {
    let answer = app.client.get(app.url(path)).send().await.expect("sent");
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().await.expect("text")
}

async fn policy(app: &TestApp) -> Policy {
    Policy::parse(&text(app, "/tlog/policy").await).expect("the registry's policy")
}

/// Runs the worker once: what was recorded is appended and checkpointed.
async fn step(app: &TestApp) {
    dataip::jobs::Worker::new(app.state.clone()).step().await;
}

async fn statement(app: &TestApp, number: &str) -> Answer {
    app.get(&format!("/public/certificates/{number}/status"), None).await
}

/// The statement of `number` now, checked offline with the registry's
/// policy: every check passes.
async fn verified(app: &TestApp, number: &str) -> Value {
    let answer = statement(app, number).await;
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let body = answer.assert_status(200).clone();
    let expect = Expectations { now: app.clock.now(), max_age: Some(chrono::Duration::days(1)) };
    let (checks, parsed) = status::verify(&body, &policy(app).await, expect);
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert_eq!(parsed.expect("a statement").certificate_number, number);
    body
}

async fn run(command: &mut std::process::Command) -> Output {
    let mut command = std::mem::replace(command, std::process::Command::new("true"));
    tokio::task::spawn_blocking(move || command.output()).await.expect("joined").expect("runs")
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test]
async fn statements_verify_offline_for_every_status() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    step(&app).await;

    let active = verified(&app, &h.number).await;
    assert_eq!(active["type"], "dataip.status/v1");
    assert_eq!((active["status"].as_str(), active["pledged"].as_bool()), (Some("active"), Some(false)));
    assert_eq!(active["holders"][0]["kind"], "organization");
    assert!(active.get("pending").is_none(), "{active}");
    assert!(active["proof"].as_str().is_some_and(|p| p.starts_with("c2sp.org/tlog-proof@v1")));

    // Pledged: the pledgee and its rank.
    let pledge_act = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &pledge_act).await.assert_status(200);
    step(&app).await;
    let pledged = verified(&app, &h.number).await;
    assert_eq!(pledged["pledged"], true);
    assert_eq!(pledged["pledgees"], json!([{"name": "上海银行", "rank": 1}]));

    // Preserved: the measure in force.
    let seizure = json!({"authority": "上海市浦东新区人民法院", "kind": "seizure",
        "document_number": "（2026）沪0115执保1234号", "starts_on": "2026-12-01", "ends_on": null});
    let path = format!("/admin/certificates/{}/measures", h.certificate);
    let measure = app.post(&path, Some(&h.reviewer), seizure).await.assert_status(201).clone();
    step(&app).await;
    let preserved = verified(&app, &h.number).await;
    assert_eq!(preserved["preserved"], true);
    assert_eq!(preserved["measures"][0]["document_number"], "（2026）沪0115执保1234号");
    let lift = format!("{path}/{}/lift", measure["id"].as_str().expect("id"));
    app.post(&lift, Some(&h.reviewer), json!({"reason": "解除"})).await.assert_status(200);

    // Transferred: the new holder (the pledge moves with it).
    let buyer = app.signup().await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code});
    let filed = file(&app, &h, transfer).await.assert_status(201).clone();
    let act = filed["id"].as_str().expect("id").to_owned();
    for token in crate::certificates::acts::links(&filed) {
        crate::certificates::acts::answer_link(&app, &token, "confirm").await.assert_status(200);
    }
    accept(&app, &buyer, &act).await;
    approve(&app, &h, &act).await.assert_status(200);
    step(&app).await;
    let moved = verified(&app, &h.number).await;
    let buyer_name = app.get("/organization", Some(&buyer.token)).await.body["name"].clone();
    assert_eq!(moved["holders"][0]["name"], buyer_name);
    assert_eq!((moved["preserved"].as_bool(), moved["pledged"].as_bool()), (Some(false), Some(true)));

    // Revoked.
    let revoke = format!("/review/certificates/{}/revoke", h.certificate);
    app.post(&revoke, Some(&h.reviewer), json!({"grounds": "核查发现权属争议"})).await.assert_status(200);
    step(&app).await;
    assert_eq!(verified(&app, &h.number).await["status"], "revoked");

    // Unknown: signed, without a proof; malformed: 422.
    let unknown = verified(&app, NEVER_ISSUED).await;
    assert_eq!((unknown["status"].as_str(), unknown["proof"].is_null()), (Some("unknown"), true));
    assert!(unknown["valid_until"].is_null() && unknown["holders"] == json!([]));
    statement(&app, "2026113100000000X").await.assert_problem(422, "validation_failed");
    statement(&app, "123").await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_expired_certificate_is_stated_expired() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    step(&app).await;
    let before = verified(&app, &h.number).await;
    let until: chrono::DateTime<chrono::Utc> =
        before["valid_until"].as_str().expect("valid_until").parse().expect("a time");
    app.clock.advance(until - app.clock.now() + chrono::Duration::days(1));
    // Past its validity the statement says expired at once, before the
    // worker records the expiry; after it, from the ledger.
    let expect = Expectations { now: app.clock.now(), max_age: None };
    let answer = statement(&app, &h.number).await.assert_status(200).clone();
    assert_eq!(answer["status"], "expired");
    assert!(status::verify(&answer, &policy(&app).await, expect).0.iter().all(|c| c.passed));
    step(&app).await;
    assert_eq!(statement(&app, &h.number).await.body["status"], "expired");
    let leaves: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_leaves WHERE convert_from(entry, 'UTF8') LIKE '%certificate.expired%'",
    )
    .fetch_one(&app.state.db)
    .await
    .expect("count");
    assert_eq!(leaves, 1);
}

#[tokio::test]
async fn a_change_not_yet_in_a_checkpoint_answers_pending() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    step(&app).await;
    let appended = verified(&app, &h.number).await;
    let size = appended["tree_size"].as_u64().expect("size");

    let act = file_confirmed(&app, &h, license(false, "2027-01-01", "2027-06-30")).await;
    approve(&app, &h, &act).await.assert_status(200);
    let pending = verified(&app, &h.number).await;
    assert_eq!((pending["pending"].as_bool(), pending["tree_size"].as_u64()), (Some(true), Some(size)));
    step(&app).await;
    let current = verified(&app, &h.number).await;
    assert!(current.get("pending").is_none() && current["tree_size"].as_u64() > Some(size), "{current}");
}

#[tokio::test]
async fn tampered_wrongly_keyed_stale_and_proofless_statements_are_refused_naming_why() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    step(&app).await;
    let body = verified(&app, &h.number).await;
    let dir = std::env::temp_dir().join(format!("dataip-status-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy_file = dir.join("policy");
    std::fs::write(&policy_file, text(&app, "/tlog/policy").await).expect("written");
    let check = |name: &str, statement: &Value, extra: &[&str]| {
        let file = dir.join(name);
        std::fs::write(&file, serde_json::to_vec_pretty(statement).expect("json")).expect("written");
        let mut command = dataip(&app.database_url);
        command.arg("verify").arg("--status").arg(&file).arg("--policy").arg(&policy_file).args(extra);
        command
    };

    let output = run(&mut check("good.json", &body, &["--max-age", "P1D"])).await;
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("certificate") && said(&output).contains("is active"), "{}", said(&output));

    let mut tampered = body.clone();
    tampered["pledged"] = json!(true);
    let output = run(&mut check("tampered.json", &tampered, &[])).await;
    assert!(!output.status.success() && said(&output).contains("✗ statement signature"), "{}", said(&output));

    let mut proofless = body.clone();
    proofless["proof"] = Value::Null;
    let output = run(&mut check("proofless.json", &proofless, &[])).await;
    assert!(
        !output.status.success() && said(&output).contains("✗ proof: the statement carries no proof"),
        "{}",
        said(&output)
    );

    // Another key: the signature and the checkpoint are not the log's.
    let other = tlog::signing::Signer::from_seed(&[42u8; 32]).expect("key");
    let mut foreign: tlog::status::Statement = serde_json::from_value(body.clone()).expect("statement");
    foreign.sign(&other).expect("signed");
    let output = run(&mut check("foreign.json", &serde_json::to_value(&foreign).expect("json"), &[])).await;
    assert!(!output.status.success() && said(&output).contains("✗ statement signature"), "{}", said(&output));

    // Stale: older than --max-age (the command's clock is the machine's,
    // so the statement is moved back, which also breaks its signature).
    let mut stale: tlog::status::Statement = serde_json::from_value(body.clone()).expect("statement");
    stale.as_of -= chrono::Duration::days(2);
    let stale = serde_json::to_value(&stale).expect("json");
    let output = run(&mut check("stale.json", &stale, &["--max-age", "PT12H"])).await;
    let report = said(&output);
    assert!(
        !output.status.success() && report.contains("✗ age: stale") && report.contains("✗ statement signature"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_bulk_bundle_of_a_thousand_verifies_and_agrees_with_single_answers() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.throttle.status_queries_per_address = 5000;
    })
    .await;
    let h = holder(&app).await;
    let second = holder(&app).await;
    step(&app).await;
    let mut numbers: Vec<String> = (0..998).map(|i| format!("2026113101{i:05}00")).collect();
    numbers.insert(10, h.number.clone());
    numbers.push(second.number.clone());
    let answer =
        app.client.post(app.url("/public/status")).json(&json!({"numbers": numbers})).send().await.expect("sent");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/x-ndjson");
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let bundle = answer.text().await.expect("text");
    let expect = Expectations { now: app.clock.now(), max_age: Some(chrono::Duration::hours(1)) };
    let report = status::verify_bundle(&bundle, &policy(&app).await, expect);
    assert!(report.passed(), "{:?}", report.checks);
    assert_eq!(report.statements.len(), 1000);

    let lines: Vec<Value> = bundle.lines().skip(1).map(|line| serde_json::from_str(line).expect("json")).collect();
    let comparable = |mut statement: Value| {
        let object = statement.as_object_mut().expect("object");
        object.remove("as_of");
        object.remove("signature");
        statement
    };
    for (number, line) in numbers.iter().zip(&lines) {
        let single = statement(&app, number).await.assert_status(200).clone();
        assert_eq!(comparable(single), comparable(line.clone()), "{number}");
    }
    assert_eq!(lines[10]["status"], "active");
    assert_eq!(lines[11]["status"], "unknown");

    // More than 1,000, none, or a malformed one: 422, naming it.
    let many: Vec<String> = (0..1001).map(|i| format!("2026113101{i:05}00")).collect();
    app.post("/public/status", None, json!({"numbers": many})).await.assert_problem(422, "validation_failed");
    app.post("/public/status", None, json!({"numbers": []})).await.assert_problem(422, "validation_failed");
    let bad = app.post("/public/status", None, json!({"numbers": [h.number, "x"]})).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["numbers[1]"]);
    app.post("/public/status", None, json!({"number": [h.number]})).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn allowances_by_address_and_by_relying_party_key() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.throttle.status_queries_per_address = 5;
        config.throttle.status_queries_per_relying_party = 20;
    })
    .await;
    let h = holder(&app).await;
    step(&app).await;
    for _ in 0..5 {
        statement(&app, &h.number).await.assert_status(200);
    }
    let refused = statement(&app, &h.number).await;
    refused.assert_problem(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());

    // A bank asks to be a relying party; its key does nothing until staff verify it.
    let bank = app.signup().await;
    let key = app.post("/organization/api-keys", Some(&bank.token), json!({"name": "核验"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();
    let ask = json!({"kind": "bank", "purpose": "数据资产质押融资的贷后核验"});
    app.call(reqwest::Method::PUT, "/organization/relying-party", None, Some(ask.clone()))
        .await
        .assert_problem(401, "unauthorized");
    let member = app.add_member(&bank, "member").await;
    app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&member), Some(ask.clone()))
        .await
        .assert_problem(403, "forbidden");
    app.call(
        reqwest::Method::PUT,
        "/organization/relying-party",
        Some(&bank.token),
        Some(json!({"kind": "shop", "purpose": "x"})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let asked =
        app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&bank.token), Some(ask.clone())).await;
    assert_eq!(asked.assert_status(200)["state"], "pending");
    let with_key = app.client.get(app.url(&format!("/public/certificates/{}/status", h.number))).bearer_auth(&key);
    let answer = crate::helpers::answer(with_key.send().await.expect("sent")).await;
    answer.assert_problem(403, "forbidden");

    // Staff's queue, and their decision; others may not.
    let queue = app.get("/admin/relying-parties", Some(&h.reviewer)).await;
    assert_eq!(queue.assert_status(200)["items"][0]["org_id"], bank.org_id.as_str());
    app.get("/admin/relying-parties", Some(&bank.token)).await.assert_problem(403, "forbidden");
    app.get("/admin/relying-parties", None).await.assert_problem(401, "unauthorized");
    let verify = format!("/admin/relying-parties/{}/verify", bank.org_id);
    app.post(&verify, Some(&bank.token), json!({})).await.assert_problem(403, "forbidden");
    let nobody = format!("/admin/relying-parties/{}/verify", uuid::Uuid::now_v7());
    app.post(&nobody, Some(&h.reviewer), json!({})).await.assert_problem(404, "not_found");
    assert_eq!(app.post(&verify, Some(&h.reviewer), json!({})).await.assert_status(200)["state"], "verified");
    app.post(&verify, Some(&h.reviewer), json!({})).await.assert_problem(409, "invalid_transition");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'relying_party.verify'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(audited, 1);

    // The key raises the allowance (its own budget), counted per day.
    let ask_with_key = |number: &str| {
        app.client.get(app.url(&format!("/public/certificates/{number}/status"))).bearer_auth(&key).send()
    };
    for _ in 0..10 {
        assert_eq!(ask_with_key(&h.number).await.expect("sent").status(), 200);
    }
    let bulk: Vec<String> = (0..10).map(|_| h.number.clone()).collect();
    let answer =
        app.client.post(app.url("/public/status")).bearer_auth(&key).json(&json!({"numbers": bulk})).send().await;
    assert_eq!(answer.expect("sent").status(), 200);
    assert_eq!(ask_with_key(&h.number).await.expect("sent").status(), 429);
    let standing = app.get("/organization/relying-party", Some(&bank.token)).await;
    assert_eq!(standing.assert_status(200)["queries"][0]["numbers"], 20);
    let other = app.signup().await;
    app.get("/organization/relying-party", Some(&other.token)).await.assert_problem(404, "not_found");

    // Public endpoints take no other credential.
    let with_jwt =
        app.client.get(app.url(&format!("/public/certificates/{}/status", h.number))).bearer_auth(&bank.token);
    crate::helpers::answer(with_jwt.send().await.expect("sent")).await.assert_problem(401, "unauthorized");
    let forged =
        app.client.get(app.url(&format!("/public/certificates/{}/status", h.number))).bearer_auth("dipk_forged");
    crate::helpers::answer(forged.send().await.expect("sent")).await.assert_problem(401, "unauthorized");
}

/// A refused relying party may ask again; a person may not ask.
#[tokio::test]
async fn staff_refuse_with_a_reason_and_persons_cannot_ask() {
    // Mail is queued (nothing listens): the organization's notice waits in the outbox.
    let app = spawn_app_with(|config| {
        setup(config);
        config.mail.host = "127.0.0.1".into();
        config.mail.port = crate::helpers::free_port();
        config.mail.sender = "数据知识产权登记 <registry@test.example>".into();
    })
    .await;
    let reviewer = app.staff(dataip::domain::StaffRole::Reviewer).await;
    let exchange = app.signup().await;
    let ask = json!({"kind": "exchange", "purpose": "挂牌前核验登记状态"});
    app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&exchange.token), Some(ask.clone()))
        .await
        .assert_status(200);
    let refuse = format!("/admin/relying-parties/{}/refuse", exchange.org_id);
    app.post(&refuse, Some(&reviewer), json!({"reason": " "})).await.assert_problem(422, "validation_failed");
    let refused = app.post(&refuse, Some(&reviewer), json!({"reason": "未提供金融许可证"})).await;
    assert_eq!(refused.assert_status(200)["refusal_reason"], "未提供金融许可证");
    let told: Vec<Value> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE kind = 'relying_party.refused' AND recipient = $1")
            .bind(&exchange.email)
            .fetch_all(&app.state.db)
            .await
            .expect("notices");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["reason"], "未提供金融许可证");
    let again =
        app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&exchange.token), Some(ask.clone())).await;
    assert_eq!(again.assert_status(200)["state"], "pending");
    let listed = app.get(&format!("/admin/relying-parties/{}", exchange.org_id), Some(&reviewer)).await;
    assert_eq!(listed.assert_status(200)["kind"], "exchange");

    let person = app.signup_person().await;
    app.call(reqwest::Method::PUT, "/organization/relying-party", Some(&person.token), Some(ask))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn transferred_certificates_are_stated_with_their_new_holder() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    transferred(&app, &h, &buyer).await;
    step(&app).await;
    let stated = verified(&app, &h.number).await;
    let name = app.get("/organization", Some(&buyer.token)).await.body["name"].clone();
    assert_eq!(stated["holders"], json!([{"kind": "organization", "name": name}]));
}
