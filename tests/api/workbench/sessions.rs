//! Sessions of the workbench: signing in and out, the cookie's reach, the
//! forms' tokens, cross-site posts, expiry, fixation and `next=`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::kit::Visitor;
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_signed_out_visit_is_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    browser.get("/workbench?lang=en").await.assert_redirect_to("/login?next=%2Fworkbench%3Flang%3Den");

    let login = browser.get("/login?next=%2Fworkbench%3Flang%3Den").await;
    assert_eq!(login.status, StatusCode::OK);
    for field in ["name=\"email\"", "name=\"password\"", "name=\"csrf\"", "autocomplete=\"current-password\""] {
        assert!(login.body.contains(field), "{field}");
    }
    assert!(browser.cookies.contains_key("dataip_form"), "a signed-out visit's form token");
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("next", "/workbench?lang=en"),
                ("email", &tenant.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    page.assert_redirect_to("/workbench?lang=en");
    assert!(browser.cookies.contains_key("dataip_session"));
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK);
    // Signed in, the sign-in page goes on to where it would have led.
    browser.get("/login").await.assert_redirect_to("/workbench");
}

#[tokio::test]
async fn the_session_cookie_is_hardened_and_never_opens_the_api() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let login = app.client.get(format!("{}/login", app.base)).send().await.expect("login page");
    let set = login.headers().get("set-cookie").expect("form cookie").to_str().expect("ascii").to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    assert_eq!(
        login.headers().get("content-security-policy").and_then(|v| v.to_str().ok()),
        Some(dataip::http::security_headers::WORKBENCH_POLICY)
    );
    assert_eq!(login.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));

    let mut browser = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;
    let session = browser.cookies["dataip_session"].clone();
    let api =
        app.client.get(app.url("/me")).header("cookie", format!("dataip_session={session}")).send().await.expect("me");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "the API stays Bearer-only");
    // The id is kept only hashed.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM web_sessions WHERE convert_to($1, 'UTF8') = id_hash")
        .bind(&session)
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn forms_without_the_visits_token_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    let token = browser.get("/login").await.csrf();
    let credentials = [("email", tenant.email.as_str()), ("password", PASSWORD)];

    let missing = browser.post("/login", &credentials).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = browser.post("/login", &[("csrf", "x".repeat(43).as_str()), credentials[0], credentials[1]]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross = browser.post_from("/login", &[("csrf", &token), credentials[0], credentials[1]], "cross-site").await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let evil_origin = app
        .client
        .post(format!("{}/login", app.base))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a")
        .send()
        .await
        .expect("post");
    assert_eq!(evil_origin.status(), StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("dataip_session"), "no session from any of them");

    // Signed in, the session's own token replaces the visit's.
    browser.sign_in(&tenant.email, PASSWORD).await;
    let stale = browser.post("/logout", &[("csrf", &token), ("action", "sign-out")]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn signing_in_gives_a_new_id_and_ends_the_one_held_before() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    // An id planted in the browser before sign-in is never the session's.
    let mut browser = Visitor::new(&app);
    browser.cookies.insert("dataip_session".into(), "planted-by-someone-else".into());
    browser.sign_in(&tenant.email, PASSWORD).await;
    let first = browser.cookies["dataip_session"].clone();
    assert_ne!(first, "planted-by-someone-else");

    // Signing in again while signed in: a new id, and the old one ends.
    let token = browser.get("/logout").await.csrf();
    let page = browser.post("/login", &[("csrf", &token), ("email", &tenant.email), ("password", PASSWORD)]).await;
    page.assert_redirect_to("/workbench");
    let second = browser.cookies["dataip_session"].clone();
    assert_ne!(first, second, "a new id at every sign-in");
    let mut holder_of_the_old = Visitor::new(&app);
    holder_of_the_old.cookies.insert("dataip_session".into(), first);
    holder_of_the_old.get("/workbench").await.assert_redirect_to("/login");
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK);
}

#[tokio::test]
async fn next_never_leads_to_another_site() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    for foreign in ["https://evil.example/", "//evil.example/workbench", "/\\evil.example"] {
        let mut browser = Visitor::new(&app);
        let login = browser.get(&format!("/login?next={}", urlencode(foreign))).await;
        assert_eq!(super::kit::field_value(&login.body, "next").as_deref(), Some("/workbench"), "{foreign}");
        let token = login.csrf();
        let page = browser
            .post("/login", &[("csrf", &token), ("next", foreign), ("email", &tenant.email), ("password", PASSWORD)])
            .await;
        assert_eq!(page.location.as_deref(), Some("/workbench"), "{foreign}");
    }
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_lifetime() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK, "used within the idle period");
    app.clock.advance(chrono::Duration::minutes(31));
    browser.get("/workbench").await.assert_redirect_to("/login");

    browser.sign_in(&tenant.email, PASSWORD).await;
    for _ in 0..40 {
        app.clock.advance(chrono::Duration::minutes(20));
        if browser.get("/workbench").await.status != StatusCode::OK {
            break;
        }
    }
    let page = browser.get("/workbench").await;
    page.assert_redirect_to("/login");
}

#[tokio::test]
async fn signing_out_everywhere_ends_sessions_and_api_tokens() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    let mut other = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;
    other.sign_in(&tenant.email, PASSWORD).await;
    let token = browser.get("/logout").await.csrf();
    browser.post("/logout", &[("csrf", &token), ("action", "sign-out-everywhere")]).await.assert_redirect_to("/login");

    other.get("/workbench").await.assert_redirect_to("/login");
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
    let refreshed = app.post("/auth/refresh", None, json!({"refresh_token": tenant.refresh_token})).await;
    assert_eq!(refreshed.status, 401);

    // Signing out here only ends this browser's session.
    browser.sign_in(&tenant.email, PASSWORD).await;
    other.sign_in(&tenant.email, PASSWORD).await;
    let token = browser.get("/logout").await.csrf();
    browser.post("/logout", &[("csrf", &token), ("action", "sign-out")]).await.assert_redirect_to("/login");
    browser.get("/workbench").await.assert_redirect_to("/login");
    assert_eq!(other.get("/workbench").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;
    let body = json!({"current_password": PASSWORD, "new_password": "a whole new passphrase"});
    app.call(Method::POST, "/auth/password", Some(&tenant.token), Some(body)).await.assert_status(204);
    browser.get("/workbench").await.assert_redirect_to("/login");
}

#[tokio::test]
async fn wrong_passwords_keep_the_address_and_are_throttled_as_the_apis() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    let mut last = None;
    for _ in 0..6 {
        let token = browser.get("/login").await.csrf();
        let page = browser
            .post("/login", &[("csrf", &token), ("email", &tenant.email), ("password", "not the password")])
            .await;
        last = Some(page.status);
        if page.status == StatusCode::UNAUTHORIZED {
            assert!(page.body.contains(&format!("value=\"{}\"", tenant.email)), "the address kept");
            assert!(page.body.contains("role=\"alert\""));
        }
    }
    assert_eq!(last, Some(StatusCode::TOO_MANY_REQUESTS), "the sixth try of one account from one address");
    // The API's login shares the count.
    let api = app.post("/auth/login", None, json!({"email": tenant.email, "password": PASSWORD})).await;
    assert_eq!(api.status, 429);
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
