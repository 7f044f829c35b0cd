//! Addresses are plain and proven (issue 26): e-mail fields take an
//! addr-spec alone; a new account's address is mailed a link that proves
//! it, and until then receives little; security mail about keys goes to
//! owners, within a budget.

use dataip::domain::StaffRole;
use serde_json::json;

use crate::{
    helpers::{PASSWORD, TestApp, fresh_credit_code, objection_body, signup_body, spawn_app, spawn_app_with},
    notifications::mail::{Sink, deliver, with_mail},
};

fn subjects(sink: &Sink, address: &str) -> Vec<String> {
    sink.to(address).iter().filter_map(|m| m["subject"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn addresses_with_a_display_name_are_refused_where_addresses_are_given() {
    let app = spawn_app().await;
    let dressed = "n1 <victim@example.com>";
    let signup = app.post("/auth/signup", None, signup_body(dressed, &fresh_credit_code())).await;
    signup.assert_problem(422, "validation_failed");
    assert_eq!(signup.error_fields(), ["user.email"]);

    let tenant = app.signup().await;
    let member = json!({"email": dressed, "password": PASSWORD, "display_name": "李娜", "role": "member"});
    let added = app.post("/organization/members", Some(&tenant.token), member).await;
    added.assert_problem(422, "validation_failed");
    assert_eq!(added.error_fields(), ["email"]);

    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let mut objection = objection_body();
    objection["objector"]["contact_email"] = json!("\"王五\" <wangwu@objector.example>");
    let filed = app.post(&format!("/public/announcements/{id}/objections"), None, objection).await;
    filed.assert_problem(422, "validation_failed");
    assert_eq!(filed.error_fields(), ["objector.contact_email"]);
    assert_eq!((app.count("users").await, app.count("objections").await), (2, 0), "nothing was made");
}

#[tokio::test]
async fn an_unconfirmed_member_gets_nothing_but_the_link_then_everything_once_confirmed() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let member = format!("member-{}@example.com", uuid::Uuid::now_v7().simple());
    let body = json!({"email": member, "password": PASSWORD, "display_name": "李娜", "role": "member"});
    let added = app.post("/organization/members", Some(&tenant.token), body).await;
    assert!(added.assert_status(201)["email_confirmed_at"].is_null());
    let member_token = app.login(&member, PASSWORD).await;

    // The owner, who signed up and has not proven the address either, hears
    // of the organization's own filings; the member hears nothing.
    app.submitted_application(&tenant.token).await;
    deliver(&app).await;
    assert_eq!(subjects(&sink, &member), ["请确认您的电子邮件地址"]);
    let owner_mail = subjects(&sink, &tenant.email);
    assert_eq!(owner_mail.first().map(String::as_str), Some("请确认您的电子邮件地址"), "{owner_mail:?}");
    assert!(owner_mail.iter().any(|s| s.starts_with("申请已提交")), "{owner_mail:?}");

    // The link in the mail proves the address; then everything arrives.
    let text = sink.to(&member)[0]["text"].as_str().expect("text").to_owned();
    let token = text.split("token=").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("a link");
    assert_eq!(token, app.confirmation_token(&member).await);
    let confirmed = app.post("/auth/confirm-email", None, json!({"token": token})).await;
    assert_eq!(confirmed.assert_status(200)["email"], member.as_str());
    let me = app.get("/me", Some(&member_token)).await;
    assert!(me.assert_status(200)["user"]["email_confirmed_at"].is_string());
    app.claimed_application(&tenant.token, &reviewer).await;
    deliver(&app).await;
    let member_mail = subjects(&sink, &member);
    assert_eq!(member_mail.len(), 2, "{member_mail:?}");
    assert!(member_mail[1].starts_with("申请已提交"), "{member_mail:?}");

    // Used once, the token proves nothing more.
    let again = app.post("/auth/confirm-email", None, json!({"token": token})).await;
    again.assert_problem(422, "validation_failed");
    assert_eq!(again.error_fields(), ["token"]);
}

#[tokio::test]
async fn the_mailed_link_opens_a_page_whose_button_proves_the_address() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    let token = app.confirmation_token(&tenant.email).await;
    let page = |method: reqwest::Method| {
        app.client.request(method, format!("{}/confirm-email?token={token}&lang=en", app.base)).send()
    };
    let shown = page(reqwest::Method::GET).await.expect("page");
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.expect("html");
    assert!(html.contains("<form method=\"post\"") && html.contains("Confirm"), "{html}");
    let me = app.get("/me", Some(&tenant.token)).await;
    assert!(me.body["user"]["email_confirmed_at"].is_null(), "a GET changes nothing");

    let posted = page(reqwest::Method::POST).await.expect("posted");
    assert_eq!(posted.status(), 200);
    assert!(posted.text().await.expect("html").contains(&tenant.email));
    assert!(app.get("/me", Some(&tenant.token)).await.body["user"]["email_confirmed_at"].is_string());
    let reused = page(reqwest::Method::POST).await.expect("posted");
    assert_eq!(reused.status(), 422);
    assert!(reused.text().await.expect("html").contains("invalid, already used or expired"));
}

#[tokio::test]
async fn links_are_asked_for_again_within_limits_and_tokens_fail_alike() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(|config| {
        with_mail(sink.port)(config);
        config.throttle.confirmation_resends_per_user = 2;
    })
    .await;
    let tenant = app.signup().await;
    let first = app.confirmation_token(&tenant.email).await;
    for _ in 0..2 {
        app.post("/auth/confirm-email/resend", Some(&tenant.token), json!({})).await.assert_status(202);
    }
    let limited = app.post("/auth/confirm-email/resend", Some(&tenant.token), json!({})).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // Only the latest link works.
    let latest = app.confirmation_token(&tenant.email).await;
    assert_ne!(first, latest);
    for token in [first.as_str(), "dipm_nonsense", "", &latest.replace('_', "-")] {
        let refused = app.post("/auth/confirm-email", None, json!({"token": token})).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["token"], "{token}");
    }
    app.post("/auth/confirm-email", None, json!({"token": latest})).await.assert_status(200);
    let proven = app.post("/auth/confirm-email/resend", Some(&tenant.token), json!({})).await;
    proven.assert_problem(409, "conflict");

    // Permissions and bad input.
    app.post("/auth/confirm-email/resend", None, json!({})).await.assert_problem(401, "unauthorized");
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ci"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();
    app.post("/auth/confirm-email/resend", Some(&key), json!({})).await.assert_problem(403, "forbidden");
    let unknown = app.post("/auth/confirm-email", None, json!({"token": latest, "extra": 1})).await;
    assert_eq!(unknown.status.as_u16() / 100, 4, "{}", unknown.body);
    app.post("/auth/confirm-email", None, json!({})).await.assert_problem(422, "validation_failed");
}

/// An organization with two owners and a member, every address proven.
async fn proven_organization(app: &TestApp) -> (crate::helpers::Tenant, Vec<String>) {
    let tenant = app.signup().await;
    app.confirm_email(&tenant.email).await;
    let mut others = Vec::new();
    for role in ["owner", "member"] {
        let email = format!("{role}-{}@example.com", uuid::Uuid::now_v7().simple());
        let body = json!({"email": email, "password": PASSWORD, "display_name": "李娜", "role": role});
        app.post("/organization/members", Some(&tenant.token), body).await.assert_status(201);
        app.confirm_email(&email).await;
        others.push(email);
    }
    (tenant, others)
}

#[tokio::test]
async fn api_key_mail_goes_to_owners_only_at_most_ten_an_hour_and_keys_are_limited() {
    let sink = Sink::on(crate::helpers::free_port());
    let app = spawn_app_with(|config| {
        with_mail(sink.port)(config);
        config.throttle.api_keys_per_organization = 30;
    })
    .await;
    let (tenant, others) = proven_organization(&app).await;
    for i in 0..30 {
        let created = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": format!("k{i}")})).await;
        created.assert_status(201);
    }
    let past = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "one more"})).await;
    past.assert_problem(429, "rate_limited");
    deliver(&app).await;
    let key_mail = |address: &str| subjects(&sink, address).iter().filter(|s| s.contains("API 密钥")).count();
    assert_eq!(key_mail(&tenant.email), 10, "the first owner");
    assert_eq!(key_mail(&others[0]), 10, "the second owner");
    assert_eq!(key_mail(&others[1]), 0, "a member");
}

#[tokio::test]
async fn evidence_is_bounded_per_objection_per_announcement_and_per_day() {
    let app = spawn_app_with(|config| {
        config.evidence.max_size = 1000;
        config.evidence.bytes_per_objection = 1500;
        config.evidence.bytes_per_announcement = 2500;
        config.evidence.bytes_per_day = 3500;
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let first = app.announced_application(&tenant.token, &reviewer).await;
    let second = app.announced_application(&tenant.token, &reviewer).await;
    let (a, a_token) = app.object(&first).await;
    let (b, b_token) = app.object(&first).await;
    let (c, c_token) = app.object(&first).await;
    let (d, d_token) = app.object(&second).await;
    let (e, e_token) = app.object(&second).await;
    let attach = |objection: &str, token: &str, size: usize| {
        let request = app
            .client
            .post(app.url(&format!("/public/objections/{objection}/evidence?token={token}")))
            .header("content-type", "text/plain")
            .body(vec![b'x'; size]);
        async move { crate::helpers::answer(request.send().await.expect("sent")).await }
    };
    let refused_by = |answer: crate::helpers::Answer, setting: &str| {
        answer.assert_problem(409, "quota_exceeded");
        let detail = answer.body["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains(setting), "{detail}");
    };
    attach(&a, &a_token, 1001).await.assert_problem(413, "payload_too_large");
    attach(&a, &a_token, 1000).await.assert_status(201);
    refused_by(attach(&a, &a_token, 600).await, "evidence.bytes_per_objection");
    attach(&b, &b_token, 1000).await.assert_status(201);
    refused_by(attach(&c, &c_token, 600).await, "evidence.bytes_per_announcement");
    attach(&d, &d_token, 1000).await.assert_status(201);
    refused_by(attach(&e, &e_token, 600).await, "evidence.bytes_per_day");
    assert_eq!(app.count("objection_evidence").await, 3);

    // A day later, the day's quota has room again; the others stay.
    app.clock.advance(chrono::Duration::hours(25));
    attach(&e, &e_token, 600).await.assert_status(201);
    refused_by(attach(&a, &a_token, 600).await, "evidence.bytes_per_objection");
}
