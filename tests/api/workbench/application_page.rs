//! One application's page: materials uploaded, replaced and refused through
//! it, the submission with its commitment, a supplement answered, a
//! withdrawal, the announcement with an objection replied to, the
//! certificate's link; another party's application, a signed-out visit and
//! a form without its token refused.

use dataip::domain::StaffRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::kit::Visitor;
use crate::helpers::{PASSWORD, REQUIRED_MATERIALS, TestApp, spawn_app_with};

/// Materials of at most this many bytes, so that one too large is cheap.
const MAX_SIZE: u64 = 4096;

fn page_of(id: &str) -> String {
    format!("/workbench/applications/{id}")
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7 {text}").into_bytes()
}

/// The application's materials as the API lists them: (kind, sha256).
async fn materials(app: &TestApp, token: &str, id: &str) -> Vec<(String, String)> {
    let body = app.get(&format!("/applications/{id}"), Some(token)).await.assert_status(200).clone();
    let mut list: Vec<(String, String)> = body["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .map(|m| (m["kind"].as_str().expect("kind").to_owned(), m["sha256"].as_str().expect("sha").to_owned()))
        .collect();
    list.sort();
    list
}

async fn api_state(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/applications/{id}"), Some(token)).await.assert_status(200)["state"].clone()
}

#[tokio::test]
async fn materials_are_uploaded_replaced_and_submitted_and_a_supplement_answered_from_the_page() {
    let app = spawn_app_with(|config| config.materials.max_size = MAX_SIZE).await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let page = page_of(&id);

    // Signed out: to the sign-in page, and back here afterwards.
    Visitor::new(&app).get(&page).await.assert_redirect_to("/login?next=");

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&tenant.email, PASSWORD).await;
    let shown = visitor.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains("长三角物流时效数据集") && shown.body.contains("草稿"));
    assert!(shown.body.contains(&format!("href=\"{page}/edit\"")), "a draft links to its form");
    // One form per kind: the token and the upload button before the file input named by its kind.
    for kind in ["application_form", "summary", "processing_innovation", "application_scenarios", "sample"] {
        let input = shown.body.find(&format!("type=\"file\" id=\"file-{kind}\" name=\"{kind}\"")).expect(kind);
        let form = shown.body[..input].rfind("<form").expect("its form");
        let button = shown.body[form..input].find("value=\"upload\"").expect("the button first");
        assert!(shown.body[form..form + button].contains("name=\"csrf\""));
        assert!(shown.body[form..input].contains(&format!("for=\"file-{kind}\"")), "a visible label");
    }
    let csrf = shown.csrf();
    let upload_fields = [("csrf", csrf.as_str()), ("action", "upload")];

    // The four required materials, through the page.
    for kind in REQUIRED_MATERIALS {
        let bytes = pdf(kind);
        let answer = visitor
            .upload(
                &format!("{page}/materials/{kind}"),
                &upload_fields,
                kind,
                (&format!("{kind}.pdf"), "application/pdf", bytes),
            )
            .await;
        answer.assert_redirect_to(&format!("{page}?done=uploaded"));
    }
    let shown = visitor.get(&format!("{page}?done=uploaded&lang=en")).await;
    assert!(shown.body.contains("class=\"notice\"") && shown.body.contains("The material was uploaded."));
    let form_bytes = pdf("application_form");
    let form_sha = hex::encode(Sha256::digest(&form_bytes));
    assert!(shown.body.contains(&form_sha), "the SHA-256 shown");
    assert!(shown.body.contains(&format!("{} bytes", form_bytes.len())), "the size shown");
    assert!(shown.body.contains("application_form.pdf") && shown.body.contains("application/pdf"));
    let uploaded = materials(&app, &tenant.token, &id).await;
    assert_eq!(uploaded.len(), 4);
    assert!(uploaded.contains(&("application_form".to_owned(), form_sha.clone())), "the API sees the same file");

    // Uploading again replaces it.
    let replacement = pdf("summary, second version");
    let replacement_sha = hex::encode(Sha256::digest(&replacement));
    visitor
        .upload(
            &format!("{page}/materials/summary"),
            &upload_fields,
            "summary",
            ("summary-2.pdf", "application/pdf", replacement),
        )
        .await
        .assert_redirect_to(&format!("{page}?done=uploaded"));
    let replaced = materials(&app, &tenant.token, &id).await;
    assert_eq!(replaced.len(), 4);
    assert!(replaced.contains(&("summary".to_owned(), replacement_sha.clone())));
    assert!(visitor.get(&page).await.body.contains("summary-2.pdf"));

    // Refused uploads: shown beside the input, with the API's status, nothing changed.
    let too_large = {
        let mut bytes = pdf("large");
        bytes.resize(MAX_SIZE as usize + 1, b' ');
        bytes
    };
    let refused: [(&str, &str, Vec<u8>, StatusCode); 4] = [
        ("a.exe", "application/x-msdownload", pdf("program"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("a.png", "image/png", pdf("not a png"), StatusCode::UNPROCESSABLE_ENTITY),
        ("empty.pdf", "application/pdf", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY),
        ("large.pdf", "application/pdf", too_large, StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (filename, media_type, bytes, status) in refused {
        let answer = visitor
            .upload(&format!("{page}/materials/sample"), &upload_fields, "sample", (filename, media_type, bytes))
            .await;
        assert_eq!(answer.status, status, "{filename}: {}", answer.body);
        assert!(answer.body.contains("id=\"file-sample-error\""), "{filename}: the error beside the input");
        assert!(answer.body.contains("aria-describedby=\"file-sample-hint file-sample-error\""));
    }
    // No file chosen: the browser sends the input empty.
    let answer = visitor
        .upload(
            &format!("{page}/materials/sample"),
            &upload_fields,
            "sample",
            ("", "application/octet-stream", Vec::new()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
    assert!(answer.body.contains("请选择要上传的文件"));
    // Without the form's token.
    let answer = visitor
        .upload(
            &format!("{page}/materials/sample"),
            &[("action", "upload")],
            "sample",
            ("s.pdf", "application/pdf", pdf("s")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(materials(&app, &tenant.token, &id).await, replaced, "nothing changed");

    // Another party's application is not there, exactly as in the API.
    let other = app.signup().await;
    let mut stranger = Visitor::new(&app);
    stranger.sign_in(&other.email, PASSWORD).await;
    let answer = stranger.get(&page).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(!answer.body.contains("长三角物流时效数据集"));
    // The stranger's own token (from a page of theirs with a form).
    let stranger_csrf = stranger.get("/logout").await.csrf();
    let answer = stranger
        .upload(
            &format!("{page}/materials/sample"),
            &[("csrf", &stranger_csrf), ("action", "upload")],
            "sample",
            ("s.pdf", "application/pdf", pdf("s")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = stranger.post(&page, &[("csrf", &stranger_csrf), ("action", "withdraw")]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(stranger.get(&format!("{page}/materials/summary")).await.status, StatusCode::NOT_FOUND);

    // Submitting: without the token, refused; without the commitment, the error beside it.
    assert_eq!(
        visitor.post(&page, &[("action", "submit"), ("commitment", "true")]).await.status,
        StatusCode::FORBIDDEN
    );
    let answer = visitor.post(&page, &[("csrf", &csrf), ("action", "submit")]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
    assert!(answer.body.contains("id=\"commitment-error\"") && answer.body.contains("errors-summary"));
    assert_eq!(api_state(&app, &tenant.token, &id).await, "draft");
    visitor
        .post(&page, &[("csrf", &csrf), ("action", "submit"), ("commitment", "true")])
        .await
        .assert_redirect_to(&format!("{page}?done=submitted"));
    let api = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.assert_status(200).clone();
    assert_eq!(api["state"], "submitted");
    let shown = visitor.get(&page).await;
    assert!(shown.body.contains(api["application_number"].as_str().expect("a number")));
    assert!(shown.body.contains("申请人已作出承诺"), "the commitment made");
    assert!(!shown.body.contains("type=\"file\""), "materials no longer change");
    // The downloaded material is the file uploaded.
    let download = visitor.get(&format!("{page}/materials/application_form")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_bytes(), form_bytes.as_slice());

    // A supplement requested through the API shows with its due date, and is answered here.
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let asked = app
        .post(
            &format!("/review/applications/{id}/request-supplement"),
            Some(&reviewer),
            json!({"reason": "请补充数据来源的授权证明", "due_in_days": 10}),
        )
        .await
        .assert_status(200)
        .clone();
    let due: chrono::DateTime<chrono::Utc> =
        asked["supplement"]["due_at"].as_str().expect("due").parse().expect("a time");
    let due = due.with_timezone(&app.state.config.registry.time_zone).format("%Y-%m-%d %H:%M").to_string();
    let shown = visitor.get(&page).await;
    assert!(
        shown.body.contains("请补充数据来源的授权证明") && shown.body.contains(&due),
        "the request and its due date"
    );
    assert!(shown.body.contains("value=\"answer-supplement\""));
    visitor
        .upload(
            &format!("{page}/materials/data_source_proof"),
            &upload_fields,
            "data_source_proof",
            ("licence.pdf", "application/pdf", pdf("licence")),
        )
        .await
        .assert_redirect_to(&format!("{page}?done=uploaded"));
    visitor
        .post(&page, &[("csrf", &csrf), ("action", "answer-supplement"), ("commitment", "true")])
        .await
        .assert_redirect_to(&format!("{page}?done=answered"));
    assert_eq!(api_state(&app, &tenant.token, &id).await, "submitted");
    assert_eq!(materials(&app, &tenant.token, &id).await.len(), 5);
    let shown = visitor.get(&page).await;
    let history = &shown.body[shown.body.find("timeline-heading").expect("the history")..];
    let steps = ["<strong>提交申请</strong>", "<strong>要求补正</strong>", "<strong>提交补正</strong>"];
    let at: Vec<usize> = steps.iter().map(|step| history.find(step).expect(step)).collect();
    assert!(at.is_sorted(), "the submission, the request and the answer, in order");

    // A draft withdrawn from its page, with a reason.
    let draft = app.create_application(&tenant.token).await;
    visitor
        .post(&page_of(&draft), &[("csrf", &csrf), ("action", "withdraw"), ("reason", "产品方案调整")])
        .await
        .assert_redirect_to(&format!("{}?done=withdrawn", page_of(&draft)));
    assert_eq!(api_state(&app, &tenant.token, &draft).await, "withdrawn");
    assert!(!visitor.get(&page_of(&draft)).await.body.contains("value=\"withdraw\""));
}

#[tokio::test]
async fn objections_are_replied_to_and_the_certificate_linked_and_an_unverified_party_is_sent_to_verify() {
    let app = spawn_app_with(crate::helpers::short_windows).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let objected = app.announced_application(&tenant.token, &reviewer).await;
    let quiet = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, _) = app.object(&objected).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&tenant.email, PASSWORD).await;

    let page = page_of(&objected);
    let shown = visitor.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains(&format!("href=\"/announcements/{objected}\"")), "the public announcement");
    assert!(shown.body.contains("申请人使用的运单数据来自我方系统，未经授权"), "the objection's grounds");
    assert!(shown.body.contains(&format!("id=\"text-{objection}\"")), "a reply form");
    let csrf = shown.csrf();
    let key = kit_value(&shown.body, "idempotency_key");

    // The announcement ends: one application awaits its objection, the other is registered.
    app.close_windows(chrono::Duration::seconds(3)).await;
    assert_eq!(api_state(&app, &tenant.token, &objected).await, "objection_review");

    // An empty reply: the error beside it, nothing recorded.
    let empty = [("csrf", csrf.as_str()), ("action", "reply"), ("objection_id", objection.as_str()), ("text", " ")];
    let answer = visitor.post(&page, &empty).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
    assert!(answer.body.contains(&format!("id=\"text-{objection}-error\"")));
    let reply = "运单数据由我方系统自行采集，附系统日志为证";
    let fields = [
        ("csrf", csrf.as_str()),
        ("action", "reply"),
        ("objection_id", objection.as_str()),
        ("idempotency_key", key.as_str()),
        ("text", reply),
    ];
    visitor.post(&page, &fields).await.assert_redirect_to(&format!("{page}?done=replied"));
    // Pressed twice: one reply.
    visitor.post(&page, &fields).await.assert_redirect_to(&format!("{page}?done=replied"));
    let listed = app.get(&format!("/applications/{objected}/objections"), Some(&tenant.token)).await;
    let responses = listed.assert_status(200)[0]["responses"].as_array().expect("responses").clone();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0]["text"], reply);
    assert!(visitor.get(&page).await.body.contains(reply));

    // Registered: the certificate's page is linked.
    let certificates = app.get("/certificates", Some(&tenant.token)).await;
    let certificate = certificates.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["application_id"] == quiet.as_str()))
        .and_then(|c| c["id"].as_str())
        .expect("a certificate")
        .to_owned();
    let shown = visitor.get(&format!("{}?lang=en", page_of(&quiet))).await;
    assert!(shown.body.contains(&format!("href=\"/workbench/certificates/{certificate}?lang=en\"")), "{}", shown.body);
    assert!(shown.body.contains("Registered") && !shown.body.contains("value=\"withdraw\""));

    // An unverified party's submission: refused with the service's words, and a way to verify.
    let unverified = app.signup_unverified().await;
    let draft = app.create_application(&unverified.token).await;
    app.upload_required(&unverified.token, &draft).await;
    let mut newcomer = Visitor::new(&app);
    newcomer.sign_in(&unverified.email, PASSWORD).await;
    let csrf = newcomer.get(&page_of(&draft)).await.csrf();
    let answer =
        newcomer.post(&page_of(&draft), &[("csrf", &csrf), ("action", "submit"), ("commitment", "true")]).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert!(answer.body.contains("must be verified to submit applications"));
    assert!(answer.body.contains("href=\"/workbench/party\""));
    assert_eq!(api_state(&app, &unverified.token, &draft).await, "draft");
}

fn kit_value(html: &str, name: &str) -> String {
    super::kit::field_value(html, name).unwrap_or_else(|| panic!("a field {name}"))
}
