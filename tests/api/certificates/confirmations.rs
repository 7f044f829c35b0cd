//! Counterparties confirm (issue 29): a transfer waits for its transferee's
//! acceptance before review; declined it is rejected, unanswered it lapses.

use serde_json::json;

use super::acts::{accept, approve, file, holder, setup};
use crate::helpers::spawn_app_with;

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
    app.post(&confirm, Some(&buyer.token), json!({})).await.assert_problem(404, "not_found");
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

    // The holder's release waits for the bank: declined, the pledge stays.
    let release = json!({"kind": "pledge_release", "pledge_id": pledge_id});
    let filed = file(&app, &h, release.clone()).await;
    assert_eq!(filed.assert_status(201)["state"], "awaiting_confirmation");
    let first = filed.body["id"].as_str().expect("id").to_owned();
    let declined = app.post(&format!("/confirmations/{first}/decline"), Some(&bank.token), json!({})).await;
    declined.assert_status(200);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["pledges"].as_array().map(Vec::len), Some(1), "still pledged");
    let filed = file(&app, &h, release).await;
    let second = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &bank, &second).await;
    approve(&app, &h, &second).await.assert_status(200);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["pledges"], json!([]));

    // A pledgee not registered here confirms by a link (not yet built): its
    // pledge goes to review as before.
    let filed = file(&app, &h, super::acts::pledge()).await;
    assert_eq!(filed.assert_status(201)["state"], "pending");
}
