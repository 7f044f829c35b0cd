//! Disabling staff (`dataip staff disable`): no login, no refresh, and the
//! access tokens already issued stop working at once.

use dataip::{
    domain::StaffRole,
    services::{self, accounts::staff::NewStaff},
};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Adds a staff member and logs them in: (e-mail, access token, refresh token).
async fn staff_member(app: &TestApp, role: StaffRole) -> (String, String, String) {
    let email = format!("staff-{}@registry.example", uuid::Uuid::now_v7().simple());
    let staff = NewStaff { email: email.clone(), password: PASSWORD.into(), display_name: "王审查".into(), role };
    services::accounts::staff::add(&app.state, services::audit::AuditActor::Cli, staff).await.expect("staff added");
    let login = app.post("/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    let body = login.assert_status(200);
    let token = |name: &str| body[name].as_str().expect("token").to_owned();
    (email, token("access_token"), token("refresh_token"))
}

#[tokio::test]
async fn a_disabled_staff_member_is_locked_out_at_once() {
    let app = spawn_app().await;
    let (email, access, refresh) = staff_member(&app, StaffRole::Reviewer).await;
    app.get("/review/applications", Some(&access)).await.assert_status(200);
    // (In the very second the token was issued, as likely as not.)
    let disabled =
        services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &email.to_uppercase())
            .await
            .expect("disabled");
    assert_eq!(disabled.email, email);
    let disabled_at = disabled.disabled_at.expect("disabled_at is set");

    // The access token issued before stops working at its next request.
    let refused = app.get("/review/applications", Some(&access)).await;
    refused.assert_problem(401, "unauthorized");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.starts_with("this account has been disabled")));
    // Sessions are over.
    app.post("/auth/refresh", None, json!({"refresh_token": refresh})).await.assert_problem(401, "unauthorized");
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(live, 0);
    // Logging in fails exactly as a wrong password does.
    let right = app.post("/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    let wrong = app.post("/auth/login", None, json!({"email": email, "password": "wrong password!"})).await;
    right.assert_problem(401, "unauthorized");
    assert_eq!(right.body, wrong.body);

    // Disabling again changes nothing.
    let again = services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &email)
        .await
        .expect("still disabled");
    assert_eq!(again.disabled_at, Some(disabled_at));

    // Enabled again, the old password works; the old tokens stay dead.
    let enabled =
        services::accounts::staff::enable(&app.state, services::audit::AuditActor::Cli, &email).await.expect("enabled");
    assert!(enabled.disabled_at.is_none());
    let token = app.login(&email, PASSWORD).await;
    app.get("/review/applications", Some(&token)).await.assert_status(200);
    app.post("/auth/refresh", None, json!({"refresh_token": refresh})).await.assert_problem(401, "unauthorized");
    let stale = app.get("/review/applications", Some(&access)).await;
    stale.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn disabling_names_staff_only() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    for email in ["nobody@registry.example", "not an address", tenant.email.as_str()] {
        let error = services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, email)
            .await
            .expect_err("not staff");
        assert_eq!(error.to_string(), "no staff member with that e-mail address");
        let error = services::accounts::staff::enable(&app.state, services::audit::AuditActor::Cli, email)
            .await
            .expect_err("not staff");
        assert_eq!(error.to_string(), "no staff member with that e-mail address");
    }
    // The applicant was not touched.
    app.get("/me", Some(&tenant.token)).await.assert_status(200);
}

#[tokio::test]
async fn staff_lists_show_who_is_disabled() {
    let app = spawn_app().await;
    let admin = app.staff(StaffRole::Admin).await;
    let (email, _, _) = staff_member(&app, StaffRole::Reviewer).await;
    app.signup().await;
    services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &email).await.expect("disabled");

    let all = services::accounts::staff::list_all(&app.state).await.expect("listed");
    assert_eq!(all.len(), 2, "applicants are not staff");
    assert!(all[0].disabled_at.is_none());
    assert_eq!((all[1].email.as_str(), all[1].role.is_staff()), (email.as_str(), true));
    assert!(all[1].disabled_at.is_some());
    assert!(all[0].created_at <= all[1].created_at, "oldest first");

    let page = app.get("/admin/staff", Some(&admin)).await;
    let items = page.assert_status(200)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    assert!(items[0]["disabled_at"].is_null());
    assert_eq!(items[1]["email"], email.as_str());
    assert!(items[1]["disabled_at"].is_string());
}

#[tokio::test]
async fn disabling_one_staff_member_leaves_the_others_alone() {
    let app = spawn_app().await;
    let (email, _, _) = staff_member(&app, StaffRole::Admin).await;
    let (_, other_access, other_refresh) = staff_member(&app, StaffRole::Admin).await;
    services::accounts::staff::disable(&app.state, services::audit::AuditActor::Cli, &email).await.expect("disabled");
    app.get("/admin/staff", Some(&other_access)).await.assert_status(200);
    app.post("/auth/refresh", None, json!({"refresh_token": other_refresh})).await.assert_status(200);
}
