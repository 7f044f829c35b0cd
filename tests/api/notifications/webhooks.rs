//! Webhooks against a real HTTP receiver: registered by owners, signed per
//! Standard Webhooks (checked with its reference implementation), retried,
//! redelivered, rotated, marked failing, pinged and redelivered within a
//! budget, and never sent to private addresses unless allowed, with only
//! general reasons shown to their owners.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};
use dataip::domain::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// What the owner of an endpoint that never answered reads.
const UNREACHABLE: &str = "the endpoint could not be reached";

/// An HTTP endpoint that records what it receives and answers 500 while
/// `failures` is above zero.
#[derive(Clone, Default)]
pub struct Receiver {
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    pub failures: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start() -> (Self, String) {
        let receiver = Self::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                post(|State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes| async move {
                    receiver.received.lock().expect("lock").push((headers, body));
                    let failing =
                        receiver.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    if failing.is_ok() {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                }),
            )
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    pub fn received(&self) -> Vec<(HeaderMap, Value)> {
        let received = self.received.lock().expect("lock");
        received.iter().map(|(h, b)| (h.clone(), serde_json::from_slice(b).expect("json"))).collect()
    }

    fn verifies(&self, secret: &str) -> bool {
        let webhook = standardwebhooks::Webhook::new(secret).expect("secret");
        let received = self.received.lock().expect("lock");
        !received.is_empty() && received.iter().all(|(headers, body)| webhook.verify(body, headers).is_ok())
    }
}

fn allow_private(config: &mut dataip::config::Config) {
    config.webhooks.allow_private_addresses = true;
    config.worker.interval = "PT1H".parse().expect("interval");
}

async fn deliver(app: &TestApp) {
    dataip::jobs::Worker::new(app.state.clone()).mail_step().await;
}

pub async fn create(app: &TestApp, token: &str, url: &str, events: Value) -> Value {
    let answer = app.post("/organization/webhooks", Some(token), json!({"url": url, "events": events})).await;
    answer.assert_status(201).clone()
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_redelivered_with_their_id() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn_app_with(allow_private).await;
    let tenant = app.signup().await;
    let hook = create(&app, &tenant.token, &url, json!(["application.*"])).await;
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = app.get("/organization/webhooks", Some(&tenant.token)).await;
    assert!(listed.assert_status(200)[0].get("secret").is_none(), "the secret is shown once");
    let id = hook["id"].as_str().expect("id").to_owned();

    let reviewer = app.staff(StaffRole::Reviewer).await;
    let application = app.claimed_application(&tenant.token, &reviewer).await;
    deliver(&app).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].1["type"], "application.submitted");
    assert_eq!(received[0].1["data"]["product_name"], "长三角物流时效数据集");
    assert!(receiver.verifies(&secret), "signed per Standard Webhooks");

    // A receiver answering 500 twice gets the third attempt.
    receiver.failures.store(2, Ordering::SeqCst);
    let supplement = json!({"reason": "缺少数据样例", "due_in_days": 10});
    let path = format!("/review/applications/{application}/request-supplement");
    app.post(&path, Some(&reviewer), supplement).await.assert_status(200);
    deliver(&app).await;
    let deliveries = app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token)).await;
    let failed = deliveries.assert_status(200)[0].clone();
    assert_eq!(
        (failed["status"].as_str(), failed["last_error"].as_str(), failed["response_status"].as_i64()),
        (Some("pending"), Some("the endpoint answered 500"), Some(500))
    );
    app.clock.advance(chrono::Duration::minutes(2));
    deliver(&app).await;
    app.clock.advance(chrono::Duration::minutes(3));
    deliver(&app).await;
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    let ids: Vec<&str> = received[1..].iter().filter_map(|(h, _)| h["webhook-id"].to_str().ok()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one webhook-id across retries: {ids:?}");
    let deliveries = app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token)).await;
    let latest = deliveries.assert_status(200)[0].clone();
    assert_eq!(
        (latest["type"].as_str(), latest["status"].as_str()),
        (Some("application.supplement_requested"), Some("delivered"))
    );
    assert_eq!((latest["attempts"].as_i64(), latest["response_status"].as_i64()), (Some(3), Some(204)));
    assert!(latest["latency_ms"].is_number());

    // Redelivery keeps the id; a ping is typed as such; a new secret signs,
    // and the old one too while the rotation lasts.
    let delivery = latest["id"].as_str().expect("id");
    let redeliver = format!("/organization/webhooks/{id}/deliveries/{delivery}/redeliver");
    app.post(&redeliver, Some(&tenant.token), json!({})).await.assert_status(202);
    app.post(&format!("/organization/webhooks/{id}/ping"), Some(&tenant.token), json!({})).await.assert_status(202);
    let rotated = app.post(&format!("/organization/webhooks/{id}/rotate-secret"), Some(&tenant.token), json!({})).await;
    let new_secret = rotated.assert_status(200)["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new_secret, secret);
    deliver(&app).await;
    let received = receiver.received();
    assert_eq!(received[4].0["webhook-id"], received[3].0["webhook-id"]);
    assert_eq!(received[5].1["type"], "webhook.ping");
    let last = receiver.received.lock().expect("lock").last().cloned().expect("last");
    for key in [&secret, &new_secret] {
        let webhook = standardwebhooks::Webhook::new(key).expect("secret");
        assert!(webhook.verify(&last.1, &last.0).is_ok(), "both secrets sign during the rotation");
    }
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed_and_their_owners_learn_nothing_of_the_network() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn_app_with(|config| config.worker.interval = "PT1H".parse().expect("interval")).await;
    let tenant = app.signup().await;
    let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook").to_owned();

    // An address in the URL is refused at once, in every form that carries
    // (or is) one that is not public.
    for literal in [
        url.clone(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://2130706433/hook".to_owned(),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://[64:ff9b::7f00:1]:{port}/hook"),
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data".to_owned(),
        format!("http://[::127.0.0.1]:{port}/hook"),
        format!("http://[2002:7f00:1::1]:{port}/hook"),
        "http://[fec0::1]/hook".to_owned(),
        "http://[fd00::1]/hook".to_owned(),
    ] {
        let answer =
            app.post("/organization/webhooks", Some(&tenant.token), json!({"url": literal, "events": ["*"]})).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["url"], "{literal}");
    }
    assert_eq!(app.count("webhooks").await, 0);

    // A name is judged by what it resolves to, at each delivery. One that
    // resolves to loopback and one that does not resolve at all read alike
    // to their owner.
    let by_name = create(&app, &tenant.token, &format!("http://localhost:{port}/hook"), json!(["*"])).await;
    let unknown = create(&app, &tenant.token, "http://no-such-host.invalid/hook", json!(["*"])).await;
    // An address let in while allowed (or stored before the check) is still
    // refused at delivery.
    let mapped = format!("http://[::ffff:127.0.0.1]:{port}/hook");
    let stored = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO webhooks (id, org_id, url, events, secret, created_at) VALUES ($1, $2, $3, '{*}', 'k', now())",
    )
    .bind(stored)
    .bind(tenant.org_id.parse::<uuid::Uuid>().expect("org id"))
    .bind(&mapped)
    .execute(&app.state.db)
    .await
    .expect("stored");

    app.submitted_application(&tenant.token).await;
    deliver(&app).await;
    assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
    for id in [
        by_name["id"].as_str().expect("id").to_owned(),
        unknown["id"].as_str().expect("id").to_owned(),
        stored.to_string(),
    ] {
        let deliveries = app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token)).await;
        let latest = &deliveries.assert_status(200)[0];
        assert_eq!(latest["attempts"], 1, "{latest}");
        assert_eq!(latest["last_error"], UNREACHABLE, "{latest}");
        assert!(latest["response_status"].is_null() && latest["latency_ms"].is_null(), "{latest}");
    }
}

#[tokio::test]
async fn pings_and_redeliveries_are_limited_per_organization_and_asked_for_by_owners_only() {
    let app = spawn_app_with(|config| {
        allow_private(config);
        config.throttle.webhook_pings_per_organization = 2;
        config.throttle.webhook_redeliveries_per_organization = 1;
    })
    .await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let member = app.add_member(&tenant, "member").await;
    let hook = create(&app, &tenant.token, "https://exchange.example/hook", json!(["objection.*"])).await;
    let id = hook["id"].as_str().expect("id").to_owned();
    let ping = format!("/organization/webhooks/{id}/ping");

    // Refusals cost nothing.
    app.post(&ping, None, json!({})).await.assert_problem(401, "unauthorized");
    app.post(&ping, Some(&member), json!({})).await.assert_problem(403, "forbidden");
    app.post(&ping, Some(&other.token), json!({})).await.assert_problem(404, "not_found");
    app.post("/organization/webhooks/not-a-uuid/ping", Some(&tenant.token), json!({}))
        .await
        .assert_problem(400, "validation_failed");
    let first = app.post(&ping, Some(&tenant.token), json!({})).await;
    let delivery = first.assert_status(202)["id"].as_str().expect("id").to_owned();
    app.post(&ping, Some(&tenant.token), json!({})).await.assert_status(202);
    let refused = app.post(&ping, Some(&tenant.token), json!({})).await;
    refused.assert_problem(429, "rate_limited");
    let retry_after: u64 = refused.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(app.count("outbox").await, 2, "the refused ping queued nothing");
    // Each organization has its own budget.
    let theirs = create(&app, &other.token, "https://bank.example/hook", json!(["*"])).await;
    let their_id = theirs["id"].as_str().expect("id").to_owned();
    let their_ping = app.post(&format!("/organization/webhooks/{their_id}/ping"), Some(&other.token), json!({})).await;
    let their_delivery = their_ping.assert_status(202)["id"].as_str().expect("id").to_owned();

    let redeliver = |delivery: &str| format!("/organization/webhooks/{id}/deliveries/{delivery}/redeliver");
    app.post(&redeliver(&delivery), None, json!({})).await.assert_problem(401, "unauthorized");
    app.post(&redeliver(&delivery), Some(&member), json!({})).await.assert_problem(403, "forbidden");
    app.post(&redeliver(&delivery), Some(&other.token), json!({})).await.assert_problem(404, "not_found");
    app.post(&redeliver(&their_delivery), Some(&tenant.token), json!({})).await.assert_problem(404, "not_found");
    app.post(&redeliver(&uuid::Uuid::now_v7().to_string()), Some(&tenant.token), json!({}))
        .await
        .assert_problem(404, "not_found");
    app.post(&redeliver("nope"), Some(&tenant.token), json!({})).await.assert_problem(400, "validation_failed");
    app.post(&redeliver(&delivery), Some(&tenant.token), json!({})).await.assert_status(202);
    let refused = app.post(&redeliver(&delivery), Some(&tenant.token), json!({})).await;
    refused.assert_problem(429, "rate_limited");
    assert!(refused.header("retry-after").and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s >= 1));

    // A new window, a new budget.
    app.clock.advance(chrono::Duration::hours(1));
    let token = app.login(&tenant.email, crate::helpers::PASSWORD).await;
    app.post(&ping, Some(&token), json!({})).await.assert_status(202);
    app.post(&redeliver(&delivery), Some(&token), json!({})).await.assert_status(202);
}

#[tokio::test]
async fn an_endpoint_out_of_retries_is_marked_failing_until_enabled() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn_app_with(|config| {
        allow_private(config);
        config.webhooks.max_attempts = 2;
    })
    .await;
    let tenant = app.signup().await;
    let hook = create(&app, &tenant.token, &url, json!(["application.submitted"])).await;
    let id = hook["id"].as_str().expect("id").to_owned();
    receiver.failures.store(10, Ordering::SeqCst);
    app.submitted_application(&tenant.token).await;
    deliver(&app).await;
    app.clock.advance(chrono::Duration::minutes(2));
    deliver(&app).await;
    let listed = app.get("/organization/webhooks", Some(&tenant.token)).await;
    assert!(listed.body[0]["failing_since"].is_string(), "{}", listed.body);
    app.submitted_application(&tenant.token).await;
    assert_eq!(
        app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token))
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1),
        "nothing queued while failing"
    );

    receiver.failures.store(0, Ordering::SeqCst);
    let enabled = app.post(&format!("/organization/webhooks/{id}/enable"), Some(&tenant.token), json!({})).await;
    assert!(enabled.assert_status(200)["failing_since"].is_null());
    app.submitted_application(&tenant.token).await;
    deliver(&app).await;
    assert_eq!(receiver.received().last().map(|(_, b)| b["type"].clone()), Some(json!("application.submitted")));
}

#[tokio::test]
async fn only_owners_manage_their_own_endpoints_and_bad_input_changes_nothing() {
    let app = spawn_app_with(allow_private).await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let member = app.add_member(&tenant, "member").await;
    let body = json!({"url": "https://exchange.example/hook", "events": ["objection.*"]});
    app.post("/organization/webhooks", None, body.clone()).await.assert_problem(401, "unauthorized");
    app.post("/organization/webhooks", Some(&member), body.clone()).await.assert_problem(403, "forbidden");
    let unknown = json!({"url": "https://exchange.example/hook", "events": ["objection.nope"]});
    app.post("/organization/webhooks", Some(&tenant.token), unknown).await.assert_problem(422, "validation_failed");
    let ftp = json!({"url": "ftp://exchange.example/hook", "events": ["*"]});
    app.post("/organization/webhooks", Some(&tenant.token), ftp).await.assert_problem(422, "validation_failed");
    assert_eq!(app.count("webhooks").await, 0);
    let hook = create(&app, &tenant.token, "https://exchange.example/hook", json!(["objection.*"])).await;
    let id = hook["id"].as_str().expect("id");
    app.delete(&format!("/organization/webhooks/{id}"), Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&other.token))
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/organization/webhooks/{id}"), Some(&tenant.token)).await.assert_status(204);
    let listed = app.get("/organization/webhooks", Some(&tenant.token)).await;
    assert_eq!(listed.body, json!([]));
}

#[tokio::test]
async fn the_document_lists_every_event_as_a_webhook() {
    let app = spawn_app_with(allow_private).await;
    let document = app.get("/openapi.json", None).await;
    let webhooks = document.assert_status(200)["webhooks"].as_object().expect("webhooks").clone();
    for kind in dataip::notifications::EventKind::ALL {
        let operation = &webhooks[kind.as_str()]["post"];
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"]["properties"]["type"]["enum"][0],
            kind.as_str()
        );
    }
    assert!(webhooks.contains_key("webhook.ping"));
}
