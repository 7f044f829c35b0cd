//! Objections as cases: evidence the objector attaches (never public),
//! withdrawal by the tracking token, and the decision deadline by which
//! reviewers see the overdue first.

use chrono::{DateTime, Duration, Utc};
use dataip::domain::StaffRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, answer, spawn_app, spawn_app_with};

const PDF: &str = "%PDF-1.7 授权协议原件扫描件";

/// Attaches `bytes` as evidence with the tracking token.
async fn attach(
    app: &TestApp,
    objection: &str,
    token: &str,
    media_type: &str,
    bytes: impl Into<reqwest::Body>,
) -> Answer {
    let request = app
        .client
        .post(app.url(&format!("/public/objections/{objection}/evidence?token={token}")))
        .header("content-type", media_type)
        .header("content-disposition", "attachment; filename*=UTF-8''%E6%8E%88%E6%9D%83%E5%8D%8F%E8%AE%AE.pdf")
        .body(bytes);
    answer(request.send().await.expect("sent")).await
}

async fn bytes_of(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.expect("body").to_vec())
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|text| text.parse().ok()).unwrap_or_else(|| panic!("a timestamp: {value}"))
}

#[tokio::test]
async fn evidence_is_attached_by_token_read_by_the_holder_and_staff_and_never_public() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;
    let (second, second_token) = app.object(&id).await;

    // Refused before anything is stored.
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    attach(&app, &objection, &forged, "application/pdf", PDF).await.assert_problem(404, "not_found");
    attach(&app, &objection, &second_token, "application/pdf", PDF).await.assert_problem(404, "not_found");
    let no_token = format!("/api/v1/public/objections/{objection}/evidence");
    app.post_raw(&no_token, None, "application/pdf", PDF).await.assert_problem(400, "validation_failed");
    attach(&app, &objection, &token, "application/x-msdownload", "MZ")
        .await
        .assert_problem(415, "unsupported_media_type");
    attach(&app, &objection, &token, "application/pdf", "MZ not a pdf").await.assert_problem(422, "validation_failed");
    attach(&app, &objection, &token, "application/pdf", "").await.assert_problem(422, "validation_failed");
    assert_eq!(app.count("objection_evidence").await, 0);
    assert_eq!(app.count("blob_chunks").await, 4, "only the four materials' contents");

    let stored = attach(&app, &objection, &token, "application/pdf", PDF).await;
    let stored = stored.assert_status(201).clone();
    assert_eq!(stored["filename"], "授权协议.pdf");
    assert_eq!(stored["media_type"], "application/pdf");
    assert_eq!(stored["size"], PDF.len());
    let sha256 = stored["sha256"].as_str().expect("sha256").to_owned();
    let evidence = stored["id"].as_str().expect("id").to_owned();

    // The objector sees what they attached.
    let tracked = app.get(&format!("/public/objections/{objection}?token={token}"), None).await;
    assert_eq!(tracked.body["evidence"][0]["sha256"], sha256.as_str());
    // The holder and staff list and download it.
    let list = format!("/applications/{id}/objections/{objection}/evidence");
    let file = format!("{list}/{evidence}");
    let member = app.add_member(&tenant, "member").await;
    for reader in [&tenant.token, &member, &reviewer] {
        let listed = app.get(&list, Some(reader)).await;
        assert_eq!(listed.assert_status(200)[0]["id"], evidence.as_str());
        let (status, headers, bytes) = bytes_of(&app, &file, Some(reader)).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, PDF.as_bytes());
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["etag"], format!("\"{sha256}\"").as_str());
        assert!(headers["content-disposition"].to_str().is_ok_and(|d| d.starts_with("attachment")));
    }
    let holder = app.get(&format!("/applications/{id}/objections"), Some(&tenant.token)).await;
    assert_eq!(holder.body[0]["evidence"][0]["id"], evidence.as_str());
    let queue = app.get("/review/objections", Some(&reviewer)).await;
    assert_eq!(queue.body["items"][0]["evidence"][0]["id"], evidence.as_str());
    // Nobody else: not the public, not another organization, not through
    // another objection or application.
    assert_eq!(bytes_of(&app, &file, None).await.0, 401);
    app.get(&list, None).await.assert_problem(401, "unauthorized");
    app.get(&list, Some(&other.token)).await.assert_problem(404, "not_found");
    assert_eq!(bytes_of(&app, &file, Some(&other.token)).await.0, 404);
    let elsewhere = format!("/applications/{id}/objections/{second}/evidence/{evidence}");
    assert_eq!(bytes_of(&app, &elsewhere, Some(&tenant.token)).await.0, 404);
    let other_application = app.announced_application(&other.token, &reviewer).await;
    let crossed = format!("/applications/{other_application}/objections/{objection}/evidence");
    app.get(&crossed, Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&crossed, Some(&reviewer)).await.assert_problem(404, "not_found");
    for path in [format!("/public/announcements/{id}"), "/public/announcements".to_owned()] {
        let public = app.get(&path, None).await.body.to_string();
        assert!(!public.contains(&sha256) && !public.contains(&evidence) && !public.contains("授权协议"), "{public}");
    }

    // Kept by housekeeping while the evidence refers to it.
    dataip::services::registration::materials::purge_unused_blobs(&app.state).await.expect("purged");
    assert_eq!(bytes_of(&app, &file, Some(&reviewer)).await.2, PDF.as_bytes());
    // The history says that evidence came, without a word to the public.
    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let last = events.body.as_array().and_then(|events| events.last()).cloned().expect("events");
    assert_eq!((&last["action"], &last["actor"]["kind"]), (&json!("add_objection_evidence"), &json!("public")));
}

#[tokio::test]
async fn an_objection_takes_five_files_within_the_limits_and_only_while_open() {
    let app = spawn_app_with(|config| config.evidence.max_size = 100).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;

    let large = format!("%PDF-1.7 {}", "x".repeat(100));
    attach(&app, &objection, &token, "application/pdf", large).await.assert_problem(413, "payload_too_large");
    for n in 0..5 {
        let content = format!("%PDF-1.7 evidence {n}");
        attach(&app, &objection, &token, "application/pdf", content).await.assert_status(201);
    }
    let sixth = attach(&app, &objection, &token, "text/plain", "one more").await;
    sixth.assert_problem(409, "conflict");
    assert!(sixth.body["detail"].as_str().is_some_and(|d| d.contains("at most 5")), "{}", sixth.body);
    assert_eq!(app.count("objection_evidence").await, 5);

    let (decided, decided_token) = app.object(&id).await;
    let body = json!({"decision": "dismissed", "reason": "无依据"});
    app.post(&format!("/review/objections/{decided}/decide"), Some(&reviewer), body).await.assert_status(200);
    attach(&app, &decided, &decided_token, "application/pdf", PDF).await.assert_problem(409, "invalid_transition");
    assert_eq!(app.count("objection_evidence").await, 5);
}

#[tokio::test]
async fn evidence_is_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.evidence_per_address = 2).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (first, first_token) = app.object(&id).await;
    let (second, second_token) = app.object(&id).await;
    attach(&app, &first, &first_token, "application/pdf", PDF).await.assert_status(201);
    attach(&app, &second, &second_token, "text/plain", "证据").await.assert_status(201);
    let third = attach(&app, &first, &first_token, "text/csv", "a,b").await;
    third.assert_problem(429, "rate_limited");
    assert!(third.header("retry-after").is_some());
    assert_eq!(app.count("objection_evidence").await, 2);
}

#[tokio::test]
async fn the_objector_withdraws_an_open_objection_by_token() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;
    let (other, other_token) = app.object(&id).await;
    let withdraw = |objection: &str, token: &str| format!("/public/objections/{objection}/withdraw?token={token}");

    app.post(&withdraw(&objection, &other_token), None, json!({})).await.assert_problem(404, "not_found");
    app.post(&format!("/public/objections/{objection}/withdraw"), None, json!({}))
        .await
        .assert_problem(400, "validation_failed");
    let withdrawn = app.post(&withdraw(&objection, &token), None, json!({})).await;
    let withdrawn = withdrawn.assert_status(200).clone();
    assert_eq!(withdrawn["state"], "withdrawn");
    assert!(withdrawn["withdrawn_at"].is_string());
    assert_eq!(
        app.get(&format!("/public/objections/{objection}?token={token}"), None).await.body["state"],
        "withdrawn"
    );

    // Closed for good: no second withdrawal, no evidence, answer or decision.
    app.post(&withdraw(&objection, &token), None, json!({})).await.assert_problem(409, "invalid_transition");
    attach(&app, &objection, &token, "application/pdf", PDF).await.assert_problem(409, "invalid_transition");
    app.post(&format!("/applications/{id}/objections/{objection}/response"), Some(&tenant.token), json!({"text": "x"}))
        .await
        .assert_problem(409, "conflict");
    app.post(
        &format!("/review/objections/{objection}/decide"),
        Some(&reviewer),
        json!({"decision": "dismissed", "reason": "x"}),
    )
    .await
    .assert_problem(409, "invalid_transition");

    let open = app.get("/review/objections", Some(&reviewer)).await;
    assert_eq!(open.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(open.body["items"][0]["id"], other.as_str());
    let listed = app.get("/review/objections?state=withdrawn", Some(&reviewer)).await;
    assert_eq!(listed.body["items"][0]["id"], objection.as_str());
    let holder = app.get(&format!("/applications/{id}/objections"), Some(&tenant.token)).await;
    assert_eq!(holder.body[0]["state"], "withdrawn");
    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let last = events.body.as_array().and_then(|events| events.last()).cloned().expect("events");
    assert_eq!((&last["action"], &last["actor"]["kind"]), (&json!("withdraw_objection"), &json!("public")));
    assert_eq!(app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.body["state"], "in_announcement");
}

fn short_announcements(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
}

#[tokio::test]
async fn a_withdrawn_objection_does_not_hold_up_registration() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;

    // Withdrawn during the announcement: the window closes as if it had
    // never been filed.
    let during = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&during).await;
    app.post(&format!("/public/objections/{objection}/withdraw?token={token}"), None, json!({}))
        .await
        .assert_status(200);
    // Withdrawn after it: the last open objection gone, nothing stands.
    let after = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&after).await;
    app.close_windows(Duration::seconds(3)).await;
    assert_eq!(app.get(&format!("/applications/{during}"), Some(&tenant.token)).await.body["state"], "registered");
    assert_eq!(app.get(&format!("/applications/{after}"), Some(&tenant.token)).await.body["state"], "objection_review");
    assert_eq!(app.count("certificates").await, 1);

    app.post(&format!("/public/objections/{objection}/withdraw?token={token}"), None, json!({}))
        .await
        .assert_status(200);
    let registered = app.get(&format!("/applications/{after}"), Some(&tenant.token)).await;
    assert_eq!(registered.body["state"], "registered");
    assert!(registered.body["certificate_number"].as_str().is_some_and(|n| n.len() == 17));
    assert_eq!(app.count("certificates").await, 2);
}

#[tokio::test]
async fn the_tracking_link_shows_the_deadline_the_holders_reply_and_the_decision() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;
    let track = format!("/public/objections/{objection}?token={token}");

    let tracked = app.get(&track, None).await.body;
    assert_eq!(at(&tracked["decision_due_at"]) - at(&tracked["filed_at"]), Duration::days(60));
    assert!(tracked["decided_at"].is_null() && tracked["withdrawn_at"].is_null());

    let reply = json!({"text": "运单数据由我方合法采集，附授权协议"});
    app.post(&format!("/applications/{id}/objections/{objection}/response"), Some(&tenant.token), reply)
        .await
        .assert_status(201);
    let body = json!({"decision": "upheld", "reason": "授权协议未覆盖该用途", "refusal_grounds": ["unlawful_source"]});
    app.post(&format!("/review/objections/{objection}/decide"), Some(&reviewer), body).await.assert_status(200);

    let tracked = app.get(&track, None).await.body;
    assert_eq!(tracked["state"], "upheld");
    assert_eq!(tracked["responses"][0]["text"], "运单数据由我方合法采集，附授权协议");
    assert_eq!(tracked["decision_reason"], "授权协议未覆盖该用途");
    assert_eq!(tracked["refusal_grounds"], json!(["unlawful_source"]));
    assert!(tracked["decided_at"].is_string());
}

#[tokio::test]
async fn reviewers_see_overdue_objections_first() {
    // Tokens that outlive the 60 days the clock moves on.
    let app = spawn_app_with(|config| config.auth.access_token_ttl = "PT2400H".parse().expect("duration")).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let first_application = app.announced_application(&tenant.token, &reviewer).await;
    let (first, _) = app.object(&first_application).await;
    app.clock.advance(Duration::days(5));
    let second_application = app.announced_application(&tenant.token, &reviewer).await;
    let (second, _) = app.object(&second_application).await;
    app.clock.advance(Duration::days(5));
    let (third, _) = app.object(&second_application).await;

    let queue = app.get("/review/objections", Some(&reviewer)).await;
    let items = queue.assert_status(200)["items"].as_array().cloned().expect("items");
    assert!(items.iter().all(|item| item["overdue"] == false), "none overdue yet");
    let due = at(&items[0]["decision_due_at"]);
    assert_eq!(due - at(&items[0]["created_at"]), Duration::days(60));

    // Day 62: the first is overdue. Then, as if the third had been filed
    // under a shorter period, it is overdue too, and comes before the
    // first: the list follows the deadlines, not the filing order.
    app.clock.advance(Duration::days(52));
    let ids = |page: &Value| -> Vec<(String, bool)> {
        page["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| (item["id"].as_str().unwrap_or_default().to_owned(), item["overdue"] == true))
                    .collect()
            })
            .unwrap_or_default()
    };
    let queue = app.get("/review/objections", Some(&reviewer)).await;
    assert_eq!(ids(&queue.body), [(first.clone(), true), (second.clone(), false), (third.clone(), false)]);

    sqlx::query("UPDATE objections SET decision_due_at = created_at + interval '30 days' WHERE id = $1")
        .bind(uuid::Uuid::parse_str(&third).expect("uuid"))
        .execute(&app.state.db)
        .await
        .expect("updated");
    let page = app.get("/review/objections?limit=2", Some(&reviewer)).await.body;
    assert_eq!(ids(&page), [(third.clone(), true), (first.clone(), true)]);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let rest = app.get(&format!("/review/objections?limit=2&cursor={cursor}"), Some(&reviewer)).await.body;
    assert_eq!(ids(&rest), [(second.clone(), false)]);
    assert!(rest["next_cursor"].is_null());

    // Decided, an objection is no longer overdue.
    let body = json!({"decision": "dismissed", "reason": "无依据"});
    let decided = app.post(&format!("/review/objections/{first}/decide"), Some(&reviewer), body).await;
    assert_eq!(decided.assert_status(200)["overdue"], false);
}
