//! Counterparties confirm (issue 29): a transfer waits for its transferee's
//! acceptance before review, a pledge for its pledgee's confirmation (a
//! registered party through the API, anyone else by a single-use link), a
//! holder's release for the pledgee's; declined it is rejected, unanswered
//! it lapses. A pledge recorded before pledgees gave contacts is released
//! with their written consent, uploaded.

use serde_json::{Value, json};

use super::acts::{
    Holder, accept, accept_pending, answer_link, approve, file, file_confirmed, holder, license, links, pledge, setup,
};
use crate::helpers::{TestApp, spawn_app_with};

#[tokio::test]
async fn a_transfer_waits_for_its_transferee_who_accepts_or_declines() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let stranger = app.signup_person().await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code});

    let filed = file(&app, &h, transfer.clone()).await;
    assert_eq!(filed.assert_status(201)["state"], "awaiting_confirmation");
    let act = filed.body["id"].as_str().expect("id").to_owned();
    // Not yet for review; nobody but the transferee answers it.
    approve(&app, &h, &act).await.assert_problem(409, "invalid_transition");
    let confirm = format!("/confirmations/{act}/confirm");
    for token in [&h.tenant.token, &stranger.token] {
        app.post(&confirm, Some(token), json!({})).await.assert_problem(404, "not_found");
    }
    app.post(&confirm, None, json!({})).await.assert_problem(401, "unauthorized");
    app.post(&confirm, Some(&h.reviewer), json!({})).await.assert_problem(403, "forbidden");
    app.post("/confirmations/not-a-uuid/confirm", Some(&buyer.token), json!({}))
        .await
        .assert_problem(400, "validation_failed");
    assert_eq!(app.get("/confirmations", Some(&stranger.token)).await.assert_status(200), &json!([]));
    let listed = app.get("/confirmations", Some(&buyer.token)).await;
    assert_eq!(listed.assert_status(200)[0]["id"], act.as_str());

    // Declined: rejected, and recorded with who answered and from where.
    let declined = app.post(&format!("/confirmations/{act}/decline"), Some(&buyer.token), json!({})).await;
    assert_eq!(declined.assert_status(200)["state"], "rejected");
    // Answered once: the act is decided, and says so.
    app.post(&confirm, Some(&buyer.token), json!({})).await.assert_problem(409, "invalid_transition");
    let (confirmed, from): (bool, String) =
        sqlx::query_as("SELECT confirmed, answered_from FROM act_confirmations WHERE act_id = $1::uuid")
            .bind(&act)
            .fetch_one(&app.state.db)
            .await
            .expect("the answer");
    assert!(!confirmed && from == "127.0.0.1", "{from}");

    // Filed again and accepted: it goes to review and takes effect.
    let filed = file(&app, &h, transfer).await;
    let act = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &buyer, &act).await;
    assert_eq!(app.get("/confirmations", Some(&buyer.token)).await.body, json!([]));
    approve(&app, &h, &act).await.assert_status(200);
    let theirs = app.get("/certificates", Some(&buyer.token)).await;
    assert_eq!(theirs.assert_status(200)["items"][0]["id"], h.certificate.as_str());
}

#[tokio::test]
async fn an_unanswered_transfer_lapses_after_the_counterparty_period() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let filed = file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code})).await;
    let act = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    app.clock.advance(chrono::Duration::days(29));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let token = app.login(&h.tenant.email, crate::helpers::PASSWORD).await;
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&token)).await;
    assert_eq!(acts.assert_status(200)[0]["state"], "awaiting_confirmation");
    app.clock.advance(chrono::Duration::days(2));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let token = app.login(&h.tenant.email, crate::helpers::PASSWORD).await;
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&token)).await;
    assert_eq!(acts.assert_status(200)[0]["state"], "lapsed");
    let buyer_token = app.login(&buyer.email, crate::helpers::PASSWORD).await;
    app.post(&format!("/confirmations/{act}/confirm"), Some(&buyer_token), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    // A lapsed transfer no longer holds the certificate's disposals back.
    file(&app, &h_with(&h, token), json!({"kind": "cancellation", "reason": "停止运营"})).await.assert_status(201);
}

fn h_with(h: &super::acts::Holder, token: String) -> super::acts::Holder {
    let mut tenant = h.tenant.clone();
    tenant.token = token;
    super::acts::Holder {
        tenant,
        reviewer: h.reviewer.clone(),
        certificate: h.certificate.clone(),
        number: h.number.clone(),
    }
}

#[tokio::test]
async fn a_registered_pledgee_confirms_its_pledge_and_its_release() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let bank = app.signup().await;
    let pledge = json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": bank.credit_code},
        "secured_amount": {"amount": "5000000.00", "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2028-12-01"});
    let filed = file(&app, &h, pledge).await;
    assert_eq!(filed.assert_status(201)["state"], "awaiting_confirmation");
    let pledge_id = filed.body["id"].as_str().expect("id").to_owned();
    approve(&app, &h, &pledge_id).await.assert_problem(409, "invalid_transition");
    accept(&app, &bank, &pledge_id).await;
    approve(&app, &h, &pledge_id).await.assert_status(200);

    // The holder's release alone is not enough: it waits for the bank, and
    // no reviewer can approve it meanwhile; declined, the pledge stays.
    let release = json!({"kind": "pledge_release", "pledge_id": pledge_id});
    let filed = file(&app, &h, release.clone()).await;
    assert_eq!(filed.assert_status(201)["state"], "awaiting_confirmation");
    assert_eq!(filed.body["awaiting"][0]["via"], json!(["party"]));
    let first = filed.body["id"].as_str().expect("id").to_owned();
    approve(&app, &h, &first).await.assert_problem(409, "invalid_transition");
    let declined = app.post(&format!("/confirmations/{first}/decline"), Some(&bank.token), json!({})).await;
    assert_eq!(declined.assert_status(200)["state"], "rejected");
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["pledges"].as_array().map(Vec::len), Some(1), "still pledged");

    // The bank files the release itself, on a certificate it does not
    // hold: it goes to review at once. Nobody else may file it there.
    let acts = format!("/certificates/{}/acts", h.certificate);
    let stranger = app.signup().await;
    app.post(&acts, Some(&stranger.token), release.clone()).await.assert_problem(404, "not_found");
    let bank_license = license(false, "2027-01-01", "2027-02-01");
    app.post(&acts, Some(&bank.token), bank_license).await.assert_problem(404, "not_found");
    let filed = app.post(&acts, Some(&bank.token), release).await;
    assert_eq!(filed.assert_status(201)["state"], "pending");
    let second = filed.body["id"].as_str().expect("id").to_owned();
    approve(&app, &h, &second).await.assert_status(200);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["pledges"], json!([]));
}

/// The act `id` as its holder sees it.
async fn act(app: &TestApp, h: &Holder, id: &str) -> Value {
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    let found = acts.assert_status(200).as_array().and_then(|acts| acts.iter().find(|a| a["id"] == id).cloned());
    found.expect("the act")
}

#[tokio::test]
async fn a_pledgee_not_registered_here_confirms_or_declines_by_link_once() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let mut without_contact = pledge();
    without_contact["pledgee"].as_object_mut().expect("pledgee").remove("contact_email");
    let refused = file(&app, &h, without_contact).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.error_fields(), ["pledgee.contact_email"]);
    let mut bad_contact = pledge();
    bad_contact["pledgee"]["contact_email"] = json!("上海银行 <loans@bank.example>");
    file(&app, &h, bad_contact).await.assert_problem(422, "validation_failed");

    // Filed, the link is shown once (this registry sends no mail).
    let filed = file(&app, &h, pledge()).await;
    let body = filed.assert_status(201).clone();
    assert_eq!(body["state"], "awaiting_confirmation");
    assert_eq!(body["awaiting"][0]["via"], json!(["link"]));
    let id = body["id"].as_str().expect("id").to_owned();
    let token = links(&body).pop().expect("a link");
    let listed = act(&app, &h, &id).await;
    assert!(listed.get("awaiting").is_none(), "the link is not shown again: {listed}");

    // What the link asks: the act's terms, nothing the registry keeps private.
    let asked = app.get(&format!("/public/confirmations/{token}"), None).await;
    let asked = asked.assert_status(200).clone();
    assert_eq!(asked["kind"], "pledge");
    assert_eq!(asked["certificate_number"], h.number.as_str());
    assert!(asked["details"]["pledgee"].get("contact_email").is_none());
    assert!(asked["confirmed"].is_null());
    // The portal's page shows it with buttons, and changes nothing.
    let page = app.client.get(format!("{}/confirm/{token}", app.base)).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(h.number.as_str()) && html.contains("name=\"answer\" value=\"confirm\""), "{html}");
    assert_eq!(act(&app, &h, &id).await["state"], "awaiting_confirmation");

    // Bad answers change nothing; a token that is not one is not found.
    answer_link(&app, &token, "maybe").await.assert_problem(422, "validation_failed");
    let forged = format!("{}x", &token[..token.len() - 1]);
    answer_link(&app, &forged, "confirm").await.assert_problem(404, "not_found");
    answer_link(&app, "dpcf_nothing", "confirm").await.assert_problem(404, "not_found");

    // The button's post confirms; the link then works no more.
    let posted = app
        .client
        .post(format!("{}/confirm/{token}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("answer=confirm")
        .send()
        .await
        .expect("sent");
    assert_eq!(posted.status(), 200);
    assert_eq!(act(&app, &h, &id).await["state"], "pending");
    answer_link(&app, &token, "decline").await.assert_problem(409, "conflict");
    let (via, from): (String, String) =
        sqlx::query_as("SELECT answered_via, answered_from FROM act_confirmations WHERE act_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.state.db)
            .await
            .expect("the answer");
    assert_eq!((via.as_str(), from.as_str()), ("link", "127.0.0.1"));
    approve(&app, &h, &id).await.assert_status(200);

    // A pledge declined by link is rejected; one unanswered lapses.
    let released = file_confirmed(&app, &h, json!({"kind": "pledge_release", "pledge_id": id})).await;
    approve(&app, &h, &released).await.assert_status(200);
    let filed = file(&app, &h, pledge()).await;
    let declined = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    let answer = answer_link(&app, &links(&filed.body)[0], "decline").await;
    assert_eq!(answer.assert_status(200)["state"], "rejected");
    assert_eq!(act(&app, &h, &declined).await["state"], "rejected");
    let filed = file(&app, &h, pledge()).await;
    let lapsing = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    app.clock.advance(chrono::Duration::days(31));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let h = h_with(&h, app.login(&h.tenant.email, crate::helpers::PASSWORD).await);
    assert_eq!(act(&app, &h, &lapsing).await["state"], "lapsed");
    answer_link(&app, &links(&filed.body)[0], "confirm").await.assert_problem(409, "invalid_transition");
}

/// A pledge recorded before pledgees gave contacts, and its release filed:
/// it awaits the pledgee's written consent. The pledge's id, and the filing.
pub async fn legacy_release(app: &TestApp, h: &Holder) -> (String, crate::helpers::Answer) {
    let pledged = file_confirmed(app, h, pledge()).await;
    approve(app, h, &pledged).await.assert_status(200);
    // As pledges were recorded before this issue: no contact.
    sqlx::query("UPDATE certificate_acts SET details = details #- '{pledgee,contact_email}' WHERE id = $1::uuid")
        .bind(&pledged)
        .execute(&app.state.db)
        .await
        .expect("made legacy");
    let filed = file(app, h, json!({"kind": "pledge_release", "pledge_id": pledged})).await;
    (pledged, filed)
}

#[tokio::test]
async fn a_legacy_pledge_is_released_by_the_holder_with_the_pledgees_written_consent() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let (_, filed) = legacy_release(&app, &h).await;
    let body = filed.assert_status(201).clone();
    assert_eq!(body["state"], "awaiting_confirmation");
    assert_eq!(body["awaiting"][0]["via"], json!(["document"]));
    let release = body["id"].as_str().expect("id").to_owned();
    approve(&app, &h, &release).await.assert_problem(409, "invalid_transition");

    let document = format!("/certificates/{}/acts/{release}/document", h.certificate);
    let upload = |token: String, path: String, bytes: &'static [u8], media_type: &'static str| {
        let request = app
            .client
            .put(app.url(&path))
            .bearer_auth(token)
            .header("content-type", media_type)
            .header("content-disposition", "attachment; filename=\"consent.pdf\"")
            .body(bytes);
        async move { crate::helpers::answer(request.send().await.expect("sent")).await }
    };
    let other = app.signup().await;
    const PDF: &[u8] = b"%PDF-1.7 the bank's written consent";
    upload(other.token.clone(), document.clone(), PDF, "application/pdf").await.assert_problem(404, "not_found");
    upload(h.tenant.token.clone(), document.clone(), PDF, "text/plain")
        .await
        .assert_problem(415, "unsupported_media_type");
    app.get(&format!("/review/acts/{release}/document"), Some(&h.reviewer)).await.assert_problem(404, "not_found");
    let uploaded = upload(h.tenant.token.clone(), document.clone(), PDF, "application/pdf").await;
    assert_eq!(uploaded.assert_status(200)["state"], "pending");
    // Uploaded again, nothing is awaited any more.
    upload(h.tenant.token.clone(), document.clone(), PDF, "application/pdf")
        .await
        .assert_problem(409, "invalid_transition");

    // Staff read it before approving; so may the holder; nobody else.
    let fetched = app
        .client
        .get(app.url(&format!("/review/acts/{release}/document")))
        .bearer_auth(&h.reviewer)
        .send()
        .await
        .expect("sent");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("bytes").as_ref(), PDF);
    app.get(&document, Some(&h.tenant.token)).await;
    app.get(&document, Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&document, None).await.assert_problem(401, "unauthorized");
    app.get(&format!("/review/acts/{release}/document"), Some(&h.tenant.token)).await.assert_problem(403, "forbidden");
    approve(&app, &h, &release).await.assert_status(200);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["pledges"], json!([]));

    // An act awaiting no written consent takes none.
    let licence = file(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    let licence = licence.assert_status(201)["id"].as_str().expect("id").to_owned();
    let path = format!("/certificates/{}/acts/{licence}/document", h.certificate);
    upload(h.tenant.token.clone(), path, PDF, "application/pdf").await.assert_problem(409, "invalid_transition");
}

#[tokio::test]
async fn a_licence_waits_for_its_licensee_where_configured() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.workflow.license_needs_confirmation = true;
    })
    .await;
    let h = holder(&app).await;
    let refused = file(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.error_fields(), ["licensee.contact_email"]);
    let mut with_contact = license(false, "2027-01-01", "2027-02-01");
    with_contact["licensee"]["contact_email"] = json!("ip@licensee.example");
    file_confirmed(&app, &h, with_contact).await;
    // A licensee registered here confirms through the API.
    let licensee = app.signup().await;
    let mut to_registered = license(false, "2027-03-01", "2027-04-01");
    to_registered["licensee"]["credit_code"] = json!(licensee.credit_code);
    let filed = file(&app, &h, to_registered).await;
    let id = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept_pending(&app, &licensee, &id, "pending").await;
}
