//! The audit log: a row for every staff and operator action, listed and
//! exported by admins only, never changed.

use dataip::domain::StaffRole;
use serde_json::{Value, json};

use crate::{
    accounts::verification::{self, pending},
    certificates::acts::{approve, file_ok, holder, license, setup},
    helpers::{PASSWORD, spawn_app_with},
};

fn actions(log: &Value) -> Vec<String> {
    log["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn every_staff_action_leaves_a_row() {
    let app = spawn_app_with(setup).await;
    let admin = app.staff(StaffRole::Admin).await;
    // Claim and approve, the certificate, then acts on it.
    let h = holder(&app).await;
    let act = file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    approve(&app, &h, &act).await.assert_status(200);
    let other = file_ok(&app, &h, license(false, "2027-03-01", "2027-04-01")).await;
    app.post(&format!("/review/acts/{other}/reject"), Some(&h.reviewer), json!({"reason": "许可范围不清"}))
        .await
        .assert_status(200);
    // An objection, dismissed.
    let announced = app.announced_application(&h.tenant.token, &h.reviewer).await;
    let (objection, _) = app.object(&announced).await;
    let decision = json!({"decision": "dismissed", "reason": "授权有效"});
    app.post(&format!("/review/objections/{objection}/decide"), Some(&h.reviewer), decision).await.assert_status(200);
    // A supplement request and a rejection.
    let asked = app.claimed_application(&h.tenant.token, &h.reviewer).await;
    let supplement = json!({"reason": "缺少样本", "due_in_days": 10});
    app.post(&format!("/review/applications/{asked}/request-supplement"), Some(&h.reviewer), supplement)
        .await
        .assert_status(200);
    let refused = app.claimed_application(&h.tenant.token, &h.reviewer).await;
    app.post(
        &format!("/review/applications/{refused}/reject"),
        Some(&h.reviewer),
        json!({"reason": "材料不实", "refusal_grounds": ["fraud"]}),
    )
    .await
    .assert_status(200);
    // A revocation, and staff added through the API.
    app.post(
        &format!("/review/certificates/{}/revoke", h.certificate),
        Some(&h.reviewer),
        json!({"grounds": "虚假材料"}),
    )
    .await
    .assert_status(200);
    let new_staff =
        json!({"email": "li.shen@registry.example", "password": PASSWORD, "display_name": "李审", "role": "reviewer"});
    let added = app.post("/admin/staff", Some(&admin), new_staff).await;
    let added_id = added.assert_status(201)["id"].as_str().expect("id").to_owned();

    let log = app.get("/admin/audit?limit=100", Some(&admin)).await;
    let found = actions(log.assert_status(200));
    for action in [
        "application.claim",
        "application.approve",
        "application.request_supplement",
        "application.reject",
        "objection.decide",
        "act.approve",
        "act.reject",
        "certificate.revoke",
        "staff.add",
    ] {
        assert!(found.iter().any(|a| a == action), "{action} missing from {found:?}");
    }
    // The helpers add staff as an operator would, from the command line.
    let items = log.body["items"].as_array().expect("items");
    assert!(items.iter().any(|e| e["action"] == "staff.add" && e["actor"] == "cli" && e["actor_id"].is_null()));
    let by_api = items.iter().find(|e| e["target_id"] == added_id.as_str()).expect("the API's staff.add");
    assert_eq!(by_api["actor"], "staff");
    assert_eq!(by_api["after"]["role"], "reviewer");
    let rejected = items.iter().find(|e| e["action"] == "application.reject").expect("reject");
    assert_eq!(rejected["before"]["state"], "under_review");
    assert_eq!(rejected["after"]["state"], "rejected");
    assert_eq!(rejected["after"]["note"], "材料不实");

    // Filters.
    let approvals = app.get("/admin/audit?action=application.approve", Some(&admin)).await;
    assert!(actions(&approvals.body).iter().all(|a| a == "application.approve"));
    let on_one = app.get(&format!("/admin/audit?target_id={refused}"), Some(&admin)).await;
    assert_eq!(actions(&on_one.body), ["application.reject", "application.claim"], "newest first");
    let page = app.get("/admin/audit?limit=2", Some(&admin)).await;
    let cursor = page.body["next_cursor"].as_str().expect("more").to_owned();
    let next = app.get(&format!("/admin/audit?limit=2&cursor={cursor}"), Some(&admin)).await;
    assert_ne!(next.body["items"][0]["id"], page.body["items"][0]["id"]);
}

#[tokio::test]
async fn admins_export_the_log_as_csv() {
    let app = spawn_app_with(setup).await;
    let admin = app.staff(StaffRole::Admin).await;
    app.staff(StaffRole::Reviewer).await;
    let response = app
        .client
        .get(app.url("/admin/audit"))
        .bearer_auth(&admin)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
    let text = response.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,at,actor,actor_id,action,target_type,target_id,before,after"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows.iter().all(|row| row.contains(",cli,,staff.add,user,")), "{text}");
}

#[tokio::test]
async fn only_admins_read_the_log_and_nobody_changes_it() {
    let app = spawn_app_with(setup).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let tenant = app.signup().await;
    app.get("/admin/audit", None).await.assert_problem(401, "unauthorized");
    app.get("/admin/audit", Some(&reviewer)).await.assert_problem(403, "forbidden");
    app.get("/admin/audit", Some(&tenant.token)).await.assert_problem(403, "forbidden");
    let admin = app.staff(StaffRole::Admin).await;
    app.get("/admin/audit?target_id=nope", Some(&admin)).await.assert_status(400);
    app.get("/admin/audit?limit=0", Some(&admin)).await.assert_problem(422, "validation_failed");

    let rows = app.count("audit_log").await;
    assert!(rows >= 2, "staff added, the organization verified");
    for statement in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let refused = sqlx::query(statement).execute(&app.state.db).await.expect_err("append-only");
        assert!(refused.to_string().contains("append-only"), "{statement}: {refused}");
    }
    assert_eq!(app.count("audit_log").await, rows);
}

#[tokio::test]
async fn verifications_and_refile_exceptions_leave_rows_with_before_and_after() {
    let app = spawn_app_with(setup).await;
    let admin = app.staff(StaffRole::Admin).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let corrected = pending(&app).await;
    let name = json!({"name": "上海数据科技股份有限公司"});
    verification::verify(&app, &reviewer, &corrected.org_id, name).await.assert_status(200);
    let refused = pending(&app).await;
    app.post(
        &format!("/admin/organizations/{}/refuse", refused.org_id),
        Some(&reviewer),
        json!({"reason": "执照模糊"}),
    )
    .await
    .assert_status(200);
    let exception = json!({"product_name": "物流时效数据集", "reason": "误撤回"});
    let path = format!("/admin/organizations/{}/refile-exceptions", corrected.org_id);
    let granted = app.post(&path, Some(&admin), exception).await;
    let granted_id = granted.assert_status(201)["id"].as_str().expect("id").to_owned();

    let log = app.get("/admin/audit?limit=100", Some(&admin)).await;
    let items = log.assert_status(200)["items"].as_array().expect("items").clone();
    let row = |action: &str, org: &str| {
        items
            .iter()
            .find(|e| e["action"] == action && e["target_id"] == org)
            .cloned()
            .unwrap_or_else(|| panic!("{action}"))
    };
    let verified = row("organization.verify", &corrected.org_id);
    assert_eq!(
        (verified["actor"].as_str(), verified["before"]["verification"].as_str()),
        (Some("staff"), Some("pending"))
    );
    assert_eq!(verified["after"]["verification"], "verified");
    assert_eq!(verified["before"]["name"], "上海数据科技有限公司");
    assert_eq!(verified["after"]["name"], "上海数据科技股份有限公司", "the correction is recorded");
    let refusal = row("organization.refuse", &refused.org_id);
    assert_eq!(refusal["after"]["verification"], "refused");
    assert_eq!(refusal["after"]["reason"], "执照模糊");
    let granted = row("organization.grant_refile_exception", &corrected.org_id);
    assert!(granted["actor_id"].is_string(), "{granted}");
    assert_eq!(
        (granted["after"]["exception_id"].as_str(), granted["after"]["reason"].as_str()),
        (Some(granted_id.as_str()), Some("误撤回"))
    );
}
