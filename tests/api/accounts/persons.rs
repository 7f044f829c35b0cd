//! Natural persons (issue 28): signing up with a resident identity number,
//! verification, and a certificate whose holder is a person. The number is
//! never shown back but masked, and never written to a document or the
//! ledger in clear.

use dataip::{
    domain::{IdNumber, StaffRole},
    services,
};
use serde_json::json;
use tlog::commitment::Openings;
use tlog::document::HOLDER_ID_NUMBER;
use uuid::Uuid;

use super::verification::{licence_etag, verify_seen};
use crate::helpers::{
    Answer, PASSWORD, TestApp, answer, fresh_id_number, person_signup_body, spawn_app, spawn_app_with,
};

async fn upload_document(app: &TestApp, token: &str, bytes: &'static [u8]) -> Answer {
    let request = app
        .client
        .put(app.url("/party/verification-document"))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .header("content-disposition", "attachment; filename=\"id.pdf\"")
        .body(bytes);
    answer(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn a_person_signs_up_and_sees_the_number_masked() {
    let app = spawn_app().await;
    let number = fresh_id_number();
    let email = format!("person-{}@example.com", Uuid::now_v7().simple());
    let answer = app.post("/auth/signup", None, person_signup_body(&email, &number)).await;
    let body = answer.assert_status(201).clone();
    assert_eq!(body["party"]["kind"], "person");
    assert_eq!(body["party"]["name"], "王芳");
    assert_eq!(body["party"]["verification"], "unverified");
    let masked = IdNumber::parse(&number).expect("valid").masked();
    assert_eq!(body["party"]["id_number_masked"], masked.as_str());
    assert!(body.get("organization").is_none(), "{body}");
    assert!(!body.to_string().contains(&number), "the number came back: {body}");

    let token = body["access_token"].as_str().expect("token");
    let me = app.get("/me", Some(token)).await;
    let me = me.assert_status(200);
    assert_eq!(me["party"]["kind"], "person");
    assert_eq!(me["party"]["id_number_masked"], masked.as_str());
    assert!(me["organization"].is_null());
    assert!(!me.to_string().contains(&number));
    // Organizations keep `organization` beside `party`.
    let tenant = app.signup().await;
    let me = app.get("/me", Some(&tenant.token)).await;
    let me = me.assert_status(200);
    assert_eq!(me["organization"]["credit_code"], tenant.credit_code.as_str());
    assert_eq!(me["party"]["kind"], "organization");
    assert_eq!(me["party"]["id"], me["organization"]["id"]);
}

#[tokio::test]
async fn a_wrong_check_character_is_named_and_not_echoed() {
    let app = spawn_app().await;
    let number = fresh_id_number();
    let last = number.chars().last().expect("a check character");
    let wrong = format!("{}{}", &number[..17], if last == '1' { '2' } else { '1' });
    let answer = app.post("/auth/signup", None, person_signup_body("p@example.com", &wrong)).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["person.id_number"]);
    assert!(!answer.body.to_string().contains(&wrong), "{}", answer.body);
    assert!(!answer.body.to_string().contains(&wrong[..17]), "{}", answer.body);
    // A number given as a JSON number is refused without repeating it.
    let mut body = person_signup_body("p@example.com", &number);
    body["person"]["id_number"] = json!(110105194912310021u64);
    let answer = app.post("/auth/signup", None, body).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(!answer.body.to_string().contains("110105194912310021"), "{}", answer.body);
    assert_eq!(app.count("organizations").await, 0);
}

#[tokio::test]
async fn exactly_one_of_organization_and_person() {
    let app = spawn_app().await;
    let user = json!({"email": "x@example.com", "password": PASSWORD, "display_name": "张伟"});
    let neither = app.post("/auth/signup", None, json!({"user": user})).await;
    neither.assert_problem(422, "validation_failed");
    assert_eq!(neither.error_fields(), ["organization"]);
    let both = json!({
        "organization": {"name": "上海数据科技有限公司", "credit_code": crate::helpers::fresh_credit_code()},
        "person": {"name": "王芳", "id_number": fresh_id_number()},
        "user": user,
    });
    let answer = app.post("/auth/signup", None, both).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["person"]);
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_verified_number_is_one_persons() {
    let app = spawn_app().await;
    let person = app.signup_person().await;
    let answer = app.post("/auth/signup", None, person_signup_body("again@example.com", &person.credit_code)).await;
    answer.assert_problem(409, "conflict");
    assert!(!answer.body.to_string().contains(&person.credit_code), "{}", answer.body);
    // An unverified claim does not bar another.
    let other = app.signup_person_unverified().await;
    let answer = app.post("/auth/signup", None, person_signup_body("second@example.com", &other.credit_code)).await;
    answer.assert_status(201);
}

#[tokio::test]
async fn an_unverified_person_cannot_submit() {
    let app = spawn_app().await;
    let person = app.signup_person_unverified().await;
    let id = app.create_application(&person.token).await;
    app.upload_required(&person.token, &id).await;
    let answer =
        app.post(&format!("/applications/{id}/submit"), Some(&person.token), json!({"commitment": true})).await;
    answer.assert_problem(409, "party_unverified");
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("identity document"), "{detail}");
    let application = app.get(&format!("/applications/{id}"), Some(&person.token)).await;
    assert_eq!(application.body["state"], "draft");
}

#[tokio::test]
async fn staff_list_persons_apart_and_verify_them() {
    let app = spawn_app().await;
    let person = app.signup_person_unverified().await;
    let organization = app.signup_unverified().await;
    for tenant in [&person, &organization] {
        upload_document(&app, &tenant.token, b"%PDF-1.7 document").await.assert_status(200);
    }
    let admin = app.staff(StaffRole::Admin).await;
    let persons = app.get("/admin/parties?kind=person", Some(&admin)).await;
    let persons = persons.assert_status(200);
    let items = persons["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{persons}");
    assert_eq!(items[0]["id"], person.org_id.as_str());
    let both = app.get("/admin/parties", Some(&admin)).await;
    assert_eq!(both.assert_status(200)["items"].as_array().map(Vec::len), Some(2));
    // The older list keeps to organizations.
    let organizations = app.get("/admin/organizations", Some(&admin)).await;
    let organizations = organizations.assert_status(200);
    assert_eq!(organizations["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(organizations["items"][0]["id"], organization.org_id.as_str());

    let reviewer = app.staff(StaffRole::Reviewer).await;
    // Staff, reviewers too, check documents; applicants do not.
    app.get("/admin/parties", Some(&reviewer)).await.assert_status(200);
    app.get("/admin/parties", Some(&person.token)).await.assert_problem(403, "forbidden");
    app.get("/admin/parties", None).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn staff_verify_the_document_they_saw_and_not_a_swapped_one() {
    let app = spawn_app().await;
    let person = app.signup_person_unverified().await;
    upload_document(&app, &person.token, b"%PDF-1.7 identity card").await.assert_status(200);
    let admin = app.staff(StaffRole::Admin).await;
    let seen = licence_etag(&app, &admin, &person.org_id).await;
    upload_document(&app, &person.token, b"%PDF-1.7 another card").await.assert_status(200);
    let answer = verify_seen(&app, Some(&admin), &person.org_id, Some(&seen), None).await;
    answer.assert_problem(412, "precondition_failed");
    let now = licence_etag(&app, &admin, &person.org_id).await;
    let answer = verify_seen(&app, Some(&admin), &person.org_id, Some(&now), None).await;
    let body = answer.assert_status(200);
    assert_eq!(body["verification"], "verified");
    assert_eq!(body["kind"], "person");
    // Each download of the identity document by staff is audited, then the decision.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT action, target_type FROM audit_log WHERE target_id = $1::uuid ORDER BY at, id")
            .bind(&person.org_id)
            .fetch_all(&app.state.db)
            .await
            .expect("audit rows");
    let actions: Vec<&str> = rows.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(actions, ["person.download_document", "person.download_document", "person.verify"]);
    assert!(rows.iter().all(|(_, target)| target == "person"));
    // An organization's licence downloads without an audit row, as before.
    let organization = app.signup_unverified().await;
    upload_document(&app, &organization.token, b"%PDF-1.7 licence").await.assert_status(200);
    licence_etag(&app, &admin, &organization.org_id).await;
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE target_id = $1::uuid")
        .bind(&organization.org_id)
        .fetch_one(&app.state.db)
        .await
        .expect("a count");
    assert_eq!(audited, 0);
    // Verified, the person submits.
    let id = app.create_application(&person.token).await;
    app.upload_required(&person.token, &id).await;
    let submitted =
        app.post(&format!("/applications/{id}/submit"), Some(&person.token), json!({"commitment": true})).await;
    submitted.assert_status(200);
}

#[tokio::test]
async fn a_person_holds_a_certificate_under_a_commitment() {
    let app = spawn_app_with(crate::helpers::short_windows).await;
    let person = app.signup_person().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&person.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let list = app.get("/certificates", Some(&person.token)).await;
    let certificate = list.assert_status(200)["items"][0].clone();
    assert_eq!(certificate["application_id"], id.as_str());
    let number = certificate["certificate_number"].as_str().expect("number");

    // The signed document names the person by a commitment only.
    let (document, certificate_id): (serde_json::Value, Uuid) =
        sqlx::query_as("SELECT document, id FROM certificates WHERE certificate_number = $1")
            .bind(number)
            .fetch_one(&app.state.db)
            .await
            .expect("the certificate");
    assert_eq!(document["holder"]["kind"], "person");
    assert_eq!(document["holder"]["name"], "王芳");
    assert!(document["holder"].get("credit_code").is_none());
    assert!(!document.to_string().contains(&person.credit_code), "{document}");
    // Its opening, kept for the holder, opens it.
    let (openings,): (sqlx::types::Json<Openings>,) =
        sqlx::query_as("SELECT openings FROM certificate_openings WHERE certificate_id = $1")
            .bind(certificate_id)
            .fetch_one(&app.state.db)
            .await
            .expect("the openings");
    let opening = &openings.0[HOLDER_ID_NUMBER];
    assert_eq!(opening.value, json!(person.credit_code));
    assert_eq!(opening.commitment(HOLDER_ID_NUMBER).expect("a commitment"), document["holder"]["id_commitment"]);

    // Nothing the ledger holds names the number.
    app.close_windows(chrono::Duration::seconds(1)).await;
    let entries: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT entry FROM ledger_leaves").fetch_all(&app.state.db).await.unwrap_or_default();
    for entry in &entries {
        assert!(!String::from_utf8_lossy(entry).contains(&person.credit_code));
    }

    // The holder discloses the opening; it checks offline.
    let path = format!("/certificates/{certificate_id}/openings");
    let disclosure = app.get(&path, Some(&person.token)).await;
    let disclosure = disclosure.assert_status(200).clone();
    assert_eq!(disclosure["openings"][HOLDER_ID_NUMBER]["value"], person.credit_code.as_str());
    assert!(disclosure.get("act_id").is_none());
    let key = app.get("/public/ledger/key", None).await.body["public_key"].as_str().expect("key").to_owned();
    let file = std::env::temp_dir().join(format!("dataip-holder-opening-{}.json", Uuid::now_v7()));
    std::fs::write(&file, disclosure.to_string()).expect("written");
    let args = vec!["--opening".into(), file.display().to_string(), "--public-key".into(), key];
    let output = crate::operations::cli::verify(args).await;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{text}");
    assert!(text.contains("✓ opening holder.id_number") && text.contains("✓ inclusion proof"), "{text}");
    // The PDF names a natural person, with the number masked.
    let pdf = app
        .client
        .get(app.url(&format!("/certificates/{certificate_id}/pdf")))
        .bearer_auth(&person.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(pdf.status(), 200);
    let file = std::env::temp_dir().join(format!("dataip-person-{}.pdf", Uuid::now_v7()));
    std::fs::write(&file, pdf.bytes().await.expect("bytes")).expect("written");
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    let masked = IdNumber::parse(&person.credit_code).expect("valid").masked();
    assert!(text.contains("自然人") && text.contains("王芳") && text.contains(&masked), "{text}");
    assert!(!text.contains(&person.credit_code) && !text.contains("Credit code"), "{text}");

    // The whole ledger still audits with a person's issuance in it.
    let (passed, output) = crate::operations::cli::audit(&app.database_url).await;
    assert!(passed, "{output}");
    // Nobody else gets it; an organization's certificate has none.
    let other = app.signup_person().await;
    app.get(&path, Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&path, None).await.assert_problem(401, "unauthorized");
    let admin = app.staff(StaffRole::Admin).await;
    app.get(&path, Some(&admin)).await.assert_status(200);

    // The public record: kind, name, verified, and no number of any kind.
    let record = app.get(&format!("/public/certificates/{number}"), None).await;
    let record = record.assert_status(200);
    assert_eq!(record["holder"], json!({"kind": "person", "name": "王芳", "verified": true}));
    // The portal's page says "natural person" where an organization's shows
    // its credit code, in both languages, and never the number.
    let page = crate::edge::portal::page(&app, &format!("/certificates/{number}"), &[]).await;
    assert!(page.has("王芳") && page.has("自然人") && !page.has("统一社会信用代码"), "{}", page.text);
    let english = crate::edge::portal::page(&app, &format!("/certificates/{number}?lang=en"), &[]).await;
    assert!(english.has("Natural person") && !english.has("credit code"), "{}", english.text);
    for text in [&page.text, &english.text] {
        assert!(!text.contains(&person.credit_code) && !text.contains(&masked));
    }
}

#[tokio::test]
async fn party_verify_takes_an_identity_number_on_the_command_line_and_masks_it() {
    let app = spawn_app().await;
    let person = app.signup_person_unverified().await;
    let party_verify = |args: Vec<String>| {
        let url = app.database_url.clone();
        async move {
            let output = tokio::task::spawn_blocking(move || {
                crate::helpers::dataip(&url).arg("party").arg("verify").args(args).output()
            });
            let output = output.await.expect("joined").expect("dataip runs");
            let text =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            (output.status.success(), text)
        }
    };
    let (ok, text) = party_verify(vec!["--id-number".into(), person.credit_code.to_lowercase()]).await;
    assert!(ok && text.contains("verified"), "{text}");
    assert!(!text.contains(&person.credit_code), "the number was printed: {text}");
    assert_eq!(app.get("/me", Some(&person.token)).await.body["party"]["verification"], "verified");
    let (ok, text) = party_verify(vec!["--id-number".into(), person.credit_code.clone()]).await;
    assert!(ok && text.contains("already verified"), "{text}");
    // A number nobody claims, and one that is not a number.
    let (ok, text) = party_verify(vec!["--id-number".into(), fresh_id_number()]).await;
    assert!(!ok && text.contains("no person"), "{text}");
    let (ok, text) = party_verify(vec!["--id-number".into(), "110105194912310021".into()]).await;
    assert!(!ok && text.contains("id_number") && !text.contains("110105194912310021"), "{text}");
    // The organization's form works here too.
    let organization = app.signup_unverified().await;
    let (ok, text) = party_verify(vec!["--credit-code".into(), organization.credit_code.clone()]).await;
    assert!(ok && text.contains("verified"), "{text}");
}

#[tokio::test]
async fn an_idle_persons_identity_document_is_deleted_after_the_retention() {
    let app = spawn_app().await;
    let admin = app.staff(StaffRole::Admin).await;
    let idle = app.signup_person_unverified().await;
    let applying = app.signup_person_unverified().await;
    let organization = app.signup_unverified().await;
    let documents: [&'static [u8]; 3] = [b"%PDF-1.7 card one", b"%PDF-1.7 card two", b"%PDF-1.7 licence"];
    for (tenant, document) in [&idle, &applying, &organization].into_iter().zip(documents) {
        upload_document(&app, &tenant.token, document).await.assert_status(200);
        licence_etag(&app, &admin, &tenant.org_id).await;
        services::accounts::verification::verify_by_operator(&app.state, tenant.org_id.parse().expect("id"), None)
            .await
            .expect("verified");
    }
    let days = |n| chrono::Duration::days(n);
    // Within the retention (P3Y by default) nothing goes.
    app.clock.advance(days(365 * 3 - 2));
    let applying_token = app.login(&applying.email, PASSWORD).await;
    app.create_application(&applying_token).await;
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let admin = app.staff(StaffRole::Admin).await;
    licence_etag(&app, &admin, &idle.org_id).await;

    // Past it, the idle person's document is deleted, contents and all; the
    // one with an application under way keeps theirs, as every organization does.
    app.clock.advance(days(3));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let admin = app.staff(StaffRole::Admin).await;
    let path = format!("/admin/organizations/{}/business-licence", idle.org_id);
    app.get(&path, Some(&admin)).await.assert_problem(404, "not_found");
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM blobs").fetch_one(&app.state.db).await.expect("count");
    assert_eq!(blobs, 2, "the deleted document's contents went with it");
    licence_etag(&app, &admin, &applying.org_id).await;
    licence_etag(&app, &admin, &organization.org_id).await;
    let me = app.get("/me", Some(&app.login(&idle.email, PASSWORD).await)).await;
    assert_eq!(me.assert_status(200)["party"]["verification"], "verified", "still verified");
}

#[tokio::test]
async fn a_persons_announcement_is_found_by_name_and_never_by_number() {
    let app = spawn_app().await;
    let person = app.signup_person().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&person.token, &reviewer).await;
    let found = |q: String| {
        let app = &app;
        async move { crate::registration::announcements::found(app, &q).await }
    };
    assert_eq!(found("王芳".into()).await, std::slice::from_ref(&id));
    let announcement = app.get(&format!("/public/announcements/{id}"), None).await;
    assert_eq!(announcement.assert_status(200)["holder_name"], "王芳");
    assert!(!announcement.body.to_string().contains(&person.credit_code));
    for q in [person.credit_code.clone(), person.credit_code[10..].to_owned()] {
        assert!(found(q).await.is_empty(), "found by the number");
    }
}
