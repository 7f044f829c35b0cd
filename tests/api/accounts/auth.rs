use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{PASSWORD, fresh_credit_code, signup_body, spawn_app};

#[tokio::test]
async fn signup_creates_the_organization_and_its_owner() {
    let app = spawn_app().await;
    let code = fresh_credit_code();
    let answer = app.post("/auth/signup", None, signup_body("Owner@Example.com", &code)).await;
    let body = answer.assert_status(201);
    assert_eq!(body["organization"]["name"], "上海数据科技有限公司");
    assert_eq!(body["organization"]["credit_code"], code);
    assert_eq!(body["user"]["email"], "owner@example.com", "e-mail addresses are normalised");
    assert_eq!(body["user"]["role"], "owner");
    assert_eq!(body["user"]["organization_id"], body["organization"]["id"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.starts_with("dipr_")));
    assert!(body["user"].get("password_hash").is_none());

    let me = app.get("/me", body["access_token"].as_str()).await;
    let me = me.assert_status(200);
    assert_eq!(me["user"]["email"], "owner@example.com");
    assert_eq!(me["organization"]["credit_code"], code);
}

#[tokio::test]
async fn signup_lists_every_invalid_field_and_writes_nothing() {
    let app = spawn_app().await;
    let body = json!({
        "organization": {"name": "  ", "credit_code": "91310000MA1FL4B24X"},
        "user": {"email": "not-an-email", "password": "short", "display_name": ""}
    });
    let answer = app.post("/auth/signup", None, body).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["organization.credit_code", "organization.name", "user.display_name", "user.email", "user.password"]
    );
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn signup_refuses_a_taken_email_or_credit_code() {
    let app = spawn_app().await;
    let first = app.signup().await;

    let answer = app.post("/auth/signup", None, signup_body(&first.email, &fresh_credit_code())).await;
    answer.assert_problem(409, "conflict");
    assert!(answer.body["detail"].as_str().is_some_and(|d| d.contains("e-mail")));
    // The organization of the refused signup was rolled back with it.
    assert_eq!(app.count("organizations").await, 1);

    let answer = app.post("/auth/signup", None, signup_body("other@example.com", &first.credit_code)).await;
    answer.assert_problem(409, "conflict");
    assert!(answer.body["detail"].as_str().is_some_and(|d| d.contains("credit code")));
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn login_answers_alike_for_unknown_accounts_and_wrong_passwords() {
    let app = spawn_app().await;
    let tenant = app.signup().await;

    let token = app.login(&tenant.email.to_uppercase(), PASSWORD).await;
    app.get("/me", Some(&token)).await.assert_status(200);

    let wrong = app.post("/auth/login", None, json!({"email": tenant.email, "password": "wrong password!"})).await;
    let unknown = app.post("/auth/login", None, json!({"email": "nobody@example.com", "password": PASSWORD})).await;
    wrong.assert_problem(401, "unauthorized");
    unknown.assert_problem(401, "unauthorized");
    assert_eq!(wrong.body, unknown.body);

    app.post("/auth/login", None, json!({"email": tenant.email})).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_ends_the_session() {
    let app = spawn_app().await;
    let tenant = app.signup().await;

    let first = app.post("/auth/refresh", None, json!({"refresh_token": tenant.refresh_token})).await;
    let first = first.assert_status(200).clone();
    let second_refresh = first["refresh_token"].as_str().expect("rotated");
    assert_ne!(second_refresh, tenant.refresh_token);
    app.get("/me", first["access_token"].as_str()).await.assert_status(200);

    // The old token again: refused, and the whole family is revoked with it.
    app.post("/auth/refresh", None, json!({"refresh_token": tenant.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    app.post("/auth/refresh", None, json!({"refresh_token": second_refresh})).await.assert_problem(401, "unauthorized");

    // Other sessions of the same user are untouched.
    let other = app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD})).await;
    let other_refresh = other.body["refresh_token"].as_str().expect("token");
    app.post("/auth/refresh", None, json!({"refresh_token": other_refresh})).await.assert_status(200);
}

#[tokio::test]
async fn refresh_refuses_garbage_and_expired_tokens() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    for garbage in ["", "dipr_", "not a token", "dipr_0123456789abcdef0123456789abcdef_AAAA"] {
        app.post("/auth/refresh", None, json!({"refresh_token": garbage})).await.assert_problem(401, "unauthorized");
    }
    app.post("/auth/refresh", None, json!({})).await.assert_problem(422, "validation_failed");

    app.clock.advance(chrono::Duration::days(31));
    app.post("/auth/refresh", None, json!({"refresh_token": tenant.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let answer = app.post("/auth/logout", None, json!({"refresh_token": tenant.refresh_token})).await;
    assert_eq!(answer.status, 204);
    app.post("/auth/refresh", None, json!({"refresh_token": tenant.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    // Logging out again, or with nonsense, is harmless.
    assert_eq!(app.post("/auth/logout", None, json!({"refresh_token": tenant.refresh_token})).await.status, 204);
    assert_eq!(app.post("/auth/logout", None, json!({"refresh_token": "junk"})).await.status, 204);
}

#[tokio::test]
async fn me_needs_a_valid_unexpired_token() {
    let app = spawn_app().await;
    let tenant = app.signup().await;

    app.get("/me", None).await.assert_problem(401, "unauthorized");
    app.get("/me", Some("not-a-jwt")).await.assert_problem(401, "unauthorized");
    let tampered = format!("{}x", tenant.token);
    app.get("/me", Some(&tampered)).await.assert_problem(401, "unauthorized");
    let basic = app.client.get(app.url("/me")).header("authorization", "Basic YTpi").send().await.expect("sent");
    assert_eq!(basic.status(), 401);

    app.clock.advance(chrono::Duration::minutes(16));
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn staff_have_no_organization_and_api_keys_have_no_user() {
    let app = spawn_app().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let me = app.get("/me", Some(&reviewer)).await;
    let me = me.assert_status(200);
    assert_eq!(me["user"]["role"], "reviewer");
    assert!(me["organization"].is_null());

    let tenant = app.signup().await;
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();
    app.get("/me", Some(&key)).await.assert_problem(403, "forbidden");
}
