//! Watches on certificates (issue 30): a party watching a certificate is
//! told of each act, measure, renewal, expiry or revocation of it, once the
//! change is in a checkpoint; a pledgee registered here is told without
//! asking; the watch is the party's, within its cap.

use serde_json::{Value, json};

use crate::{
    certificates::acts::{
        Holder, accept, approve, file, file_confirmed, file_ok, holder, license, logged_in_again, setup,
    },
    helpers::{Tenant, TestApp, spawn_app_with},
};

/// Mail is queued (nothing listens): notices wait in the outbox.
fn with_mail_queued(config: &mut dataip::config::Config) {
    setup(config);
    config.workflow.certificate_validity = "P100D".parse().expect("duration");
    config.mail.host = "127.0.0.1".into();
    config.mail.port = crate::helpers::free_port();
    config.mail.sender = "数据知识产权登记 <registry@test.example>".into();
}

async fn step(app: &TestApp) {
    dataip::jobs::Worker::new(app.state.clone()).step().await;
}

/// The `watch.certificate_changed` notices mailed to `email`: each entry's
/// type, in the order told.
async fn told(app: &TestApp, email: &str) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE kind = 'watch.certificate_changed' AND recipient = $1
         ORDER BY (payload->>'ledger_index')::bigint",
    )
    .bind(email)
    .fetch_all(&app.state.db)
    .await
    .expect("notices")
}

async fn types(app: &TestApp, email: &str) -> Vec<String> {
    told(app, email).await.iter().filter_map(|p| p["entry_type"].as_str().map(str::to_owned)).collect()
}

async fn watcher(app: &TestApp) -> Tenant {
    let bank = app.signup().await;
    app.confirm_email(&bank.email).await;
    bank
}

fn watch(number: &str) -> Value {
    json!({"kind": "certificate", "value": number, "channels": ["email"]})
}

#[tokio::test]
async fn a_watch_tells_each_change_of_its_certificate_once_in_a_checkpoint() {
    let app = spawn_app_with(with_mail_queued).await;
    let h = holder(&app).await;
    step(&app).await;
    let bank = watcher(&app).await;
    app.post("/watches", Some(&bank.token), watch(&h.number)).await.assert_status(201);

    // Each kind of act, a measure recorded and lifted, a renewal.
    let act = file_confirmed(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    approve(&app, &h, &act).await.assert_status(200);
    assert!(types(&app, &bank.email).await.is_empty(), "not before it is in a checkpoint");
    step(&app).await;
    assert_eq!(types(&app, &bank.email).await, ["license.recorded"]);
    let first = &told(&app, &bank.email).await[0];
    assert_eq!(first["status"], "active");
    assert_eq!(first["certificate_number"], h.number.as_str());
    assert!(first["tree_size"].as_u64().is_some_and(|size| size > first["ledger_index"].as_u64().unwrap_or(0)));
    assert!(first["link"].as_str().is_some_and(|l| l.ends_with(&format!("/public/certificates/{}/status", h.number))));

    // A lender registered here confirms its pledge and the release.
    let lender = app.signup().await;
    let pledge = json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": lender.credit_code},
        "secured_amount": {"amount": "100.00", "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2027-01-31"});
    let pledge_act = file(&app, &h, pledge).await.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &lender, &pledge_act).await;
    approve(&app, &h, &pledge_act).await.assert_status(200);
    let release = json!({"kind": "pledge_release", "pledge_id": pledge_act});
    let release = file(&app, &h, release).await.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &lender, &release).await;
    approve(&app, &h, &release).await.assert_status(200);
    let change = file_ok(&app, &h, json!({"kind": "change", "abstract": "覆盖长三角的物流时效数据"})).await;
    approve(&app, &h, &change).await.assert_status(200);
    let path = format!("/admin/certificates/{}/measures", h.certificate);
    let seizure = json!({"authority": "上海市浦东新区人民法院", "kind": "seizure",
        "document_number": "（2026）沪0115执保9号", "starts_on": "2026-12-01", "ends_on": null});
    let measure = app.post(&path, Some(&h.reviewer), seizure).await.assert_status(201).clone();
    let lift = format!("{path}/{}/lift", measure["id"].as_str().expect("id"));
    app.post(&lift, Some(&h.reviewer), json!({"reason": "解除"})).await.assert_status(200);
    step(&app).await;

    app.clock.advance(chrono::Duration::days(11));
    let h = logged_in_again(&app, h).await;
    let renewal = file_ok(&app, &h, json!({"kind": "renewal"})).await;
    approve(&app, &h, &renewal).await.assert_status(200);
    step(&app).await;
    let buyer = app.signup().await;
    let transfer = file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code})).await;
    let transfer = transfer.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &buyer, &transfer).await;
    approve(&app, &h, &transfer).await.assert_status(200);
    let revoke = format!("/review/certificates/{}/revoke", h.certificate);
    app.post(&revoke, Some(&h.reviewer), json!({"grounds": "核查发现权属争议"})).await.assert_status(200);
    step(&app).await;
    let bank = Tenant { token: app.login(&bank.email, crate::helpers::PASSWORD).await, ..bank };
    assert_eq!(
        types(&app, &bank.email).await,
        [
            "license.recorded",
            "pledge.recorded",
            "pledge.released",
            "certificate.changed",
            "measure.recorded",
            "measure.lifted",
            "certificate.renewed",
            "certificate.transferred",
            "certificate.revoked"
        ]
    );
    assert_eq!(told(&app, &bank.email).await.last().expect("told")["status"], "revoked");
    step(&app).await;
    assert_eq!(told(&app, &bank.email).await.len(), 9, "each once");

    // Expiry and cancellation, on others.
    let expiring = holder(&app).await;
    let cancelled = holder(&app).await;
    step(&app).await;
    for number in [&expiring.number, &cancelled.number] {
        app.post("/watches", Some(&bank.token), watch(number)).await.assert_status(201);
    }
    let cancel = file_ok(&app, &cancelled, json!({"kind": "cancellation", "reason": "产品下线"})).await;
    approve(&app, &cancelled, &cancel).await.assert_status(200);
    app.clock.advance(chrono::Duration::days(101));
    step(&app).await;
    step(&app).await;
    let kinds = types(&app, &bank.email).await;
    assert!(kinds.ends_with(&["certificate.cancelled".into(), "certificate.expired".into()]), "{kinds:?}");
}

#[tokio::test]
async fn a_pledgee_registered_here_is_told_without_asking() {
    let app = spawn_app_with(with_mail_queued).await;
    let h = holder(&app).await;
    let bank = watcher(&app).await;
    let pledge = json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": bank.credit_code},
        "secured_amount": {"amount": "100.00", "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2027-01-31"});
    let act = file(&app, &h, pledge).await.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &bank, &act).await;
    approve(&app, &h, &act).await.assert_status(200);
    let licence = file_confirmed(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    approve(&app, &h, &licence).await.assert_status(200);
    step(&app).await;
    assert_eq!(types(&app, &bank.email).await, ["pledge.recorded", "license.recorded"]);
    let watches = app.get("/watches", Some(&bank.token)).await;
    assert_eq!(watches.assert_status(200), &json!([]), "nothing to ask for, nothing listed");
}

async fn watch_of(app: &TestApp, h: &Holder, token: &str) -> crate::helpers::Answer {
    app.post("/watches", Some(token), watch(&h.number)).await
}

#[tokio::test]
async fn certificate_watches_are_the_partys_within_its_cap() {
    let app = spawn_app_with(|config| {
        with_mail_queued(config);
        config.quota.certificate_watches_per_party = 1;
    })
    .await;
    let h = holder(&app).await;
    let other = holder(&app).await;
    let bank = watcher(&app).await;
    app.post("/watches", None, watch(&h.number)).await.assert_problem(401, "unauthorized");
    watch_of(&app, &h, &h.reviewer).await.assert_problem(403, "forbidden");
    app.post("/watches", Some(&bank.token), watch("20261131009999999")).await.assert_problem(422, "validation_failed");
    app.post("/watches", Some(&bank.token), watch("x")).await.assert_problem(422, "validation_failed");

    // An API key may watch; a member sees the party's watch and may stop it.
    let key = app.post("/organization/api-keys", Some(&bank.token), json!({"name": "贷后"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();
    let created = watch_of(&app, &h, &key).await;
    let id = created.assert_status(201)["id"].as_str().expect("id").to_owned();
    watch_of(&app, &h, &bank.token).await.assert_problem(409, "conflict");
    let more = app.post("/watches", Some(&bank.token), watch(&other.number)).await;
    more.assert_problem(409, "quota_exceeded");
    let member = app.add_member(&bank, "member").await;
    let listed = app.get("/watches", Some(&member)).await;
    assert_eq!(listed.assert_status(200)[0]["id"], id.as_str());
    assert_eq!(app.get("/watches", Some(&key)).await.assert_status(200)[0]["kind"], "certificate");
    let stranger = app.signup().await;
    app.delete(&format!("/watches/{id}"), Some(&stranger.token)).await.assert_problem(404, "not_found");
    assert_eq!(app.delete(&format!("/watches/{id}"), Some(&member)).await.status, 204);
    assert_eq!(app.get("/watches", Some(&bank.token)).await.assert_status(200), &json!([]));
}
