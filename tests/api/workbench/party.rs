//! The party's pages: its verification document uploaded and shown with its
//! SHA-256, members added and removed by an owner (and not by a member);
//! and the integrations: API keys shown once and revoked, webhooks with
//! their deliveries, watches, the relying-party request. Another party's
//! things are 404, a plain member's owner-only forms 403, a form without
//! its token 403, and a refused form 422 with its errors beside its fields.

use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::kit::{Page, Visitor, field_value};
use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

/// The text of the element with `id`, up to its first tag.
fn text_of(page: &Page, id: &str) -> String {
    let at = page.body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {}", page.body));
    let rest = &page.body[at..];
    let start = rest.find('>').expect("tag end") + 1;
    rest[start..start + rest[start..].find('<').expect("text end")].trim().to_owned()
}

#[track_caller]
fn assert_status(page: &Page, status: StatusCode) {
    assert_eq!(page.status, status, "{}", page.body);
}

/// A member added through the API, with a known address.
async fn member(app: &TestApp, owner_token: &str) -> String {
    let email = format!("member-{}@example.com", uuid::Uuid::now_v7().simple());
    let body = json!({"email": email, "password": PASSWORD, "display_name": "李娜", "role": "member"});
    app.post("/organization/members", Some(owner_token), body).await.assert_status(201);
    email
}

#[tokio::test]
async fn the_verification_document_and_the_members_are_managed_from_the_party_page() {
    let app = spawn_app_with(|config| config.materials.max_size = 64 << 10).await;
    let owner = app.signup_unverified().await;
    let mut browser = Visitor::new(&app);
    browser.get("/workbench/party").await.assert_redirect_to("/login?next=%2Fworkbench%2Fparty");
    browser.sign_in(&owner.email, PASSWORD).await;
    let page = browser.get("/workbench/party").await;
    assert_status(&page, StatusCode::OK);
    assert_eq!(text_of(&page, "verification"), "未核验");
    assert!(page.body.contains(&owner.credit_code) && page.body.contains("营业执照"));
    let csrf = page.csrf();
    let fields = [("csrf", csrf.as_str()), ("action", "upload")];

    // Refused uploads: no token, a wrong type, no file, too large; nothing changes.
    let forged =
        browser.upload("/workbench/party/document", &[], "document", ("l.pdf", "application/pdf", b"%PDF-1".to_vec()));
    assert_status(&forged.await, StatusCode::FORBIDDEN);
    let text = ("licence.txt", "text/plain", b"a licence".to_vec());
    let wrong = browser.upload("/workbench/party/document", &fields, "document", text).await;
    assert_status(&wrong, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(wrong.body.contains("id=\"document-error\""), "{}", wrong.body);
    let none =
        browser.upload("/workbench/party/document", &fields, "document", ("", "application/pdf", Vec::new())).await;
    assert_status(&none, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(text_of(&none, "document-error"), "请选择要上传的文件。");
    let mut large = b"%PDF-1.7 ".to_vec();
    large.resize(70 << 10, b'x');
    let large = browser.upload("/workbench/party/document", &fields, "document", ("big.pdf", "application/pdf", large));
    let large = large.await;
    assert_status(&large, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(large.body.contains("id=\"document-error\""));
    let api = app.get("/organization", Some(&owner.token)).await;
    assert_eq!(api.body["verification"], "unverified");
    assert!(api.body["business_licence"].is_null());

    // The licence uploaded: shown with its SHA-256, pending, as the API sees it.
    let licence = b"%PDF-1.7 business licence of the workbench".to_vec();
    let digest = hex::encode(Sha256::digest(&licence));
    let upload = browser.upload(
        "/workbench/party/document?lang=en",
        &fields,
        "document",
        ("执照.pdf", "application/pdf", licence.clone()),
    );
    upload.await.assert_redirect_to("/workbench/party?done=uploaded&lang=en");
    let page = browser.get("/workbench/party?done=uploaded&lang=en").await;
    assert_eq!(text_of(&page, "document-sha256"), digest);
    assert_eq!(text_of(&page, "verification"), "Awaiting registry staff");
    assert!(page.body.contains("执照.pdf") && page.body.contains("application/pdf"), "{}", page.body);
    let api = app.get("/organization", Some(&owner.token)).await;
    assert_eq!(api.body["verification"], "pending");
    assert_eq!(api.body["business_licence"]["sha256"], digest.as_str());
    let download = browser.get("/workbench/party/document/file").await;
    assert_eq!(download.body.as_bytes(), &licence[..]);

    // A member added: refused first with each error beside its field and
    // what was typed kept, then added.
    let refused = [
        ("csrf", csrf.as_str()),
        ("action", "add-member"),
        ("email", "not an address"),
        ("display_name", "王芳"),
        ("role", "member"),
        ("password", "short"),
    ];
    let page = browser.post("/workbench/party/members", &refused).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"email-error\"") && page.body.contains("id=\"password-error\""), "{}", page.body);
    assert_eq!(field_value(&page.body, "email").as_deref(), Some("not an address"));
    assert_eq!(field_value(&page.body, "display_name").as_deref(), Some("王芳"));
    let email = format!("wang-{}@example.com", uuid::Uuid::now_v7().simple());
    let fields = [
        ("csrf", csrf.as_str()),
        ("action", "add-member"),
        ("email", &email),
        ("display_name", "王芳"),
        ("role", "member"),
        ("password", PASSWORD),
    ];
    browser.post("/workbench/party/members", &fields).await.assert_redirect_to("/workbench/party?done=member-added");
    let members = app.get("/organization/members", Some(&owner.token)).await;
    let added = members.body["items"].as_array().expect("items").iter().find(|m| m["email"] == email.as_str());
    let added = added.expect("the member is listed")["id"].as_str().expect("id").to_owned();

    // A plain member sees the list, not the owner's forms, and may not post them.
    let mut plain = Visitor::new(&app);
    plain.sign_in(&email, PASSWORD).await;
    let page = plain.get("/workbench/party").await;
    assert!(page.body.contains(&owner.email) && page.body.contains(&email));
    for owners in ["value=\"add-member\"", "value=\"remove-member\"", "name=\"document\""] {
        assert!(!page.body.contains(owners), "{owners}");
    }
    // (The party page holds no form of a member's: another page's token.)
    let token = plain.get("/workbench/integrations").await.csrf();
    let forged = [("csrf", token.as_str()), ("action", "remove-member")];
    let forged = plain.post(&format!("/workbench/party/members/{}", owner.user_id), &forged).await;
    assert_status(&forged, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("only an owner"));

    // Another party's user is not found; the member is removed.
    let other = app.signup().await;
    let remove = [("csrf", csrf.as_str()), ("action", "remove-member")];
    let page = browser.post(&format!("/workbench/party/members/{}", other.user_id), &remove).await;
    assert_status(&page, StatusCode::NOT_FOUND);
    let page = browser.post(&format!("/workbench/party/members/{added}"), &remove).await;
    page.assert_redirect_to("/workbench/party?done=member-removed");
    let members = app.get("/organization/members", Some(&owner.token)).await;
    assert_eq!(members.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(plain.get("/workbench/party").await.status, StatusCode::SEE_OTHER, "a removed member is signed out");

    // A person's page names the identity document and masks the number.
    let person = app.signup_person_unverified().await;
    let mut someone = Visitor::new(&app);
    someone.sign_in(&person.email, PASSWORD).await;
    let page = someone.get("/workbench/party").await;
    assert!(page.body.contains("身份证件") && !page.body.contains(&person.credit_code), "{}", page.body);
    let masked = app.get("/organization", Some(&person.token)).await.body["id_number_masked"].clone();
    assert!(page.body.contains(masked.as_str().expect("masked number")));
}

#[tokio::test]
async fn keys_webhooks_watches_and_the_relying_party_are_managed_from_the_integrations_page() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let other = app.signup().await;
    let mut browser = Visitor::new(&app);
    browser.sign_in(&owner.email, PASSWORD).await;
    let page = browser.get("/workbench/integrations").await;
    assert_status(&page, StatusCode::OK);
    let csrf = page.csrf();

    // A key: refused without the token; shown once; works as a Bearer until revoked.
    let page = browser.post("/workbench/integrations/keys", &[("action", "create-key"), ("name", "ERP")]).await;
    assert_status(&page, StatusCode::FORBIDDEN);
    let fields = [("csrf", csrf.as_str()), ("action", "create-key"), ("name", "ERP 对接")];
    let page = browser.post("/workbench/integrations/keys", &fields).await;
    assert_status(&page, StatusCode::OK);
    let key = text_of(&page, "new-key");
    app.get("/organization", Some(&key)).await.assert_status(200);
    let page = browser.get("/workbench/integrations").await;
    assert!(page.body.contains("ERP 对接") && !page.body.contains(&key), "shown once");
    let keys = app.get("/organization/api-keys", Some(&owner.token)).await;
    let key_id = keys.body["items"][0]["id"].as_str().expect("key id").to_owned();
    let others = app.post("/organization/api-keys", Some(&other.token), json!({"name": "theirs"})).await;
    let others = others.assert_status(201)["id"].as_str().expect("id").to_owned();
    let revoke = [("csrf", csrf.as_str()), ("action", "revoke-key")];
    let page = browser.post(&format!("/workbench/integrations/keys/{others}"), &revoke).await;
    assert_status(&page, StatusCode::NOT_FOUND);
    let page = browser.post(&format!("/workbench/integrations/keys/{key_id}"), &revoke).await;
    page.assert_redirect_to("/workbench/integrations?done=key-revoked");
    app.get("/organization", Some(&key)).await.assert_status(401);

    // A webhook: a bad URL beside its field, the choices kept; then created
    // with its secret shown once, pinged, its delivery shown and sent again.
    let bad = [
        ("csrf", csrf.as_str()),
        ("action", "create-webhook"),
        ("url", "ftp://hooks.example/x"),
        ("events[1]", "application.*"),
    ];
    let page = browser.post("/workbench/integrations/webhooks", &bad).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"url-error\""), "{}", page.body);
    assert_eq!(field_value(&page.body, "url").as_deref(), Some("ftp://hooks.example/x"));
    assert!(page.body.contains("value=\"application.*\" checked"));
    assert_eq!(app.get("/organization/webhooks", Some(&owner.token)).await.body, json!([]));
    let good = [
        ("csrf", csrf.as_str()),
        ("action", "create-webhook"),
        ("url", "https://hooks.example/dataip"),
        ("events[0]", "*"),
    ];
    let page = browser.post("/workbench/integrations/webhooks", &good).await;
    assert_status(&page, StatusCode::OK);
    assert!(text_of(&page, "new-secret").starts_with("whsec_"));
    let hooks = app.get("/organization/webhooks", Some(&owner.token)).await;
    let hook = hooks.body[0]["id"].as_str().expect("webhook id").to_owned();
    let ping = [("csrf", csrf.as_str()), ("action", "ping-webhook")];
    let here = format!("/workbench/integrations/webhooks/{hook}");
    browser.post(&here, &ping).await.assert_redirect_to(&format!("{here}?done=pinged"));
    let page = browser.get(&here).await;
    assert!(page.body.contains("webhook.ping") && page.body.contains("待发送"), "{}", page.body);
    let deliveries = app.get(&format!("/organization/webhooks/{hook}/deliveries"), Some(&owner.token)).await;
    let delivery = deliveries.body[0]["id"].as_str().expect("delivery id").to_owned();
    let redeliver = [("csrf", csrf.as_str()), ("action", "redeliver")];
    let page = browser.post(&format!("{here}/deliveries/{delivery}"), &redeliver).await;
    page.assert_redirect_to(&format!("{here}?done=redelivered"));
    let theirs =
        app.post("/organization/webhooks", Some(&other.token), json!({"url": "https://x.example/h", "events": ["*"]}));
    let theirs = theirs.await.assert_status(201)["id"].as_str().expect("id").to_owned();
    assert_status(&browser.get(&format!("/workbench/integrations/webhooks/{theirs}")).await, StatusCode::NOT_FOUND);
    let delete = [("csrf", csrf.as_str()), ("action", "delete-webhook")];
    let page = browser.post(&format!("/workbench/integrations/webhooks/{theirs}"), &delete).await;
    assert_status(&page, StatusCode::NOT_FOUND);
    browser.post(&here, &delete).await.assert_redirect_to("/workbench/integrations?done=webhook-deleted");
    assert_eq!(app.get("/organization/webhooks", Some(&owner.token)).await.body, json!([]));

    // A watch: a value of the wrong form beside its field; then watched and stopped.
    let watch = |kind, value| {
        [
            ("csrf", csrf.as_str()),
            ("action", "create-watch"),
            ("kind", kind),
            ("value", value),
            ("channels[0]", "email"),
        ]
    };
    let page = browser.post("/workbench/integrations/watches", &watch("sha256", "not a hash")).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"watch-value-error\""));
    assert_eq!(field_value(&page.body, "value").as_deref(), Some("not a hash"));
    let page = browser.post("/workbench/integrations/watches", &watch("name", "交通")).await;
    page.assert_redirect_to("/workbench/integrations?done=watch-created");
    assert!(browser.get("/workbench/integrations").await.body.contains("交通"));
    let watches = app.get("/watches", Some(&owner.token)).await;
    let watch_id = watches.body[0]["id"].as_str().expect("watch id").to_owned();
    let theirs =
        app.post("/watches", Some(&other.token), json!({"kind": "name", "value": "物流", "channels": ["email"]}));
    let theirs = theirs.await.assert_status(201)["id"].as_str().expect("id").to_owned();
    let stop = [("csrf", csrf.as_str()), ("action", "stop-watch")];
    assert_status(
        &browser.post(&format!("/workbench/integrations/watches/{theirs}"), &stop).await,
        StatusCode::NOT_FOUND,
    );
    let page = browser.post(&format!("/workbench/integrations/watches/{watch_id}"), &stop).await;
    page.assert_redirect_to("/workbench/integrations?done=watch-stopped");
    assert_eq!(app.get("/watches", Some(&owner.token)).await.body, json!([]));

    // The relying-party request: a blank purpose refused, then asked.
    let ask = |purpose| {
        [("csrf", csrf.as_str()), ("action", "request-relying-party"), ("kind", "bank"), ("purpose", purpose)]
    };
    let page = browser.post("/workbench/integrations/relying-party", &ask(" ")).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"purpose-error\""));
    let page = browser.post("/workbench/integrations/relying-party", &ask("质押融资的贷前核验")).await;
    page.assert_redirect_to("/workbench/integrations?done=relying-party-requested");
    let page = browser.get("/workbench/integrations").await;
    assert!(page.body.contains("待审核") && page.body.contains("质押融资的贷前核验"));

    // A plain member: no keys or webhooks, and posting their forms is refused.
    let email = member(&app, &owner.token).await;
    let mut plain = Visitor::new(&app);
    plain.sign_in(&email, PASSWORD).await;
    let page = plain.get("/workbench/integrations").await;
    assert_status(&page, StatusCode::OK);
    for owners in ["value=\"create-key\"", "value=\"create-webhook\"", "value=\"request-relying-party\""] {
        assert!(!page.body.contains(owners), "{owners}");
    }
    let forged = [("csrf", page.csrf()), ("action", "create-key".into()), ("name", "mine".into())];
    let forged = forged.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>();
    assert_status(&plain.post("/workbench/integrations/keys", &forged).await, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/organization/api-keys", Some(&owner.token)).await.body["items"], json!([]));
}
