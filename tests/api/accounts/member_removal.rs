//! DELETE /organization/members/{id}: owners remove users of their
//! organization; the account is disabled, and an organization keeps an owner.

use dataip::domain::StaffRole;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, Tenant, TestApp, spawn_app};

/// Adds a member with a known e-mail address: (id, e-mail, access token, refresh token).
async fn member(app: &TestApp, tenant: &Tenant, role: &str) -> (String, String, String, String) {
    let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
    let body = json!({"email": email, "password": PASSWORD, "display_name": "李娜", "role": role});
    let added = app.post("/organization/members", Some(&tenant.token), body).await;
    let id = added.assert_status(201)["id"].as_str().expect("id").to_owned();
    let login = app.post("/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    let tokens = login.assert_status(200);
    let token = |name: &str| tokens[name].as_str().expect("token").to_owned();
    (id, email.clone(), token("access_token"), token("refresh_token"))
}

async fn member_ids(app: &TestApp, token: &str) -> Vec<String> {
    let list = app.get("/organization/members", Some(token)).await;
    let items = list.assert_status(200)["items"].as_array().cloned().unwrap_or_default();
    items.iter().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_removed_member_is_locked_out_and_unlisted_but_kept() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let (id, email, access, refresh) = member(&app, &tenant, "member").await;
    assert!(member_ids(&app, &tenant.token).await.contains(&id));

    let answer = app.delete(&format!("/organization/members/{id}"), Some(&tenant.token)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);

    app.get("/me", Some(&access)).await.assert_problem(401, "unauthorized");
    app.post("/auth/refresh", None, json!({"refresh_token": refresh})).await.assert_problem(401, "unauthorized");
    let login = app.post("/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    let wrong = app.post("/auth/login", None, json!({"email": email, "password": "wrong password!"})).await;
    login.assert_problem(401, "unauthorized");
    assert_eq!(login.body, wrong.body);

    assert_eq!(member_ids(&app, &tenant.token).await, [tenant.user_id.as_str()]);
    assert_eq!(app.count("users").await, 2, "the row is kept: histories name it");
    // The address stays taken.
    let again = json!({"email": email, "password": PASSWORD, "display_name": "李娜", "role": "member"});
    app.post("/organization/members", Some(&tenant.token), again).await.assert_problem(409, "conflict");
    // Removed already: nothing more to remove.
    app.delete(&format!("/organization/members/{id}"), Some(&tenant.token)).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn only_an_owner_of_the_same_organization_removes_members() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let (id, _, member_token, _) = member(&app, &tenant, "member").await;
    let (other_member, _, _, _) = member(&app, &tenant, "member").await;
    let other = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();
    let path = format!("/organization/members/{other_member}");

    app.delete(&path, None).await.assert_problem(401, "unauthorized");
    app.delete(&path, Some(&member_token)).await.assert_problem(403, "forbidden");
    app.delete(&path, Some(&key)).await.assert_problem(403, "forbidden");
    app.delete(&path, Some(&reviewer)).await.assert_problem(403, "forbidden");
    // Another organization's owner: as if it did not exist.
    app.delete(&path, Some(&other.token)).await.assert_problem(404, "not_found");
    app.delete(&format!("/organization/members/{}", tenant.user_id), Some(&other.token))
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/organization/members/{}", Uuid::now_v7()), Some(&tenant.token))
        .await
        .assert_problem(404, "not_found");
    app.delete("/organization/members/not-a-uuid", Some(&tenant.token)).await.assert_problem(400, "validation_failed");

    // Nothing changed.
    let ids = member_ids(&app, &tenant.token).await;
    assert!(ids.contains(&id) && ids.contains(&other_member), "{ids:?}");
    app.get("/me", Some(&member_token)).await.assert_status(200);
    let disabled: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(disabled, 0);
}

#[tokio::test]
async fn the_last_owner_stays() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let alone = app.delete(&format!("/organization/members/{}", tenant.user_id), Some(&tenant.token)).await;
    alone.assert_problem(409, "conflict");
    assert!(alone.body["detail"].as_str().is_some_and(|d| d.contains("last owner")), "{}", alone.body);
    app.get("/me", Some(&tenant.token)).await.assert_status(200);

    // With a co-owner, an owner may leave; then the co-owner is the last.
    let (co_owner, _, co_token, _) = member(&app, &tenant, "owner").await;
    let leave = app.delete(&format!("/organization/members/{}", tenant.user_id), Some(&tenant.token)).await;
    assert_eq!(leave.status, 204, "{}", leave.body);
    app.get("/me", Some(&tenant.token)).await.assert_problem(401, "unauthorized");
    app.delete(&format!("/organization/members/{co_owner}"), Some(&co_token)).await.assert_problem(409, "conflict");
    assert_eq!(member_ids(&app, &co_token).await, [co_owner]);
}

#[tokio::test]
async fn an_owner_removes_a_co_owner_and_the_keys_of_the_organization_keep_working() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let (co_owner, _, co_token, _) = member(&app, &tenant, "owner").await;
    let key = app.post("/organization/api-keys", Some(&co_token), json!({"name": "CI"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();

    let answer = app.delete(&format!("/organization/members/{co_owner}"), Some(&tenant.token)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    app.get("/organization/api-keys", Some(&co_token)).await.assert_problem(401, "unauthorized");
    // The key belongs to the organization, as documented.
    app.get("/organization/members", Some(&key)).await.assert_status(200);
}
