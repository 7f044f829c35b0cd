use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Datelike, Utc};
use dataip::domain::{CertificateNumber, StaffRole};
use serde_json::{Value, json};
use tlog::signing::{self, Signature};
use tlog::{checkpoint, merkle};

use crate::helpers::{PASSWORD, TestApp, spawn_app_with};

fn short_announcements(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| s.parse().ok()).expect("a timestamp")
}

/// A registered application's id and its certificate (as the holder sees it).
async fn registered(app: &TestApp, token: &str, reviewer: &str) -> (String, Value) {
    let id = app.announced_application(token, reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let application = app.get(&format!("/applications/{id}"), Some(token)).await;
    assert_eq!(application.body["state"], "registered");
    let list = app.get("/certificates", Some(token)).await;
    let certificate = list.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["application_id"] == id.as_str()))
        .cloned()
        .expect("a certificate");
    (id, certificate)
}

#[tokio::test]
async fn a_quiet_announcement_ends_in_a_signed_certificate() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (id, certificate) = registered(&app, &tenant.token, &reviewer).await;

    let number = certificate["certificate_number"].as_str().expect("number");
    CertificateNumber::parse(number).expect("17 digits");
    let issued = at(&certificate["issued_at"]);
    let shanghai = issued.with_timezone(&chrono_tz::Asia::Shanghai);
    assert_eq!(&number[..6], format!("{:04}{:02}", shanghai.year(), shanghai.month()));
    assert_eq!(&number[6..10], "3100");
    assert_eq!(certificate["status"], "active");

    let document = &certificate["document"];
    assert_eq!(document["certificate_number"], number);
    assert_eq!(document["holder"], json!({"name": "上海数据科技有限公司", "credit_code": tenant.credit_code}));
    assert_eq!(document["product"]["name"], "长三角物流时效数据集");
    assert_eq!(document["product"]["category"], "data_collection");
    assert_eq!(document["materials"].as_array().map(Vec::len), Some(4));
    assert_eq!(document["issuer"]["code"], "3100");
    // Valid three calendar years on the registry's calendar.
    let until = at(&document["valid_until"]);
    assert_eq!(until.with_timezone(&chrono_tz::Asia::Shanghai).year(), shanghai.year() + 3);
    assert_eq!(until.with_timezone(&chrono_tz::Asia::Shanghai).time(), shanghai.time());
    assert_eq!(certificate["valid_until"], document["valid_until"]);

    // The signature is Ed25519 over the RFC 8785 bytes of the document.
    let signature: Signature = serde_json::from_value(certificate["signature"].clone()).expect("signature");
    assert_eq!(signature.alg, "Ed25519");
    assert_eq!(signature.key_id, app.state.signer.key_id());
    let bytes = signing::canonical_json(document).expect("jcs");
    assert!(signing::verify(app.state.signer.public_key(), &bytes, &signature));
    let mut forged = document.clone();
    forged["holder"]["name"] = json!("别人");
    assert!(!signing::verify(
        app.state.signer.public_key(),
        &signing::canonical_json(&forged).expect("jcs"),
        &signature
    ));
    assert_eq!(STANDARD.decode(&signature.value).map(|s| s.len()).ok(), Some(64));

    let application = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(application.body["certificate_number"], number);
    let detail =
        app.get(&format!("/certificates/{}", certificate["id"].as_str().expect("id")), Some(&tenant.token)).await;
    assert_eq!(detail.assert_status(200), &certificate);

    // The worker recorded the issuance on the ledger in the same step: the
    // receipt's leaf is the issuance entry, proven into a signed checkpoint.
    let receipt = &certificate["ledger"];
    let entry =
        signing::canonical_json(&json!({"type": "certificate.issued", "document": document, "signature": signature}))
            .expect("jcs");
    let leaf = merkle::leaf_hash(&entry);
    assert_eq!(receipt["leaf_hash"], hex::encode(leaf));
    let proof: Vec<merkle::Hash> = receipt["inclusion_proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| hex::decode(h.as_str().expect("hex")).expect("hex").try_into().expect("32 bytes"))
        .collect();
    let root: merkle::Hash =
        hex::decode(receipt["root_hash"].as_str().expect("hex")).expect("hex").try_into().expect("32");
    let (index, size) = (receipt["leaf_index"].as_u64().expect("index"), receipt["tree_size"].as_u64().expect("size"));
    assert!(merkle::verify_inclusion(&leaf, index, size, &proof, &root));
    let opened = checkpoint::open(
        receipt["checkpoint"].as_str().expect("note"),
        &app.state.config.ledger.origin,
        app.state.signer.public_key(),
    )
    .expect("a signed checkpoint");
    assert_eq!((opened.size, opened.root), (size, root));
    assert_eq!(receipt["origin"], app.state.config.ledger.origin.as_str());

    // The public record, without contents.
    let public = app.get(&format!("/public/certificates/{number}"), None).await;
    let public = public.assert_status(200);
    assert_eq!(public["status"], "active");
    assert_eq!(public["holder"]["name"], "上海数据科技有限公司");
    assert_eq!(public["document"], *document);
    assert!(!public.to_string().contains("%PDF"));
    assert!(!public.to_string().contains("filename"));
}

#[tokio::test]
async fn certificates_belong_to_their_holder() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (_, certificate) = registered(&app, &tenant.token, &reviewer).await;
    let path = format!("/certificates/{}", certificate["id"].as_str().expect("id"));
    let tenant_token = app.login(&tenant.email, PASSWORD).await;
    let other_token = app.login(&other.email, PASSWORD).await;

    app.get(&path, Some(&other_token)).await.assert_problem(404, "not_found");
    assert_eq!(app.get("/certificates", Some(&other_token)).await.body["items"], json!([]));
    app.get(&path, None).await.assert_problem(401, "unauthorized");
    app.get("/certificates", None).await.assert_problem(401, "unauthorized");
    app.get(&path, Some(&reviewer)).await.assert_problem(403, "forbidden");
    app.get("/certificates/not-a-uuid", Some(&tenant_token)).await.assert_problem(400, "validation_failed");
    app.get(&path, Some(&tenant_token)).await.assert_status(200);

    app.get("/public/certificates/20260131009999999", None).await.assert_problem(404, "not_found");
    app.get("/public/certificates/not-a-number", None).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn certificates_expire_when_their_validity_ends() {
    let app = spawn_app_with(|config| {
        short_announcements(config);
        config.workflow.certificate_validity = "PT10S".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (_, certificate) = registered(&app, &tenant.token, &reviewer).await;
    let number = certificate["certificate_number"].as_str().expect("number");
    assert_eq!(at(&certificate["valid_until"]) - at(&certificate["valid_from"]), chrono::Duration::seconds(10));

    app.close_windows(chrono::Duration::seconds(11)).await;
    let public = app.get(&format!("/public/certificates/{number}"), None).await;
    assert_eq!(public.body["status"], "expired");
    let token = app.login(&tenant.email, PASSWORD).await;
    let mine = app.get(&format!("/certificates/{}", certificate["id"].as_str().expect("id")), Some(&token)).await;
    assert_eq!(mine.body["status"], "expired");
}

#[tokio::test]
async fn the_public_register_lists_and_searches_certificates() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (_, first) = registered(&app, &tenant.token, &reviewer).await;
    let token = app.login(&tenant.email, PASSWORD).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (_, second) = registered(&app, &token, &reviewer).await;

    let all = app.get("/public/registry", None).await;
    let numbers: Vec<&str> =
        all.body["items"].as_array().expect("items").iter().filter_map(|c| c["certificate_number"].as_str()).collect();
    assert_eq!(
        numbers,
        [second["certificate_number"].as_str().expect("n"), first["certificate_number"].as_str().expect("n")]
    );
    let found =
        app.get(&format!("/public/registry?q={}", crate::registration::announcements::urlencode("物流")), None).await;
    assert_eq!(found.body["items"].as_array().map(Vec::len), Some(2));
    let none = app.get("/public/registry?category=data_algorithm", None).await;
    assert_eq!(none.body["items"], json!([]));
    let page = app.get("/public/registry?limit=1", None).await;
    assert!(page.body["next_cursor"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_issue_a_certificate_twice() {
    let app = spawn_app_with(|config| {
        short_announcements(config);
        // Only the workers of this test close windows.
        config.worker.interval = "PT1H".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let mut ids = Vec::new();
    for _ in 0..24 {
        ids.push(app.announced_application(&tenant.token, &reviewer).await);
    }
    app.clock.advance(chrono::Duration::seconds(3));
    let first = dataip::jobs::Worker::new(app.state.clone());
    let second = dataip::jobs::Worker::new(app.state.clone());
    tokio::join!(first.step(), second.step());

    assert_eq!(app.count("certificates").await, 24);
    let per_application: Vec<i64> = sqlx::query_scalar("SELECT count(*) FROM certificates GROUP BY application_id")
        .fetch_all(&app.state.db)
        .await
        .expect("counts");
    assert!(per_application.iter().all(|n| *n == 1));
    for id in ids {
        let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
        let closes =
            events.body.as_array().expect("events").iter().filter(|e| e["action"] == "close_announcement").count();
        assert_eq!(closes, 1);
    }
}
