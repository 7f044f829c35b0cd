//! One tenancy rule for every party (issue 28): whatever belongs to one
//! party (organization or natural person) is not found (404) by another,
//! person or organization, on every applicant-side address that names it.
//! The table below must cover every such address the contract lists.

use std::collections::BTreeSet;

use dataip::domain::StaffRole;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, spawn_app_with};

/// What one party owns, by id.
struct Owned {
    application: String,
    objected: String,
    objection: String,
    certificate: String,
    act: String,
    webhook: String,
    member: String,
    api_key: String,
}

async fn owned_by(app: &TestApp, owner: &Tenant) -> Owned {
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&owner.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let token = app.login(&owner.email, crate::helpers::PASSWORD).await;
    let certificate =
        app.get("/certificates", Some(&token)).await.body["items"][0]["id"].as_str().expect("a certificate").to_owned();
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let objected = app.announced_application(&token, &reviewer).await;
    let (objection, _) = app.object(&objected).await;
    let application = app.create_application(&token).await;
    let act = app.post(&format!("/certificates/{certificate}/acts"), Some(&token), license()).await;
    let act = act.assert_status(201)["id"].as_str().expect("an act").to_owned();
    let hook = json!({"url": "https://hooks.example/dataip", "events": ["application.*"]});
    let webhook = app.post("/organization/webhooks", Some(&token), hook).await;
    let webhook = webhook.assert_status(201)["id"].as_str().expect("a webhook").to_owned();
    let email = format!("member-{}@example.com", Uuid::now_v7().simple());
    let body = json!({"email": email, "password": crate::helpers::PASSWORD, "display_name": "李娜", "role": "member"});
    let member = app.post("/organization/members", Some(&token), body).await;
    let member = member.assert_status(201)["id"].as_str().expect("a member").to_owned();
    let key = app.post("/organization/api-keys", Some(&token), json!({"name": "ERP"})).await;
    let api_key = key.assert_status(201)["id"].as_str().expect("a key").to_owned();
    Owned { application, objected, objection, certificate, act, webhook, member, api_key }
}

fn license() -> Value {
    json!({"kind": "license", "licensee": {"name": "杭州智算有限公司", "credit_code": crate::helpers::fresh_credit_code()},
        "exclusive": false, "scope": "模型训练", "starts_on": "2027-01-01", "ends_on": "2027-12-31"})
}

/// Every applicant-side address naming something a party owns: its
/// template, and the request made to it with the owner's ids.
fn requests(o: &Owned) -> Vec<(&'static str, Method, String, Option<Value>)> {
    let unknown = Uuid::now_v7();
    let (a, x, c, w) = (&o.application, &o.objected, &o.certificate, &o.webhook);
    let (objection, act) = (&o.objection, &o.act);
    vec![
        ("/applications/{id}", Method::GET, format!("/applications/{a}"), None),
        ("/applications/{id}", Method::PATCH, format!("/applications/{a}"), Some(json!({"product_name": "改名"}))),
        ("/applications/{id}/events", Method::GET, format!("/applications/{a}/events"), None),
        ("/applications/{id}/materials/{kind}", Method::GET, format!("/applications/{a}/materials/summary"), None),
        ("/applications/{id}/materials/{kind}", Method::DELETE, format!("/applications/{a}/materials/summary"), None),
        ("/applications/{id}/materials/{kind}", Method::PUT, format!("/applications/{a}/materials/summary"), None),
        (
            "/applications/{id}/submit",
            Method::POST,
            format!("/applications/{a}/submit"),
            Some(json!({"commitment": true})),
        ),
        ("/applications/{id}/withdraw", Method::POST, format!("/applications/{a}/withdraw"), Some(json!({}))),
        ("/applications/{id}/objections", Method::GET, format!("/applications/{x}/objections"), None),
        (
            "/applications/{id}/objections/{objection_id}/evidence",
            Method::GET,
            format!("/applications/{x}/objections/{objection}/evidence"),
            None,
        ),
        (
            "/applications/{id}/objections/{objection_id}/evidence/{evidence_id}",
            Method::GET,
            format!("/applications/{x}/objections/{objection}/evidence/{unknown}"),
            None,
        ),
        (
            "/applications/{id}/objections/{objection_id}/response",
            Method::POST,
            format!("/applications/{x}/objections/{objection}/response"),
            Some(json!({"text": "运单数据由我方合法采集"})),
        ),
        ("/certificates/{id}", Method::GET, format!("/certificates/{c}"), None),
        ("/certificates/{id}/acts", Method::GET, format!("/certificates/{c}/acts"), None),
        ("/certificates/{id}/acts", Method::POST, format!("/certificates/{c}/acts"), Some(license())),
        (
            "/certificates/{id}/acts/{act_id}/openings",
            Method::GET,
            format!("/certificates/{c}/acts/{act}/openings"),
            None,
        ),
        ("/certificates/{id}/openings", Method::GET, format!("/certificates/{c}/openings"), None),
        (
            "/certificates/{id}/acts/{act_id}/document",
            Method::GET,
            format!("/certificates/{c}/acts/{act}/document"),
            None,
        ),
        (
            "/certificates/{id}/acts/{act_id}/document",
            Method::PUT,
            format!("/certificates/{c}/acts/{act}/document"),
            None,
        ),
        // An act answers only to the party whose word it awaits.
        ("/confirmations/{act_id}/confirm", Method::POST, format!("/confirmations/{act}/confirm"), None),
        ("/confirmations/{act_id}/decline", Method::POST, format!("/confirmations/{act}/decline"), None),
        ("/certificates/{id}/pdf", Method::GET, format!("/certificates/{c}/pdf"), None),
        ("/organization/webhooks/{id}", Method::DELETE, format!("/organization/webhooks/{w}"), None),
        ("/organization/webhooks/{id}/deliveries", Method::GET, format!("/organization/webhooks/{w}/deliveries"), None),
        (
            "/organization/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            Method::POST,
            format!("/organization/webhooks/{w}/deliveries/{unknown}/redeliver"),
            Some(json!({})),
        ),
        (
            "/organization/webhooks/{id}/enable",
            Method::POST,
            format!("/organization/webhooks/{w}/enable"),
            Some(json!({})),
        ),
        ("/organization/webhooks/{id}/ping", Method::POST, format!("/organization/webhooks/{w}/ping"), Some(json!({}))),
        (
            "/organization/webhooks/{id}/rotate-secret",
            Method::POST,
            format!("/organization/webhooks/{w}/rotate-secret"),
            Some(json!({})),
        ),
        ("/organization/members/{id}", Method::DELETE, format!("/organization/members/{}", o.member), None),
        ("/organization/api-keys/{id}", Method::DELETE, format!("/organization/api-keys/{}", o.api_key), None),
        // A watch is its user's: another party's user never finds it.
        ("/watches/{id}", Method::DELETE, format!("/watches/{unknown}"), None),
    ]
}

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> crate::helpers::Answer {
    if method == Method::PUT && path.starts_with("/certificates/") {
        let request = app.client.put(app.url(path)).bearer_auth(token).header("content-type", "application/pdf");
        return crate::helpers::answer(request.body("%PDF-1.7 x").send().await.expect("sent")).await;
    }
    if method == Method::PUT {
        let application = path.split('/').nth(2).unwrap_or_default();
        return app.upload(token, application, "summary", "text/plain", "x").await;
    }
    app.call(method, path, Some(token), body).await
}

/// The applicant-side addresses with a path parameter, as the contract
/// lists them.
async fn listed(app: &TestApp) -> BTreeSet<(String, String)> {
    let document = app.get("/openapi.json", None).await.body;
    let mut listed = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        let Some(path) = path.strip_prefix("/api/v1") else { continue };
        let staff_or_public = ["/admin", "/review", "/public", "/ops"].iter().any(|p| path.starts_with(p));
        if !path.contains('{') || staff_or_public {
            continue;
        }
        for method in operations.as_object().expect("operations").keys() {
            listed.insert((path.to_owned(), method.to_ascii_uppercase()));
        }
    }
    listed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_party_person_or_organization_finds_nothing_of_a_party() {
    let app = spawn_app_with(crate::certificates::acts::setup).await;
    let organization = app.signup().await;
    let person = app.signup_person().await;
    let owned = [(owned_by(&app, &organization).await, &organization), (owned_by(&app, &person).await, &person)];
    let intruders = [app.signup().await, app.signup_person().await];

    let covered: BTreeSet<(String, String)> = requests(&owned[0].0)
        .into_iter()
        .map(|(template, method, _, _)| (template.to_owned(), method.as_str().to_owned()))
        .collect();
    assert_eq!(covered, listed(&app).await, "every applicant-side address naming something owned is tried");

    for (owned, owner) in &owned {
        for intruder in intruders.iter().filter(|intruder| intruder.org_id != owner.org_id) {
            for (template, method, path, body) in requests(owned) {
                let answer = send(&app, method.clone(), &path, &intruder.token, body).await;
                assert_eq!(answer.status, 404, "{method} {template} by another party: {}", answer.body);
                assert_eq!(answer.body["code"], "not_found", "{method} {template}");
            }
        }
    }
    // Nothing changed: the owners still have all of it.
    for (owned, owner) in &owned {
        let token = app.login(&owner.email, crate::helpers::PASSWORD).await;
        let application = app.get(&format!("/applications/{}", owned.application), Some(&token)).await;
        assert_ne!(application.assert_status(200)["product_name"], "改名");
        let acts = app.get(&format!("/certificates/{}/acts", owned.certificate), Some(&token)).await;
        assert_eq!(acts.assert_status(200).as_array().map(Vec::len), Some(1));
        let hooks = app.get("/organization/webhooks", Some(&token)).await;
        assert_eq!(hooks.assert_status(200).as_array().map(Vec::len), Some(1));
    }
}
