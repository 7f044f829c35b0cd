use base64::{Engine, engine::general_purpose::STANDARD};
use dataip::domain::StaffRole;
use serde_json::{Value, json};
use tlog::merkle;

use crate::helpers::{PASSWORD, Tenant, TestApp, fresh_credit_code, spawn_app_with};

pub fn setup(config: &mut dataip::config::Config) {
    crate::helpers::short_windows(config);
    config.worker.interval = "PT1H".parse().expect("duration");
}

/// A tenant with a registered certificate, and a reviewer.
pub struct Holder {
    pub tenant: Tenant,
    pub reviewer: String,
    pub certificate: String,
    pub number: String,
}

pub async fn holder(app: &TestApp) -> Holder {
    holder_after(app, chrono::Duration::seconds(3)).await
}

/// A holder whose announcement closed when the clock moved on by `window`
/// (at least the configured announcement period). The tenant logs in again
/// after it; the reviewer's token may have expired by then.
pub async fn holder_after(app: &TestApp, window: chrono::Duration) -> Holder {
    let mut tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(window).await;
    tenant.token = app.login(&tenant.email, crate::helpers::PASSWORD).await;
    let list = app.get("/certificates", Some(&tenant.token)).await;
    let certificate = list.body["items"][0].clone();
    Holder {
        certificate: certificate["id"].as_str().expect("id").to_owned(),
        number: certificate["certificate_number"].as_str().expect("number").to_owned(),
        tenant,
        reviewer,
    }
}

pub fn license(exclusive: bool, starts_on: &str, ends_on: &str) -> Value {
    json!({"kind": "license", "licensee": {"name": "杭州智算有限公司", "credit_code": fresh_credit_code()},
        "exclusive": exclusive, "scope": "华东地区物流调度模型训练", "starts_on": starts_on, "ends_on": ends_on})
}

/// A pledge to a bank not registered here, which confirms it by the
/// single-use link sent to its contact.
pub fn pledge() -> Value {
    json!({"kind": "pledge",
        "pledgee": {"name": "上海银行", "credit_code": fresh_credit_code(), "contact_email": "loans@bank.example"},
        "secured_amount": {"amount": "5000000.00", "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2028-12-01"})
}

/// The tokens of the single-use links a filing answered (the tests'
/// registry sends no mail, so it shows them), in order.
pub fn links(filed: &Value) -> Vec<String> {
    let words = filed["awaiting"].as_array().cloned().unwrap_or_default();
    words
        .iter()
        .filter_map(|word| word["link"].as_str())
        .filter_map(|link| link.rsplit_once("/confirm/").map(|(_, token)| token.to_owned()))
        .collect()
}

/// Answers a single-use link: `confirm` or `decline`.
pub async fn answer_link(app: &TestApp, token: &str, answer: &str) -> crate::helpers::Answer {
    app.post(&format!("/public/confirmations/{token}"), None, json!({"answer": answer})).await
}

/// Files an act and confirms every word it awaits by its link: the act,
/// pending review; its id.
pub async fn file_confirmed(app: &TestApp, h: &Holder, act: Value) -> String {
    let filed = file(app, h, act).await;
    let body = filed.assert_status(201).clone();
    for token in links(&body) {
        answer_link(app, &token, "confirm").await.assert_status(200);
    }
    let id = body["id"].as_str().expect("id").to_owned();
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    let act = acts.assert_status(200).as_array().and_then(|acts| acts.iter().find(|a| a["id"] == id.as_str()).cloned());
    assert_eq!(act.expect("the act")["state"], "pending", "{body}");
    id
}

pub async fn file(app: &TestApp, h: &Holder, act: Value) -> crate::helpers::Answer {
    app.post(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token), act).await
}

pub async fn file_ok(app: &TestApp, h: &Holder, act: Value) -> String {
    let answer = file(app, h, act).await;
    let body = answer.assert_status(201);
    assert_eq!(body["state"], "pending");
    body["id"].as_str().expect("id").to_owned()
}

/// The transferee accepts a transfer filed to it: the act goes to review.
pub async fn accept(app: &TestApp, transferee: &Tenant, act: &str) {
    accept_pending(app, transferee, act, "pending").await;
}

/// A party confirms an act awaiting its word; the act is then in `state`.
pub async fn accept_pending(app: &TestApp, party: &Tenant, act: &str, state: &str) {
    let accepted = app.post(&format!("/confirmations/{act}/confirm"), Some(&party.token), json!({})).await;
    assert_eq!(accepted.assert_status(200)["state"], state);
}

/// Files a transfer to `to`, which accepts it, and approves it; its id.
pub async fn transferred(app: &TestApp, h: &Holder, to: &Tenant) -> String {
    let body = json!({"kind": "transfer", "transferee_credit_code": to.credit_code});
    let filed = file(app, h, body).await;
    assert_eq!(filed.assert_status(201)["state"], "awaiting_confirmation");
    let act = filed.body["id"].as_str().expect("id").to_owned();
    accept(app, to, &act).await;
    approve(app, h, &act).await.assert_status(200);
    act
}

pub async fn approve(app: &TestApp, h: &Holder, act: &str) -> crate::helpers::Answer {
    app.post(&format!("/review/acts/{act}/approve"), Some(&h.reviewer), json!({})).await
}

pub async fn public(app: &TestApp, h: &Holder) -> Value {
    app.get(&format!("/public/certificates/{}", h.number), None).await.assert_status(200).clone()
}

#[tokio::test]
async fn a_license_is_filed_reviewed_recorded_and_public() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let act = file_ok(&app, &h, license(false, "2027-01-01", "2027-12-31")).await;
    assert!(public(&app, &h).await["licenses"].as_array().is_some_and(Vec::is_empty), "pending acts are not public");
    let pending = app.get("/review/acts", Some(&h.reviewer)).await;
    assert_eq!(pending.assert_status(200)["items"][0]["id"], act.as_str());

    let approved = approve(&app, &h, &act).await;
    assert_eq!(approved.assert_status(200)["state"], "approved");
    dataip::jobs::Worker::new(app.state.clone()).step().await;

    let record = public(&app, &h).await;
    assert_eq!(
        record["licenses"],
        json!([{"licensee_name": "杭州智算有限公司", "exclusive": false, "starts_on": "2027-01-01", "ends_on": "2027-12-31"}])
    );
    let history = record["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["kind"], "license");
    let index = history[0]["ledger_index"].as_u64().expect("recorded on the ledger");

    // The act's leaf verifies like the issuance's.
    let entry = app.get(&format!("/public/ledger/entries/{index}"), None).await;
    let bytes = STANDARD.decode(entry.body["entry"].as_str().expect("b64")).expect("b64");
    let parsed: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(parsed["type"], "license.recorded");
    assert_eq!(parsed["certificate_number"], h.number.as_str());
    assert_eq!(parsed["licensee"], json!({"name": "杭州智算有限公司"}), "the name only: the credit code is committed");
    assert!(parsed.get("act_id").is_none() && !String::from_utf8_lossy(&bytes).contains(&act), "no internal ids");
    let proof = app.get(&format!("/public/ledger/proofs/inclusion?index={index}"), None).await;
    let hashes: Vec<merkle::Hash> = proof.body["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| hex::decode(h.as_str().expect("hex")).expect("hex").try_into().expect("32"))
        .collect();
    let root: merkle::Hash =
        hex::decode(proof.body["root_hash"].as_str().expect("hex")).expect("hex").try_into().expect("32");
    let size = proof.body["tree_size"].as_u64().expect("size");
    assert!(merkle::verify_inclusion(&merkle::leaf_hash(&bytes), index, size, &hashes, &root));

    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    assert_eq!(acts.assert_status(200)[0]["ledger_index"], index);
}

#[tokio::test]
async fn exclusive_licenses_may_not_overlap() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let first = file_ok(&app, &h, license(true, "2027-01-01", "2027-12-31")).await;
    approve(&app, &h, &first).await.assert_status(200);

    file(&app, &h, license(true, "2027-06-01", "2028-05-31")).await.assert_problem(409, "conflict");
    file(&app, &h, license(true, "2027-12-31", "2028-01-31")).await.assert_problem(409, "conflict");
    let later = file_ok(&app, &h, license(true, "2028-01-01", "2028-12-31")).await;
    approve(&app, &h, &later).await.assert_status(200);
    let shared = file_ok(&app, &h, license(false, "2027-03-01", "2027-04-01")).await;
    approve(&app, &h, &shared).await.assert_status(200);
    assert_eq!(public(&app, &h).await["licenses"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_exclusive_licenses_approved_at_once_one_wins() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    for round in 0..3 {
        let year = 2030 + round;
        let a = file_ok(&app, &h, license(true, &format!("{year}-01-01"), &format!("{year}-06-30"))).await;
        let b = file_ok(&app, &h, license(true, &format!("{year}-03-01"), &format!("{year}-09-30"))).await;
        let (x, y) = tokio::join!(approve(&app, &h, &a), approve(&app, &h, &b));
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", x.body, y.body);
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM licenses").fetch_one(&app.state.db).await.expect("count");
    assert_eq!(count, 3);
}

#[tokio::test]
async fn a_pledged_certificate_is_transferred_or_cancelled_only_with_the_pledgees_consent() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let pledge_act = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &pledge_act).await.assert_status(200);

    let record = public(&app, &h).await;
    assert_eq!(record["pledges"][0]["pledgee_name"], "上海银行");
    assert_eq!(record["pledges"][0]["rank"], 1);
    assert!(record["pledges"][0].get("secured_amount").is_none(), "amounts are private by default");

    file(&app, &h, json!({"kind": "pledge_release", "pledge_id": "00000000-0000-0000-0000-000000000000"}))
        .await
        .assert_problem(422, "validation_failed");

    // A cancellation waits for the pledgee's consent; declined, it is
    // rejected and the pledge stands.
    let cancellation = file(&app, &h, json!({"kind": "cancellation", "reason": "停止运营"})).await;
    let body = cancellation.assert_status(201).clone();
    assert_eq!(body["state"], "awaiting_confirmation");
    assert_eq!(body["awaiting"][0]["pledge_id"], pledge_act.as_str());
    assert_eq!(body["awaiting"][0]["via"], json!(["link"]));
    let id = body["id"].as_str().expect("id");
    approve(&app, &h, id).await.assert_problem(409, "invalid_transition");
    answer_link(&app, &links(&body)[0], "decline").await.assert_status(200);
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    let cancelled = acts.body.as_array().and_then(|a| a.iter().find(|a| a["id"] == id).cloned()).expect("act");
    assert_eq!(cancelled["state"], "rejected");

    // A transfer with the pledgee's consent (and the transferee's
    // acceptance): the pledge moves with the certificate.
    let filed = file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code})).await;
    let body = filed.assert_status(201).clone();
    let words: Vec<_> = body["awaiting"].as_array().expect("words").iter().map(|w| w["from"].clone()).collect();
    assert_eq!(words.len(), 2, "the transferee's and the pledgee's: {body}");
    let transfer = body["id"].as_str().expect("id").to_owned();
    accept_pending(&app, &buyer, &transfer, "awaiting_confirmation").await;
    for token in links(&body) {
        answer_link(&app, &token, "confirm").await.assert_status(200);
    }
    approve(&app, &h, &transfer).await.assert_status(200);
    app.get(&format!("/certificates/{}", h.certificate), Some(&buyer.token)).await.assert_status(200);
    let record = public(&app, &h).await;
    assert_eq!(record["pledges"][0]["pledgee_name"], "上海银行", "the pledge moved with the certificate");
}

#[tokio::test]
async fn pledge_amounts_are_public_only_if_configured() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.registry.public_pledge_amounts = true;
    })
    .await;
    let h = holder(&app).await;
    let act = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &act).await.assert_status(200);
    assert_eq!(
        public(&app, &h).await["pledges"][0]["secured_amount"],
        json!({"amount": "5000000.00", "currency": "CNY"})
    );
}

#[tokio::test]
async fn a_transfer_moves_the_certificate_and_its_history() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let path = format!("/certificates/{}", h.certificate);

    file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": fresh_credit_code()}))
        .await
        .assert_problem(422, "validation_failed");
    file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": h.tenant.credit_code}))
        .await
        .assert_problem(422, "validation_failed");
    let lingering = file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    let filed = file(&app, &h, json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code})).await;
    let transfer = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &buyer, &transfer).await;
    let approved = approve(&app, &h, &transfer).await;
    assert_eq!(approved.assert_status(200)["state"], "approved");
    assert_eq!(approved.body["details"]["transferor"]["credit_code"], h.tenant.credit_code.as_str());

    app.get(&path, Some(&h.tenant.token)).await.assert_problem(404, "not_found");
    app.get(&format!("{path}/acts"), Some(&h.tenant.token)).await.assert_problem(404, "not_found");
    assert_eq!(app.get("/certificates", Some(&h.tenant.token)).await.body["items"], json!([]));
    let theirs = app.get(&path, Some(&buyer.token)).await;
    assert_eq!(theirs.assert_status(200)["status"], "active");
    let history = app.get(&format!("{path}/acts"), Some(&buyer.token)).await;
    let history = history.assert_status(200).clone();
    assert_eq!(history.as_array().map(Vec::len), Some(2), "the history moves along");
    let acts = history.as_array().expect("acts");
    assert!(acts.iter().all(|a| a["details"].is_null()), "the transferor's terms stay theirs: {history}");
    let moot = history.as_array().and_then(|acts| acts.iter().find(|a| a["id"] == lingering.as_str())).expect("act");
    assert_eq!(moot["state"], "rejected");
    assert!(moot["decision_reason"].as_str().is_some_and(|r| r.contains("transferred")));
    assert_eq!(public(&app, &h).await["holder"]["credit_code"], buyer.credit_code.as_str());

    // The new holder files acts; the former holder cannot.
    let new_holder = Holder {
        tenant: buyer,
        reviewer: h.reviewer.clone(),
        certificate: h.certificate.clone(),
        number: h.number.clone(),
    };
    file_ok(&app, &new_holder, license(false, "2027-01-01", "2027-02-01")).await;
    file(&app, &h, license(false, "2027-01-01", "2027-02-01")).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_change_renames_the_product_on_the_register_not_the_issued_document() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    file(&app, &h, json!({"kind": "change"})).await.assert_problem(422, "validation_failed");
    let act = file_ok(&app, &h, json!({"kind": "change", "product_name": "长三角物流时效数据集（2027版）"})).await;
    approve(&app, &h, &act).await.assert_status(200);
    let record = public(&app, &h).await;
    assert_eq!(record["product"]["name"], "长三角物流时效数据集（2027版）");
    assert_eq!(record["document"]["product"]["name"], "长三角物流时效数据集", "the signed record is immutable");
}

#[tokio::test]
async fn renewal_is_possible_only_inside_its_window() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.workflow.certificate_validity = "P100D".parse().expect("duration");
    })
    .await;
    let h = holder(&app).await;
    let until: chrono::DateTime<chrono::Utc> =
        public(&app, &h).await["valid_until"].as_str().and_then(|t| t.parse().ok()).expect("valid_until");

    // The window opens 90 days before the end: not yet on day 9.
    file(&app, &h, json!({"kind": "renewal"})).await.assert_problem(409, "conflict");
    app.clock.advance(chrono::Duration::days(9));
    let h = logged_in_again(&app, h).await;
    file(&app, &h, json!({"kind": "renewal"})).await.assert_problem(409, "conflict");

    app.clock.advance(chrono::Duration::days(2));
    let h = logged_in_again(&app, h).await;
    let act = file_ok(&app, &h, json!({"kind": "renewal"})).await;
    let approved = approve(&app, &h, &act).await;
    assert_eq!(approved.assert_status(200)["details"]["previous_valid_until"], json!(until));
    let renewed: chrono::DateTime<chrono::Utc> =
        public(&app, &h).await["valid_until"].as_str().and_then(|t| t.parse().ok()).expect("valid_until");
    assert_eq!(renewed - until, chrono::Duration::days(100));
}

/// Fresh tokens for the holder and a reviewer, after the clock moved on.
pub async fn logged_in_again(app: &TestApp, h: Holder) -> Holder {
    let token = app.login(&h.tenant.email, PASSWORD).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    Holder { tenant: Tenant { token, ..h.tenant }, reviewer, ..h }
}

#[tokio::test]
async fn a_certificate_past_its_validity_takes_no_renewal() {
    let app = spawn_app_with(|config| {
        setup(config);
        config.workflow.certificate_validity = "PT30S".parse().expect("duration");
    })
    .await;
    let h = holder(&app).await;
    file_ok(&app, &h, json!({"kind": "renewal"})).await;
    app.clock.advance(chrono::Duration::seconds(31));
    file(&app, &h, json!({"kind": "renewal"})).await.assert_problem(409, "invalid_transition");
}

#[tokio::test]
async fn cancellation_ends_the_certificate_and_its_pending_acts() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let lingering = file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    file(&app, &h, json!({"kind": "cancellation", "reason": ""})).await.assert_problem(422, "validation_failed");
    let cancel = file_ok(&app, &h, json!({"kind": "cancellation", "reason": "产品停止运营"})).await;
    assert_eq!(approve(&app, &h, &cancel).await.assert_status(200)["state"], "approved");
    assert_eq!(public(&app, &h).await["status"], "cancelled");
    approve(&app, &h, &lingering).await.assert_problem(409, "invalid_transition");
    file(&app, &h, license(false, "2027-01-01", "2027-02-01")).await.assert_problem(409, "invalid_transition");
}

#[tokio::test]
async fn only_staff_revoke_and_only_active_certificates() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let path = format!("/review/certificates/{}/revoke", h.certificate);
    let grounds = json!({"grounds": "登记时提交的材料存在虚假内容"});
    app.post(&path, None, grounds.clone()).await.assert_problem(401, "unauthorized");
    app.post(&path, Some(&h.tenant.token), grounds.clone()).await.assert_problem(403, "forbidden");
    app.post(&path, Some(&h.reviewer), json!({"grounds": " "})).await.assert_problem(422, "validation_failed");
    app.post("/review/certificates/00000000-0000-0000-0000-000000000000/revoke", Some(&h.reviewer), grounds.clone())
        .await
        .assert_problem(404, "not_found");
    assert_eq!(public(&app, &h).await["status"], "active");

    let revoked = app.post(&path, Some(&h.reviewer), grounds.clone()).await;
    let revoked = revoked.assert_status(200);
    assert_eq!((revoked["kind"].as_str(), revoked["state"].as_str()), (Some("revocation"), Some("approved")));
    assert_eq!(public(&app, &h).await["status"], "revoked");
    app.post(&path, Some(&h.reviewer), grounds).await.assert_problem(409, "invalid_transition");
    file(&app, &h, license(false, "2027-01-01", "2027-02-01")).await.assert_problem(409, "invalid_transition");
}

#[tokio::test]
async fn acts_are_validated_and_kept_to_their_holder_and_reviewers() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let other = app.signup().await;
    let path = format!("/certificates/{}/acts", h.certificate);
    let act = license(false, "2027-01-01", "2027-12-31");

    app.post(&path, None, act.clone()).await.assert_problem(401, "unauthorized");
    app.post(&path, Some(&other.token), act.clone()).await.assert_problem(404, "not_found");
    app.get(&path, Some(&other.token)).await.assert_problem(404, "not_found");
    app.post(&path, Some(&h.reviewer), act.clone()).await.assert_problem(403, "forbidden");
    app.post(&path, Some(&h.tenant.token), json!({"kind": "gift"})).await.assert_problem(422, "validation_failed");
    app.post(&path, Some(&h.tenant.token), json!({"kind": "revocation", "grounds": "x"}))
        .await
        .assert_problem(422, "validation_failed");
    let mut misspelt = license(false, "2027-01-01", "2027-12-31");
    misspelt["licence_scope"] = json!("全国");
    let answer = app.post(&path, Some(&h.tenant.token), misspelt).await;
    answer.assert_problem(422, "validation_failed");
    assert!(answer.body.to_string().contains("licence_scope"), "{}", answer.body);
    let backwards = license(false, "2027-12-31", "2027-01-01");
    app.post(&path, Some(&h.tenant.token), backwards).await.assert_problem(422, "validation_failed");
    let mut bad_party = license(false, "2027-01-01", "2027-12-31");
    bad_party["licensee"]["credit_code"] = json!("91310000MA1FL4B24X");
    let answer = app.post(&path, Some(&h.tenant.token), bad_party).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["licensee.credit_code"]);
    let mut bad_money = pledge();
    bad_money["secured_amount"] = json!({"amount": "-5", "currency": "yuan"});
    let answer = app.post(&path, Some(&h.tenant.token), bad_money).await;
    assert_eq!(answer.error_fields(), ["secured_amount.amount", "secured_amount.currency"]);
    assert_eq!(app.get(&path, Some(&h.tenant.token)).await.body, json!([]));

    let id = file_ok(&app, &h, act).await;
    app.get("/review/acts", Some(&h.tenant.token)).await.assert_problem(403, "forbidden");
    app.post(&format!("/review/acts/{id}/approve"), Some(&h.tenant.token), json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!("/review/acts/{id}/reject"), Some(&h.reviewer), json!({}))
        .await
        .assert_problem(422, "validation_failed");
    let rejected =
        app.post(&format!("/review/acts/{id}/reject"), Some(&h.reviewer), json!({"reason": "被许可方资质不足"})).await;
    assert_eq!(rejected.assert_status(200)["state"], "rejected");
    approve(&app, &h, &id).await.assert_problem(409, "invalid_transition");
    assert_eq!(public(&app, &h).await["licenses"], json!([]));
}

#[tokio::test]
async fn the_certificate_downloads_as_a_pdf_with_chinese_text() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let answer = app
        .client
        .get(app.url(&format!("/certificates/{}/pdf", h.certificate)))
        .bearer_auth(&h.tenant.token)
        .send()
        .await;
    let answer = answer.expect("sent");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    let bytes = answer.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.len() < 400_000, "the font is subset: {} bytes", bytes.len());

    // Rendered by poppler, the page is a real A4 image.
    let dir = std::env::temp_dir().join(format!("dataip-pdf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let pdf = dir.join("certificate.pdf");
    std::fs::write(&pdf, &bytes).expect("written");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "50", "-singlefile"])
        .arg(&pdf)
        .arg(dir.join("page"))
        .status()
        .expect("pdftoppm is installed (poppler-utils)");
    assert!(rendered.success());
    let png = std::fs::read(dir.join("page.png")).expect("a PNG");
    assert_eq!(&png[1..4], b"PNG");
    // 50 dpi A4: about 413 × 585 pixels (IHDR width and height).
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().expect("4")),
        u32::from_be_bytes(png[20..24].try_into().expect("4")),
    );
    assert!((410..=416).contains(&width) && (582..=588).contains(&height), "{width}×{height}");
    let text = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("数据知识产权登记证书"), "{text}");
    assert!(text.contains(&h.number), "{text}");
    assert!(text.contains("上海数据科技有限公司"), "{text}");
    if std::env::var_os("DATAIP_KEEP_PDF").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        eprintln!("kept {}", dir.display());
    }

    let other = app.signup().await;
    app.get(&format!("/certificates/{}/pdf", h.certificate), Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&format!("/certificates/{}/pdf", h.certificate), None).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn every_approved_act_is_a_verifiable_ledger_leaf() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let pledge_act = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &pledge_act).await.assert_status(200);
    for act in [
        license(true, "2027-01-01", "2027-12-31"),
        json!({"kind": "pledge_release", "pledge_id": pledge_act}),
        json!({"kind": "change", "abstract": "覆盖长三角与珠三角的物流时效数据"}),
    ] {
        let id = file_confirmed(&app, &h, act).await;
        approve(&app, &h, &id).await.assert_status(200);
    }
    transferred(&app, &h, &buyer).await;
    let revoked = app
        .post(
            &format!("/review/certificates/{}/revoke", h.certificate),
            Some(&h.reviewer),
            json!({"grounds": "核查发现权属争议"}),
        )
        .await;
    revoked.assert_status(200);
    dataip::jobs::Worker::new(app.state.clone()).step().await;

    let history = public(&app, &h).await["history"].clone();
    let kinds: Vec<&str> = history.as_array().expect("history").iter().filter_map(|a| a["kind"].as_str()).collect();
    assert_eq!(kinds, ["pledge", "license", "pledge_release", "change", "transfer", "revocation"]);
    let checkpoint =
        app.client.get(app.url("/public/ledger/checkpoint")).send().await.expect("sent").text().await.expect("note");
    let signed = tlog::checkpoint::open(&checkpoint, &app.state.config.ledger.origin, app.state.signer.public_key())
        .expect("signed");
    let expected = [
        "pledge.recorded",
        "license.recorded",
        "pledge.released",
        "certificate.changed",
        "certificate.transferred",
        "certificate.revoked",
    ];
    for (act, expected) in history.as_array().expect("history").iter().zip(expected) {
        let index = act["ledger_index"].as_u64().expect("on the ledger");
        let entry = app.get(&format!("/public/ledger/entries/{index}"), None).await;
        let bytes = STANDARD.decode(entry.body["entry"].as_str().expect("b64")).expect("b64");
        let parsed: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(parsed["type"], expected);
        assert_eq!(parsed["certificate_number"], h.number.as_str());
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("bank.example"), "no contact on the ledger: {text}");
        if expected.starts_with("pledge.") {
            assert_eq!(parsed["rank"], 1, "{text}");
        }
        let proof =
            app.get(&format!("/public/ledger/proofs/inclusion?index={index}&tree_size={}", signed.size), None).await;
        let hashes: Vec<merkle::Hash> = proof.body["hashes"]
            .as_array()
            .expect("hashes")
            .iter()
            .map(|h| hex::decode(h.as_str().expect("hex")).expect("hex").try_into().expect("32"))
            .collect();
        assert!(
            merkle::verify_inclusion(&merkle::leaf_hash(&bytes), index, signed.size, &hashes, &signed.root),
            "{expected}"
        );
    }
    assert_eq!(public(&app, &h).await["status"], "revoked");
}

#[tokio::test]
async fn filing_an_act_is_idempotent_with_a_key() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let act = license(false, "2027-01-01", "2027-12-31");
    let send = |body: Value| {
        app.client
            .post(app.url(&format!("/certificates/{}/acts", h.certificate)))
            .bearer_auth(&h.tenant.token)
            .header("idempotency-key", "license-2027")
            .json(&body)
            .send()
    };
    let first = crate::helpers::answer(send(act.clone()).await.expect("sent")).await;
    let first = first.assert_status(201).clone();
    let again = crate::helpers::answer(send(act).await.expect("sent")).await;
    assert_eq!(again.assert_status(201), &first);
    let other = crate::helpers::answer(send(license(true, "2028-01-01", "2028-12-31")).await.expect("sent")).await;
    other.assert_problem(422, "validation_failed");
    assert_eq!(other.error_fields(), ["Idempotency-Key"]);
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    assert_eq!(acts.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_transfer_cancellation_or_pledge_is_refused_while_one_waits() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code});
    let cancellation = json!({"kind": "cancellation", "reason": "停止运营"});

    // Two racing filings: one is filed, the other names it.
    let (first, second) = tokio::join!(file(&app, &h, transfer.clone()), file(&app, &h, cancellation.clone()));
    let (filed, refused) = if first.status == 201 { (first, second) } else { (second, first) };
    let waiting = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    refused.assert_problem(409, "conflict");
    assert_eq!(refused.body["conflicting_act_id"], waiting.as_str());
    let kind = filed.body["kind"].as_str().expect("kind");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains(kind) && d.contains(&waiting)));

    // Any of the three waits on any other; a licence or a change does not.
    for act in [transfer.clone(), cancellation.clone(), pledge()] {
        let answer = file(&app, &h, act).await;
        answer.assert_problem(409, "conflict");
        assert_eq!(answer.body["conflicting_act_id"], waiting.as_str());
    }
    file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    assert_eq!(acts.assert_status(200).as_array().map(Vec::len), Some(2), "nothing else was filed");

    // Once it is decided (a transfer declined by its transferee, a
    // cancellation rejected), the next may be filed.
    match kind {
        "transfer" => app.post(&format!("/confirmations/{waiting}/decline"), Some(&buyer.token), json!({})).await,
        _ => {
            app.post(&format!("/review/acts/{waiting}/reject"), Some(&h.reviewer), json!({"reason": "材料不全"})).await
        }
    }
    .assert_status(200);
    file_confirmed(&app, &h, pledge()).await;
}

#[tokio::test]
async fn a_pledge_may_not_outlast_the_certificate_and_ranks_after_another_with_its_consent() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let mut long = pledge();
    long["ends_on"] = json!("2099-12-31");
    let answer = file(&app, &h, long).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["ends_on"]);
    assert!(answer.body["detail"].as_str().is_some_and(|d| d.contains("validity")));

    let first = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &first).await.assert_status(200);
    // A second pledge waits for its own pledgee and the first's consent.
    let second = file(&app, &h, pledge()).await;
    let body = second.assert_status(201).clone();
    assert_eq!(body["awaiting"][1]["pledge_id"], first.as_str(), "{body}");
    let tokens = links(&body);
    answer_link(&app, &tokens[0], "confirm").await.assert_status(200);
    // Declined by the first pledgee, it is refused.
    let refused = answer_link(&app, &tokens[1], "decline").await;
    assert_eq!(refused.assert_status(200)["state"], "rejected");
    answer_link(&app, &tokens[1], "confirm").await.assert_problem(409, "conflict");
    // With its consent, it is recorded, ranking second.
    let second = file_confirmed(&app, &h, pledge()).await;
    approve(&app, &h, &second).await.assert_status(200);
    let ranks: Vec<_> =
        public(&app, &h).await["pledges"].as_array().expect("pledges").iter().map(|p| p["rank"].clone()).collect();
    assert_eq!(ranks, [json!(1), json!(2)]);
}

#[tokio::test]
async fn a_renewal_keeps_the_pledges() {
    let app = spawn_app_with(|config| {
        setup(config);
        // Inside the renewal window from the start.
        config.workflow.certificate_validity = "P60D".parse().expect("duration");
    })
    .await;
    let h = holder(&app).await;
    let mut short = pledge();
    short["ends_on"] = json!((chrono::Utc::now() + chrono::Duration::days(30)).date_naive().to_string());
    let pledged = file_confirmed(&app, &h, short).await;
    approve(&app, &h, &pledged).await.assert_status(200);
    let renewal = file_ok(&app, &h, json!({"kind": "renewal"})).await;
    approve(&app, &h, &renewal).await.assert_status(200);
    let record = public(&app, &h).await;
    assert_eq!(record["pledges"].as_array().map(Vec::len), Some(1), "{record}");
    assert_eq!(record["pledges"][0]["rank"], 1);
}
