//! Validity bounded by the data's authorization: a data-source agreement's
//! end caps the certificate, refuses the approval once passed, rejects the
//! application if it passes before issuance, and caps renewals; a change
//! act records an extended agreement.

use chrono::{DateTime, Days, NaiveDate, Utc};
use dataip::domain::StaffRole;
use serde_json::{Value, json};
use tlog::signing;

use crate::helpers::{Answer, PASSWORD, Tenant, TestApp, application_body, spawn_app_with};

fn setup(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
    config.worker.interval = "PT1H".parse().expect("duration");
}

/// The registry's date (Shanghai) `days` from now on the test's clock.
fn day_in(app: &TestApp, days: u64) -> NaiveDate {
    let today = app.state.clock.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    today.checked_add_days(Days::new(days)).expect("in range")
}

/// Midnight at the end of `day` in Shanghai.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).expect("in range");
    format!("{next}T00:00:00+08:00").parse().expect("a time")
}

fn with_agreement(ends_on: NaiveDate) -> Value {
    let mut body = application_body();
    body["data_sources"] = json!([
        {"kind": "self_collected", "description": "自有物流系统运单数据"},
        {"kind": "licensed", "description": "某物流平台运单数据授权", "agreement_ends_on": ends_on.to_string()},
    ]);
    body
}

/// An application with this body, submitted and claimed by `reviewer`.
async fn claimed(app: &TestApp, tenant: &Tenant, reviewer: &str, body: Value) -> String {
    let id = app.post("/applications", Some(&tenant.token), body).await.assert_status(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.upload_required(&tenant.token, &id).await;
    let submit = json!({"commitment": true});
    app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), submit).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/claim"), Some(reviewer), json!({})).await.assert_status(200);
    id
}

async fn approve(app: &TestApp, reviewer: &str, id: &str) -> Answer {
    app.post(&format!("/review/applications/{id}/approve"), Some(reviewer), json!({})).await
}

/// The certificate of application `id`, as its holder sees it.
async fn certificate_of(app: &TestApp, token: &str, id: &str) -> Value {
    let list = app.get("/certificates", Some(token)).await;
    list.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["application_id"] == id))
        .cloned()
        .expect("a certificate")
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| s.parse().ok()).expect("a timestamp")
}

#[tokio::test]
async fn validity_ends_with_the_earliest_agreement_and_the_record_says_so() {
    let app = spawn_app_with(setup).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let ends_on = day_in(&app, 200);
    let id = claimed(&app, &tenant, &reviewer, with_agreement(ends_on)).await;
    approve(&app, &reviewer, &id).await.assert_status(200);
    app.close_windows(chrono::Duration::seconds(3)).await;
    let certificate = certificate_of(&app, &tenant.token, &id).await;

    let bound = json!({"kind": "data_source_agreement", "agreement_ends_on": ends_on.to_string()});
    let document = &certificate["document"];
    assert_eq!(time(&certificate["valid_until"]), end_of(ends_on), "through the agreement's last day");
    assert_eq!(document["valid_until"], certificate["valid_until"]);
    assert_eq!(document["validity_bounded_by"], bound);
    assert_eq!(certificate["validity_bounded_by"], bound);
    // Signed with the bound, and recorded so on the ledger.
    let signature: signing::Signature = serde_json::from_value(certificate["signature"].clone()).expect("signature");
    let bytes = signing::canonical_json(document).expect("jcs");
    assert!(signing::verify(app.state.signer.public_key(), &bytes, &signature));
    let number = certificate["certificate_number"].as_str().expect("number");
    let public = app.get(&format!("/public/certificates/{number}"), None).await;
    assert_eq!(public.assert_status(200)["validity_bounded_by"], bound);
    assert_eq!(public.body["document"]["validity_bounded_by"], bound);
    let index = certificate["ledger"]["leaf_index"].as_u64().expect("anchored");
    let entry = app.get(&format!("/public/ledger/entries/{index}"), None).await;
    use base64::Engine;
    let leaf = base64::engine::general_purpose::STANDARD.decode(entry.body["entry"].as_str().expect("entry"));
    let leaf: Value = serde_json::from_slice(&leaf.expect("base64")).expect("json");
    assert_eq!(leaf["document"]["validity_bounded_by"], bound);
    let pdf_path = format!("/certificates/{}/pdf", certificate["id"].as_str().expect("id"));
    assert_eq!(app.get(&pdf_path, Some(&tenant.token)).await.status, 200);

    // `dataip verify`'s checks pass offline, as for any other certificate.
    let offline: tlog::verify::Certificate = serde_json::from_value(certificate.clone()).expect("parsed");
    let checks = tlog::verify::verify(&offline, app.state.signer.public_key());
    assert!(checks.iter().all(|check| check.passed) && checks.len() == 4, "{checks:?}");

    // An agreement ending after the full period bounds nothing.
    let later = claimed(&app, &tenant, &reviewer, {
        let mut body = with_agreement(day_in(&app, 3 * 366 + 10));
        body["product_name"] = json!("另一个数据集");
        body
    })
    .await;
    approve(&app, &reviewer, &later).await.assert_status(200);
    app.close_windows(chrono::Duration::seconds(3)).await;
    let unbounded = certificate_of(&app, &tenant.token, &later).await;
    assert!(unbounded["document"].get("validity_bounded_by").is_none(), "{unbounded}");
    assert!(unbounded.get("validity_bounded_by").is_none());
}

#[tokio::test]
async fn approval_is_refused_once_an_agreement_has_ended() {
    let app = spawn_app_with(setup).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let ends_on = day_in(&app, 10);
    let id = claimed(&app, &tenant, &reviewer, with_agreement(ends_on)).await;

    // Through its last day, the agreement is in force.
    app.clock.advance(chrono::Duration::days(11));
    let admin = app.staff(StaffRole::Admin).await;
    assert_eq!(day_in(&app, 0), ends_on.checked_add_days(Days::new(1)).expect("day"));
    let refused = approve(&app, &admin, &id).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.error_fields(), ["data_sources[1].agreement_ends_on"]);
    let detail = refused.body["detail"].as_str().expect("detail");
    assert!(detail.contains("某物流平台运单数据授权") && detail.contains(&ends_on.to_string()), "{detail}");
    let view = app.get(&format!("/review/applications/{id}"), Some(&admin)).await;
    assert_eq!(view.assert_status(200)["state"], "under_review", "nothing changed");
    assert!(view.body["registration_number"].is_null());

    // A supplement with the renewed agreement, and it goes through.
    let supplement = json!({"reason": "数据授权协议已到期，请补充续签协议"});
    let path = format!("/review/applications/{id}/request-supplement");
    app.post(&path, Some(&admin), supplement).await.assert_status(200);
    let token = app.login(&tenant.email, PASSWORD).await;
    let renewed = with_agreement(day_in(&app, 400))["data_sources"].clone();
    app.patch(&format!("/applications/{id}"), Some(&token), json!({"data_sources": renewed})).await.assert_status(200);
    app.post(&format!("/applications/{id}/submit"), Some(&token), json!({"commitment": true})).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/claim"), Some(&admin), json!({})).await.assert_status(200);
    approve(&app, &admin, &id).await.assert_status(200);
}

#[tokio::test]
async fn an_agreement_ending_before_issuance_rejects_the_application() {
    let app = spawn_app_with(setup).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = claimed(&app, &tenant, &reviewer, with_agreement(day_in(&app, 1))).await;
    approve(&app, &reviewer, &id).await.assert_status(200);

    // The worker closes the window two days later: the agreement has ended.
    app.close_windows(chrono::Duration::days(2)).await;
    assert_eq!(app.count("certificates").await, 0, "nothing issued");
    let token = app.login(&tenant.email, PASSWORD).await;
    let application = app.get(&format!("/applications/{id}"), Some(&token)).await;
    let application = application.assert_status(200);
    assert_eq!(application["state"], "rejected");
    let reason = application["decision_reason"].as_str().expect("reason");
    assert!(reason.starts_with("unlawful_source: "), "{reason}");
    assert!(reason.contains("data_sources[1]") && reason.contains("某物流平台运单数据授权"), "{reason}");
    let events = app.get(&format!("/applications/{id}/events"), Some(&token)).await;
    let last = events.body.as_array().and_then(|e| e.last()).cloned().expect("events");
    assert_eq!((last["action"].as_str(), last["actor"]["kind"].as_str()), (Some("lapse_agreement"), Some("system")));
    assert_eq!((last["from_state"].as_str(), last["to_state"].as_str()), (Some("in_announcement"), Some("rejected")));
}

#[tokio::test]
async fn an_agreement_ended_when_the_last_objection_is_dismissed_rejects_too() {
    let app = spawn_app_with(setup).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = claimed(&app, &tenant, &reviewer, with_agreement(day_in(&app, 1))).await;
    approve(&app, &reviewer, &id).await.assert_status(200);
    let (objection, _) = app.object(&id).await;
    app.close_windows(chrono::Duration::days(2)).await;

    let admin = app.staff(StaffRole::Admin).await;
    let decision = json!({"decision": "dismissed", "reason": "异议理由不成立"});
    let decided = app.post(&format!("/review/objections/{objection}/decide"), Some(&admin), decision).await;
    let decided = decided.assert_status(200);
    assert_eq!(
        (decided["state"].as_str(), decided["application_state"].as_str()),
        (Some("dismissed"), Some("rejected"))
    );
    assert_eq!(app.count("certificates").await, 0);
    let view = app.get(&format!("/review/applications/{id}"), Some(&admin)).await;
    assert!(view.body["decision_reason"].as_str().is_some_and(|r| r.starts_with("unlawful_source: ")), "{}", view.body);
}

async fn file(app: &TestApp, token: &str, certificate: &str, act: Value) -> Answer {
    app.post(&format!("/certificates/{certificate}/acts"), Some(token), act).await
}

#[tokio::test]
async fn renewal_is_capped_and_a_change_records_the_extended_agreement() {
    let app = spawn_app_with(setup).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let ends_on = day_in(&app, 120);
    let id = claimed(&app, &tenant, &reviewer, with_agreement(ends_on)).await;
    approve(&app, &reviewer, &id).await.assert_status(200);
    app.close_windows(chrono::Duration::seconds(3)).await;
    let certificate = certificate_of(&app, &tenant.token, &id).await;
    let cid = certificate["id"].as_str().expect("id").to_owned();

    // In the renewal window, a renewal cannot pass the agreement's end.
    app.clock.advance(chrono::Duration::days(100));
    let token = app.login(&tenant.email, PASSWORD).await;
    let admin = app.staff(StaffRole::Admin).await;
    let refused = file(&app, &token, &cid, json!({"kind": "renewal"})).await;
    refused.assert_problem(409, "conflict");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("extended_agreements")), "{}", refused.body);

    // Extensions are checked against the registration's data sources.
    let later = ends_on.checked_add_days(Days::new(400)).expect("day");
    for (extension, field) in [
        (json!({"data_source": 5, "agreement_ends_on": later.to_string()}), "extended_agreements[0].data_source"),
        (json!({"data_source": 0, "agreement_ends_on": later.to_string()}), "extended_agreements[0].data_source"),
        (
            json!({"data_source": 1, "agreement_ends_on": ends_on.to_string()}),
            "extended_agreements[0].agreement_ends_on",
        ),
    ] {
        let answer = file(&app, &token, &cid, json!({"kind": "change", "extended_agreements": [extension]})).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{}", answer.body);
    }
    let change =
        json!({"kind": "change", "extended_agreements": [{"data_source": 1, "agreement_ends_on": later.to_string()}]});
    let act = file(&app, &token, &cid, change).await;
    let act = act.assert_status(201)["id"].as_str().expect("id").to_owned();
    let approved = app.post(&format!("/review/acts/{act}/approve"), Some(&admin), json!({})).await;
    assert_eq!(
        approved.assert_status(200)["details"]["extended_agreements"],
        json!([{"data_source": 1, "agreement_ends_on": later.to_string(), "previous_agreement_ends_on": ends_on.to_string()}])
    );
    let number = certificate["certificate_number"].as_str().expect("number");
    let record = app.get(&format!("/public/certificates/{number}"), None).await;
    assert_eq!(time(&record.body["valid_until"]), end_of(ends_on), "a change does not move the validity");

    // Now the renewal moves it on, up to the extended agreement's end.
    let renewal = file(&app, &token, &cid, json!({"kind": "renewal"})).await;
    let renewal = renewal.assert_status(201)["id"].as_str().expect("id").to_owned();
    let renewed = app.post(&format!("/review/acts/{renewal}/approve"), Some(&admin), json!({})).await;
    let details = renewed.assert_status(200)["details"].clone();
    assert_eq!(time(&details["valid_until"]), end_of(later));
    assert_eq!(details["validity_bounded_by"]["agreement_ends_on"], later.to_string());
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let record = app.get(&format!("/public/certificates/{number}"), None).await;
    assert_eq!(time(&record.body["valid_until"]), end_of(later));
    assert_eq!(record.body["validity_bounded_by"]["agreement_ends_on"], later.to_string());
    // The ledger shows the extension's new bound and the renewal's.
    let acts = app.get(&format!("/certificates/{cid}/acts"), Some(&token)).await;
    let mut entries = Vec::new();
    for act in acts.body.as_array().expect("acts") {
        let index = act["ledger_index"].as_u64().expect("appended");
        let entry = app.get(&format!("/public/ledger/entries/{index}"), None).await;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(entry.body["entry"].as_str().expect("entry"));
        entries.push(serde_json::from_slice::<Value>(&bytes.expect("base64")).expect("json"));
    }
    assert_eq!(entries[0]["type"], "certificate.changed");
    assert_eq!(entries[0]["data_authorization_ends_on"], later.to_string());
    assert_eq!(entries[1]["type"], "certificate.renewed");
    assert_eq!(entries[1]["validity_bounded_by"]["agreement_ends_on"], later.to_string());
}
