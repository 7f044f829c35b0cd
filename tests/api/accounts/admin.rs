use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn admins_add_staff_who_can_log_in() {
    let app = spawn_app().await;
    let admin = app.staff(StaffRole::Admin).await;
    let body = json!({"email": "reviewer@registry.example", "password": PASSWORD, "display_name": "审查员", "role": "reviewer"});
    let answer = app.post("/admin/staff", Some(&admin), body).await;
    let user = answer.assert_status(201);
    assert_eq!(user["role"], "reviewer");
    assert!(user["organization_id"].is_null());

    let token = app.login("reviewer@registry.example", PASSWORD).await;
    assert_eq!(app.get("/me", Some(&token)).await.body["user"]["role"], "reviewer");

    let list = app.get("/admin/staff", Some(&admin)).await;
    assert_eq!(list.assert_status(200)["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn only_admins_manage_staff() {
    let app = spawn_app().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let tenant = app.signup().await;
    let body = json!({"email": "x@registry.example", "password": PASSWORD, "display_name": "X", "role": "admin"});

    app.post("/admin/staff", None, body.clone()).await.assert_problem(401, "unauthorized");
    app.post("/admin/staff", Some(&reviewer), body.clone()).await.assert_problem(403, "forbidden");
    app.post("/admin/staff", Some(&tenant.token), body.clone()).await.assert_problem(403, "forbidden");
    app.get("/admin/staff", Some(&reviewer)).await.assert_problem(403, "forbidden");
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test]
async fn adding_staff_validates_and_refuses_duplicates() {
    let app = spawn_app().await;
    let admin = app.staff(StaffRole::Admin).await;
    let owner_role = json!({"email": "x@registry.example", "password": PASSWORD, "display_name": "X", "role": "owner"});
    let answer = app.post("/admin/staff", Some(&admin), owner_role).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["role"]);

    let tenant = app.signup().await;
    let taken = json!({"email": tenant.email, "password": PASSWORD, "display_name": "X", "role": "reviewer"});
    app.post("/admin/staff", Some(&admin), taken).await.assert_problem(409, "conflict");
    assert_eq!(app.count("users").await, 2);
}
