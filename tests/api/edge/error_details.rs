//! Problems that say what to do next: an expired token, a throttle, an
//! application staff cannot see yet.

use dataip::domain::StaffRole;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn an_expired_access_token_says_so_and_how_to_get_a_new_one() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let invalid = app.get("/me", Some("not-a-jwt")).await;
    invalid.assert_problem(401, "unauthorized");
    assert_eq!(invalid.body["detail"], "the access token is invalid or has expired");

    app.clock.advance(chrono::Duration::minutes(16));
    let expired = app.get("/me", Some(&tenant.token)).await;
    expired.assert_problem(401, "unauthorized");
    let detail = expired.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("has expired") && detail.contains("POST /api/v1/auth/refresh"), "{detail}");

    // A forged token stays merely invalid, however old its claims.
    let forged = format!("{}x", tenant.token);
    assert_eq!(app.get("/me", Some(&forged)).await.body["detail"], "the access token is invalid or has expired");
}

#[tokio::test]
async fn a_throttled_answer_says_when_to_retry() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_account_address = 1).await;
    let tenant = app.signup().await;
    let wrong = json!({"email": tenant.email, "password": "wrong password!"});
    app.post("/auth/login", None, wrong.clone()).await.assert_problem(401, "unauthorized");
    let limited = app.post("/auth/login", None, wrong).await;
    limited.assert_problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    let detail = limited.body["detail"].as_str().unwrap_or_default();
    let expected = match retry_after {
        0..60 => format!("in {retry_after} second"),
        _ => format!("in {} minute", retry_after.div_ceil(60)),
    };
    assert!(detail.starts_with("too many attempts; try again ") && detail.contains(&expected), "{detail}");
}

#[tokio::test]
async fn staff_are_told_why_a_draft_is_not_found() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let draft = app.create_application(&tenant.token).await;
    let why = "this application has not been submitted: drafts are visible only to their organization";

    for answer in [
        app.get(&format!("/review/applications/{draft}"), Some(&reviewer)).await,
        app.post(&format!("/review/applications/{draft}/claim"), Some(&reviewer), json!({})).await,
        app.post(
            &format!("/review/applications/{draft}/reject"),
            Some(&reviewer),
            json!({"reason": "no", "refusal_grounds": ["other"]}),
        )
        .await,
        app.post(&format!("/review/applications/{draft}/approve"), Some(&reviewer), json!({})).await,
        app.get(&format!("/applications/{draft}/materials/summary"), Some(&reviewer)).await,
    ] {
        answer.assert_problem(404, "not_found");
        assert_eq!(answer.body["detail"], why);
    }

    // A draft withdrawn before it was ever submitted stays private too.
    let withdrawn = app.create_application(&tenant.token).await;
    app.post(&format!("/applications/{withdrawn}/withdraw"), Some(&tenant.token), json!({})).await.assert_status(200);
    let answer = app.get(&format!("/review/applications/{withdrawn}"), Some(&reviewer)).await;
    answer.assert_problem(404, "not_found");
    assert_eq!(answer.body["detail"], why);

    // Unknown ids keep the generic answer.
    let unknown = app.get(&format!("/review/applications/{}", Uuid::now_v7()), Some(&reviewer)).await;
    unknown.assert_problem(404, "not_found");
    assert_eq!(unknown.body["detail"], "no such resource");

    // Once submitted, the reviewer sees it.
    app.upload_required(&tenant.token, &draft).await;
    app.post(&format!("/applications/{draft}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_status(200);
    app.get(&format!("/review/applications/{draft}"), Some(&reviewer)).await.assert_status(200);
}
