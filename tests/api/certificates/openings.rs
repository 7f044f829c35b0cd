//! The public ledger reveals nothing the public record hides: act entries
//! carry the public fields and commitments to the private ones, the
//! openings go to the organization whose terms they are (and staff), and a
//! disclosed value verifies offline against the ledger.

use std::collections::BTreeSet;

use base64::{Engine, engine::general_purpose::STANDARD};
use dataip::domain::StaffRole;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    certificates::acts::{Holder, approve, file_confirmed, file_ok, holder, license, setup, transferred},
    helpers::{Tenant, TestApp, fresh_credit_code, spawn_app_with},
    operations::cli,
};

const AMOUNT: &str = "98765432.10";
const SCOPE: &str = "仅限华东地区物流调度模型训练，不得转授权";
const REASON: &str = "内部重组，涉及尚未公告的并购计划";

fn pledge_to(pledgee_code: &str) -> Value {
    json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": pledgee_code, "contact_email": "loans@bank.example"},
        "secured_amount": {"amount": AMOUNT, "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2028-12-01"})
}

fn license_to(licensee_code: &str) -> Value {
    json!({"kind": "license", "licensee": {"name": "杭州智算有限公司", "credit_code": licensee_code},
        "exclusive": true, "scope": SCOPE, "starts_on": "2027-01-01", "ends_on": "2027-12-31"})
}

/// Files an act, confirms every word it awaits by link, and approves it;
/// its id.
pub(super) async fn recorded(app: &TestApp, h: &Holder, act: Value) -> String {
    let id = file_confirmed(app, h, act).await;
    approve(app, h, &id).await.assert_status(200);
    id
}

/// The holder's certificate under its new holder.
pub(super) fn moved(h: &Holder, to: Tenant) -> Holder {
    Holder { tenant: to, reviewer: h.reviewer.clone(), certificate: h.certificate.clone(), number: h.number.clone() }
}

/// Every leaf's entry, as text.
pub(super) async fn entries(app: &TestApp) -> Vec<String> {
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let mut entries = Vec::new();
    for index in 0.. {
        let answer = app.get(&format!("/public/ledger/entries/{index}"), None).await;
        if answer.status == 404 {
            break;
        }
        let bytes = STANDARD.decode(answer.body["entry"].as_str().expect("base64")).expect("base64");
        entries.push(String::from_utf8(bytes).expect("UTF-8"));
    }
    entries
}

pub(super) fn openings_path(h: &Holder, act: &str) -> String {
    format!("/certificates/{}/acts/{act}/openings", h.certificate)
}

#[tokio::test]
async fn no_entry_shows_a_private_value_or_an_internal_id() {
    let app = spawn_app_with(|config| {
        setup(config);
        // Renewal is open from the start.
        config.workflow.certificate_validity = "P60D".parse().expect("duration");
    })
    .await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let (pledgee_code, licensee_code) = (fresh_credit_code(), fresh_credit_code());

    // Within the short validity: a pledge may not outlast it.
    let mut short = pledge_to(&pledgee_code);
    short["ends_on"] = json!((chrono::Utc::now() + chrono::Duration::days(30)).date_naive().to_string());
    let pledge = recorded(&app, &h, short).await;
    let mut acts = vec![pledge.clone()];
    for act in [
        license_to(&licensee_code),
        json!({"kind": "pledge_release", "pledge_id": pledge}),
        json!({"kind": "change", "product_name": "长三角物流时效数据集（2027版）"}),
        json!({"kind": "renewal"}),
    ] {
        acts.push(recorded(&app, &h, act).await);
    }
    acts.push(transferred(&app, &h, &buyer).await);
    let h2 = moved(&h, buyer);
    acts.push(recorded(&app, &h2, json!({"kind": "cancellation", "reason": REASON})).await);
    let other = holder(&app).await;
    let grounds = "登记材料存在虚假内容";
    let revoked = app
        .post(
            &format!("/review/certificates/{}/revoke", other.certificate),
            Some(&other.reviewer),
            json!({"grounds": grounds}),
        )
        .await;
    acts.push(revoked.assert_status(200)["id"].as_str().expect("id").to_owned());

    let entries = entries(&app).await;
    let types: BTreeSet<String> = entries
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).expect("json")["type"].as_str().expect("type").to_owned())
        .collect();
    let expected = [
        "certificate.issued",
        "pledge.recorded",
        "license.recorded",
        "pledge.released",
        "certificate.changed",
        "certificate.renewed",
        "certificate.transferred",
        "certificate.cancelled",
        "certificate.revoked",
    ];
    assert_eq!(types, expected.iter().map(|t| t.to_string()).collect(), "every act kind is on the ledger");

    let mut private = vec![
        AMOUNT.to_owned(),
        "98765432".to_owned(),
        pledgee_code,
        licensee_code,
        SCOPE.to_owned(),
        REASON.to_owned(),
        h.tenant.org_id.clone(),
        h.tenant.user_id.clone(),
        h2.tenant.org_id.clone(),
        h.certificate.clone(),
        other.certificate.clone(),
    ];
    private.extend(acts);
    for entry in &entries {
        for value in &private {
            assert!(!entry.contains(value.as_str()), "{value} is in clear in {entry}");
        }
    }
    // What is public is there: the registry's grounds, the new holder, the change.
    let all = entries.join("\n");
    for public in
        [grounds, h2.tenant.credit_code.as_str(), "长三角物流时效数据集（2027版）", "上海银行", "杭州智算有限公司"]
    {
        assert!(all.contains(public), "{public} should be public");
    }
}

#[tokio::test]
async fn pledge_amounts_are_in_clear_on_the_ledger_only_where_configured() {
    for public_amounts in [false, true] {
        let app = spawn_app_with(|config| {
            setup(config);
            config.registry.public_pledge_amounts = public_amounts;
        })
        .await;
        let h = holder(&app).await;
        recorded(&app, &h, pledge_to(&fresh_credit_code())).await;
        let entries = entries(&app).await;
        let pledge: Value = serde_json::from_str(entries.last().expect("an entry")).expect("json");
        assert_eq!(pledge["type"], "pledge.recorded");
        let committed: Vec<&String> = pledge["commitments"].as_object().expect("commitments").keys().collect();
        if public_amounts {
            assert_eq!(pledge["secured_amount"], json!({"amount": AMOUNT, "currency": "CNY"}));
            assert_eq!(committed, ["pledgee.credit_code"]);
        } else {
            assert!(pledge.get("secured_amount").is_none(), "{pledge}");
            assert_eq!(committed, ["pledgee.credit_code", "secured_amount"]);
        }
    }
}

/// The commitment, computed here from the construction the README gives.
fn commitment(path: &str, opening: &Value) -> String {
    let salt = hex::decode(opening["salt"].as_str().expect("salt")).expect("hex");
    assert_eq!(salt.len(), 32);
    let value = tlog::signing::canonical_json(&opening["value"]).expect("jcs");
    let mut hasher = Sha256::new();
    hasher.update(format!("dataip-commit/v1\n{path}\n"));
    hasher.update(salt);
    hasher.update(value);
    hex::encode(hasher.finalize())
}

#[tokio::test]
async fn openings_go_to_the_recording_holder_and_staff_only() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let stranger = app.signup().await;
    let pledgee_code = fresh_credit_code();
    let pledge = recorded(&app, &h, pledge_to(&pledgee_code)).await;
    dataip::jobs::Worker::new(app.state.clone()).step().await;

    let path = openings_path(&h, &pledge);
    let answer = app.get(&path, Some(&h.tenant.token)).await;
    let disclosure = answer.assert_status(200).clone();
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(disclosure["act_id"], pledge.as_str());
    assert_eq!(disclosure["certificate_number"], h.number.as_str());
    let openings = &disclosure["openings"];
    assert_eq!(openings["secured_amount"]["value"], json!({"amount": AMOUNT, "currency": "CNY"}));
    assert_eq!(openings["pledgee.credit_code"]["value"], pledgee_code.as_str());
    let entry: Value =
        serde_json::from_slice(&STANDARD.decode(disclosure["entry"].as_str().expect("entry")).expect("b64"))
            .expect("json");
    for field in ["secured_amount", "pledgee.credit_code"] {
        assert_eq!(entry["commitments"][field], commitment(field, &openings[field]), "{field}");
    }
    let index = disclosure["ledger"]["leaf_index"].as_u64().expect("on the ledger");
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    assert_eq!(acts.body[0]["ledger_index"], index);

    // Staff see them; nobody else does, and without a token, nobody at all.
    app.get(&path, Some(&h.reviewer)).await.assert_status(200);
    app.get(&path, Some(&stranger.token)).await.assert_problem(404, "not_found");
    app.get(&path, None).await.assert_problem(401, "unauthorized");
    let other = holder(&app).await;
    app.get(&format!("/certificates/{}/acts/{pledge}/openings", other.certificate), Some(&h.reviewer))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/certificates/{}/acts/not-a-uuid/openings", h.certificate), Some(&h.tenant.token))
        .await
        .assert_problem(400, "validation_failed");
    let pending = file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;
    app.get(&openings_path(&h, &pending), Some(&h.tenant.token)).await.assert_problem(404, "not_found");

    // After a transfer the new holder does not see the transferor's terms;
    // the transferor still does, and its own later acts are the new holder's.
    recorded(&app, &h, json!({"kind": "pledge_release", "pledge_id": pledge})).await;
    let transfer = transferred(&app, &h, &buyer).await;
    app.get(&path, Some(&buyer.token)).await.assert_problem(404, "not_found");
    // The transfer itself is the transferee's too (a person's number is
    // committed to in it).
    let theirs_too = app.get(&openings_path(&h, &transfer), Some(&buyer.token)).await;
    assert_eq!(theirs_too.assert_status(200)["openings"], json!({}));
    app.get(&path, Some(&h.tenant.token)).await.assert_status(200);
    let transfer_openings = app.get(&openings_path(&h, &transfer), Some(&h.tenant.token)).await;
    assert_eq!(transfer_openings.assert_status(200)["openings"], json!({}), "a transfer has nothing private");

    let h2 = moved(&h, buyer);
    let theirs = recorded(&app, &h2, license_to(&fresh_credit_code())).await;
    let answer = app.get(&openings_path(&h2, &theirs), Some(&h2.tenant.token)).await;
    assert_eq!(answer.assert_status(200)["openings"]["scope"]["value"], SCOPE);
    assert!(answer.body["entry"].is_null(), "not appended yet: {}", answer.body);
    app.get(&openings_path(&h2, &theirs), Some(&h.tenant.token)).await.assert_problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disclosed_value_verifies_offline_and_a_changed_one_does_not() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let pledge = recorded(&app, &h, pledge_to(&fresh_credit_code())).await;
    recorded(&app, &h, license_to(&fresh_credit_code())).await;
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let disclosure = app.get(&openings_path(&h, &pledge), Some(&h.tenant.token)).await.body;
    let key = app.get("/public/ledger/key", None).await.body["public_key"].as_str().expect("key").to_owned();
    let dir = std::env::temp_dir().join(format!("dataip-opening-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("opening.json");
    let check = |disclosure: Value| {
        let (file, key) = (file.clone(), key.clone());
        async move {
            std::fs::write(&file, disclosure.to_string()).expect("written");
            let args = vec!["--opening".into(), file.display().to_string(), "--public-key".into(), key];
            let output = cli::verify(args).await;
            let text =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            (output.status.success(), text)
        }
    };

    let (passed, output) = check(disclosure.clone()).await;
    assert!(passed, "{output}");
    for line in ["✓ ledger entry", "✓ opening pledgee.credit_code", "✓ opening secured_amount", "✓ ledger leaf"]
    {
        assert!(output.contains(line), "{line}: {output}");
    }
    assert!(output.contains("✓ inclusion proof") && output.contains("✓ checkpoint"), "{output}");

    // A bank proves the amount alone, keeping the pledgee's code to itself.
    let mut amount_only = disclosure.clone();
    amount_only["openings"].as_object_mut().expect("openings").remove("pledgee.credit_code");
    let (passed, output) = check(amount_only.clone()).await;
    assert!(passed && !output.contains("pledgee.credit_code"), "{output}");

    // A changed amount, a changed salt, or a value moved to another field fails.
    let mut changed = amount_only.clone();
    changed["openings"]["secured_amount"]["value"]["amount"] = json!("98765432.11");
    let (passed, output) = check(changed).await;
    assert!(!passed && output.contains("✗ opening secured_amount"), "{output}");
    let mut salted = amount_only.clone();
    salted["openings"]["secured_amount"]["salt"] = json!("00".repeat(32));
    let (passed, output) = check(salted).await;
    assert!(!passed && output.contains("✗ opening secured_amount"), "{output}");
    let mut moved_field = disclosure.clone();
    let code = moved_field["openings"]["pledgee.credit_code"].clone();
    moved_field["openings"]["secured_amount"] = code;
    let (passed, output) = check(moved_field).await;
    assert!(!passed && output.contains("✗ opening secured_amount"), "{output}");

    // Another certificate's number, or another key, fails too.
    let mut renamed = disclosure.clone();
    renamed["certificate_number"] = json!("20261131000009999");
    let (passed, output) = check(renamed).await;
    assert!(!passed && output.contains("✗ ledger entry"), "{output}");
    let wrong_key =
        vec!["--opening".into(), file.display().to_string(), "--public-key".into(), STANDARD.encode([9u8; 32])];
    std::fs::write(&file, disclosure.to_string()).expect("written");
    assert!(!cli::verify(wrong_key).await.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_passes_with_act_entries_and_catches_a_rewritten_one() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let pledge = recorded(&app, &h, pledge_to(&fresh_credit_code())).await;
    recorded(&app, &h, license_to(&fresh_credit_code())).await;
    recorded(&app, &h, json!({"kind": "pledge_release", "pledge_id": pledge})).await;
    recorded(&app, &h, json!({"kind": "cancellation", "reason": REASON})).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let other = holder(&app).await;
    app.post(
        &format!("/review/certificates/{}/revoke", other.certificate),
        Some(&reviewer),
        json!({"grounds": "虚假材料"}),
    )
    .await
    .assert_status(200);
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let (passed, output) = cli::audit(&app.database_url).await;
    assert!(passed, "{output}");
    assert!(output.contains("7 leaves recomputed"), "{output}");

    // The pledge's entry rewritten to name another pledgee, with its leaf
    // hash recomputed: a well-formed entry, but not the one the tree holds.
    cli::tamper(
        &app,
        "UPDATE ledger_leaves SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '上海银行', '上海农商银行'), 'UTF8')
         WHERE convert_from(entry, 'UTF8') LIKE '%pledge.recorded%'",
    )
    .await;
    cli::tamper(&app, "UPDATE ledger_leaves SET leaf_hash = sha256('\\x00'::bytea || entry)").await;
    let (passed, output) = cli::audit(&app.database_url).await;
    assert!(!passed);
    assert!(output.contains("subtree at level 0"), "{output}");
    // And the pledge's disclosure no longer leads to the signed root.
    let disclosure = app.get(&openings_path(&h, &pledge), Some(&h.tenant.token)).await.body;
    let dir = std::env::temp_dir().join(format!("dataip-tampered-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("opening.json");
    std::fs::write(&file, disclosure.to_string()).expect("written");
    let key = app.get("/public/ledger/key", None).await.body["public_key"].as_str().expect("key").to_owned();
    let output = cli::verify(vec!["--opening".into(), file.display().to_string(), "--public-key".into(), key]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success() && stdout.contains("✗ inclusion proof"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}
