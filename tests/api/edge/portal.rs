//! The public portal over plain HTTP: languages, addresses, errors as pages,
//! caching, the objection form's guards, the JSON twin of a record, feeds,
//! the sitemap, and the certificate PDF that verifies itself. What a person
//! sees in a browser is tested in `browser.rs`.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::{
    certificates::acts::{holder, setup},
    helpers::{TestApp, spawn_app_with},
};

/// A page's status, headers and text.
pub struct Page {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub text: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn has(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }
}

pub async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.expect("text") }
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut request = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.expect("text") }
}

const SAME_SITE: [(&str, &str); 1] = [("sec-fetch-site", "same-origin")];

#[tokio::test]
async fn pages_speak_chinese_first_and_english_when_asked() {
    let app = spawn_app_with(setup).await;
    let home = page(&app, "/", &[]).await;
    assert_eq!(home.status, 200);
    assert!(home.header("content-type").starts_with("text/html"));
    assert!(home.has(r#"<html lang="zh-CN">"#) && home.has("数据知识产权登记"));
    assert!(home.has(r#"hreflang="en""#) && home.has(&format!(r#"href="{}/?lang=en""#, app.base)));
    assert!(home.has(r#"href="/announcements""#), "Chinese links stay clean when Chinese was not chosen");

    let english = page(&app, "/?lang=en", &[]).await;
    assert!(english.has(r#"<html lang="en">"#) && english.has("Data Intellectual Property Registry"));
    assert!(english.has(r#"href="/announcements?lang=en""#), "every link carries the language");
    let negotiated = page(&app, "/certificates", &[("accept-language", "en-GB,en;q=0.9,zh;q=0.3")]).await;
    assert!(negotiated.has(r#"<html lang="en">"#));
    let chosen = page(&app, "/certificates?lang=zh-CN", &[("accept-language", "en")]).await;
    assert!(chosen.has(r#"<html lang="zh-CN">"#) && chosen.has(r#"href="/verify?lang=zh-CN""#));
    // A stylesheet of this site only, kept for a year under its hashed name.
    let css =
        home.text.split(r#"<link rel="stylesheet" href=""#).nth(1).and_then(|s| s.split('"').next()).expect("css");
    let stylesheet = page(&app, css, &[]).await;
    assert_eq!(stylesheet.status, 200);
    assert!(stylesheet.header("cache-control").contains("immutable"));
    assert!(!home.header("content-security-policy").contains("script-src"), "no script may run");
    assert!(home.header("content-security-policy").starts_with("default-src 'none'; style-src 'self'"));
}

#[tokio::test]
async fn missing_pages_are_pages_and_api_errors_stay_problem_json() {
    let app = spawn_app_with(setup).await;
    for path in ["/no/such/page", "/announcements/not-an-id", "/certificates/20261131999999999", "/objections/x"] {
        let missing = page(&app, path, &[]).await;
        assert_eq!(missing.status, 404, "{path}");
        assert!(missing.header("content-type").starts_with("text/html") && missing.has("页面不存在"), "{path}");
    }
    let english = page(&app, "/no/such/page?lang=en", &[]).await;
    assert!(english.has("Page not found"));
    for path in ["/api/v1/no/such", "/api/nothing", "/api/v1/public/certificates/20261131999999999"] {
        let missing = page(&app, path, &[]).await;
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.header("content-type"), "application/problem+json", "{path}");
    }
    let json = page(&app, "/certificates/20261131999999999", &[("accept", "application/json")]).await;
    assert_eq!((json.status, json.header("content-type")), (StatusCode::NOT_FOUND, "application/problem+json"));

    // A page's own links come from the route it matched, never from the
    // address as sent: no link leaves the registry.
    for path in ["//evil.example/login?lang=en", "//evil.example/login", "/announcements/%2F%2Fevil.example?lang=en"] {
        let missing = page(&app, path, &[]).await;
        assert_eq!(missing.status, 404, "{path}");
        assert!(!missing.has("//evil.example") && !missing.has("href=\"//"), "{path}: {}", missing.text);
    }
}

#[tokio::test]
async fn a_record_page_shows_the_certificate_and_its_address_answers_json_too() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let path = format!("/certificates/{}", h.number);
    let record = page(&app, &path, &[]).await;
    assert_eq!(record.status, 200);
    for needle in
        [h.number.as_str(), "上海数据科技有限公司", "有效", "已核验", "长三角物流时效数据集", r#""@type":"Dataset""#]
    {
        assert!(record.has(needle), "{needle} missing");
    }
    let api = app.get(&format!("/public/certificates/{}", h.number), None).await;
    let twin = page(&app, &path, &[("accept", "application/json")]).await;
    assert_eq!(twin.header("content-type"), "application/json");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&twin.text).expect("json"), api.body);
    assert!(record.header("vary").contains("Accept"));

    // Revoked, the record stays, saying when and why.
    let revoke = json!({"grounds": "提交虚假材料"});
    app.post(&format!("/review/certificates/{}/revoke", h.certificate), Some(&h.reviewer), revoke)
        .await
        .assert_status(200);
    let revoked = page(&app, &format!("{path}?lang=en"), &[]).await;
    assert!(revoked.has("Revoked") && revoked.has("提交虚假材料"));
    let register = page(&app, "/certificates?status=revoked", &[]).await;
    assert!(register.has(&h.number));
    let active = page(&app, "/certificates?status=active", &[]).await;
    assert!(!active.has(&h.number));
}

#[tokio::test]
async fn pages_are_cached_briefly_and_revalidated() {
    let app = spawn_app_with(setup).await;
    let first = page(&app, "/announcements", &[]).await;
    assert!(first.header("cache-control").contains("max-age="));
    let etag = first.header("etag").to_owned();
    assert!(!etag.is_empty());
    let again = page(&app, "/announcements", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    let changed = page(&app, "/announcements", &[("if-none-match", "W/\"other\"")]).await;
    assert_eq!(changed.status, 200);
}

#[tokio::test]
async fn the_objection_form_files_from_this_site_only_and_says_what_is_wrong() {
    let app = spawn_app_with(|config| config.workflow.announcement_period = "P15D".parse().expect("period")).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(dataip::domain::StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let path = format!("/announcements/{id}");
    let shown = page(&app, &path, &[]).await;
    assert!(shown.has("提出异议") && shown.has("剩余") && shown.has("SHA-256"));
    let search = page(&app, "/announcements?q=%E7%89%A9%E6%B5%81", &[]).await;
    assert!(search.has(&path));
    let miss = page(&app, "/announcements?q=%E5%8C%BB%E7%96%97", &[]).await;
    assert!(!miss.has(&path) && miss.has("没有符合条件的记录"));

    let fields = [
        ("name", "王五"),
        ("contact_email", "wangwu@objector.example"),
        ("interest", "我们是该数据的原始采集方"),
        ("grounds", "申请人使用的运单数据来自我方系统，未经授权"),
    ];
    let forged = post_form(&app, &format!("{path}/objections"), &fields, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(forged.status, 403);
    let elsewhere =
        post_form(&app, &format!("{path}/objections"), &fields, &[("origin", "https://evil.example")]).await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.has("此表单只能从本站页面提交"));
    let mut wrong = fields;
    wrong[1].1 = "not an address";
    wrong[3].1 = " ";
    let invalid = post_form(&app, &format!("{path}/objections?lang=en"), &wrong, &SAME_SITE).await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.has("Give a valid e-mail address") && invalid.has("Fill in this field"));
    assert!(invalid.has(r#"value="王五""#), "what was typed stays");
    assert_eq!(app.count("objections").await, 0);

    let filed = post_form(&app, &format!("{path}/objections"), &fields, &SAME_SITE).await;
    assert_eq!(filed.status, 201);
    assert_eq!(filed.header("cache-control"), "no-store");
    assert_eq!(app.count("objections").await, 1);
    let link =
        filed.text.split(r#"id="tracking-link" rel="noreferrer" href=""#).nth(1).and_then(|s| s.split('"').next());
    let link = link.expect("a tracking link").replace("&amp;", "&");
    let tracking = link.strip_prefix(&app.base).expect("on this registry").to_owned();
    let view = page(&app, &tracking, &[]).await;
    assert_eq!(view.status, 200);
    assert!(view.has("处理中") && view.has(r#"<meta name="robots" content="noindex, nofollow">"#));
    assert_eq!((view.header("cache-control"), view.header("referrer-policy")), ("no-store", "no-referrer"));
    assert!(!view.has(r#"rel="alternate" hreflang"#), "no alternate address carries the token");
    let switch = view.text.split(r#"class="lang" href=""#).nth(1).and_then(|s| s.split('"').next()).expect("switch");
    let english = page(&app, &switch.replace("&#38;", "&"), &[]).await;
    assert!(
        english.status == 200 && english.has("Open"),
        "the language switch keeps the reader's own page: {switch} {}",
        english.status
    );
    let wrong_token = page(&app, &tracking.replace("token=dipo_", "token=dipo_x"), &[]).await;
    assert_eq!(wrong_token.status, 404);

    let (objection, token) = tracking.trim_start_matches("/objections/").split_once("?token=").expect("id and token");
    // Evidence, as a browser's file field sends it; never public.
    let evidence = format!("/objections/{objection}/evidence?token={token}");
    let attached =
        upload(&app, &evidence, "contract.pdf", "application/pdf", b"%PDF-1.7 contract".to_vec(), &SAME_SITE).await;
    assert_eq!(attached.status, 303);
    let listed = page(&app, &format!("{tracking}&attached=1"), &[]).await;
    assert!(listed.has("contract.pdf") && listed.has("证据已上传"));
    let mislabelled = upload(&app, &evidence, "x.pdf", "application/pdf", b"not a pdf".to_vec(), &SAME_SITE).await;
    assert_eq!(mislabelled.status, 422);
    assert!(mislabelled.has("文件未能上传"));
    let forged = upload(
        &app,
        &evidence,
        "y.pdf",
        "application/pdf",
        b"%PDF-1.7".to_vec(),
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count("objection_evidence").await, 1);
    let withdrawn = post_form(&app, &format!("/objections/{objection}/withdraw?token={token}"), &[], &SAME_SITE).await;
    assert_eq!(withdrawn.status, 303);
    let after = page(&app, &tracking, &[]).await;
    assert!(after.has("已撤回") && !after.has("撤回异议</button>"));
}

#[tokio::test]
async fn a_closed_announcement_stays_and_says_what_came_of_it() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let listed = page(&app, "/announcements/past", &[]).await;
    let id = listed.text.split(r#"<h3><a href="/announcements/"#).nth(1).and_then(|s| s.get(..36));
    let id = id.expect("a past announcement").to_owned();
    let api = app.get(&format!("/public/announcements/{id}"), None).await;
    assert_eq!(api.assert_status(200)["outcome"], "registered");
    assert_eq!(api.body["certificate_number"], h.number.as_str());
    let shown = page(&app, &format!("/announcements/{id}"), &[]).await;
    assert!(shown.has("公示期已结束") && shown.has(&format!("/certificates/{}", h.number)));
    assert!(!shown.has("提交异议"), "no form once closed");
    let closed = post_form(&app, &format!("/announcements/{id}/objections"), &[("name", "x")], &SAME_SITE).await;
    assert_eq!(closed.status, 422);
}

#[tokio::test]
async fn feeds_are_atom_and_the_sitemap_lists_records_but_no_tracking_page() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let tenant = app.signup().await;
    app.announced_application(&tenant.token, &h.reviewer).await;
    for (path, expected) in
        [("/feeds/announcements.atom", "/announcements/"), ("/feeds/certificates.atom", "/certificates/")]
    {
        let feed = page(&app, path, &[]).await;
        assert_eq!(feed.header("content-type"), "application/atom+xml; charset=utf-8");
        let parsed = feed_rs::parser::parse(feed.text.as_bytes()).expect("Atom 1.0");
        assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
        assert!(!parsed.entries.is_empty(), "{path}");
        for entry in &parsed.entries {
            let href = &entry.links[0].href;
            assert!(href.starts_with(&app.base) && href.contains(expected), "{href}");
            let target = page(&app, href.strip_prefix(&app.base).expect("here"), &[]).await;
            assert_eq!(target.status, 200, "{href}");
        }
    }
    let robots = page(&app, "/robots.txt", &[]).await;
    assert!(
        robots.has("Disallow: /objections/")
            && robots.has("Disallow: /confirm/")
            && robots.has(&format!("Sitemap: {}/sitemap.xml", app.base))
    );
    // An index of parts, which together list the records and no tracking page.
    let index = page(&app, "/sitemap.xml", &[]).await;
    assert!(index.has("<sitemapindex"), "{}", index.text);
    let mut listed = String::new();
    for part in index.text.split("<loc>").skip(1).filter_map(|rest| rest.split_once("</loc>")).map(|(loc, _)| loc) {
        let part = page(&app, part.strip_prefix(&app.base).expect("here"), &[]).await;
        assert_eq!((part.status, part.header("content-type")), (StatusCode::OK, "application/xml; charset=utf-8"));
        listed.push_str(&part.text);
    }
    assert!(listed.contains(&format!("<loc>{}/certificates/{}</loc>", app.base, h.number)), "{listed}");
    assert!(listed.contains(&format!("<loc>{}/verify</loc>", app.base)), "{listed}");
    assert!(!listed.contains("/objections/"));
    for missing in ["/sitemaps/certificates-2.xml", "/sitemaps/certificates-01.xml", "/sitemaps/other.xml"] {
        assert_eq!(page(&app, missing, &[]).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn the_pdf_points_at_its_page_and_verifies_itself_while_a_tampered_copy_does_not() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let pdf = app
        .client
        .get(app.url(&format!("/certificates/{}/pdf", h.certificate)))
        .bearer_auth(&h.tenant.token)
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("bytes");
    let attached = dataip::pdf::attachment::read_back(&pdf, dataip::pdf::attachment::FILENAME)
        .expect("readable")
        .expect("the signed certificate is attached");
    let signed: serde_json::Value = serde_json::from_slice(&attached).expect("json");
    assert_eq!(signed["document"]["certificate_number"], h.number.as_str());

    let verified = verify_upload(&app, "certificate.pdf", "application/pdf", pdf.to_vec()).await;
    assert_eq!(verified.status, 200);
    assert!(verified.has("核验通过") && verified.has("签名有效") && verified.has("当前状态：有效"));

    let mut tampered = signed.clone();
    tampered["document"]["product"]["name"] = json!("另一个数据集");
    let bytes = serde_json::to_vec(&tampered).expect("json");
    let refused = verify_upload(&app, "certificate.json", "application/json", bytes).await;
    assert!(refused.has("核验未通过") && refused.has("签名无效") && refused.has("未通过的检查"));
    let junk = verify_upload(&app, "x.pdf", "application/pdf", b"%PDF-1.7 nothing".to_vec()).await;
    assert_eq!(junk.status, 422);
    let by_number = page(&app, &format!("/verify?number={}&lang=en", h.number), &[]).await;
    assert!(by_number.has("Verified") && by_number.has("Status today: Valid."));
    let unknown = page(&app, "/verify?number=20261131999999999", &[]).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.has("本登记机构没有此编号的证书"));
}

pub async fn verify_upload(app: &TestApp, name: &str, media_type: &str, bytes: Vec<u8>) -> Page {
    upload(app, "/verify", name, media_type, bytes, &[]).await
}

/// A file posted as a page's file field posts it.
async fn upload(
    app: &TestApp,
    path: &str,
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
    headers: &[(&str, &str)],
) -> Page {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(media_type).expect("type");
    let form = reqwest::multipart::Form::new().part("file", part);
    let mut request = app.client.post(format!("{}{path}", app.base)).multipart(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    Page { status: response.status(), headers: response.headers().clone(), text: response.text().await.expect("text") }
}

#[tokio::test]
async fn file_checks_at_verify_are_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.verify_uploads_per_address = 2).await;
    for _ in 0..2 {
        let page = verify_upload(&app, "x.json", "application/json", b"{}".to_vec()).await;
        assert_eq!(page.status, 422);
    }
    let limited = verify_upload(&app, "x.json", "application/json", b"{}".to_vec()).await;
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").parse::<u64>().is_ok() && limited.has("提交过于频繁"));
}

#[tokio::test]
async fn the_home_page_says_the_periods_the_settings_give() {
    let defaults = spawn_app_with(|_| {}).await;
    let home = page(&defaults, "/", &[]).await;
    assert!(home.has("公示 15 日") && home.has("有效期三年"), "{}", home.text);
    let english = page(&defaults, "/?lang=en", &[]).await;
    assert!(english.has("announced for 15 days") && english.has("valid for three years"), "{}", english.text);

    let demo = spawn_app_with(|config| {
        config.workflow.announcement_period = "PT30S".parse().expect("duration");
        config.workflow.certificate_validity = "P1Y6M".parse().expect("duration");
    })
    .await;
    let home = page(&demo, "/", &[]).await;
    assert!(home.has("公示 30 秒") && home.has("有效期一年六个月") && !home.has("15 日"), "{}", home.text);
    let english = page(&demo, "/?lang=en", &[]).await;
    assert!(
        english.has("announced for 30 seconds") && english.has("valid for one year six months"),
        "{}",
        english.text
    );
    assert!(!english.has("15 days") && !english.has("three years"));
}
