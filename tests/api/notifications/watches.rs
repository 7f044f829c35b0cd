//! Watches: a new announcement that matches a user's watch tells them, by
//! mail or through their organization's webhooks; one that does not, not.

use dataip::domain::StaffRole;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, application_body, free_port, spawn_app_with},
    notifications::mail::{Sink, deliver, with_mail},
};

/// An application of `name`, submitted, claimed and approved: announced.
async fn announce(app: &TestApp, token: &str, reviewer: &str, name: &str) -> String {
    let mut body = application_body();
    body["product_name"] = json!(name);
    let id =
        app.post("/applications", Some(token), body).await.assert_status(201)["id"].as_str().expect("id").to_owned();
    app.upload_required(token, &id).await;
    app.post(&format!("/applications/{id}/submit"), Some(token), json!({"commitment": true})).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/claim"), Some(reviewer), json!({})).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/approve"), Some(reviewer), json!({})).await.assert_status(200);
    id
}

fn matched(sink: &Sink, address: &str) -> Vec<Value> {
    sink.to(address)
        .into_iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("新公示与您的关注匹配")))
        .collect()
}

#[tokio::test]
async fn a_watch_on_a_phrase_fires_on_a_matching_announcement_and_not_on_another() {
    let sink = Sink::on(free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let watcher = app.signup().await;
    // Watches wait until the address is proven.
    app.confirm_email(&watcher.email).await;
    let applicant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let watch = json!({"kind": "name", "value": "交通", "channels": ["email"]});
    let created = app.post("/watches", Some(&watcher.token), watch).await;
    let id = created.assert_status(201)["id"].as_str().expect("id").to_owned();
    let by_code = json!({"kind": "credit_code", "value": applicant.credit_code, "channels": ["email"]});
    app.post("/watches", Some(&watcher.token), by_code).await.assert_status(201);

    let matching = announce(&app, &applicant.token, &reviewer, "城市 交通流量数据集").await;
    deliver(&app).await;
    let found = matched(&sink, &watcher.email);
    assert_eq!(found.len(), 2, "the phrase and the credit code each");
    let text = found[0]["text"].as_str().expect("text");
    assert!(text.contains(&format!("{}/announcements/{matching}", app.base)) && text.contains("name: 交通"), "{text}");

    // Neither the phrase nor the code: nothing more.
    app.delete(&format!("/watches/{}", found_id(&app, &watcher.token, "credit_code").await), Some(&watcher.token))
        .await
        .assert_status(204);
    let other = app.signup().await;
    announce(&app, &other.token, &reviewer, "长三角物流时效数据集").await;
    deliver(&app).await;
    assert_eq!(matched(&sink, &watcher.email).len(), 2);
    let listed = app.get("/watches", Some(&watcher.token)).await;
    assert_eq!(listed.assert_status(200).as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body[0]["id"], id.as_str());
}

async fn found_id(app: &TestApp, token: &str, kind: &str) -> String {
    let listed = app.get("/watches", Some(token)).await;
    let watch = listed.body.as_array().and_then(|w| w.iter().find(|w| w["kind"] == kind)).expect("watch");
    watch["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn watches_are_a_persons_own_and_bad_values_are_refused() {
    let app = spawn_app_with(|config| config.workflow.announcement_period = "P15D".parse().expect("period")).await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let watch = json!({"kind": "sha256", "value": "ab".repeat(32), "channels": ["webhook"]});
    app.post("/watches", None, watch.clone()).await.assert_problem(401, "unauthorized");
    let created = app.post("/watches", Some(&tenant.token), watch).await;
    let id = created.assert_status(201)["id"].as_str().expect("id").to_owned();
    for bad in [
        json!({"kind": "sha256", "value": "xyz", "channels": ["email"]}),
        json!({"kind": "credit_code", "value": "123", "channels": ["email"]}),
        json!({"kind": "name", "value": "  ", "channels": ["email"]}),
        json!({"kind": "name", "value": "交通", "channels": []}),
        json!({"kind": "name", "value": "交通", "channels": ["email", "email"]}),
        json!({"kind": "colour", "value": "红", "channels": ["email"]}),
    ] {
        app.post("/watches", Some(&tenant.token), bad.clone()).await.assert_problem(422, "validation_failed");
    }
    assert_eq!(app.count("watches").await, 1);
    app.delete(&format!("/watches/{id}"), Some(&other.token)).await.assert_problem(404, "not_found");
    app.delete(&format!("/watches/{id}"), Some(&tenant.token)).await.assert_status(204);
}
