use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{application_body, spawn_app};

#[tokio::test]
async fn a_draft_is_created_read_and_listed() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let answer = app.post("/applications", Some(&tenant.token), application_body()).await;
    let created = answer.assert_status(201).clone();
    assert_eq!(answer.header("etag"), Some("\"1\""));
    assert_eq!(created["state"], "draft");
    assert_eq!(created["version"], 1);
    assert_eq!(created["category"], "data_collection");
    assert_eq!(created["abstract"], "覆盖长三角地区的物流时效数据，按日更新。");
    assert_eq!(created["data_sources"][0]["kind"], "self_collected");
    for empty in ["application_number", "registration_number", "announcement", "certificate_number", "supplement"] {
        assert!(created[empty].is_null(), "{empty}");
    }
    assert_eq!(created["materials"], json!([]));
    let id = created["id"].as_str().expect("id");

    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.assert_status(200), &created);

    app.create_application(&tenant.token).await;
    let list = app.get("/applications?limit=1", Some(&tenant.token)).await;
    let list = list.assert_status(200).clone();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_ne!(list["items"][0]["id"], id, "newest first");
    let cursor = list["next_cursor"].as_str().expect("more");
    let rest = app.get(&format!("/applications?limit=1&cursor={cursor}"), Some(&tenant.token)).await;
    assert_eq!(rest.assert_status(200)["items"][0]["id"], id);

    let drafts = app.get("/applications?state=draft", Some(&tenant.token)).await;
    assert_eq!(drafts.body["items"].as_array().map(Vec::len), Some(2));
    let submitted = app.get("/applications?state=submitted", Some(&tenant.token)).await;
    assert_eq!(submitted.body["items"].as_array().map(Vec::len), Some(0));
    app.get("/applications?state=bogus", Some(&tenant.token)).await.assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn creation_validates_every_field_and_writes_nothing() {
    let app = spawn_app().await;
    let tenant = app.signup().await;

    let mut unknown_category = application_body();
    unknown_category["category"] = json!("data_toaster");
    let answer = app.post("/applications", Some(&tenant.token), unknown_category).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["category"]);

    let mut unknown_kind = application_body();
    unknown_kind["data_sources"][0]["kind"] = json!("scraped");
    let answer = app.post("/applications", Some(&tenant.token), unknown_kind).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["data_sources[0].kind"]);

    let mut bad_date = application_body();
    bad_date["data_sources"][0]["agreement_ends_on"] = json!("2026-02-30");
    app.post("/applications", Some(&tenant.token), bad_date).await.assert_problem(422, "validation_failed");

    let mut many = application_body();
    many["product_name"] = json!("   ");
    many["abstract"] = json!("x".repeat(2001));
    many["data_sources"] = json!([
        {"kind": "licensed", "description": "", "agreement_ends_on": "2001-01-01"}
    ]);
    many["data_format"] = json!("y".repeat(201));
    let answer = app.post("/applications", Some(&tenant.token), many).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["abstract", "data_format", "data_sources[0].agreement_ends_on", "data_sources[0].description", "product_name"]
    );

    app.post_raw("/api/v1/applications", Some(&tenant.token), "application/json", "{\"product_name\":")
        .await
        .assert_problem(400, "validation_failed");
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("application_events").await, 0);
}

#[tokio::test]
async fn applications_belong_to_their_organization() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let token = Some(other.token.as_str());

    app.get(&format!("/applications/{id}"), token).await.assert_problem(404, "not_found");
    app.patch(&format!("/applications/{id}"), token, json!({"product_name": "x"}))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/applications/{id}/submit"), token, json!({"commitment": true}))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/applications/{id}/withdraw"), token, json!({})).await.assert_problem(404, "not_found");
    app.get(&format!("/applications/{id}/events"), token).await.assert_problem(404, "not_found");
    let list = app.get("/applications", token).await;
    assert_eq!(list.body["items"], json!([]));

    // Unchanged.
    let mine = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(mine.body["state"], "draft");
    assert_eq!(mine.body["version"], 1);
}

#[tokio::test]
async fn applicant_endpoints_need_an_applicant() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;

    app.post("/applications", None, application_body()).await.assert_problem(401, "unauthorized");
    app.get("/applications", None).await.assert_problem(401, "unauthorized");
    app.get(&format!("/applications/{id}"), None).await.assert_problem(401, "unauthorized");
    app.post("/applications", Some(&reviewer), application_body()).await.assert_problem(403, "forbidden");
    app.get(&format!("/applications/{id}"), Some(&reviewer)).await.assert_problem(403, "forbidden");
    app.post(&format!("/applications/{id}/withdraw"), Some(&reviewer), json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.get("/applications/not-a-uuid", Some(&tenant.token)).await.assert_problem(400, "validation_failed");

    // Members and API keys act for the organization too.
    let member = app.add_member(&tenant, "member").await;
    app.get(&format!("/applications/{id}"), Some(&member)).await.assert_status(200);
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();
    app.post("/applications", Some(&key), application_body()).await.assert_status(201);
}

#[tokio::test]
async fn patch_changes_fields_and_honours_if_match() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let path = format!("/applications/{id}");

    let answer = app
        .patch(&path, Some(&tenant.token), json!({"product_name": "长三角物流时效数据集 2.0", "data_format": null}))
        .await;
    let patched = answer.assert_status(200).clone();
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["product_name"], "长三角物流时效数据集 2.0");
    assert!(patched["data_format"].is_null(), "null clears an optional field");
    assert_eq!(patched["data_scale"], "1.2 亿条", "fields left out stay");
    assert_eq!(answer.header("etag"), Some("\"2\""));

    // A writer holding version 1 is refused, and nothing changes.
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&tenant.token)
        .header("if-match", "\"1\"")
        .json(&json!({"product_name": "stale write"}))
        .send()
        .await
        .expect("sent");
    crate::helpers::answer(stale).await.assert_problem(412, "precondition_failed");
    app.patch(&path, Some(&tenant.token), json!({"abstract": "stale", "version": 1}))
        .await
        .assert_problem(412, "precondition_failed");

    let current = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&tenant.token)
        .header("if-match", "\"2\"")
        .json(&json!({"category": "data_algorithm"}))
        .send()
        .await
        .expect("sent");
    let current = crate::helpers::answer(current).await;
    assert_eq!(current.assert_status(200)["category"], "data_algorithm");

    let bad = app.patch(&path, Some(&tenant.token), json!({"category": "nonsense"})).await;
    bad.assert_problem(422, "validation_failed");
    let empty_name = app.patch(&path, Some(&tenant.token), json!({"product_name": ""})).await;
    empty_name.assert_problem(422, "validation_failed");
    let read = app.get(&path, Some(&tenant.token)).await;
    assert_eq!(read.body["version"], 3);
    assert_eq!(read.body["product_name"], "长三角物流时效数据集 2.0");
}

#[tokio::test]
async fn idempotent_creation_answers_the_first_response() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let create = |key: &'static str, body: serde_json::Value| {
        app.client
            .post(app.url("/applications"))
            .bearer_auth(&tenant.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = crate::helpers::answer(create("order-42", application_body()).await.expect("sent")).await;
    let first = first.assert_status(201).clone();
    let again = crate::helpers::answer(create("order-42", application_body()).await.expect("sent")).await;
    assert_eq!(again.assert_status(201), &first);
    assert_eq!(app.count("applications").await, 1);

    let mut different = application_body();
    different["product_name"] = json!("另一个产品");
    let conflict = crate::helpers::answer(create("order-42", different).await.expect("sent")).await;
    conflict.assert_problem(422, "validation_failed");
    assert_eq!(conflict.error_fields(), ["Idempotency-Key"]);
    assert_eq!(app.count("applications").await, 1);

    // Keys are per organization.
    let other = app.signup().await;
    let theirs = app
        .client
        .post(app.url("/applications"))
        .bearer_auth(&other.token)
        .header("idempotency-key", "order-42")
        .json(&application_body())
        .send()
        .await
        .expect("sent");
    assert_eq!(theirs.status(), 201);
    assert_eq!(app.count("applications").await, 2);
}

#[tokio::test]
async fn concurrent_repeats_of_one_idempotent_request_create_one_application() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let requests = (0..5).map(|_| {
        app.client
            .post(app.url("/applications"))
            .bearer_auth(&tenant.token)
            .header("idempotency-key", "same")
            .json(&application_body())
            .send()
    });
    let answers = futures_util::future::join_all(requests).await;
    let mut ids = Vec::new();
    for answer in answers {
        let answer = crate::helpers::answer(answer.expect("sent")).await;
        ids.push(answer.assert_status(201)["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("applications").await, 1);
}

#[tokio::test]
async fn withdrawal_is_final_and_recorded() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let answer = app
        .post(&format!("/applications/{id}/withdraw"), Some(&tenant.token), json!({"reason": "改为下季度申请"}))
        .await;
    assert_eq!(answer.assert_status(200)["state"], "withdrawn");

    app.post(&format!("/applications/{id}/withdraw"), Some(&tenant.token), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_problem(409, "invalid_transition");
    app.patch(&format!("/applications/{id}"), Some(&tenant.token), json!({"product_name": "x"}))
        .await
        .assert_problem(409, "invalid_transition");

    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let events = events.assert_status(200);
    let last = &events[events.as_array().map_or(0, Vec::len) - 1];
    assert_eq!(last["action"], "withdraw");
    assert_eq!(last["from_state"], "draft");
    assert_eq!(last["to_state"], "withdrawn");
    assert_eq!(last["note"], "改为下季度申请");
    assert_eq!(last["actor"]["kind"], "applicant");
    assert_eq!(last["actor"]["id"], tenant.user_id.as_str());
}

#[tokio::test]
async fn withdrawal_works_without_a_body() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let answer =
        app.client.post(app.url(&format!("/applications/{id}/withdraw"))).bearer_auth(&tenant.token).send().await;
    let answer = crate::helpers::answer(answer.expect("sent")).await;
    assert_eq!(answer.assert_status(200)["state"], "withdrawn");
}

#[tokio::test]
async fn submission_lists_every_missing_piece() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut body = application_body();
    body["data_sources"] = json!([]);
    let created = app.post("/applications", Some(&tenant.token), body).await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    app.upload(&tenant.token, &id, "summary", "application/pdf", "%PDF-1.7 summary").await.assert_status(200);

    let answer =
        app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), json!({"commitment": false})).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "commitment",
            "data_sources",
            "materials.application_form",
            "materials.application_scenarios",
            "materials.processing_innovation"
        ]
    );
    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.body["state"], "draft");
    assert!(read.body["application_number"].is_null());
}

#[tokio::test]
async fn submission_assigns_an_application_number_once() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let first = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    let number = first.body["application_number"].as_str().expect("assigned").to_owned();
    assert!(number.len() == 11 && number.as_bytes()[4] == b'-', "{number}");

    app.post(
        &format!("/review/applications/{id}/request-supplement"),
        Some(&reviewer),
        json!({"reason": "补充数据来源证明"}),
    )
    .await
    .assert_status(200);
    let again = app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), json!({"commitment": true})).await;
    assert_eq!(again.assert_status(200)["application_number"], number.as_str(), "kept on resubmission");

    let other = app.submitted_application(&tenant.token).await;
    let other = app.get(&format!("/applications/{other}"), Some(&tenant.token)).await;
    assert_ne!(other.body["application_number"], number.as_str());
}
