use std::time::Duration;

use chrono::{DateTime, Utc};
use dataip::domain::{ExactDuration, IsoDuration, RegistrationNumber, StaffRole};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| s.parse().ok()).expect("a timestamp")
}

#[tokio::test]
async fn the_whole_procedure_up_to_the_announcement() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let token = Some(tenant.token.as_str());

    // Prepare and submit.
    let id = app.create_application(&tenant.token).await;
    app.upload_required(&tenant.token, &id).await;
    let submitted = app.post(&format!("/applications/{id}/submit"), token, json!({"commitment": true})).await;
    assert_eq!(submitted.assert_status(200)["state"], "submitted");

    // The reviewer finds it in the queue and claims it.
    let queue = app.get("/review/applications", Some(&reviewer)).await;
    assert_eq!(queue.assert_status(200)["items"][0]["id"], id.as_str());
    let claimed = app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await;
    assert_eq!(claimed.assert_status(200)["state"], "under_review");

    // A supplement is requested, with a deadline.
    let asked = app
        .post(
            &format!("/review/applications/{id}/request-supplement"),
            Some(&reviewer),
            json!({"reason": "请补充数据来源的授权证明", "due_in_days": 10}),
        )
        .await;
    let asked = asked.assert_status(200).clone();
    assert_eq!(asked["state"], "supplement_requested");
    assert_eq!(asked["supplement"]["reason"], "请补充数据来源的授权证明");
    let due = at(&asked["supplement"]["due_at"]) - at(&asked["updated_at"]);
    assert_eq!(due, chrono::Duration::days(10));

    // The applicant answers: a new material and a changed field, then resubmits.
    app.upload(&tenant.token, &id, "data_source_proof", "application/pdf", "%PDF-1.7 proof").await.assert_status(200);
    app.patch(&format!("/applications/{id}"), token, json!({"data_scale": "1.3 亿条"})).await.assert_status(200);
    let resubmitted = app.post(&format!("/applications/{id}/submit"), token, json!({"commitment": true})).await;
    let resubmitted = resubmitted.assert_status(200).clone();
    assert_eq!(resubmitted["state"], "submitted");
    assert!(resubmitted["supplement"].is_null());

    // The same reviewer takes it back and approves it.
    app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let approved =
        app.post(&format!("/review/applications/{id}/approve"), Some(&reviewer), json!({"comment": "材料齐全"})).await;
    let approved = approved.assert_status(200).clone();
    assert_eq!(approved["state"], "in_announcement");
    let number = approved["registration_number"].as_str().expect("assigned");
    let parsed = RegistrationNumber::parse(number).expect("a valid registration number");
    assert!(parsed.as_str().starts_with("3100"), "{number}");
    let starts = at(&approved["announcement"]["starts_at"]);
    let ends = at(&approved["announcement"]["ends_at"]);
    assert_eq!(ends - starts, chrono::Duration::days(15));

    // The history has every step, with its actor.
    let events = app.get(&format!("/applications/{id}/events"), token).await;
    let actions: Vec<&str> =
        events.body.as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "upload_material",
            "upload_material",
            "upload_material",
            "upload_material",
            "submit",
            "claim",
            "request_supplement",
            "upload_material",
            "update",
            "submit",
            "claim",
            "approve"
        ]
    );
    let approve = &events.body[12];
    assert_eq!(approve["actor"]["kind"], "reviewer");
    assert_eq!(
        (approve["from_state"].as_str(), approve["to_state"].as_str()),
        (Some("under_review"), Some("in_announcement"))
    );
    assert_eq!(approve["note"], "材料齐全");

    // The reviewer's view carries the organization, materials and history.
    let detail = app.get(&format!("/review/applications/{id}"), Some(&reviewer)).await;
    let detail = detail.assert_status(200);
    assert_eq!(detail["organization"]["id"], tenant.org_id.as_str());
    assert_eq!(detail["materials"].as_array().map(Vec::len), Some(5));
    assert_eq!(detail["events"].as_array().map(Vec::len), Some(13));
}

#[tokio::test]
async fn rejection_needs_a_reason_and_is_final() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let reject = format!("/review/applications/{id}/reject");

    app.post(&reject, Some(&reviewer), json!({})).await.assert_problem(422, "validation_failed");
    let grounds = json!(["unlawful_source"]);
    app.post(&reject, Some(&reviewer), json!({"reason": "  ", "refusal_grounds": grounds}))
        .await
        .assert_problem(422, "validation_failed");
    let rejected = app
        .post(&reject, Some(&reviewer), json!({"reason": "数据来源不合法", "refusal_grounds": ["unlawful_source"]}))
        .await;
    let rejected = rejected.assert_status(200);
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["decision_reason"], "数据来源不合法");
    assert_eq!(rejected["refusal_grounds"], json!(["unlawful_source"]));

    app.post(&format!("/review/applications/{id}/approve"), Some(&reviewer), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&format!("/applications/{id}/withdraw"), Some(&tenant.token), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
}

#[tokio::test]
async fn every_invalid_transition_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let draft = app.create_application(&tenant.token).await;
    let submitted = app.submitted_application(&tenant.token).await;
    let under_review = app.claimed_application(&tenant.token, &reviewer).await;
    let announced = app.claimed_application(&tenant.token, &reviewer).await;
    app.post(&format!("/review/applications/{announced}/approve"), Some(&reviewer), json!({})).await.assert_status(200);
    let supplement = app.claimed_application(&tenant.token, &reviewer).await;
    app.post(
        &format!("/review/applications/{supplement}/request-supplement"),
        Some(&reviewer),
        json!({"reason": "补充"}),
    )
    .await
    .assert_status(200);

    let applicant = Some(tenant.token.as_str());
    let staff = Some(reviewer.as_str());
    let submit = json!({"commitment": true});
    let reason = json!({"reason": "理由"});
    let refusal = json!({"reason": "理由", "refusal_grounds": ["fraud"]});
    let refused: Vec<(&str, String, Option<&str>, Value)> = vec![
        (&submitted, "submit".into(), applicant, submit.clone()),
        (&under_review, "submit".into(), applicant, submit.clone()),
        (&announced, "submit".into(), applicant, submit.clone()),
        (&under_review, "claim".into(), staff, json!({})),
        (&supplement, "claim".into(), staff, json!({})),
        (&announced, "claim".into(), staff, json!({})),
        (&submitted, "approve".into(), staff, json!({})),
        (&supplement, "approve".into(), staff, json!({})),
        (&announced, "approve".into(), staff, json!({})),
        (&submitted, "reject".into(), staff, refusal.clone()),
        (&supplement, "reject".into(), staff, refusal.clone()),
        (&announced, "reject".into(), staff, refusal.clone()),
        (&submitted, "request-supplement".into(), staff, reason.clone()),
        (&announced, "request-supplement".into(), staff, reason.clone()),
    ];
    for (id, action, token, body) in refused {
        let path = if token == applicant {
            format!("/applications/{id}/{action}")
        } else {
            format!("/review/applications/{id}/{action}")
        };
        let before = app.get(&format!("/applications/{id}"), applicant).await.body;
        app.post(&path, token, body).await.assert_problem(409, "invalid_transition");
        let after = app.get(&format!("/applications/{id}"), applicant).await.body;
        assert_eq!(before, after, "{action} on {} changed it", before["state"]);
    }
    // Staff never see drafts.
    app.post(&format!("/review/applications/{draft}/claim"), staff, json!({})).await.assert_problem(404, "not_found");
    app.get(&format!("/review/applications/{draft}"), staff).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn review_is_for_staff_only() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.submitted_application(&tenant.token).await;
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "k"})).await;
    let key = key.body["key"].as_str().expect("key").to_owned();

    for token in [Some(tenant.token.as_str()), Some(key.as_str())] {
        app.get("/review/applications", token).await.assert_problem(403, "forbidden");
        app.get(&format!("/review/applications/{id}"), token).await.assert_problem(403, "forbidden");
        app.post(&format!("/review/applications/{id}/claim"), token, json!({})).await.assert_problem(403, "forbidden");
        app.post(&format!("/review/applications/{id}/approve"), token, json!({}))
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/review/applications", None).await.assert_problem(401, "unauthorized");
    app.post(&format!("/review/applications/{id}/claim"), None, json!({})).await.assert_problem(401, "unauthorized");
    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.body["state"], "submitted");
}

#[tokio::test]
async fn only_the_claiming_reviewer_or_an_admin_decides() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let first = app.staff(StaffRole::Reviewer).await;
    let second = app.staff(StaffRole::Reviewer).await;
    let admin = app.staff(StaffRole::Admin).await;
    let id = app.claimed_application(&tenant.token, &first).await;

    app.post(&format!("/review/applications/{id}/approve"), Some(&second), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let refusal = json!({"reason": "no", "refusal_grounds": ["other"]});
    app.post(&format!("/review/applications/{id}/reject"), Some(&second), refusal)
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!("/review/applications/{id}/request-supplement"), Some(&first), json!({"reason": "补充"}))
        .await
        .assert_status(200);
    app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_status(200);

    // Resubmitted, it stays with the reviewer who claimed it.
    app.post(&format!("/review/applications/{id}/claim"), Some(&second), json!({}))
        .await
        .assert_problem(409, "conflict");
    // An admin may take it over and decide.
    app.post(&format!("/review/applications/{id}/claim"), Some(&admin), json!({})).await.assert_status(200);
    let approved = app.post(&format!("/review/applications/{id}/approve"), Some(&admin), json!({})).await;
    assert_eq!(approved.assert_status(200)["state"], "in_announcement");
}

#[tokio::test]
async fn decisions_validate_their_input() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let path = format!("/review/applications/{id}/request-supplement");
    for body in
        [json!({"reason": "x", "due_in_days": 0}), json!({"reason": "x", "due_in_days": 366}), json!({"reason": ""})]
    {
        app.post(&path, Some(&reviewer), body).await.assert_problem(422, "validation_failed");
    }
    app.post(&path, Some(&reviewer), json!({"reason": "x", "due_in_days": -1}))
        .await
        .assert_problem(422, "validation_failed");
    app.post_raw(&format!("/api/v1/review/applications/{id}/reject"), Some(&reviewer), "application/json", "{")
        .await
        .assert_problem(400, "validation_failed");
    app.post("/review/applications/00000000-0000-0000-0000-000000000000/claim", Some(&reviewer), json!({}))
        .await
        .assert_problem(404, "not_found");
    app.get("/review/applications?state=draft", Some(&reviewer)).await.assert_problem(422, "validation_failed");
    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.body["state"], "under_review");
}

#[tokio::test]
async fn the_queue_is_oldest_first_across_organizations() {
    let app = spawn_app().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let a = app.signup().await;
    let b = app.signup().await;
    let first = app.submitted_application(&a.token).await;
    let second = app.submitted_application(&b.token).await;
    let third = app.submitted_application(&a.token).await;

    let page = app.get("/review/applications?limit=2", Some(&reviewer)).await;
    let page = page.assert_status(200).clone();
    let ids: Vec<&str> = page["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    let cursor = page["next_cursor"].as_str().expect("more");
    let rest = app.get(&format!("/review/applications?limit=2&cursor={cursor}"), Some(&reviewer)).await;
    assert_eq!(rest.body["items"][0]["id"], third.as_str());
    assert!(rest.body["next_cursor"].is_null());

    app.post(&format!("/review/applications/{second}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let under_review = app.get("/review/applications?state=under_review", Some(&reviewer)).await;
    assert_eq!(under_review.body["items"][0]["id"], second.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_racing_to_claim_one_wins() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let first = app.staff(StaffRole::Reviewer).await;
    let second = app.staff(StaffRole::Reviewer).await;
    for _ in 0..5 {
        let id = app.submitted_application(&tenant.token).await;
        let path = format!("/review/applications/{id}/claim");
        let (a, b) = tokio::join!(app.post(&path, Some(&first), json!({})), app.post(&path, Some(&second), json!({})));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
        let loser = if a.status == 409 { a } else { b };
        assert!(matches!(loser.body["code"].as_str(), Some("invalid_transition" | "conflict")), "{}", loser.body);
        let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
        let claims = events.body.as_array().expect("events").iter().filter(|e| e["action"] == "claim").count();
        assert_eq!(claims, 1);
    }
}

#[tokio::test]
async fn a_lapsed_supplement_request_withdraws_the_application() {
    let app = spawn_app_with(|config| {
        config.workflow.supplement_period = IsoDuration::seconds(2);
        config.worker.interval = ExactDuration::seconds(1);
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let answered = app.claimed_application(&tenant.token, &reviewer).await;
    for id in [&id, &answered] {
        app.post(&format!("/review/applications/{id}/request-supplement"), Some(&reviewer), json!({"reason": "补充"}))
            .await
            .assert_status(200);
    }
    app.post(&format!("/applications/{answered}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_status(200);

    // The worker running inside the application withdraws it by itself.
    let mut state = Value::Null;
    for _ in 0..50 {
        state = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.body["state"].clone();
        if state == "withdrawn" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(state, "withdrawn");
    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    let last = events.body.as_array().and_then(|e| e.last()).cloned().expect("events");
    assert_eq!(last["action"], "lapse_supplement");
    assert_eq!(last["actor"]["kind"], "system");
    assert_eq!(last["from_state"], "supplement_requested");
    assert!(last["note"].as_str().is_some_and(|n| n.contains("deemed withdrawn")));

    let answered = app.get(&format!("/applications/{answered}"), Some(&tenant.token)).await;
    assert_eq!(answered.body["state"], "submitted", "an answered request does not lapse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_lapse_each_application_once() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let id = app.claimed_application(&tenant.token, &reviewer).await;
        app.post(
            &format!("/review/applications/{id}/request-supplement"),
            Some(&reviewer),
            json!({"reason": "补充", "due_in_days": 1}),
        )
        .await
        .assert_status(200);
        ids.push(id);
    }
    app.clock.advance(chrono::Duration::days(2));
    let workers = (0..3).map(|_| dataip::jobs::Worker::new(app.state.clone()));
    futures_util::future::join_all(workers.map(|worker| async move { worker.step().await })).await;
    let token = app.login(&tenant.email, PASSWORD).await;
    for id in ids {
        let events = app.get(&format!("/applications/{id}/events"), Some(&token)).await;
        let lapses =
            events.body.as_array().expect("events").iter().filter(|e| e["action"] == "lapse_supplement").count();
        assert_eq!(lapses, 1, "{id}");
    }
}
