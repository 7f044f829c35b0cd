//! Natural persons in acts (issue 28): a certificate moves from an
//! organization to a person and back, and a person is licensed. The person
//! is named by a commitment to their number, whose opening the parties to
//! the act may disclose; no answer, document or ledger entry carries the
//! number in clear. A pledgee is an organization.

use dataip::domain::IdNumber;
use serde_json::{Value, json};
use tlog::document::NEW_HOLDER_ID_NUMBER;
use uuid::Uuid;

use super::openings::{entries, moved, openings_path};
use crate::{
    certificates::acts::{accept, file, holder, setup},
    helpers::{TestApp, fresh_id_number, spawn_app_with},
    operations::cli,
};

fn to_person(id_number: &str) -> Value {
    json!({"kind": "transfer", "transferee_id_number": id_number})
}

async fn disclosed_and_verified(app: &TestApp, disclosure: &Value) -> String {
    let key = app.get("/public/ledger/key", None).await.body["public_key"].as_str().expect("key").to_owned();
    let file = std::env::temp_dir().join(format!("dataip-transfer-opening-{}.json", Uuid::now_v7()));
    std::fs::write(&file, disclosure.to_string()).expect("written");
    let output = cli::verify(vec!["--opening".into(), file.display().to_string(), "--public-key".into(), key]).await;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_goes_to_a_person_and_back_without_the_number_in_clear() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let person = app.signup_person().await;
    let number = person.credit_code.clone();
    let masked = IdNumber::parse(&number).expect("valid").masked();
    let mut answers = Vec::new();

    // Filed by number: the answer names the person masked.
    let filed = file(&app, &h, to_person(&number)).await;
    let transferee = &filed.assert_status(201)["details"]["transferee"];
    assert_eq!(transferee["kind"], "person");
    assert_eq!(transferee["id"], person.org_id.as_str());
    assert_eq!(transferee["id_number_masked"], masked.as_str());
    assert!(transferee.get("credit_code").is_none());
    answers.push(filed.body.to_string());
    let act = filed.body["id"].as_str().expect("id").to_owned();
    // The person sees it awaiting their word, and accepts it.
    let awaiting = app.get("/confirmations", Some(&person.token)).await;
    assert_eq!(awaiting.assert_status(200)[0]["id"], act.as_str());
    answers.push(awaiting.body.to_string());
    accept(&app, &person, &act).await;
    let approved = crate::certificates::acts::approve(&app, &h, &act).await;
    let details = &approved.assert_status(200)["details"];
    assert_eq!(details["transferor"], json!({"name": "上海数据科技有限公司", "credit_code": h.tenant.credit_code}));
    answers.push(approved.body.to_string());

    // The person holds it now; the public sees a person by name.
    let mine = app.get("/certificates", Some(&person.token)).await;
    assert_eq!(mine.assert_status(200)["items"][0]["id"], h.certificate.as_str());
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.assert_status(200)["holder"], json!({"kind": "person", "name": "王芳", "verified": true}));
    answers.push(record.body.to_string());

    // The ledger names the new holder by commitment; both sides of the
    // transfer may disclose its opening, and it verifies offline.
    let texts = entries(&app).await;
    let transferred = texts.iter().find(|t| t.contains("certificate.transferred")).expect("the transfer's entry");
    assert!(transferred.contains("\"kind\":\"person\"") && transferred.contains("id_commitment"), "{transferred}");
    for token in [&person.token, &h.tenant.token] {
        let disclosure = app.get(&openings_path(&h, &act), Some(token)).await;
        let disclosure = disclosure.assert_status(200).clone();
        assert_eq!(disclosure["openings"][NEW_HOLDER_ID_NUMBER]["value"], number.as_str());
        let text = disclosed_and_verified(&app, &disclosure).await;
        assert!(text.contains("✓ opening new_holder.id_number"), "{text}");
    }
    let stranger = app.signup_person().await;
    app.get(&openings_path(&h, &act), Some(&stranger.token)).await.assert_problem(404, "not_found");

    // And back to an organization, filed by the person.
    let back = moved(&h, person.clone());
    let returned = file(&app, &back, json!({"kind": "transfer", "transferee_credit_code": h.tenant.credit_code})).await;
    let returned = returned.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &h.tenant, &returned).await;
    let approved = crate::certificates::acts::approve(&app, &back, &returned).await;
    let details = approved.assert_status(200).clone();
    assert_eq!(details["details"]["transferor"], json!({"kind": "person", "name": "王芳", "id_number_masked": masked}));
    assert_eq!(details["details"]["transferee"]["credit_code"], h.tenant.credit_code.as_str());
    // The person no longer holds it: its acts are not theirs to list.
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&person.token)).await;
    acts.assert_problem(404, "not_found");
    answers.push(details.to_string());
    let theirs = app.get("/certificates", Some(&h.tenant.token)).await;
    assert_eq!(theirs.assert_status(200)["items"][0]["id"], h.certificate.as_str());
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    answers.push(record.body.to_string());

    // Nothing anyone was answered, no document and no ledger entry carries
    // the number in clear; the whole ledger audits.
    let texts = entries(&app).await;
    assert!(texts.iter().filter(|t| t.contains("certificate.transferred")).count() == 2);
    for text in texts.iter().chain(&answers) {
        assert!(!text.contains(&number), "the number in clear: {text}");
    }
    let documents: Vec<Value> =
        sqlx::query_scalar("SELECT document FROM certificates").fetch_all(&app.state.db).await.expect("documents");
    assert!(documents.iter().all(|d| !d.to_string().contains(&number)));
    let (passed, output) = cli::audit(&app.database_url).await;
    assert!(passed, "{output}");
}

#[tokio::test]
async fn a_transferee_by_number_must_be_one_verified_person_other_than_the_holder() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let unverified = app.signup_person_unverified().await;
    let holder_person = app.signup_person().await;
    let mut wrong = fresh_id_number();
    wrong.replace_range(17.., if wrong.ends_with('0') { "1" } else { "0" });
    let cases = [
        (to_person(&wrong), "transferee_id_number"),
        (to_person(&fresh_id_number()), "transferee_id_number"),
        (to_person(&unverified.credit_code), "transferee_id_number"),
        (
            json!({"kind": "transfer", "transferee_id_number": holder_person.credit_code,
            "transferee_credit_code": h.tenant.credit_code}),
            "transferee_id_number",
        ),
        (json!({"kind": "transfer"}), "transferee_credit_code"),
        (json!({"kind": "transfer", "transferee_id_number": 110105194912310029u64}), "transferee_id_number"),
    ];
    for (body, field) in cases {
        let answer = file(&app, &h, body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{body}");
        for number in [&wrong, &unverified.credit_code, &holder_person.credit_code] {
            assert!(!answer.body.to_string().contains(number.as_str()), "{}", answer.body);
        }
    }
    let acts = app.get(&format!("/certificates/{}/acts", h.certificate), Some(&h.tenant.token)).await;
    assert_eq!(acts.assert_status(200).as_array().map(Vec::len), Some(0), "nothing filed");

    // The person holding a certificate cannot transfer it to themself.
    let person_holder = moved(&h, holder_person.clone());
    let filed = file(&app, &h, to_person(&holder_person.credit_code)).await;
    let act = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    accept(&app, &holder_person, &act).await;
    crate::certificates::acts::approve(&app, &h, &act).await.assert_status(200);
    let answer = file(&app, &person_holder, to_person(&holder_person.credit_code)).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["transferee_id_number"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_is_licensed_under_a_commitment_and_a_pledgee_is_an_organization() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let number = fresh_id_number();
    let masked = IdNumber::parse(&number).expect("valid").masked();
    let licence = json!({"kind": "license", "licensee": {"name": "李雷", "id_number": number},
        "exclusive": false, "scope": "个人研究使用", "starts_on": "2027-01-01", "ends_on": "2027-12-31"});
    let filed = file(&app, &h, licence.clone()).await;
    let licensee = filed.assert_status(201)["details"]["licensee"].clone();
    assert_eq!(licensee, json!({"name": "李雷", "id_number_masked": masked}));
    let act = filed.body["id"].as_str().expect("id").to_owned();
    let approved = crate::certificates::acts::approve(&app, &h, &act).await;
    approved.assert_status(200);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.assert_status(200)["licenses"][0]["licensee_name"], "李雷");

    // The entry commits to the number in place of a credit code; the
    // holder's disclosure opens it and it verifies offline.
    let texts = entries(&app).await;
    let recorded_licence = texts.iter().find(|t| t.contains("license.recorded")).expect("the licence's entry");
    assert!(recorded_licence.contains("licensee.id_number") && !recorded_licence.contains("licensee.credit_code"));
    let disclosure = app.get(&openings_path(&h, &act), Some(&h.tenant.token)).await;
    let disclosure = disclosure.assert_status(200).clone();
    assert_eq!(disclosure["openings"]["licensee.id_number"]["value"], number.as_str());
    let text = disclosed_and_verified(&app, &disclosure).await;
    assert!(text.contains("✓ opening licensee.id_number"), "{text}");
    for text in texts.iter().chain([&filed.body.to_string(), &approved.body.to_string(), &record.body.to_string()]) {
        assert!(!text.contains(&number), "the number in clear: {text}");
    }
    let (passed, output) = cli::audit(&app.database_url).await;
    assert!(passed, "{output}");

    // Refused: a pledgee by number, both identifiers, neither, a wrong check character.
    let mut wrong = fresh_id_number();
    wrong.replace_range(17.., if wrong.ends_with('0') { "1" } else { "0" });
    let pledge = |pledgee: Value| {
        json!({"kind": "pledge", "pledgee": pledgee, "secured_amount": {"amount": "100.00", "currency": "CNY"},
            "starts_on": "2027-01-01", "ends_on": "2027-12-31"})
    };
    let licence_to = |licensee: Value| {
        json!({"kind": "license", "licensee": licensee, "exclusive": false, "scope": "研究",
            "starts_on": "2027-01-01", "ends_on": "2027-12-31"})
    };
    let code = crate::helpers::fresh_credit_code();
    let cases = [
        (pledge(json!({"name": "李雷", "id_number": number})), "pledgee.id_number"),
        (licence_to(json!({"name": "李雷", "id_number": number, "credit_code": code})), "licensee.id_number"),
        (licence_to(json!({"name": "李雷"})), "licensee.credit_code"),
        (licence_to(json!({"name": "李雷", "id_number": wrong})), "licensee.id_number"),
    ];
    for (body, field) in cases {
        let answer = file(&app, &h, body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{body}");
        assert!(!answer.body.to_string().contains(&number) && !answer.body.to_string().contains(&wrong));
    }
}
