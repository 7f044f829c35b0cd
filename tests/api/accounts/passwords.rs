//! Changing one's password (POST /auth/password) and resetting it with a
//! token an operator issued or a link mailed on request
//! (POST /auth/password-reset, POST /auth/password-reset/request).

use dataip::{domain::StaffRole, services};
use serde_json::{Value, json};

use crate::{
    helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with},
    notifications::mail::{Sink, deliver, with_mail},
};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn refresh(app: &TestApp, token: &str) -> u16 {
    app.post("/auth/refresh", None, json!({"refresh_token": token})).await.status.as_u16()
}

async fn password_hash(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.db)
        .await
        .expect("user")
}

fn change(current: &str, new: &str) -> Value {
    json!({"current_password": current, "new_password": new})
}

/// Turns the application's clock back to the whole second `token` was
/// issued in, so that what follows happens in that very second (a cutoff
/// kept in whole seconds would let the token through).
fn rewind_to_the_second_of(app: &TestApp, token: &str) {
    let now = app.state.clock.now();
    let issued = app.state.jwt.verify(token, now).expect("a token of ours").iat;
    let issued = chrono::DateTime::from_timestamp(issued, 0).expect("a time");
    app.clock.advance(issued - now);
}

#[tokio::test]
async fn changing_the_password_ends_every_session_at_once_this_one_too() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other_session = app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD})).await;
    let other_access = other_session.body["access_token"].as_str().expect("token").to_owned();
    let other_refresh = other_session.body["refresh_token"].as_str().expect("token").to_owned();

    rewind_to_the_second_of(&app, &tenant.token);
    let answer = app.post("/auth/password", Some(&tenant.token), change(PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);

    // Every refresh token is revoked and every access token refused, the
    // caller's own too, though issued in the second of the change.
    for access in [&tenant.token, &other_access] {
        app.get("/me", Some(access)).await.assert_problem(401, "unauthorized");
    }
    for refresh_token in [&tenant.refresh_token, &other_refresh] {
        assert_eq!(refresh(&app, refresh_token).await, 401);
    }

    app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD}))
        .await
        .assert_problem(401, "unauthorized");
    let token = app.login(&tenant.email, NEW_PASSWORD).await;
    app.get("/me", Some(&token)).await.assert_status(200);
}

#[tokio::test]
async fn a_refresh_token_of_before_the_change_gives_nothing_even_if_not_revoked() {
    // A refresh racing a change can leave behind a pair the change's
    // revocation did not see; the generation it carries is out of date.
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let answer = app.post("/auth/password", Some(&tenant.token), change(PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    sqlx::query("UPDATE refresh_tokens SET revoked_at = NULL").execute(&app.state.db).await.expect("unrevoked");
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 401);
}

#[tokio::test]
async fn staff_change_their_password_too() {
    let app = spawn_app().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let answer = app.post("/auth/password", Some(&reviewer), change(PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_account_address = 2).await;
    let tenant = app.signup().await;
    let before = password_hash(&app, &tenant.email).await;

    let wrong = app.post("/auth/password", Some(&tenant.token), change("not my password", NEW_PASSWORD)).await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(wrong.error_fields(), ["current_password"]);
    assert_eq!(password_hash(&app, &tenant.email).await, before);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 200, "sessions untouched");

    app.post("/auth/password", Some(&tenant.token), change("still not it!", NEW_PASSWORD))
        .await
        .assert_problem(422, "validation_failed");
    let limited = app.post("/auth/password", Some(&tenant.token), change(PASSWORD, NEW_PASSWORD)).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD}))
        .await
        .assert_problem(429, "rate_limited");
    assert_eq!(password_hash(&app, &tenant.email).await, before);
}

#[tokio::test]
async fn the_new_password_follows_the_rules() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let before = password_hash(&app, &tenant.email).await;
    for new in ["short", PASSWORD] {
        let answer = app.post("/auth/password", Some(&tenant.token), change(PASSWORD, new)).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["new_password"]);
    }
    let missing = app.post("/auth/password", Some(&tenant.token), json!({"new_password": NEW_PASSWORD})).await;
    missing.assert_problem(422, "validation_failed");
    assert!(missing.body["detail"].as_str().is_some_and(|d| d.contains("current_password")), "{}", missing.body);
    assert_eq!(password_hash(&app, &tenant.email).await, before);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 200);
}

#[tokio::test]
async fn changing_a_password_needs_a_person() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();
    app.post("/auth/password", None, change(PASSWORD, NEW_PASSWORD)).await.assert_problem(401, "unauthorized");
    app.post("/auth/password", Some(&key), change(PASSWORD, NEW_PASSWORD)).await.assert_problem(403, "forbidden");
    app.login(&tenant.email, PASSWORD).await;
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reset =
        services::accounts::password_resets::issue(&app.state, &tenant.email.to_uppercase()).await.expect("issued");
    assert!(reset.token.starts_with("dipw_"));
    assert_eq!(reset.user.email, tenant.email);
    let lifetime = reset.expires_at - app.state.clock.now();
    assert!(lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::hours(1), "{lifetime}");
    assert!(!format!("{reset:?}").contains(&reset.token), "Debug hides the token");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_hash FROM password_resets").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(stored.len(), 32, "only a SHA-256 is stored");

    let body = json!({"token": reset.token, "new_password": NEW_PASSWORD});
    rewind_to_the_second_of(&app, &tenant.token);
    let answer = app.post("/auth/password-reset", None, body.clone()).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 401);
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
    app.login(&tenant.email, NEW_PASSWORD).await;

    // Used: a second attempt is refused and changes nothing.
    let hash = password_hash(&app, &tenant.email).await;
    let again = app.post("/auth/password-reset", None, json!({"token": reset.token, "new_password": PASSWORD})).await;
    again.assert_problem(422, "validation_failed");
    assert_eq!(again.error_fields(), ["token"]);
    assert_eq!(password_hash(&app, &tenant.email).await, hash);
}

#[tokio::test]
async fn used_expired_superseded_and_made_up_tokens_get_one_answer() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer_email = format!("reviewer-{}@registry.example", uuid::Uuid::now_v7().simple());
    let admin = app.staff(StaffRole::Admin).await;
    let body = json!({"email": reviewer_email, "password": PASSWORD, "display_name": "审查员", "role": "reviewer"});
    app.post("/admin/staff", Some(&admin), body).await.assert_status(201);

    let used = services::accounts::password_resets::issue(&app.state, &reviewer_email).await.expect("issued");
    let reset = json!({"token": used.token, "new_password": NEW_PASSWORD});
    assert_eq!(app.post("/auth/password-reset", None, reset).await.status, 204, "staff reset too");

    let superseded = services::accounts::password_resets::issue(&app.state, &tenant.email).await.expect("issued");
    let expired = services::accounts::password_resets::issue(&app.state, &tenant.email).await.expect("issued");
    app.clock.advance(chrono::Duration::minutes(61));
    let valid = services::accounts::password_resets::issue(&app.state, &tenant.email).await.expect("issued");
    let forged = format!("{}AAAA", &valid.token[..valid.token.len() - 4]);
    let hash = password_hash(&app, &tenant.email).await;

    let mut answers = Vec::new();
    for token in [used.token.as_str(), &superseded.token, &expired.token, &forged, "dipw_nonsense", ""] {
        let answer =
            app.post("/auth/password-reset", None, json!({"token": token, "new_password": NEW_PASSWORD})).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["token"]);
        answers.push(answer.body);
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "{answers:?}");
    assert_eq!(password_hash(&app, &tenant.email).await, hash);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 200, "sessions untouched");

    // The latest one still works; a bad new password does not use it up.
    let short = app.post("/auth/password-reset", None, json!({"token": valid.token, "new_password": "short"})).await;
    short.assert_problem(422, "validation_failed");
    assert_eq!(short.error_fields(), ["new_password"]);
    let ok = app.post("/auth/password-reset", None, json!({"token": valid.token, "new_password": NEW_PASSWORD})).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    app.post("/auth/password-reset", None, json!({"token": valid.token}))
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn resets_are_issued_for_known_active_accounts_only() {
    let app = spawn_app().await;
    for email in ["nobody@example.com", "not an address"] {
        let error = services::accounts::password_resets::issue(&app.state, email).await.expect_err("unknown");
        assert_eq!(error.to_string(), "no user with that e-mail address");
    }
    let admin = app.staff(StaffRole::Admin).await;
    let email = app.get("/me", Some(&admin)).await.body["user"]["email"].as_str().expect("email").to_owned();
    let pending = services::accounts::password_resets::issue(&app.state, &email).await.expect("issued");
    services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &email).await.expect("disabled");
    let error = services::accounts::password_resets::issue(&app.state, &email).await.expect_err("disabled");
    assert!(error.to_string().contains("disabled"), "{error}");
    // A reset issued before the account was disabled no longer works.
    let body = json!({"token": pending.token, "new_password": NEW_PASSWORD});
    app.post("/auth/password-reset", None, body).await.assert_problem(422, "validation_failed");
    let used: i64 = sqlx::query_scalar("SELECT count(*) FROM password_resets WHERE used_at IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(used, 0);
}

#[tokio::test]
async fn failed_resets_are_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_address = 2).await;
    let tenant = app.signup().await;
    let valid = services::accounts::password_resets::issue(&app.state, &tenant.email).await.expect("issued");
    for _ in 0..2 {
        let body = json!({"token": "dipw_guess", "new_password": NEW_PASSWORD});
        app.post("/auth/password-reset", None, body).await.assert_problem(422, "validation_failed");
    }
    let body = json!({"token": valid.token, "new_password": NEW_PASSWORD});
    let limited = app.post("/auth/password-reset", None, body).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    app.login(&tenant.email, PASSWORD).await;
}

const REQUEST_RESET: &str = "/auth/password-reset/request";

/// The tokens of the reset links mailed to `address`, oldest first, after
/// the worker has sent what is due.
async fn mailed_reset_tokens(app: &TestApp, sink: &Sink, address: &str) -> Vec<String> {
    deliver(app).await;
    let prefix = format!("{}/password-reset?token=", app.state.config.registry.public_url.trim_end_matches('/'));
    sink.to(address)
        .iter()
        .filter_map(|mail| mail["text"].as_str())
        .filter_map(|text| text.split(prefix.as_str()).nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

async fn redeem(app: &TestApp, token: &str) -> crate::helpers::Answer {
    app.post("/auth/password-reset", None, json!({"token": token, "new_password": NEW_PASSWORD})).await
}

#[tokio::test]
async fn a_mailed_link_sets_the_password_once_in_the_users_language_and_ends_every_session() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    app.patch("/me", Some(&tenant.token), json!({"language": "en"})).await.assert_status(204);

    // Asked for as typed, in capitals and with spaces around.
    let asked = app.post(REQUEST_RESET, None, json!({"email": format!(" {} ", tenant.email.to_uppercase())})).await;
    asked.assert_status(202);
    assert_eq!(asked.body, Value::Null, "an empty 202");
    deliver(&app).await;
    let mail = sink.to(&tenant.email).into_iter().find(|m| m["subject"] == "Reset your password").expect("mailed");
    let text = mail["text"].as_str().expect("text");
    assert!(text.contains("before 20") && text.contains("ignore this mail"), "{text}");
    let tokens = mailed_reset_tokens(&app, &sink, &tenant.email).await;
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert!(tokens[0].starts_with("dipw_"), "{tokens:?}");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_hash FROM password_resets").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(stored.len(), 32, "only a SHA-256 is stored");

    let answer = redeem(&app, &tokens[0]).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 401, "old sessions end");
    app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD}))
        .await
        .assert_problem(401, "unauthorized");
    let token = app.login(&tenant.email, NEW_PASSWORD).await;
    app.get("/me", Some(&token)).await.assert_status(200);

    // Used: it works no more.
    let again = app.post("/auth/password-reset", None, json!({"token": tokens[0], "new_password": PASSWORD})).await;
    again.assert_problem(422, "validation_failed");
    assert_eq!(again.error_fields(), ["token"]);
}

#[tokio::test]
async fn the_mail_is_in_chinese_by_default_and_staff_get_it_too() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let admin = app.staff(StaffRole::Admin).await;
    let email = app.get("/me", Some(&admin)).await.body["user"]["email"].as_str().expect("email").to_owned();
    app.post(REQUEST_RESET, None, json!({"email": email})).await.assert_status(202);
    deliver(&app).await;
    let subjects: Vec<Value> = sink.to(&email).iter().map(|m| m["subject"].clone()).collect();
    assert_eq!(subjects, [json!("重置您的密码")]);
    let tokens = mailed_reset_tokens(&app, &sink, &email).await;
    assert_eq!(redeem(&app, &tokens[0]).await.status, 204);
    app.login(&email, NEW_PASSWORD).await;
}

#[tokio::test]
async fn unknown_disabled_and_malformed_addresses_get_the_same_answer_and_no_mail() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    let admin = app.staff(StaffRole::Admin).await;
    let disabled = app.get("/me", Some(&admin)).await.body["user"]["email"].as_str().expect("email").to_owned();
    services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &disabled)
        .await
        .expect("disabled");

    let known = app.post(REQUEST_RESET, None, json!({"email": tenant.email})).await;
    known.assert_status(202);
    for email in ["nobody@example.com", disabled.as_str(), "not an address", "", "n1 <victim@example.com>"] {
        let answer = app.post(REQUEST_RESET, None, json!({"email": email})).await;
        assert_eq!((answer.status, &answer.body), (known.status, &known.body), "{email}");
    }
    assert_eq!(mailed_reset_tokens(&app, &sink, &tenant.email).await.len(), 1);
    for address in ["nobody@example.com", disabled.as_str(), "victim@example.com"] {
        assert!(sink.to(address).is_empty(), "{address}");
    }
    assert_eq!(app.count("password_resets").await, 1, "a reset for the known account only");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'security.password_reset_link'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(links, 1);
}

#[tokio::test]
async fn links_to_one_address_are_limited_without_telling_and_only_the_latest_works() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(|config| {
        with_mail(sink.port)(config);
        config.throttle.password_resets_per_recipient = 2;
    })
    .await;
    let tenant = app.signup().await;
    // A mailed link ends an operator's unused one too.
    let issued = services::accounts::password_resets::issue(&app.state, &tenant.email).await.expect("issued");

    for _ in 0..4 {
        app.post(REQUEST_RESET, None, json!({"email": tenant.email})).await.assert_status(202);
        app.post(REQUEST_RESET, None, json!({"email": "nobody@example.com"})).await.assert_status(202);
    }
    let tokens = mailed_reset_tokens(&app, &sink, &tenant.email).await;
    assert_eq!(tokens.len(), 2, "past the recipient's budget nothing more is sent: {tokens:?}");
    assert_eq!(app.count("password_resets").await, 3, "nor made");

    for stale in [issued.token.as_str(), &tokens[0]] {
        let answer = redeem(&app, stale).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["token"]);
    }
    assert_eq!(redeem(&app, &tokens[1]).await.status, 204, "the latest works");
    app.login(&tenant.email, NEW_PASSWORD).await;

    // The budget is the window's: in the next one, a link again.
    app.clock.advance(chrono::Duration::hours(1));
    app.post(REQUEST_RESET, None, json!({"email": tenant.email})).await.assert_status(202);
    assert_eq!(mailed_reset_tokens(&app, &sink, &tenant.email).await.len(), 3);
}

#[tokio::test]
async fn links_asked_for_from_one_client_address_are_limited() {
    let app = spawn_app_with(|config| config.throttle.password_resets_per_address = 2).await;
    let tenant = app.signup().await;
    app.post(REQUEST_RESET, None, json!({"email": tenant.email})).await.assert_status(202);
    app.post(REQUEST_RESET, None, json!({"email": "nobody@example.com"})).await.assert_status(202);
    for email in [tenant.email.as_str(), "someone-else@example.com"] {
        let limited = app.post(REQUEST_RESET, None, json!({"email": email})).await;
        limited.assert_problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some());
    }
    app.login(&tenant.email, PASSWORD).await;
}

#[tokio::test]
async fn a_request_without_an_address_is_a_problem() {
    let app = spawn_app().await;
    let not_json = app.post_raw("/api/v1/auth/password-reset/request", None, "application/json", "{\"email\": ").await;
    not_json.assert_problem(400, "validation_failed");
    let not_json = app.post_raw("/api/v1/auth/password-reset/request", None, "text/plain", "a@example.com").await;
    not_json.assert_problem(415, "unsupported_media_type");
    for (body, field) in [
        (json!({}), "email"),
        (json!({"email": 5}), "email"),
        (json!({"email": null}), "email"),
        (json!({"email": "a@example.com", "password": "x"}), "password"),
    ] {
        let answer = app.post(REQUEST_RESET, None, body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{body}");
    }
    assert_eq!(app.count("password_resets").await, 0);
}

#[tokio::test]
async fn a_mailed_link_expires_after_an_hour() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    app.post(REQUEST_RESET, None, json!({"email": tenant.email})).await.assert_status(202);
    let tokens = mailed_reset_tokens(&app, &sink, &tenant.email).await;
    assert_eq!(tokens.len(), 1);
    let expires_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT expires_at FROM password_resets").fetch_one(&app.state.db).await.expect("row");
    let lifetime = expires_at - app.state.clock.now();
    assert!(lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::hours(1), "{lifetime}");

    app.clock.advance(services::accounts::password_resets::RESET_TOKEN_TTL + chrono::Duration::seconds(1));
    let late = redeem(&app, &tokens[0]).await;
    late.assert_problem(422, "validation_failed");
    assert_eq!(late.error_fields(), ["token"]);
    assert_eq!(refresh(&app, &tenant.refresh_token).await, 200, "sessions untouched");
    app.login(&tenant.email, PASSWORD).await;
}
