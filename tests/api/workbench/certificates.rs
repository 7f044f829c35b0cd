//! Certificates in the workbench: the list and the record with its files,
//! acts filed from the certificate's page (errors beside their fields),
//! a confirmation asked of a party given from its own page, and a
//! pledgee's written consent uploaded beside its act and downloaded.

use reqwest::{StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::kit::{Visitor, field_value};
use crate::certificates::acts::{holder, setup};
use crate::helpers::{PASSWORD, TestApp, fresh_credit_code, spawn_app_with};

/// A download as a browser signed in as `visitor` gets it: status, content
/// type, disposition and bytes.
async fn download(app: &TestApp, visitor: &Visitor<'_>, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let cookies = visitor.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let response =
        app.client.get(format!("{}{path}", app.base)).header(header::COOKIE, cookies).send().await.expect("sent");
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (content_type, disposition) = (header(header::CONTENT_TYPE), header(header::CONTENT_DISPOSITION));
    (response.status(), content_type, disposition, response.bytes().await.expect("bytes").to_vec())
}

/// An act's state, through the API.
async fn state_of(app: &TestApp, token: &str, certificate: &str, act: &str) -> String {
    let all = acts(app, token, certificate).await;
    let found = all.iter().find(|a| a["id"] == act).expect("the act");
    found["state"].as_str().expect("state").to_owned()
}

/// The acts on the certificate, through the API.
async fn acts(app: &TestApp, token: &str, certificate: &str) -> Vec<Value> {
    let acts = app.get(&format!("/certificates/{certificate}/acts"), Some(token)).await;
    acts.assert_status(200).as_array().cloned().expect("acts")
}

#[tokio::test]
async fn a_holder_downloads_its_certificate_and_files_acts_which_a_party_confirms_from_its_page() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let bank = app.signup().await;
    let page_path = format!("/workbench/certificates/{}", h.certificate);
    Visitor::new(&app).get("/workbench/certificates").await.assert_redirect_to("/login?next=");

    // The list, and the certificate's record with its files.
    let mut holder_browser = Visitor::new(&app);
    holder_browser.sign_in(&h.tenant.email, PASSWORD).await;
    let list = holder_browser.get("/workbench/certificates").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&h.number) && list.body.contains(&format!("href=\"{page_path}\"")), "{}", list.body);
    let page = holder_browser.get(&format!("{page_path}?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        h.number.as_str(),
        "Valid",
        "certificate.pdf",
        "document.json",
        "name=\"pledgee[name]\"",
        "name=\"secured_amount[amount]\"",
        "name=\"licensee[id_number]\"",
        "name=\"transferee_credit_code\"",
        "name=\"product_name\"",
        "id=\"file-pledge_release\"",
        "value=\"renewal\"",
        "name=\"reason\"",
        "value=\"file-act\"",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    let pdf = download(&app, &holder_browser, &format!("{page_path}/certificate.pdf")).await;
    assert_eq!((pdf.0, pdf.1.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.2.starts_with("attachment;") && pdf.2.contains(&format!("{}.pdf", h.number)), "{}", pdf.2);
    assert!(pdf.3.starts_with(b"%PDF-"));
    let json = download(&app, &holder_browser, &format!("{page_path}/document.json")).await;
    assert_eq!((json.0, json.1.as_str()), (StatusCode::OK, "application/json"));
    let document: Value = serde_json::from_slice(&json.3).expect("json");
    assert_eq!(document, app.get(&format!("/certificates/{}", h.certificate), Some(&h.tenant.token)).await.body);
    let proof = download(&app, &holder_browser, &format!("{page_path}/proof")).await;
    assert_eq!((proof.0, proof.1.as_str()), (StatusCode::OK, "text/plain; charset=utf-8"));
    assert!(proof.2.contains(".tlog-proof") && String::from_utf8_lossy(&proof.3).contains("c2sp.org/tlog-proof"));

    // A pledge to a bank registered here: it awaits the bank's word.
    let token = page.csrf();
    let today = chrono::Utc::now().date_naive();
    let (starts, ends) = (today.to_string(), (today + chrono::Duration::days(365)).to_string());
    let pledge = [
        ("kind", "pledge"),
        ("idempotency_key", "pledge-1"),
        ("pledgee[name]", "上海银行"),
        ("pledgee[credit_code]", bank.credit_code.as_str()),
        ("pledgee[contact_email]", ""),
        ("secured_amount[amount]", "5000000.00"),
        ("secured_amount[currency]", "CNY"),
        ("starts_on", starts.as_str()),
        ("ends_on", ends.as_str()),
    ];
    let path = format!("{page_path}/acts");
    let unsigned = holder_browser.post(&path, &[&pledge[..], &[("action", "file-act")]].concat()).await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    let forged = [&pledge[..], &[("action", "file-act"), ("csrf", "wrong")]].concat();
    assert_eq!(holder_browser.post(&path, &forged).await.status, StatusCode::FORBIDDEN);
    let filed = holder_browser.post(&path, &[&pledge[..], &[("csrf", &token), ("action", "file-act")]].concat()).await;
    filed.assert_redirect_to(&format!("{page_path}?done=file-act"));
    let page = holder_browser.get(&format!("{page_path}?done=file-act")).await;
    assert!(page.body.contains("class=\"notice\""), "{}", page.body);
    assert!(page.body.contains("待相关方确认") && page.body.contains("等待上海银行确认"), "{}", page.body);
    let pledge_act = acts(&app, &h.tenant.token, &h.certificate).await[0]["id"].as_str().expect("id").to_owned();

    // Another party's certificate is not there for it; nor its files.
    let mut bank_browser = Visitor::new(&app);
    bank_browser.sign_in(&bank.email, PASSWORD).await;
    assert_eq!(bank_browser.get(&page_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(download(&app, &bank_browser, &format!("{page_path}/certificate.pdf")).await.0, StatusCode::NOT_FOUND);
    let bank_token = bank_browser.get("/workbench/confirmations").await.csrf();
    let stolen = [&pledge[..], &[("csrf", &bank_token), ("action", "file-act")]].concat();
    assert_eq!(bank_browser.post(&path, &stolen).await.status, StatusCode::NOT_FOUND);

    // The bank confirms from its confirmations: the pledge goes to review.
    let asked = bank_browser.get("/workbench/confirmations").await;
    assert!(asked.body.contains(&h.number) && asked.body.contains("上海银行"), "{}", asked.body);
    for button in ["value=\"confirm\"", "value=\"decline\""] {
        assert!(asked.body.contains(button), "{button}");
    }
    let answer = format!("/workbench/confirmations/{pledge_act}");
    let unsigned = bank_browser.post(&answer, &[("action", "confirm")]).await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    assert_eq!(holder_browser.post(&answer, &[("csrf", &token), ("action", "confirm")]).await.status, 404);
    bank_browser
        .post(&answer, &[("csrf", &bank_token), ("action", "confirm")])
        .await
        .assert_redirect_to("/workbench/confirmations?done=confirm");
    let after = bank_browser.get("/workbench/confirmations?done=confirm").await;
    assert!(after.body.contains("class=\"notice\"") && !after.body.contains(&pledge_act), "{}", after.body);
    assert_eq!(acts(&app, &h.tenant.token, &h.certificate).await[0]["state"], "pending");
    let page = holder_browser.get(&page_path).await;
    assert!(page.body.contains("待审查") && page.body.contains("上海银行已于"), "{}", page.body);
    // Recorded, the pledge is one the release form offers.
    crate::certificates::acts::approve(&app, &h, &pledge_act).await.assert_status(200);
    let page = holder_browser.get(&page_path).await;
    assert!(page.body.contains("name=\"pledge_id\"") && page.body.contains(&format!("value=\"{pledge_act}\"")));

    // A licence with its term backwards: 422, the error beside its field,
    // everything typed kept, nothing filed; then filed as corrected.
    let code = fresh_credit_code();
    let licence = |starts: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("action", "file-act".to_owned()),
            ("kind", "license".to_owned()),
            ("licensee[name]", "杭州智算有限公司".to_owned()),
            ("licensee[credit_code]", code.clone()),
            ("scope", "华东地区物流调度模型训练".to_owned()),
            ("starts_on", starts.to_owned()),
            ("ends_on", "2030-06-30".to_owned()),
        ]
    };
    let (wrong, right) = (licence("2030-12-31"), licence("2030-01-01"));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = holder_browser.post(&path, &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"license-ends_on-error\""), "{}", refused.body);
    assert!(refused.body.contains("aria-describedby=\"license-ends_on-error\""));
    assert!(refused.body.contains("<details id=\"file-license\" open>"));
    assert!(refused.body.contains("class=\"errors-summary\""));
    assert_eq!(field_value(&refused.body, "licensee[name]").as_deref(), Some("杭州智算有限公司"));
    assert_eq!(field_value(&refused.body, "licensee[credit_code]").as_deref(), Some(code.as_str()));
    assert_eq!(field_value(&refused.body, "starts_on").as_deref(), Some("2030-12-31"));
    assert!(refused.body.contains(">华东地区物流调度模型训练</textarea>"));
    assert_eq!(acts(&app, &h.tenant.token, &h.certificate).await.len(), 1, "nothing filed");
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    holder_browser.post(&path, &right).await.assert_redirect_to(&page_path);
    let filed = acts(&app, &h.tenant.token, &h.certificate).await;
    assert_eq!((filed.len(), &filed[1]["kind"], &filed[1]["state"]), (2, &"license".into(), &"pending".into()));
    assert_eq!(filed[1]["details"]["exclusive"], false, "an unticked box is false");

    // With no mail sent, the single-use link a filing answers is shown
    // once on the page answering it; the same form posted again (a reload)
    // files nothing twice.
    let transfer = [
        ("csrf", token.as_str()),
        ("action", "file-act"),
        ("kind", "transfer"),
        ("idempotency_key", "transfer-1"),
        ("transferee_credit_code", bank.credit_code.as_str()),
        ("transferee_contact_email", "ip@bank.example"),
    ];
    let shown = holder_browser.post(&path, &transfer).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("id=\"links\"") && shown.body.contains("/confirm/dpcf_"), "{}", shown.body);
    holder_browser.post(&path, &transfer).await.assert_redirect_to(&page_path);
    assert_eq!(acts(&app, &h.tenant.token, &h.certificate).await.len(), 3);
}

#[tokio::test]
async fn a_holder_uploads_a_pledgees_written_consent_from_the_acts_line_and_downloads_it() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    // A pledge recorded before pledgees gave contacts: its release awaits
    // the pledgee's written consent.
    let (_, filed) = crate::certificates::confirmations::legacy_release(&app, &h).await;
    let release = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    let page_path = format!("/workbench/certificates/{}", h.certificate);
    let path = format!("{page_path}/acts/{release}/document");

    let mut browser = Visitor::new(&app);
    browser.sign_in(&h.tenant.email, PASSWORD).await;
    let page = browser.get(&format!("{page_path}?lang=en")).await;
    let form = &page.body[page.body.find(&format!("id=\"act-{release}-upload\"")).expect("the upload form")..];
    let (csrf, action, input) = (
        form.find("name=\"csrf\"").expect("csrf"),
        form.find("type=\"hidden\" name=\"action\" value=\"upload-document\"").expect("action"),
        form.find("name=\"document\"").expect("input"),
    );
    assert!(csrf < input && action < input);
    let multipart = format!("action=\"{path}?lang=en\" enctype=\"multipart/form-data\"");
    assert!(page.body.contains(&multipart), "{}", page.body);
    assert!(form.contains("<button type=\"submit\" name=\"action\" value=\"upload-document\">"));
    assert!(form.contains(&format!("<label for=\"document-{release}\">")));
    let token = page.csrf();
    const PDF: &[u8] = b"%PDF-1.7 the bank's written consent";
    let pdf = || ("consent.pdf", "application/pdf", PDF.to_vec());
    let signed = [("csrf", token.as_str()), ("action", "upload-document")];

    // Refused, nothing changed: no token (403); a text file (415, beside
    // the input); another party's act (404).
    let unsigned = browser.upload(&path, &[("action", "upload-document")], "document", pdf()).await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    let text = ("consent.txt", "text/plain", b"I consent".to_vec());
    let wrong = browser.upload(&path, &signed, "document", text).await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(wrong.body.contains(&format!("id=\"document-{release}-error\"")), "{}", wrong.body);
    assert!(wrong.body.contains(&format!("document-{release}-hint document-{release}-error\"")));
    let other = app.signup().await;
    let mut stranger = Visitor::new(&app);
    stranger.sign_in(&other.email, PASSWORD).await;
    let theirs = stranger.get("/workbench/party").await.csrf();
    let stolen = stranger.upload(&path, &[("csrf", &theirs), ("action", "upload-document")], "document", pdf()).await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    assert_eq!(download(&app, &stranger, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(state_of(&app, &h.tenant.token, &h.certificate, &release).await, "awaiting_confirmation");
    assert_eq!(download(&app, &browser, &path).await.0, StatusCode::NOT_FOUND, "none uploaded yet");

    // Uploaded: back to the page, the act goes to review, the document
    // shown beside it; the API sees the same digest; the page's download
    // gives the same bytes.
    browser.upload(&path, &signed, "document", pdf()).await.assert_redirect_to(&format!("{page_path}?done=document"));
    let page = browser.get(&format!("{page_path}?done=document&lang=en")).await;
    let digest = hex::encode(Sha256::digest(PDF));
    for needle in ["class=\"notice\"", "consent.pdf", "application/pdf", digest.as_str(), "Awaiting review"] {
        assert!(page.body.contains(needle), "{needle}: {}", page.body);
    }
    assert!(!page.body.contains(&format!("id=\"act-{release}-upload\"")), "nothing awaited any more");
    assert_eq!(state_of(&app, &h.tenant.token, &h.certificate, &release).await, "pending");
    let api = app
        .client
        .get(app.url(&format!("/certificates/{}/acts/{release}/document", h.certificate)))
        .bearer_auth(&h.tenant.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(api.headers()[header::ETAG].to_str().expect("etag"), format!("\"{digest}\""));
    let (status, media_type, disposition, bytes) = download(&app, &browser, &path).await;
    assert_eq!((status, media_type.as_str(), bytes.as_slice()), (StatusCode::OK, "application/pdf", PDF));
    assert!(disposition.starts_with("attachment;") && disposition.contains("consent.pdf"), "{disposition}");
}
