//! Refusal grounds: a rejection and an upheld objection name one or more
//! grounds from the measures' list, and the decision, the history and the
//! applicant's view show them.

use dataip::domain::{RefusalGround, StaffRole};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const GROUNDS: [&str; 7] =
    ["public_interest", "personal_information", "unlawful_source", "ownership_disputed", "fraud", "duplicate", "other"];

/// The application's last history entry, as its organization reads it.
async fn last_event(app: &TestApp, token: &str, id: &str) -> Value {
    let events = app.get(&format!("/applications/{id}/events"), Some(token)).await;
    events.assert_status(200).as_array().and_then(|events| events.last()).cloned().expect("an event")
}

#[test]
fn the_list_is_the_measures_list() {
    let names: Vec<&str> = RefusalGround::ALL.iter().map(|ground| ground.as_str()).collect();
    assert_eq!(names, GROUNDS);
}

#[tokio::test]
async fn every_ground_is_accepted_on_a_rejection_and_shown_everywhere() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let mut cases: Vec<Vec<&str>> = GROUNDS.iter().map(|ground| vec![*ground]).collect();
    cases.push(vec!["duplicate", "fraud", "other"]);
    for grounds in cases {
        let id = app.claimed_application(&tenant.token, &reviewer).await;
        let body = json!({"reason": "经审查不予登记", "refusal_grounds": grounds});
        let rejected = app.post(&format!("/review/applications/{id}/reject"), Some(&reviewer), body).await;
        let rejected = rejected.assert_status(200);
        assert_eq!(rejected["state"], "rejected");
        assert_eq!(rejected["refusal_grounds"], json!(grounds), "the decision");

        let mine = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
        assert_eq!(mine.body["decision_reason"], "经审查不予登记");
        assert_eq!(mine.body["refusal_grounds"], json!(grounds), "the applicant's view");
        let event = last_event(&app, &tenant.token, &id).await;
        assert_eq!(event["action"], "reject");
        assert_eq!(event["refusal_grounds"], json!(grounds), "the history");
        let review = app.get(&format!("/review/applications/{id}"), Some(&reviewer)).await;
        assert_eq!(review.body["refusal_grounds"], json!(grounds), "the reviewers' view");
    }
    // Entries that name no grounds leave the field out.
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    assert!(last_event(&app, &tenant.token, &id).await.get("refusal_grounds").is_none());
    assert_eq!(app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.body["refusal_grounds"], json!([]));
}

#[tokio::test]
async fn a_rejection_without_valid_grounds_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let path = format!("/review/applications/{id}/reject");
    let before = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await.body;

    for (grounds, says) in [
        (None, "is required"),
        (Some(json!([])), "at least one"),
        (Some(json!(["treason"])), "[0]: unknown variant `treason`"),
        (Some(json!(["fraud", "Fraud"])), "[1]: unknown variant `Fraud`"),
        (Some(json!(["fraud", "other", "fraud"])), "fraud is named twice"),
        (Some(json!("fraud")), "expected a sequence"),
        (Some(json!([1])), "invalid type"),
        (Some(Value::Null), "invalid type"),
    ] {
        let mut body = json!({"reason": "不予登记"});
        if let Some(grounds) = grounds.clone() {
            body["refusal_grounds"] = grounds;
        }
        let answer = app.post(&path, Some(&reviewer), body).await;
        answer.assert_problem(422, "validation_failed");
        let fields = answer.error_fields();
        assert!(fields.len() == 1 && fields[0].starts_with("refusal_grounds"), "{grounds:?}: {}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{grounds:?}: {message}");
    }
    // Both fields wrong: both named.
    let both = app.post(&path, Some(&reviewer), json!({"reason": "", "refusal_grounds": []})).await;
    let mut fields = both.error_fields();
    fields.sort();
    assert_eq!(fields, ["reason", "refusal_grounds"]);

    let after = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await.body;
    assert_eq!(before, after, "nothing changed");
    let application = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(application.body["state"], "under_review");
}

#[tokio::test]
async fn upholding_names_grounds_and_dismissing_names_none() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&id).await;
    let path = format!("/review/objections/{objection}/decide");

    for (body, says) in [
        (json!({"decision": "upheld", "reason": "侵权属实"}), "at least one"),
        (json!({"decision": "upheld", "reason": "侵权属实", "refusal_grounds": []}), "at least one"),
        (json!({"decision": "upheld", "reason": "侵权属实", "refusal_grounds": ["theft"]}), "unknown variant"),
        (json!({"decision": "upheld", "reason": "侵权属实", "refusal_grounds": ["fraud", "fraud"]}), "twice"),
        (json!({"decision": "dismissed", "reason": "无依据", "refusal_grounds": ["fraud"]}), "only an upheld"),
    ] {
        let answer = app.post(&path, Some(&reviewer), body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["refusal_grounds"], "{body}");
        let message = answer.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    assert_eq!(app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.body["state"], "in_announcement");

    let grounds = json!(["unlawful_source", "ownership_disputed"]);
    let body = json!({"decision": "upheld", "reason": "运单数据未经授权", "refusal_grounds": grounds});
    let decided = app.post(&path, Some(&reviewer), body).await;
    let decided = decided.assert_status(200);
    assert_eq!(decided["refusal_grounds"], grounds, "the decision");
    assert_eq!(decided["application_state"], "rejected");

    let application = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(application.body["refusal_grounds"], grounds, "the applicant's view");
    assert_eq!(application.body["decision_reason"], "运单数据未经授权");
    let event = last_event(&app, &tenant.token, &id).await;
    assert_eq!(event["action"], "uphold_objection");
    assert_eq!(event["refusal_grounds"], grounds, "the history");
    let holder = app.get(&format!("/applications/{id}/objections"), Some(&tenant.token)).await;
    assert_eq!(holder.body[0]["refusal_grounds"], grounds, "the holder's list");
    let tracked = app.get(&format!("/public/objections/{objection}?token={token}"), None).await;
    assert_eq!(tracked.body["refusal_grounds"], grounds, "the objector's tracking view");
    let queue = app.get("/review/objections?state=upheld", Some(&reviewer)).await;
    assert_eq!(queue.body["items"][0]["refusal_grounds"], grounds);

    // A dismissal names none.
    let other = app.announced_application(&tenant.token, &reviewer).await;
    let (dismissed, token) = app.object(&other).await;
    let body = json!({"decision": "dismissed", "reason": "无依据"});
    let decided = app.post(&format!("/review/objections/{dismissed}/decide"), Some(&reviewer), body).await;
    assert_eq!(decided.assert_status(200)["refusal_grounds"], json!([]));
    let tracked = app.get(&format!("/public/objections/{dismissed}?token={token}"), None).await;
    assert_eq!(tracked.body["refusal_grounds"], json!([]));
    assert!(last_event(&app, &tenant.token, &other).await.get("refusal_grounds").is_none());
}
