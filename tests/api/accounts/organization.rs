use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn owners_add_members_who_can_log_in() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let body = json!({"email": "member@example.com", "password": PASSWORD, "display_name": "李娜", "role": "member"});
    let answer = app.post("/organization/members", Some(&tenant.token), body).await;
    let member = answer.assert_status(201);
    assert_eq!(member["role"], "member");
    assert_eq!(member["organization_id"], tenant.org_id.as_str());

    let token = app.login("member@example.com", PASSWORD).await;
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.assert_status(200)["organization"]["id"], tenant.org_id.as_str());

    let co_owner = app.add_member(&tenant, "owner").await;
    let body = json!({"email": "third@example.com", "password": PASSWORD, "display_name": "赵六", "role": "member"});
    app.post("/organization/members", Some(&co_owner), body).await.assert_status(201);
}

#[tokio::test]
async fn adding_members_is_for_owners_only() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let member = app.add_member(&tenant, "member").await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let body = json!({"email": "x@example.com", "password": PASSWORD, "display_name": "X", "role": "member"});

    app.post("/organization/members", None, body.clone()).await.assert_problem(401, "unauthorized");
    app.post("/organization/members", Some(&member), body.clone()).await.assert_problem(403, "forbidden");
    app.post("/organization/members", Some(&reviewer), body.clone()).await.assert_problem(403, "forbidden");
    assert_eq!(app.count("users").await, 3);
}

#[tokio::test]
async fn adding_a_member_validates_and_refuses_duplicates() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let admin_role = json!({"email": "x@example.com", "password": PASSWORD, "display_name": "X", "role": "admin"});
    let answer = app.post("/organization/members", Some(&tenant.token), admin_role).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["role"]);

    let bad = json!({"email": "nope", "password": "123", "display_name": "X", "role": "member"});
    let answer = app.post("/organization/members", Some(&tenant.token), bad).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["email", "password"]);

    let taken = json!({"email": tenant.email, "password": PASSWORD, "display_name": "X", "role": "member"});
    app.post("/organization/members", Some(&tenant.token), taken).await.assert_problem(409, "conflict");
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn members_list_is_paginated_and_scoped_to_the_organization() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let member = app.add_member(&tenant, "member").await;
    app.add_member(&tenant, "member").await;
    let other = app.signup().await;

    let page = app.get("/organization/members?limit=2", Some(&member)).await;
    let page = page.assert_status(200).clone();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["items"][0]["id"], tenant.user_id.as_str(), "oldest first");
    let cursor = page["next_cursor"].as_str().expect("a third member follows");
    let rest = app.get(&format!("/organization/members?limit=2&cursor={cursor}"), Some(&member)).await;
    let rest = rest.assert_status(200);
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());

    let theirs = app.get("/organization/members", Some(&other.token)).await;
    let theirs = theirs.assert_status(200);
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(theirs["items"][0]["id"], other.user_id.as_str());

    app.get("/organization/members", None).await.assert_problem(401, "unauthorized");
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.get("/organization/members", Some(&reviewer)).await.assert_problem(403, "forbidden");
    app.get("/organization/members?limit=0", Some(&member)).await.assert_problem(422, "validation_failed");
    app.get("/organization/members?limit=abc", Some(&member)).await.assert_problem(400, "validation_failed");
    app.get("/organization/members?cursor=zzz", Some(&member)).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn api_keys_are_shown_once_work_as_bearer_and_can_be_revoked() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let created = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP integration"})).await;
    let created = created.assert_status(201).clone();
    let key = created["key"].as_str().expect("the key is shown");
    assert!(key.starts_with("dipk_"));

    // The key acts for the organization.
    let members = app.get("/organization/members", Some(key)).await;
    assert_eq!(members.assert_status(200)["items"][0]["id"], tenant.user_id.as_str());

    let list = app.get("/organization/api-keys", Some(&tenant.token)).await;
    let list = list.assert_status(200);
    assert_eq!(list["items"][0]["name"], "ERP integration");
    assert!(list["items"][0].get("key").is_none(), "never listed");
    assert!(!list["items"][0]["last_used_at"].is_null(), "use is recorded");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_hash FROM api_keys").fetch_one(&app.state.db).await.expect("row");
    assert_eq!(stored.len(), 32, "only a SHA-256 is stored");

    let id = created["id"].as_str().expect("id");
    assert_eq!(app.delete(&format!("/organization/api-keys/{id}"), Some(&tenant.token)).await.status, 204);
    app.get("/organization/members", Some(key)).await.assert_problem(401, "unauthorized");
    let list = app.get("/organization/api-keys", Some(&tenant.token)).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(0));
    app.delete(&format!("/organization/api-keys/{id}"), Some(&tenant.token)).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn api_keys_are_an_owner_matter_within_one_organization() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let member = app.add_member(&tenant, "member").await;
    let other = app.signup().await;
    let created = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "CI"})).await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let key = created.body["key"].as_str().expect("key").to_owned();

    app.post("/organization/api-keys", None, json!({"name": "x"})).await.assert_problem(401, "unauthorized");
    app.post("/organization/api-keys", Some(&member), json!({"name": "x"})).await.assert_problem(403, "forbidden");
    app.post("/organization/api-keys", Some(&key), json!({"name": "x"})).await.assert_problem(403, "forbidden");
    app.get("/organization/api-keys", Some(&member)).await.assert_problem(403, "forbidden");
    app.post("/organization/api-keys", Some(&tenant.token), json!({"name": ""}))
        .await
        .assert_problem(422, "validation_failed");

    // Another organization's owner cannot see or revoke it.
    let theirs = app.get("/organization/api-keys", Some(&other.token)).await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(0));
    app.delete(&format!("/organization/api-keys/{id}"), Some(&other.token)).await.assert_problem(404, "not_found");
    app.delete("/organization/api-keys/not-a-uuid", Some(&tenant.token)).await.assert_problem(400, "validation_failed");
    app.get("/organization/members", Some(&key)).await.assert_status(200);
    assert_eq!(app.count("api_keys").await, 1);

    // A forged key with a real id but the wrong secret is refused.
    let forged = format!("{}{}", &key[..key.len() - 4], "AAAA");
    app.get("/organization/members", Some(&forged)).await.assert_problem(401, "unauthorized");
}
