//! The same product filed twice: live duplicates refused, the re-filing bar
//! after a withdrawal and the registry's exceptions to it, and the similar
//! filings reviewers see.

use chrono::{DateTime, Months, Utc};
use dataip::domain::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{Answer, PASSWORD, Tenant, TestApp, application_body, spawn_app, spawn_app_with};

const NAME: &str = "长三角物流时效数据集";

/// A draft of `body` with the four required materials.
async fn draft(app: &TestApp, token: &str, body: Value) -> String {
    let id =
        app.post("/applications", Some(token), body).await.assert_status(201)["id"].as_str().expect("id").to_owned();
    app.upload_required(token, &id).await;
    id
}

fn named(name: &str, category: &str) -> Value {
    let mut body = application_body();
    body["product_name"] = json!(name);
    body["category"] = json!(category);
    body
}

async fn submit(app: &TestApp, token: &str, id: &str) -> Answer {
    app.post(&format!("/applications/{id}/submit"), Some(token), json!({"commitment": true})).await
}

async fn withdraw(app: &TestApp, token: &str, id: &str) {
    let answer = app.post(&format!("/applications/{id}/withdraw"), Some(token), json!({})).await;
    assert_eq!(answer.assert_status(200)["state"], "withdrawn");
}

async fn state(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/applications/{id}"), Some(token)).await.assert_status(200)["state"].clone()
}

/// A 409 `conflict` naming `other`, in the detail and in its own field.
#[track_caller]
fn assert_names(answer: &Answer, other: &str) {
    answer.assert_problem(409, "conflict");
    assert_eq!(answer.body["conflicting_application_id"], other, "{}", answer.body);
    assert!(answer.body["detail"].as_str().is_some_and(|d| d.contains(other)), "{}", answer.body);
}

#[tokio::test]
async fn a_product_live_in_the_same_category_is_not_submitted_twice() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let token = tenant.token.as_str();
    let reviewer = app.staff(StaffRole::Reviewer).await;
    // Drafts of one name may coexist: the check is at submission.
    let first = draft(&app, token, named(NAME, "data_collection")).await;
    let again = draft(&app, token, named(" 长三角\u{3000}物流时效 数据集 ", "data_collection")).await;
    submit(&app, token, &first).await.assert_status(200);

    let refused = submit(&app, token, &again).await;
    assert_names(&refused, &first);
    assert_eq!(state(&app, token, &again).await, "draft", "nothing changed");

    // Another category, another organization: other products.
    let other_category = draft(&app, token, named(NAME, "data_product")).await;
    submit(&app, token, &other_category).await.assert_status(200);
    let other = app.signup().await;
    let theirs = draft(&app, &other.token, named(NAME, "data_collection")).await;
    submit(&app, &other.token, &theirs).await.assert_status(200);

    // Live through the review; once rejected (final), the name is free.
    app.post(&format!("/review/applications/{first}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    assert_names(&submit(&app, token, &again).await, &first);
    let reject = json!({"reason": "材料不全", "refusal_grounds": ["other"]});
    app.post(&format!("/review/applications/{first}/reject"), Some(&reviewer), reject).await.assert_status(200);
    assert_eq!(submit(&app, token, &again).await.assert_status(200)["state"], "submitted");

    // A deemed withdrawal (the supplement deadline passed) frees it too, and
    // does not bar: the next filing of the name goes in at once.
    app.post(&format!("/review/applications/{again}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let supplement = json!({"reason": "请补充数据授权协议", "due_in_days": 1});
    let path = format!("/review/applications/{again}/request-supplement");
    app.post(&path, Some(&reviewer), supplement).await.assert_status(200);
    let third = draft(&app, token, named(NAME, "data_collection")).await;
    assert_names(&submit(&app, token, &third).await, &again);
    app.close_windows(chrono::Duration::days(2)).await;
    let token = app.login(&tenant.email, PASSWORD).await;
    assert_eq!(state(&app, &token, &again).await, "withdrawn");
    let events = app.get(&format!("/applications/{again}/events"), Some(&token)).await;
    assert!(events.body.as_array().is_some_and(|e| e.iter().any(|e| e["action"] == "lapse_supplement")));
    submit(&app, &token, &third).await.assert_status(200);
}

#[tokio::test]
async fn a_registration_with_an_active_certificate_is_live() {
    let app = spawn_app_with(|config| {
        crate::helpers::short_windows(config);
        config.worker.interval = "PT1H".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let admin = app.staff(StaffRole::Admin).await;
    let registered = app.announced_application(&tenant.token, &admin).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    assert_eq!(state(&app, &tenant.token, &registered).await, "registered");

    let again = draft(&app, &tenant.token, named("长三角物流时效数据集", "data_collection")).await;
    assert_names(&submit(&app, &tenant.token, &again).await, &registered);

    // Revoked, the certificate no longer holds the name.
    let certificates = app.get("/certificates", Some(&tenant.token)).await;
    let certificate = certificates.body["items"][0]["id"].as_str().expect("id").to_owned();
    let grounds = json!({"grounds": "数据来源授权证明系伪造"});
    app.post(&format!("/review/certificates/{certificate}/revoke"), Some(&admin), grounds).await.assert_status(200);
    submit(&app, &tenant.token, &again).await.assert_status(200);
}

/// When the application was withdrawn, from its history.
async fn withdrawn_at(app: &TestApp, token: &str, id: &str) -> DateTime<Utc> {
    let events = app.get(&format!("/applications/{id}/events"), Some(token)).await;
    let withdrawal = events.body.as_array().and_then(|e| e.iter().find(|e| e["action"] == "withdraw")).cloned();
    withdrawal.and_then(|e| e["at"].as_str().and_then(|at| at.parse().ok())).expect("a withdrawal")
}

/// Moves the clock so that it reads about `target`.
fn move_to(app: &TestApp, target: DateTime<Utc>) {
    let now = app.state.clock.now();
    app.clock.advance(target - now);
}

#[tokio::test]
async fn a_withdrawn_product_is_not_filed_again_for_six_months() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let withdrawn = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    submit(&app, &tenant.token, &withdrawn).await.assert_status(200);
    withdraw(&app, &tenant.token, &withdrawn).await;
    let at = withdrawn_at(&app, &tenant.token, &withdrawn).await;

    // Any category: the bar is on the name.
    let again = draft(&app, &tenant.token, named("长三角物流时效数据集", "data_product")).await;
    let refused = submit(&app, &tenant.token, &again).await;
    assert_names(&refused, &withdrawn);
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("refile_bar")), "{}", refused.body);

    // Six calendar months on the registry's calendar, to the second.
    let lifted = at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .checked_add_months(Months::new(6))
        .expect("in range")
        .with_timezone(&Utc);
    move_to(&app, lifted - chrono::Duration::minutes(10));
    let token = app.login(&tenant.email, PASSWORD).await;
    assert_names(&submit(&app, &token, &again).await, &withdrawn);
    move_to(&app, lifted + chrono::Duration::seconds(1));
    assert_eq!(submit(&app, &token, &again).await.assert_status(200)["state"], "submitted");
}

#[tokio::test]
async fn a_draft_withdrawn_before_submission_does_not_bar() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let abandoned = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    withdraw(&app, &tenant.token, &abandoned).await;
    let filed = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    submit(&app, &tenant.token, &filed).await.assert_status(200);
}

#[tokio::test]
async fn the_bar_can_be_turned_off() {
    let app = spawn_app_with(|config| config.workflow.refile_bar = "P0D".parse().expect("duration")).await;
    let tenant = app.signup().await;
    let withdrawn = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    submit(&app, &tenant.token, &withdrawn).await.assert_status(200);
    withdraw(&app, &tenant.token, &withdrawn).await;
    let again = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    submit(&app, &tenant.token, &again).await.assert_status(200);
}

async fn grant(app: &TestApp, token: Option<&str>, org: &str, body: Value) -> Answer {
    app.post(&format!("/admin/organizations/{org}/refile-exceptions"), token, body).await
}

async fn withdrawn_product(app: &TestApp, tenant: &Tenant) -> String {
    let id = draft(app, &tenant.token, named(NAME, "data_collection")).await;
    submit(app, &tenant.token, &id).await.assert_status(200);
    withdraw(app, &tenant.token, &id).await;
    id
}

#[tokio::test]
async fn an_exception_lifts_the_bar_once() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let admin = app.staff(StaffRole::Admin).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let withdrawn = withdrawn_product(&app, &tenant).await;

    let granted = grant(
        &app,
        Some(&admin),
        &tenant.org_id,
        json!({"product_name": "长三角 物流时效数据集", "reason": "申请人误撤回，经核实同意重新申请"}),
    )
    .await;
    let exception = granted.assert_status(201).clone();
    assert_eq!(exception["organization_id"], tenant.org_id.as_str());
    assert_eq!(exception["product_name"], "长三角 物流时效数据集");
    assert_eq!(exception["normalized_product_name"], NAME);
    assert!(exception["used_by_application_id"].is_null());

    let refiled = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    submit(&app, &tenant.token, &refiled).await.assert_status(200);
    let events = app.get(&format!("/applications/{refiled}/events"), Some(&tenant.token)).await;
    let submitted = events.body.as_array().and_then(|e| e.iter().find(|e| e["action"] == "submit")).cloned();
    let note = submitted.and_then(|e| e["note"].as_str().map(str::to_owned)).expect("a note");
    assert!(note.contains(exception["id"].as_str().expect("id")) && note.contains(&withdrawn), "{note}");

    // It keeps covering that application's resubmission after a supplement.
    app.post(&format!("/review/applications/{refiled}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let path = format!("/review/applications/{refiled}/request-supplement");
    app.post(&path, Some(&reviewer), json!({"reason": "请补充样例"})).await.assert_status(200);
    submit(&app, &tenant.token, &refiled).await.assert_status(200);

    // Used once: withdrawn again, the name is barred again.
    withdraw(&app, &tenant.token, &refiled).await;
    let third = draft(&app, &tenant.token, named(NAME, "data_collection")).await;
    assert_names(&submit(&app, &tenant.token, &third).await, &refiled);
}

#[tokio::test]
async fn only_admins_grant_exceptions_to_organizations_that_exist() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let admin = app.staff(StaffRole::Admin).await;
    let body = json!({"product_name": NAME, "reason": "误撤回"});
    grant(&app, None, &tenant.org_id, body.clone()).await.assert_problem(401, "unauthorized");
    grant(&app, Some(&tenant.token), &tenant.org_id, body.clone()).await.assert_problem(403, "forbidden");
    grant(&app, Some(&reviewer), &tenant.org_id, body.clone()).await.assert_problem(403, "forbidden");
    let unknown = uuid::Uuid::now_v7().to_string();
    grant(&app, Some(&admin), &unknown, body.clone()).await.assert_problem(404, "not_found");
    grant(&app, Some(&admin), "not-a-uuid", body).await.assert_problem(400, "validation_failed");

    let blank = grant(&app, Some(&admin), &tenant.org_id, json!({"product_name": "  ", "reason": "\u{7}"})).await;
    blank.assert_problem(422, "validation_failed");
    assert_eq!(blank.error_fields(), ["product_name", "reason"]);
    let missing = grant(&app, Some(&admin), &tenant.org_id, json!({"product_name": NAME, "extra": 1})).await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(app.count("refile_exceptions").await, 0, "nothing granted");

    // Not the tenant's to see, nor to use elsewhere: another organization
    // stays barred.
    let other = app.signup().await;
    withdrawn_product(&app, &other).await;
    let body = json!({"product_name": NAME, "reason": "误撤回"});
    grant(&app, Some(&admin), &tenant.org_id, body).await.assert_status(201);
    let again = draft(&app, &other.token, named(NAME, "data_collection")).await;
    submit(&app, &other.token, &again).await.assert_problem(409, "conflict");
}

async fn similar(app: &TestApp, reviewer: &str, id: &str) -> Vec<Value> {
    let view = app.get(&format!("/review/applications/{id}"), Some(reviewer)).await;
    view.assert_status(200)["similar_filings"].as_array().cloned().expect("similar filings")
}

#[tokio::test]
async fn reviewers_see_filings_that_share_a_material_or_the_name_ranked() {
    let app = spawn_app().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let (first, second, third) = (app.signup().await, app.signup().await, app.signup().await);
    let summary = "%PDF-1.7 一份被复制的产品摘要";
    let copied = "%PDF-1.7 一份被复制的样例";

    let original = draft(&app, &first.token, named("城市交通流量数据集", "data_collection")).await;
    app.upload(&first.token, &original, "summary", "application/pdf", summary).await.assert_status(200);
    app.upload(&first.token, &original, "sample", "application/pdf", copied).await.assert_status(200);
    submit(&app, &first.token, &original).await.assert_status(200);
    // Another organization: the same summary under another name.
    let copy = draft(&app, &second.token, named("交通流量分析数据", "data_product")).await;
    app.upload(&second.token, &copy, "summary", "application/pdf", summary).await.assert_status(200);
    submit(&app, &second.token, &copy).await.assert_status(200);
    // A third: the same name written otherwise, and the same sample.
    let namesake = draft(&app, &third.token, named("城市交通 流量数据集", "data_algorithm")).await;
    app.upload(&third.token, &namesake, "sample", "application/pdf", copied).await.assert_status(200);
    submit(&app, &third.token, &namesake).await.assert_status(200);
    // Neither drafts nor the application form count.
    let unsent = draft(&app, &second.token, named("城市交通流量数据集", "data_collection")).await;
    app.upload(&second.token, &unsent, "summary", "application/pdf", summary).await.assert_status(200);

    let found = similar(&app, &reviewer, &original).await;
    let ids: Vec<&str> = found.iter().filter_map(|f| f["application_id"].as_str()).collect();
    assert_eq!(ids, [namesake.as_str(), copy.as_str()], "two signals before one: {found:?}");
    assert_eq!(found[0]["matches"], json!(["product_name", "sample"]));
    assert_eq!(found[0]["organization"]["name"], "上海数据科技有限公司");
    assert_eq!(found[0]["state"], "submitted");
    assert_eq!(found[1]["matches"], json!(["summary"]));
    assert_eq!(found[1]["organization"]["id"], second.org_id.as_str());

    // Both sides of a shared hash are flagged.
    let back = similar(&app, &reviewer, &copy).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["application_id"], original.as_str());
    assert_eq!(back[0]["matches"], json!(["summary"]));

    // Not for applicants, nor the public.
    let own = app.get(&format!("/applications/{original}"), Some(&first.token)).await;
    assert!(own.assert_status(200).get("similar_filings").is_none());
    assert!(!own.body.to_string().contains(&copy));

    // A withdrawn filing is no longer live.
    withdraw(&app, &second.token, &copy).await;
    let found = similar(&app, &reviewer, &original).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["application_id"], namesake.as_str());
}
