//! Verified applicants: a business licence uploaded, checked by staff,
//! verified or refused; submission and transfers only for the verified;
//! a credit code verified once; public records saying the holder is verified.

use dataip::domain::StaffRole;
use serde_json::json;

use crate::{
    certificates::acts::{self, holder},
    helpers::{Answer, Tenant, TestApp, answer, dataip, fresh_credit_code, signup_body, spawn_app, spawn_app_with},
};

const LICENCE: &[u8] = b"%PDF-1.7 business licence";

pub(crate) async fn upload_licence(app: &TestApp, token: &str, media_type: &str, bytes: &'static [u8]) -> Answer {
    let request = app
        .client
        .put(app.url("/organization/business-licence"))
        .bearer_auth(token)
        .header("content-type", media_type)
        .header("content-disposition", "attachment; filename=\"licence.pdf\"")
        .body(bytes);
    answer(request.send().await.expect("sent")).await
}

async fn submit(app: &TestApp, token: &str, id: &str) -> Answer {
    app.post(&format!("/applications/{id}/submit"), Some(token), json!({"commitment": true})).await
}

/// The `ETag` of the organization's licence, as staff download it.
pub(crate) async fn licence_etag(app: &TestApp, staff: &str, org_id: &str) -> String {
    let path = format!("/admin/organizations/{org_id}/business-licence");
    let download = app.client.get(app.url(&path)).bearer_auth(staff).send().await.expect("sent");
    assert_eq!(download.status(), 200);
    download.headers()["etag"].to_str().expect("an ETag").to_owned()
}

/// `POST /admin/organizations/{id}/verify` with `If-Match: seen` (none if
/// `None`) and the body, if any.
pub(crate) async fn verify_seen(
    app: &TestApp,
    token: Option<&str>,
    org_id: &str,
    seen: Option<&str>,
    body: Option<serde_json::Value>,
) -> Answer {
    let mut request = app.client.post(app.url(&format!("/admin/organizations/{org_id}/verify")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(seen) = seen {
        request = request.header("if-match", seen);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("sent")).await
}

/// Staff verify the organization on the licence it has now, as a reviewer
/// does having downloaded it.
pub(crate) async fn verify(app: &TestApp, staff: &str, org_id: &str, body: serde_json::Value) -> Answer {
    let seen = licence_etag(app, staff, org_id).await;
    verify_seen(app, Some(staff), org_id, Some(&seen), Some(body)).await
}

/// An unverified organization whose licence awaits staff.
pub(crate) async fn pending(app: &TestApp) -> Tenant {
    let tenant = app.signup_unverified().await;
    upload_licence(app, &tenant.token, "application/pdf", LICENCE).await.assert_status(200);
    tenant
}

#[tokio::test]
async fn an_unverified_organization_prepares_drafts_but_submits_only_once_verified() {
    let app = spawn_app().await;
    let tenant = app.signup_unverified().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let organization = app.get("/organization", Some(&tenant.token)).await;
    let body = organization.assert_status(200);
    assert_eq!(body["verification"], "unverified");
    assert!(body["business_licence"].is_null() && body["refusal_reason"].is_null(), "{body}");

    let id = app.create_application(&tenant.token).await;
    app.upload_required(&tenant.token, &id).await;
    let refused = submit(&app, &tenant.token, &id).await;
    refused.assert_problem(409, "organization_unverified");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("business licence")), "{}", refused.body);
    let draft = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(draft.body["state"], "draft");
    assert!(draft.body["application_number"].is_null());

    // The licence: pending, queued for staff, downloadable by them as sent.
    let uploaded = upload_licence(&app, &tenant.token, "application/pdf", LICENCE).await;
    let body = uploaded.assert_status(200);
    assert_eq!(body["verification"], "pending");
    assert_eq!(body["business_licence"]["filename"], "licence.pdf");
    assert_eq!(body["business_licence"]["size"], LICENCE.len());
    submit(&app, &tenant.token, &id).await.assert_problem(409, "organization_unverified");
    let queue = app.get("/admin/organizations?verification=pending", Some(&reviewer)).await;
    let items = queue.assert_status(200)["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], tenant.org_id.as_str());
    assert_eq!(items[0]["business_licence"]["sha256"], body["business_licence"]["sha256"]);
    let path = format!("/admin/organizations/{}/business-licence", tenant.org_id);
    let download = app.client.get(app.url(&path)).bearer_auth(&reviewer).send().await.expect("sent");
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let etag = download.headers()["etag"].to_str().expect("ETag").to_owned();
    assert_eq!(etag, format!("\"{}\"", body["business_licence"]["sha256"].as_str().expect("sha256")));
    assert!(download.headers()["cache-control"].to_str().is_ok_and(|v| v.contains("no-store")));
    assert_eq!(download.bytes().await.expect("bytes").as_ref(), LICENCE);
    let own = app.client.get(app.url("/organization/business-licence")).bearer_auth(&tenant.token).send().await;
    assert_eq!(own.expect("sent").bytes().await.expect("bytes").as_ref(), LICENCE);

    // Verified, on the licence read, under the licence's name: now it submits.
    let name = json!({"name": "  上海数据科技股份有限公司 "});
    let verified = verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(&etag), Some(name)).await;
    let body = verified.assert_status(200);
    assert_eq!(
        (body["verification"].as_str(), body["name"].as_str()),
        (Some("verified"), Some("上海数据科技股份有限公司"))
    );
    assert_eq!(app.get("/me", Some(&tenant.token)).await.body["organization"]["verification"], "verified");
    assert_eq!(submit(&app, &tenant.token, &id).await.assert_status(200)["state"], "submitted");
    let queue = app.get("/admin/organizations", Some(&reviewer)).await;
    assert_eq!(queue.body["items"], json!([]), "the pending queue is empty");
    let verified = app.get("/admin/organizations?verification=verified", Some(&reviewer)).await;
    assert_eq!(verified.body["items"][0]["id"], tenant.org_id.as_str());
}

#[tokio::test]
async fn a_refused_licence_is_said_why_and_a_new_upload_makes_it_pending_again() {
    let app = spawn_app().await;
    let tenant = pending(&app).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let refuse = format!("/admin/organizations/{}/refuse", tenant.org_id);

    let refused = app.post(&refuse, Some(&reviewer), json!({"reason": "执照已过期"})).await;
    let body = refused.assert_status(200);
    assert_eq!((body["verification"].as_str(), body["refusal_reason"].as_str()), (Some("refused"), Some("执照已过期")));
    let organization = app.get("/organization", Some(&tenant.token)).await;
    assert_eq!(organization.body["refusal_reason"], "执照已过期");
    let id = app.create_application(&tenant.token).await;
    app.upload_required(&tenant.token, &id).await;
    let unverified = submit(&app, &tenant.token, &id).await;
    unverified.assert_problem(409, "organization_unverified");
    assert!(unverified.body["detail"].as_str().is_some_and(|d| d.contains("执照已过期")), "{}", unverified.body);
    // Staff decide only on a pending licence.
    verify(&app, &reviewer, &tenant.org_id, json!({})).await.assert_problem(409, "invalid_transition");
    app.post(&refuse, Some(&reviewer), json!({"reason": "again"})).await.assert_problem(409, "invalid_transition");

    let again = upload_licence(&app, &tenant.token, "image/png", b"\x89PNG\r\n\x1a\n new scan").await;
    let body = again.assert_status(200);
    assert_eq!(body["verification"], "pending");
    assert!(body["refusal_reason"].is_null());
    assert_eq!(body["business_licence"]["media_type"], "image/png");

    // No body at all verifies under the name it signed up with.
    let seen = licence_etag(&app, &reviewer, &tenant.org_id).await;
    let verified = verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(&seen), None).await;
    assert_eq!(verified.assert_status(200)["name"], "上海数据科技有限公司");
    // Final: no new licence, no second decision.
    upload_licence(&app, &tenant.token, "application/pdf", LICENCE).await.assert_problem(409, "invalid_transition");
    app.post(&refuse, Some(&reviewer), json!({"reason": "x"})).await.assert_problem(409, "invalid_transition");
    verify(&app, &reviewer, &tenant.org_id, json!({})).await.assert_problem(409, "invalid_transition");
    let organization = app.get("/organization", Some(&tenant.token)).await;
    assert_eq!(organization.body["business_licence"]["media_type"], "image/png", "the verified licence stays");
    submit(&app, &tenant.token, &id).await.assert_status(200);
}

#[tokio::test]
async fn a_credit_code_is_verified_once() {
    let app = spawn_app().await;
    let admin = app.staff(StaffRole::Admin).await;
    let first = pending(&app).await;
    // A second organization may claim the code while none holds it.
    let email = "second-claimant@example.com";
    let second = app.post("/auth/signup", None, signup_body(email, &first.credit_code)).await;
    let second_id = second.assert_status(201)["organization"]["id"].as_str().expect("id").to_owned();
    assert_eq!(second.body["organization"]["verification"], "unverified");
    let second_token = second.body["access_token"].as_str().expect("token").to_owned();
    upload_licence(&app, &second_token, "application/pdf", b"%PDF-1.7 another licence").await.assert_status(200);

    // The queue, oldest request first, a page at a time.
    let page = app.get("/admin/organizations?verification=pending&limit=1", Some(&admin)).await;
    assert_eq!(page.assert_status(200)["items"][0]["id"], first.org_id.as_str());
    let cursor = page.body["next_cursor"].as_str().expect("a second page");
    let rest =
        app.get(&format!("/admin/organizations?verification=pending&limit=1&cursor={cursor}"), Some(&admin)).await;
    assert_eq!(rest.body["items"][0]["id"], second_id.as_str());
    assert!(rest.body["next_cursor"].is_null());

    verify(&app, &admin, &first.org_id, json!({})).await.assert_status(200);
    let twice = verify(&app, &admin, &second_id, json!({})).await;
    twice.assert_problem(409, "conflict");
    assert!(twice.body["detail"].as_str().is_some_and(|d| d.contains("verified")), "{}", twice.body);
    let second = app.get(&format!("/admin/organizations/{second_id}"), Some(&admin)).await;
    assert_eq!(second.body["verification"], "pending", "nothing changed");
    // Once verified, the code is the holder's: no new claimant signs up.
    let third = app.post("/auth/signup", None, signup_body("third@example.com", &first.credit_code)).await;
    third.assert_problem(409, "conflict");
    assert!(third.body["detail"].as_str().is_some_and(|d| d.contains("credit code")));
    assert_eq!(app.count("organizations").await, 2);
    let refuse = json!({"reason": "该信用代码已由另一机构核验"});
    app.post(&format!("/admin/organizations/{second_id}/refuse"), Some(&admin), refuse).await.assert_status(200);
}

#[tokio::test]
async fn transfers_go_only_to_verified_organizations_and_public_records_say_the_holder_is_verified() {
    let app = spawn_app_with(acts::setup).await;
    let h = holder(&app).await;
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    let holder = &record.assert_status(200)["holder"];
    assert_eq!(
        (holder["credit_code"].as_str(), holder["verified"].as_bool()),
        (Some(h.tenant.credit_code.as_str()), Some(true))
    );
    let registry = app.get("/public/registry", None).await;
    assert_eq!(registry.body["items"][0]["holder"]["verified"], true);

    let buyer = pending(&app).await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code});
    let refused = acts::file(&app, &h, transfer.clone()).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.error_fields(), ["transferee_credit_code"]);
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("not been verified")), "{}", refused.body);

    verify(&app, &h.reviewer, &buyer.org_id, json!({})).await.assert_status(200);
    let filed = acts::file(&app, &h, transfer).await;
    assert_eq!(filed.assert_status(201)["details"]["transferee"]["id"], buyer.org_id.as_str());
}

#[tokio::test]
async fn announcements_say_the_holder_is_verified() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let one = app.get(&format!("/public/announcements/{id}"), None).await;
    assert_eq!(one.assert_status(200)["holder_verified"], true);
    let list = app.get("/public/announcements", None).await;
    assert_eq!(list.body["items"][0]["holder_verified"], true);
}

#[tokio::test]
async fn only_owners_upload_only_staff_decide_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let tenant = app.signup_unverified().await;
    let member = app.add_member(&tenant, "member").await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let key = app.post("/organization/api-keys", Some(&tenant.token), json!({"name": "ERP"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();

    upload_licence(&app, &member, "application/pdf", LICENCE).await.assert_problem(403, "forbidden");
    upload_licence(&app, &key, "application/pdf", LICENCE).await.assert_problem(403, "forbidden");
    upload_licence(&app, &reviewer, "application/pdf", LICENCE).await.assert_problem(403, "forbidden");
    let anonymous = app.client.put(app.url("/organization/business-licence")).body(LICENCE).send().await;
    answer(anonymous.expect("sent")).await.assert_problem(401, "unauthorized");
    upload_licence(&app, &tenant.token, "text/plain", b"my licence")
        .await
        .assert_problem(415, "unsupported_media_type");
    let wrong = upload_licence(&app, &tenant.token, "image/png", LICENCE).await;
    wrong.assert_problem(422, "validation_failed");
    upload_licence(&app, &tenant.token, "application/pdf", b"").await.assert_problem(422, "validation_failed");
    assert_eq!(app.get("/organization", Some(&member)).await.body["verification"], "unverified");
    assert_eq!(app.get("/organization", Some(&key)).await.body["verification"], "unverified");
    assert_eq!(app.count("business_licences").await, 0);
    app.get("/organization", None).await.assert_problem(401, "unauthorized");
    app.get("/organization", Some(&reviewer)).await.assert_problem(403, "forbidden");
    app.get("/organization/business-licence", Some(&tenant.token)).await.assert_problem(404, "not_found");

    upload_licence(&app, &tenant.token, "application/pdf", LICENCE).await.assert_status(200);
    // Another organization sees only its own licence, and none of staff's.
    let other = app.signup_unverified().await;
    app.get("/organization/business-licence", Some(&other.token)).await.assert_problem(404, "not_found");
    let staff_paths = [
        format!("/admin/organizations/{}", tenant.org_id),
        format!("/admin/organizations/{}/business-licence", tenant.org_id),
        "/admin/organizations".to_owned(),
    ];
    for path in &staff_paths {
        app.get(path, Some(&tenant.token)).await.assert_problem(403, "forbidden");
        app.get(path, None).await.assert_problem(401, "unauthorized");
    }
    let seen = licence_etag(&app, &reviewer, &tenant.org_id).await;
    let refuse = format!("/admin/organizations/{}/refuse", tenant.org_id);
    for (token, status, code) in [(Some(tenant.token.as_str()), 403, "forbidden"), (None, 401, "unauthorized")] {
        verify_seen(&app, token, &tenant.org_id, Some(&seen), Some(json!({}))).await.assert_problem(status, code);
    }
    app.post(&refuse, Some(&tenant.token), json!({"reason": "x"})).await.assert_problem(403, "forbidden");
    let unknown = uuid::Uuid::now_v7().to_string();
    verify_seen(&app, Some(&reviewer), &unknown, Some(&seen), Some(json!({}))).await.assert_problem(404, "not_found");
    app.get(&format!("/admin/organizations/{}/business-licence", other.org_id), Some(&reviewer))
        .await
        .assert_problem(404, "not_found");

    let verify = |body| verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(&seen), Some(body));
    let blank = verify(json!({"name": "  "})).await;
    blank.assert_problem(422, "validation_failed");
    assert_eq!(blank.error_fields(), ["name"]);
    verify(json!({"name": "x", "extra": 1})).await.assert_problem(422, "validation_failed");
    for malformed in ["\"not hex\"", "\"abc\"", "W/\"3\"", "*"] {
        let answer = verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(malformed), None).await;
        answer.assert_problem(400, "validation_failed");
    }
    let empty = app.post(&refuse, Some(&reviewer), json!({"reason": ""})).await;
    empty.assert_problem(422, "validation_failed");
    assert_eq!(empty.error_fields(), ["reason"]);
    app.post(&refuse, Some(&reviewer), json!({})).await.assert_problem(422, "validation_failed");
    app.get("/admin/organizations?verification=maybe", Some(&reviewer)).await.assert_problem(400, "validation_failed");
    let organization = app.get(&format!("/admin/organizations/{}", tenant.org_id), Some(&reviewer)).await;
    assert_eq!(organization.body["verification"], "pending", "nothing changed");
    assert_eq!(organization.body["name"], "上海数据科技有限公司");
}

#[tokio::test]
async fn a_licence_replaced_after_staff_read_it_is_not_verified_unseen() {
    let app = spawn_app().await;
    let tenant = pending(&app).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let read = licence_etag(&app, &reviewer, &tenant.org_id).await;
    let before = app.get(&format!("/admin/organizations/{}", tenant.org_id), Some(&reviewer)).await;
    let audits = app.count("audit_log").await;

    // The owner swaps the licence while the reviewer examines the first.
    upload_licence(&app, &tenant.token, "image/png", b"\x89PNG\r\n\x1a\n another scan").await.assert_status(200);
    let stale = verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(&read), None).await;
    stale.assert_problem(412, "precondition_failed");
    assert!(stale.body["detail"].as_str().is_some_and(|d| d.contains("replaced")), "{}", stale.body);
    // Naming no licence at all is refused too.
    let unnamed = verify_seen(&app, Some(&reviewer), &tenant.org_id, None, Some(json!({}))).await;
    unnamed.assert_problem(428, "precondition_failed");
    assert!(unnamed.body["detail"].as_str().is_some_and(|d| d.contains("If-Match")), "{}", unnamed.body);
    let after = app.get(&format!("/admin/organizations/{}", tenant.org_id), Some(&reviewer)).await;
    assert_eq!(after.body["verification"], "pending", "nothing changed");
    assert_eq!(after.body["verification_changed_at"], before.body["verification_changed_at"]);
    assert_eq!(app.count("audit_log").await, audits);

    // The new one, read and checked, is verified; a bare digest works too.
    let now_read = licence_etag(&app, &reviewer, &tenant.org_id).await;
    assert_ne!(now_read, read);
    let bare = now_read.trim_matches('"').to_uppercase();
    verify_seen(&app, Some(&reviewer), &tenant.org_id, Some(&bare), None).await.assert_status(200);
}

#[tokio::test]
async fn org_verify_verifies_from_the_command_line_and_asks_which_when_several_claim_a_code() {
    let app = spawn_app().await;
    let tenant = app.signup_unverified().await;
    let org_verify = |args: Vec<String>| {
        let url = app.database_url.clone();
        async move {
            let output = tokio::task::spawn_blocking(move || dataip(&url).arg("org").arg("verify").args(args).output());
            let output = output.await.expect("joined").expect("dataip runs");
            let text =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            (output.status.success(), text)
        }
    };

    // No licence uploaded: the operator has checked it by other means.
    let code = tenant.credit_code.to_lowercase();
    let (ok, text) = org_verify(vec!["--credit-code".into(), code.clone()]).await;
    assert!(ok && text.contains("verified"), "{text}");
    assert_eq!(app.get("/organization", Some(&tenant.token)).await.body["verification"], "verified");
    let (ok, text) = org_verify(vec!["--credit-code".into(), code]).await;
    assert!(ok && text.contains("already verified"), "{text}");

    // Two claimants of another code: none is chosen for the operator.
    let shared = fresh_credit_code();
    let mut ids = Vec::new();
    for email in ["one@example.com", "two@example.com"] {
        let signed = app.post("/auth/signup", None, signup_body(email, &shared)).await;
        ids.push(signed.assert_status(201)["organization"]["id"].as_str().expect("id").to_owned());
    }
    let (ok, text) = org_verify(vec!["--credit-code".into(), shared.clone()]).await;
    assert!(!ok && text.contains("--id") && ids.iter().all(|id| text.contains(id.as_str())), "{text}");
    let (ok, text) = org_verify(vec![
        "--credit-code".into(),
        shared.clone(),
        "--id".into(),
        ids[1].clone(),
        "--name".into(),
        "乙公司".into(),
    ])
    .await;
    assert!(ok, "{text}");
    let admin = app.staff(StaffRole::Admin).await;
    let second = app.get(&format!("/admin/organizations/{}", ids[1]), Some(&admin)).await;
    assert_eq!(
        (second.body["verification"].as_str(), second.body["name"].as_str()),
        (Some("verified"), Some("乙公司"))
    );
    let (ok, text) = org_verify(vec!["--credit-code".into(), shared.clone(), "--id".into(), ids[0].clone()]).await;
    assert!(!ok && text.contains("already held"), "{text}");

    let (ok, text) = org_verify(vec!["--credit-code".into(), fresh_credit_code()]).await;
    assert!(!ok && text.contains("no organization"), "{text}");
    let (ok, text) = org_verify(vec!["--credit-code".into(), "91310000MA1FL4B24X".into()]).await;
    assert!(!ok && text.contains("credit_code"), "{text}");
}

#[tokio::test]
async fn organizations_signed_up_before_verification_are_migrated_as_verified() {
    use sqlx::{Connection, PgConnection, migrate::Migrator};

    let app = spawn_app().await;
    let name = format!("dataip_test_premigration_{}", uuid::Uuid::now_v7().simple());
    let create = format!("CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&app.state.db).await.expect("created");
    let url = dataip::db::with_database(&app.database_url, &name);
    let mut conn = PgConnection::connect(&url).await.expect("connected");
    let before: Vec<_> = dataip::db::MIGRATOR.iter().filter(|m| m.version < 20261126000010).cloned().collect();
    Migrator::with_migrations(before).run(&mut conn).await.expect("earlier migrations");
    let code = fresh_credit_code();
    sqlx::query("INSERT INTO organizations (id, name, credit_code, created_at) VALUES ($1, '老机构', $2, now())")
        .bind(uuid::Uuid::now_v7())
        .bind(&code)
        .execute(&mut conn)
        .await
        .expect("an organization of before");
    dataip::db::MIGRATOR.run(&mut conn).await.expect("migrated");
    let verification: String =
        sqlx::query_scalar("SELECT verification::text FROM organizations WHERE credit_code = $1")
            .bind(&code)
            .fetch_one(&mut conn)
            .await
            .expect("read");
    conn.close().await.expect("closed");
    dataip::db::drop_database(&url).await.expect("dropped");
    assert_eq!(verification, "verified");
}

#[tokio::test]
async fn the_document_offers_the_licence_media_types_and_the_new_problem_code() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let media_types = |content: &serde_json::Value| {
        content.as_object().map(|c| c.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
    };
    let licence = &doc["paths"]["/api/v1/organization/business-licence"];
    assert_eq!(media_types(&licence["put"]["requestBody"]["content"]), ["application/pdf", "image/jpeg", "image/png"]);
    assert_eq!(media_types(&licence["get"]["responses"]["200"]["content"]).len(), 3);
    let staff = &doc["paths"]["/api/v1/admin/organizations/{id}/business-licence"]["get"];
    assert_eq!(media_types(&staff["responses"]["200"]["content"]).len(), 3);
    let submit = &doc["paths"]["/api/v1/applications/{id}/submit"]["post"]["responses"]["409"]["description"];
    assert!(submit.as_str().is_some_and(|d| d.contains("organization_unverified")), "{submit}");
}
