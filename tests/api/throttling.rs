use serde_json::json;

use crate::helpers::{PASSWORD, fresh_credit_code, signup_body, spawn_app_with};

#[tokio::test]
async fn failed_logins_lock_the_account_for_the_window() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_account = 3).await;
    let tenant = app.signup().await;
    let wrong = json!({"email": tenant.email, "password": "wrong password!"});
    for _ in 0..3 {
        app.post("/auth/login", None, wrong.clone()).await.assert_problem(401, "unauthorized");
    }
    let locked = app.post("/auth/login", None, wrong.clone()).await;
    locked.assert_problem(429, "rate_limited");
    let retry_after: u64 = locked.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Even the right password waits.
    let right = json!({"email": tenant.email, "password": PASSWORD});
    app.post("/auth/login", None, right.clone()).await.assert_problem(429, "rate_limited");

    // After the window, the account opens again.
    app.clock.advance(chrono::Duration::minutes(16));
    app.post("/auth/login", None, right).await.assert_status(200);
}

#[tokio::test]
async fn failed_logins_from_one_address_are_limited_across_accounts() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_address = 4).await;
    for i in 0..4 {
        let attempt = json!({"email": format!("guess{i}@example.com"), "password": "wrong password!"});
        app.post("/auth/login", None, attempt).await.assert_problem(401, "unauthorized");
    }
    let attempt = json!({"email": "guess-more@example.com", "password": "wrong password!"});
    app.post("/auth/login", None, attempt).await.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn signups_are_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.signups_per_address = 2).await;
    app.signup().await;
    app.signup().await;
    let third = app.post("/auth/signup", None, signup_body("third@example.com", &fresh_credit_code())).await;
    third.assert_problem(429, "rate_limited");
    assert!(third.header("retry-after").is_some());
    assert_eq!(app.count("organizations").await, 2);
}
