//! Account pages: signing up as a person or an organization, a password
//! reset by mail, and the signed-in user's own page.

use reqwest::StatusCode;
use serde_json::json;

use super::kit::{Visitor, field_value};
use crate::helpers::{PASSWORD, TestApp, free_port, fresh_credit_code, fresh_id_number, spawn_app, spawn_app_with};

/// An application that mails (to no server: the outbox is what is read).
async fn with_mail() -> TestApp {
    spawn_app_with(crate::notifications::mail::with_mail(free_port())).await
}

/// The latest link of `kind` mailed to `email`, as a path of the registry.
async fn mailed_link(app: &TestApp, kind: &str, email: &str) -> String {
    let link: String = sqlx::query_scalar(
        "SELECT payload->>'link' FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(email)
    .fetch_one(&app.state.db)
    .await
    .expect("a link was mailed");
    let path = link.find("/password-reset").or_else(|| link.find("/confirm-email")).expect("a path");
    link[path..].to_owned()
}

#[tokio::test]
async fn a_person_signs_up_with_errors_shown_beside_their_fields_and_lands_signed_in() {
    let app = with_mail().await;
    let mut browser = Visitor::new(&app);
    let page = browser.get("/signup").await;
    for name in ["organization[credit_code]", "person[id_number]", "user[email]", "user[display_name]"] {
        assert!(page.body.contains(&format!("name=\"{name}\"")), "{name}");
    }
    let token = page.csrf();
    let number = fresh_id_number();
    let email = "wang.fang@person.example";
    // The name left out, and a wrong check character.
    let mut wrong = number.clone();
    wrong.replace_range(17.., if number.ends_with('1') { "2" } else { "1" });
    let fields = |name: &'static str, number: &str| {
        vec![
            ("csrf", token.clone()),
            ("kind", "person".to_owned()),
            ("person[name]", name.to_owned()),
            ("person[id_number]", number.to_owned()),
            ("user[email]", email.to_owned()),
            ("user[password]", PASSWORD.to_owned()),
            ("user[display_name]", "王芳".to_owned()),
            ("action", "sign-up".to_owned()),
        ]
    };
    let as_pairs = |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };
    let sent = as_pairs(&fields("", &number));
    let refs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = browser.post("/signup", &refs).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"person-name-error\""), "the error beside the name");
    assert_eq!(field_value(&page.body, "user[email]").as_deref(), Some(email), "what was typed is kept");
    assert_eq!(app.count("users").await, 0);

    let sent = as_pairs(&fields("王芳", &wrong));
    let refs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = browser.post("/signup", &refs).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"person-id_number-error\""), "the service's check beside the number");
    assert!(!page.body.contains(&wrong), "the number is never echoed");

    let sent = as_pairs(&fields("王芳", &number));
    let refs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post("/signup", &refs).await.assert_redirect_to("/workbench/account?done=signed-up");
    let account = browser.get("/workbench/account?done=signed-up").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.body.contains("id=\"address-state\" class")
            || account.body.contains("class=\"alert\" id=\"address-state\"")
    );

    // The mailed link confirms the address on the portal's page.
    let link = mailed_link(&app, "security.email_confirmation", email).await;
    assert!(link.starts_with("/confirm-email?token="), "{link}");
    let token = link.split_once("token=").expect("token").1;
    app.post("/auth/confirm-email", None, json!({"token": token})).await.assert_status(200);
    let account = browser.get("/workbench/account").await;
    assert!(account.body.contains("<p id=\"address-state\">"), "confirmed");
}

#[tokio::test]
async fn an_organization_signs_up_and_a_bad_credit_code_is_said_beside_it() {
    let app = spawn_app().await;
    let mut browser = Visitor::new(&app);
    let token = browser.get("/signup?lang=en").await.csrf();
    let code = fresh_credit_code();
    let mut wrong = code.clone();
    wrong.replace_range(17.., if code.ends_with('1') { "2" } else { "1" });
    let fields = |code: &str| {
        vec![
            ("csrf".to_owned(), token.clone()),
            ("kind".to_owned(), "organization".to_owned()),
            ("organization[name]".to_owned(), "上海数据科技有限公司".to_owned()),
            ("organization[credit_code]".to_owned(), code.to_owned()),
            // A person's fields filled in too are not sent on.
            ("person[name]".to_owned(), "不该送出".to_owned()),
            ("user[email]".to_owned(), "zhang@org.example".to_owned()),
            ("user[password]".to_owned(), PASSWORD.to_owned()),
            ("user[display_name]".to_owned(), "张伟".to_owned()),
        ]
    };
    let sent = fields(&wrong);
    let refs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = browser.post("/signup?lang=en", &refs).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"organization-credit_code-error\""));
    assert!(page.body.contains("Please correct the fields marked below."));
    let sent = fields(&code);
    let refs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post("/signup?lang=en", &refs).await.assert_redirect_to("/workbench/account?done=signed-up&lang=en");
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK, "signed in");
    let token = app.login("zhang@org.example", PASSWORD).await;
    assert_eq!(app.get("/me", Some(&token)).await.body["party"]["kind"], "organization");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mailed_link() {
    let app = with_mail().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    let token = browser.get("/password-reset").await.csrf();
    // Whatever the address, the same answer.
    for email in ["nobody@nowhere.example", tenant.email.as_str()] {
        let page =
            browser.post("/password-reset", &[("csrf", &token), ("email", email), ("action", "request-reset")]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("role=\"status\""), "{email}");
    }
    let link = mailed_link(&app, "security.password_reset_link", &tenant.email).await;
    let page = browser.get(&link).await;
    let reset = field_value(&page.body, "token").expect("the token carried in the form");
    let short = browser
        .post("/password-reset", &[("csrf", &token), ("token", &reset), ("new_password", "short"), ("action", "reset")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("id=\"new_password-error\""));
    let new_password = "a brand new passphrase";
    let done = browser
        .post(
            "/password-reset",
            &[("csrf", &token), ("token", &reset), ("new_password", new_password), ("action", "reset")],
        )
        .await;
    done.assert_redirect_to("/login?done=password-reset");
    browser.sign_in(&tenant.email, new_password).await;
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn the_account_page_sets_language_and_mail_and_changes_the_password() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    let mut other = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;
    other.sign_in(&tenant.email, PASSWORD).await;
    let page = browser.get("/workbench/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();

    browser
        .post("/workbench/account", &[("csrf", &token), ("language", "en"), ("action", "save-language")])
        .await
        .assert_redirect_to("/workbench/account?done=language");
    let settings = app.get("/me/notifications", Some(&tenant.token)).await;
    assert_eq!(settings.body["language"], "en");
    let off = [
        ("csrf", token.as_str()),
        ("kinds[0][kind]", "application.submitted"),
        ("kinds[0][email]", "false"),
        ("action", "save-notifications"),
    ];
    browser.post("/workbench/account", &off).await.assert_redirect_to("/workbench/account?done=notifications");
    let settings = app.get("/me/notifications", Some(&tenant.token)).await;
    let submitted =
        settings.body["kinds"].as_array().expect("kinds").iter().find(|k| k["kind"] == "application.submitted");
    assert_eq!(submitted.expect("listed")["email"], false);

    // Ending the other browser's session, from the list.
    let page = browser.get("/workbench/account").await;
    assert_eq!(page.body.matches("name=\"session\"").count(), 2, "both sessions listed");
    let theirs: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM web_sessions WHERE id_hash = sha256(convert_to($1, 'UTF8'))")
            .bind(&other.cookies["dataip_session"])
            .fetch_one(&app.state.db)
            .await
            .expect("their session");
    let theirs = theirs.to_string();
    assert!(page.body.contains(&theirs));
    browser
        .post("/workbench/account", &[("csrf", &token), ("session", &theirs), ("action", "end-session")])
        .await
        .assert_redirect_to("/workbench/account?done=session-ended");
    other.get("/workbench").await.assert_redirect_to("/login");
    assert_eq!(browser.get("/workbench").await.status, StatusCode::OK);

    let wrong = [
        ("csrf", token.as_str()),
        ("current_password", "not it at all"),
        ("new_password", "a brand new passphrase"),
        ("action", "change-password"),
    ];
    let page = browser.post("/workbench/account", &wrong).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"current_password-error\""));
    let right = [
        ("csrf", token.as_str()),
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
        ("action", "change-password"),
    ];
    browser.post("/workbench/account", &right).await.assert_redirect_to("/login?done=password-changed");
    browser.get("/workbench/account").await.assert_redirect_to("/login");
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
}
