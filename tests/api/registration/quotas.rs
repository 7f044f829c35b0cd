//! Per-organization quotas: open drafts and the bytes of materials.

use futures_util::stream;

use crate::helpers::{application_body, spawn_app_with};

#[tokio::test]
async fn open_drafts_are_capped_per_organization() {
    let app = spawn_app_with(|config| config.quota.open_drafts_per_organization = 2).await;
    let tenant = app.signup().await;
    let first = app.create_application(&tenant.token).await;
    app.create_application(&tenant.token).await;
    let refused = app.post("/applications", Some(&tenant.token), application_body()).await;
    refused.assert_problem(409, "quota_exceeded");
    assert_eq!(app.count("applications").await, 2, "nothing created");
    // Another organization has its own.
    let other = app.signup().await;
    app.create_application(&other.token).await;
    // A draft withdrawn makes room.
    app.post(&format!("/applications/{first}/withdraw"), Some(&tenant.token), serde_json::json!({}))
        .await
        .assert_status(200);
    app.create_application(&tenant.token).await;
}

#[tokio::test]
async fn materials_are_capped_by_their_bytes_per_organization() {
    let app = spawn_app_with(|config| config.quota.storage_per_organization = 100).await;
    let tenant = app.signup().await;
    let (a, b) = (app.create_application(&tenant.token).await, app.create_application(&tenant.token).await);
    let sixty = "x".repeat(60);
    app.upload(&tenant.token, &a, "summary", "text/plain", sixty.clone()).await.assert_status(200);
    // Declared length: refused before the body is read.
    let refused = app.upload(&tenant.token, &b, "summary", "text/plain", sixty.clone()).await;
    refused.assert_problem(409, "quota_exceeded");
    // No declared length (chunked): refused once the bytes are counted.
    let chunks = stream::iter([Ok::<_, std::io::Error>("x".repeat(30)), Ok("x".repeat(30))]);
    let refused = app.upload(&tenant.token, &b, "summary", "text/plain", reqwest::Body::wrap_stream(chunks)).await;
    refused.assert_problem(409, "quota_exceeded");
    assert_eq!(app.count("materials").await, 1, "nothing stored");
    // Replacing a material counts only the new one.
    app.upload(&tenant.token, &a, "summary", "text/plain", "y".repeat(90)).await.assert_status(200);
    app.upload(&tenant.token, &b, "summary", "text/plain", "z".repeat(10)).await.assert_status(200);
    // Another organization has its own.
    let other = app.signup().await;
    let theirs = app.create_application(&other.token).await;
    app.upload(&other.token, &theirs, "summary", "text/plain", sixty).await.assert_status(200);
}
