use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{objection_body, spawn_app, spawn_app_with};

fn short_announcements(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
}

#[tokio::test]
async fn anyone_objects_during_the_window_and_follows_it_with_a_token() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;

    let filed = app.post(&format!("/public/announcements/{id}/objections"), None, objection_body()).await;
    let filed = filed.assert_status(201).clone();
    assert_eq!(filed["state"], "open");
    let objection = filed["id"].as_str().expect("id");
    let token = filed["tracking_token"].as_str().expect("token");

    let tracked = app.get(&format!("/public/objections/{objection}?token={token}"), None).await;
    let tracked = tracked.assert_status(200);
    assert_eq!((&tracked["id"], &tracked["state"]), (&json!(objection), &json!("open")));
    assert!(tracked.get("decision_reason").is_none(), "{tracked}");
    assert_eq!(tracked["responses"], json!([]));
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    app.get(&format!("/public/objections/{objection}?token={forged}"), None).await.assert_problem(404, "not_found");
    app.get(&format!("/public/objections/{objection}"), None).await.assert_problem(400, "validation_failed");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM objections").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(stored.len(), 32, "only the token's hash is kept");

    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let last = events.body.as_array().and_then(|e| e.last()).cloned().expect("events");
    assert_eq!(last["action"], "object");
    assert_eq!(last["actor"]["kind"], "public");
    assert!(!events.body.to_string().contains("objector.example"), "no contact in the history");

    // The holder sees the objection without the objector's contact.
    let mine = app.get(&format!("/applications/{id}/objections"), Some(&tenant.token)).await;
    let mine = mine.assert_status(200);
    assert_eq!(mine[0]["grounds"], "申请人使用的运单数据来自我方系统，未经授权");
    assert!(!mine.to_string().contains("objector.example"));
    // Reviewers see it all.
    let queue = app.get("/review/objections", Some(&reviewer)).await;
    assert_eq!(queue.assert_status(200)["items"][0]["objector_email"], "wangwu@objector.example");
    // The public never does.
    for path in [format!("/public/announcements/{id}"), "/public/announcements".to_owned()] {
        assert!(!app.get(&path, None).await.body.to_string().contains("objector.example"));
    }
}

#[tokio::test]
async fn objections_are_validated_and_refused_outside_the_window() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let path = format!("/public/announcements/{id}/objections");

    let bad = json!({"objector": {"name": "", "contact_email": "nope"}, "interest": "x", "grounds": " "});
    let answer = app.post(&path, None, bad).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(fields, ["grounds", "objector.contact_email", "objector.name"]);
    app.post(&path, None, json!({"grounds": "x"})).await.assert_problem(422, "validation_failed");

    let draft = app.create_application(&tenant.token).await;
    app.post(&format!("/public/announcements/{draft}/objections"), None, objection_body())
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.count("objections").await, 0);

    app.close_windows(chrono::Duration::seconds(3)).await;
    app.post(&path, None, objection_body()).await.assert_problem(409, "conflict");
    assert_eq!(app.count("objections").await, 0);
}

#[tokio::test]
async fn objections_are_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.objections_per_address = 2).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    app.object(&id).await;
    app.object(&id).await;
    let third = app.post(&format!("/public/announcements/{id}/objections"), None, objection_body()).await;
    third.assert_problem(429, "rate_limited");
    assert_eq!(app.count("objections").await, 2);
}

#[tokio::test]
async fn the_holder_answers_its_own_objections() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, _) = app.object(&id).await;
    let path = format!("/applications/{id}/objections/{objection}/response");
    let text = json!({"text": "运单数据由我方合法采集，附授权协议"});

    app.post(&path, None, text.clone()).await.assert_problem(401, "unauthorized");
    app.post(&path, Some(&reviewer), text.clone()).await.assert_problem(403, "forbidden");
    app.post(&path, Some(&other.token), text.clone()).await.assert_problem(404, "not_found");
    app.get(&format!("/applications/{id}/objections"), Some(&other.token)).await.assert_problem(404, "not_found");
    app.post(&path, Some(&tenant.token), json!({"text": ""})).await.assert_problem(422, "validation_failed");
    assert_eq!(app.count("objection_responses").await, 0);

    let answered = app.post(&path, Some(&tenant.token), text.clone()).await;
    assert_eq!(answered.assert_status(201)["text"], "运单数据由我方合法采集，附授权协议");
    let review = app.get("/review/objections", Some(&reviewer)).await;
    assert_eq!(review.body["items"][0]["responses"][0]["text"], "运单数据由我方合法采集，附授权协议");

    app.post(
        &format!("/review/objections/{objection}/decide"),
        Some(&reviewer),
        json!({"decision": "dismissed", "reason": "授权有效"}),
    )
    .await
    .assert_status(200);
    app.post(&path, Some(&tenant.token), text).await.assert_problem(409, "conflict");
}

#[tokio::test]
async fn an_upheld_objection_rejects_the_application() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (upheld, token) = app.object(&id).await;
    let (other, other_token) = app.object(&id).await;

    let decided = app
        .post(
            &format!("/review/objections/{upheld}/decide"),
            Some(&reviewer),
            json!({"decision": "upheld", "reason": "数据来源侵权属实", "refusal_grounds": ["unlawful_source"]}),
        )
        .await;
    let decided = decided.assert_status(200);
    assert_eq!(decided["state"], "upheld");
    assert_eq!(decided["application_state"], "rejected");

    let application = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(application.body["state"], "rejected");
    assert_eq!(application.body["decision_reason"], "数据来源侵权属实");
    assert_eq!(application.body["refusal_grounds"], json!(["unlawful_source"]));
    let tracked = app.get(&format!("/public/objections/{upheld}?token={token}"), None).await;
    assert_eq!(
        (&tracked.body["id"], &tracked.body["state"], &tracked.body["decision_reason"]),
        (&json!(upheld), &json!("upheld"), &json!("数据来源侵权属实"))
    );
    assert_eq!(tracked.body["refusal_grounds"], json!(["unlawful_source"]));
    // The other objection needs no decision any more, and says why.
    let moot = app.get(&format!("/public/objections/{other}?token={other_token}"), None).await;
    assert_eq!(moot.body["state"], "dismissed");
    assert!(moot.body["decision_reason"].as_str().is_some_and(|r| r.starts_with("moot")));
    assert_eq!(app.count("certificates").await, 0);
}

#[tokio::test]
async fn objections_open_at_the_end_wait_for_their_decisions() {
    let app = spawn_app_with(short_announcements).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (first, _) = app.object(&id).await;
    let (second, _) = app.object(&id).await;
    app.post(
        &format!("/review/objections/{first}/decide"),
        Some(&reviewer),
        json!({"decision": "dismissed", "reason": "无依据"}),
    )
    .await
    .assert_status(200);

    app.close_windows(chrono::Duration::seconds(3)).await;
    let waiting = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(waiting.body["state"], "objection_review");
    assert_eq!(app.count("certificates").await, 0);

    let last = app
        .post(
            &format!("/review/objections/{second}/decide"),
            Some(&reviewer),
            json!({"decision": "dismissed", "reason": "无依据"}),
        )
        .await;
    assert_eq!(last.assert_status(200)["application_state"], "registered");
    let registered = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(registered.body["state"], "registered");
    assert!(registered.body["certificate_number"].as_str().is_some_and(|n| n.len() == 17));
    assert_eq!(app.count("certificates").await, 1);

    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let actions: Vec<&str> =
        events.body.as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(
        actions.ends_with(&[
            "object",
            "object",
            "dismiss_objection",
            "await_objections",
            "dismiss_objection",
            "dismiss_objections"
        ]),
        "{actions:?}"
    );
}

#[tokio::test]
async fn deciding_is_for_staff_once_per_objection() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, _) = app.object(&id).await;
    let path = format!("/review/objections/{objection}/decide");
    let dismiss = json!({"decision": "dismissed", "reason": "无依据"});

    app.post(&path, None, dismiss.clone()).await.assert_problem(401, "unauthorized");
    app.post(&path, Some(&tenant.token), dismiss.clone()).await.assert_problem(403, "forbidden");
    app.get("/review/objections", Some(&tenant.token)).await.assert_problem(403, "forbidden");
    app.post(&path, Some(&reviewer), json!({"decision": "maybe", "reason": "x"}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path, Some(&reviewer), json!({"decision": "dismissed", "reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    app.post("/review/objections/00000000-0000-0000-0000-000000000000/decide", Some(&reviewer), dismiss.clone())
        .await
        .assert_problem(404, "not_found");

    // Only the reviewer who claimed the application, or an admin, decides.
    let another = app.staff(StaffRole::Reviewer).await;
    let refused = app.post(&path, Some(&another), dismiss.clone()).await;
    refused.assert_problem(403, "forbidden");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("claimed")), "{}", refused.body);
    let admin = app.staff(StaffRole::Admin).await;
    let (second, _) = app.object(&id).await;
    app.post(&format!("/review/objections/{second}/decide"), Some(&admin), dismiss.clone()).await.assert_status(200);

    app.post(&path, Some(&reviewer), dismiss.clone()).await.assert_status(200);
    app.post(&path, Some(&reviewer), dismiss).await.assert_problem(409, "invalid_transition");
    let open = app.get("/review/objections?state=open", Some(&reviewer)).await;
    assert_eq!(open.body["items"], json!([]));
    let dismissed = app.get("/review/objections?state=dismissed", Some(&reviewer)).await;
    assert_eq!(dismissed.body["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn withdrawing_closes_the_open_objections() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;
    app.post(&format!("/applications/{id}/withdraw"), Some(&tenant.token), json!({})).await.assert_status(200);
    let tracked = app.get(&format!("/public/objections/{objection}?token={token}"), None).await;
    assert_eq!(tracked.body["state"], "dismissed");
    assert!(tracked.body["decision_reason"].as_str().is_some_and(|r| r.contains("withdrawn")));
}
