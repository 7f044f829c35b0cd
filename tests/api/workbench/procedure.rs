//! An applicant's whole procedure in the workbench, in headless Chromium by
//! clicking and typing only: a person signs up, confirms the address from
//! the mail, uploads an identity document; a reviewer verifies (through the
//! API); the person fills the form (an error first, a second data source),
//! uploads the four materials and submits; answers a supplement shown on
//! the dashboard; and, once registered, files a pledge from the
//! certificate's page. axe-core on every page in both languages at 1280
//! and 360 px; screenshots of the dashboard and the form.

use std::time::Duration;

use dataip::domain::StaffRole;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::{
    accounts::verification::verify,
    browser_kit::{Driver, assert_accessible, click, shoot, tempfile_dir, text, type_into},
    helpers::{PASSWORD, REQUIRED_MATERIALS, TestApp, free_port, spawn_app_with},
    notifications::mail::{Sink, deliver, with_mail},
};

/// The pages of a visit before sign-in.
const SIGNED_OUT: [&str; 3] = ["/login", "/signup", "/password-reset"];

/// Chooses `value` in the `<select>` named `name`, by clicking its option.
async fn choose(browser: &Client, name: &str, value: &str) {
    let option = format!("select[name='{name}'] option[value='{value}']");
    browser
        .find(Locator::Css(&option))
        .await
        .unwrap_or_else(|e| panic!("{option}: {e}"))
        .click()
        .await
        .expect("chosen");
}

/// Clicks a button that asks before it acts (`data-confirm`), answering yes.
async fn click_confirmed(browser: &Client, css: &str) {
    browser.execute("window.confirm = () => true; return true;", vec![]).await.expect("confirm answered");
    click(browser, css).await;
}

/// Types `value` into the control named `name` (or matched by `name` when
/// it is a selector of its own).
async fn field(browser: &Client, name: &str, value: &str) {
    let css = if name.contains(['#', ' ']) { name.to_owned() } else { format!("[name='{name}']") };
    let element = browser.find(Locator::Css(&css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    element.clear().await.expect("cleared");
    element.send_keys(value).await.expect("typed");
}

/// The first link in the mail of `subject_part` to `email`.
fn link_in_mail(sink: &Sink, email: &str, path: &str) -> String {
    let mail = sink.to(email);
    let text =
        mail.iter().filter_map(|m| m["text"].as_str()).find(|t| t.contains(path)).expect("the mail with the link");
    let start = text.find("http").expect("a link");
    text[start..].split_whitespace().next().expect("the link").to_owned()
}

async fn org_id_of(app: &TestApp, email: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT org_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.db)
        .await
        .expect("the person's party");
    id.to_string()
}

async fn no_sideways_scrolling(browser: &Client, what: &str) {
    let width = browser.execute("return document.documentElement.scrollWidth", vec![]).await.expect("width");
    if width.as_u64().is_some_and(|w| w <= 360) {
        return;
    }
    // What sticks out, to say where to look.
    let wide = "return [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 360)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right));";
    let wide = browser.execute(wide, vec![]).await.expect("elements");
    panic!("{what}: no sideways scrolling at 360 px ({width}): {wide}");
}

#[tokio::test]
async fn a_person_registers_a_product_in_the_browser() {
    let sink = Sink::on(free_port());
    let mut app = spawn_app_with(with_mail(sink.port)).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 2400).await;
    let base = app.base.clone();
    let email = "wang.fang@person.example";
    let number = crate::helpers::fresh_id_number();
    let files = tempfile_dir("workbench-files");

    // The pages of a signed-out visit, in both languages.
    for path in SIGNED_OUT {
        for lang in ["zh-CN", "en"] {
            browser.goto(&format!("{base}{path}?lang={lang}")).await.expect("page");
            assert_accessible(&browser, &format!("{path} in {lang}")).await;
        }
    }

    // 1. Sign up as a person; a signed-out visit to the workbench goes to
    //    sign in first.
    browser.goto(&format!("{base}/workbench")).await.expect("workbench");
    assert!(browser.current_url().await.expect("url").as_str().contains("/login?next=%2Fworkbench"));
    assert_accessible(&browser, "login").await;
    click(&browser, "main a[href='/signup']").await;
    assert_accessible(&browser, "signup").await;
    browser.find(Locator::Css("input[name=kind][value=person]")).await.expect("radio").click().await.expect("chosen");
    field(&browser, "person[name]", "王芳").await;
    field(&browser, "person[id_number]", &number).await;
    field(&browser, "user[email]", email).await;
    field(&browser, "user[password]", PASSWORD).await;
    field(&browser, "user[display_name]", "王芳").await;
    click(&browser, "button[value=sign-up]").await;
    assert!(browser.current_url().await.expect("url").as_str().contains("/workbench/account?done=signed-up"));
    assert_accessible(&browser, "account").await;

    // 2. Confirm the address from the mail.
    deliver(&app).await;
    let link = link_in_mail(&sink, email, "/confirm-email?token=");
    browser.goto(&link).await.expect("the mailed link");
    click(&browser, "main form button[type=submit]").await;
    browser.goto(&format!("{base}/workbench/account")).await.expect("account");
    assert!(!text(&browser, "#address-state").await.is_empty());
    assert!(browser.find(Locator::Css("button[value=resend-confirmation]")).await.is_err(), "confirmed");

    // 3. Upload the identity document; a reviewer verifies it.
    let document = files.join("identity.pdf");
    std::fs::write(&document, b"%PDF-1.7 identity document of Wang Fang").expect("written");
    click(&browser, "nav a[href='/workbench/party']").await;
    assert_accessible(&browser, "party").await;
    type_into(&browser, "input[name=document]", document.to_str().expect("path")).await;
    click(&browser, "form[enctype='multipart/form-data'] button[value=upload]").await;
    let sha = dataip_sha256(b"%PDF-1.7 identity document of Wang Fang");
    assert!(browser.source().await.expect("page").contains(&sha), "the document's SHA-256 shown");
    let party = org_id_of(&app, email).await;
    verify(&app, &reviewer, &party, json!({})).await.assert_status(200);

    // 4. The form: the product name left out first, a second source added.
    click(&browser, "nav a[href='/workbench/applications/new']").await;
    assert_accessible(&browser, "new application").await;
    choose(&browser, "category", "data_collection").await;
    field(&browser, "abstract", "覆盖长三角地区的物流时效数据，按日更新。").await;
    choose(&browser, "data_sources[0][kind]", "self_collected").await;
    field(&browser, "data_sources[0][description]", "自有物流系统运单数据").await;
    field(&browser, "data_format", "CSV").await;
    click(&browser, "button[value=save]:not(.default-action)").await;
    assert!(!text(&browser, "#product_name-error").await.is_empty(), "the error beside the field");
    let kept =
        browser.find(Locator::Css("[name=data_format]")).await.expect("kept").prop("value").await.expect("value");
    assert_eq!(kept.as_deref(), Some("CSV"), "what was typed is kept");
    assert_accessible(&browser, "the form with an error").await;
    click(&browser, "button[value=add-source]").await;
    choose(&browser, "data_sources[1][kind]", "purchased").await;
    field(&browser, "data_sources[1][description]", "向第三方采购的路况数据").await;
    field(&browser, "product_name", "长三角物流时效数据集").await;
    shoot_framed(&browser, "workbench-form-1280").await;
    click(&browser, "button[value=save]:not(.default-action)").await;
    let page = browser.current_url().await.expect("url").to_string();
    let id = page.split("/workbench/applications/").nth(1).expect("the application's page")[..36].to_owned();
    let token = app.login(email, PASSWORD).await;
    let api = app.get(&format!("/applications/{id}"), Some(&token)).await;
    assert_eq!(api.body["data_sources"].as_array().map(Vec::len), Some(2));

    // 5. Four materials, one by one, then submission.
    for kind in REQUIRED_MATERIALS {
        let path = files.join(format!("{kind}.pdf"));
        std::fs::write(&path, format!("%PDF-1.7 {kind}")).expect("written");
        type_into(&browser, &format!("input[name={kind}]"), path.to_str().expect("path")).await;
        click(&browser, &format!("#material-{kind} button[value=upload]")).await;
        let shown = dataip_sha256(format!("%PDF-1.7 {kind}").as_bytes());
        assert!(text(&browser, &format!("#material-{kind}")).await.contains(&shown), "{kind}'s SHA-256 shown");
    }
    assert_accessible(&browser, "application with materials").await;
    browser.find(Locator::Css("#commitment")).await.expect("commitment").click().await.expect("checked");
    click_confirmed(&browser, "button[value=submit]").await;
    let api = app.get(&format!("/applications/{id}"), Some(&token)).await;
    assert_eq!(api.body["state"], "submitted");

    // 6. A supplement asked through the API: on the dashboard with its due
    //    date, answered in the page.
    app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    let asked = app
        .post(
            &format!("/review/applications/{id}/request-supplement"),
            Some(&reviewer),
            json!({"reason": "请补充数据来源的授权证明", "due_in_days": 10}),
        )
        .await;
    let due = day_in_shanghai(&asked.assert_status(200)["supplement"]["due_at"]);
    click(&browser, "nav a[href='/workbench']").await;
    let todo = text(&browser, "ul.todo").await;
    assert!(todo.contains("长三角物流时效数据集") && todo.contains(&due), "{todo} (due {due})");
    assert_accessible(&browser, "dashboard").await;
    shoot_framed(&browser, "workbench-dashboard-1280").await;
    click(&browser, &format!("ul.todo a[href^='/workbench/applications/{id}']")).await;
    let proof = files.join("data_source_proof.pdf");
    std::fs::write(&proof, b"%PDF-1.7 data source proof").expect("written");
    type_into(&browser, "input[name=data_source_proof]", proof.to_str().expect("path")).await;
    click(&browser, "#material-data_source_proof button[value=upload]").await;
    browser.find(Locator::Css("#commitment")).await.expect("commitment").click().await.expect("checked");
    click_confirmed(&browser, "button[value=answer-supplement]").await;
    let api = app.get(&format!("/applications/{id}"), Some(&token)).await;
    assert_eq!(api.body["state"], "submitted");

    // 7. Approved, announced, registered: the certificate's page offers
    //    the PDF, and a pledge is filed and shown awaiting the bank.
    app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/approve"), Some(&reviewer), json!({})).await.assert_status(200);
    app.close_windows(chrono::Duration::days(30)).await;
    let listed = app.get("/certificates", Some(&app.login(email, PASSWORD).await)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "registered: {}", listed.body);
    // A month on, the session has long ended: sign in again, and back.
    click(&browser, "nav a[href='/workbench/certificates']").await;
    assert!(browser.current_url().await.expect("url").as_str().contains("/login?next=%2Fworkbench%2Fcertificates"));
    field(&browser, "email", email).await;
    field(&browser, "password", PASSWORD).await;
    click(&browser, "button[value=sign-in]").await;
    assert_accessible(&browser, "certificates").await;
    click(&browser, "main a[href^='/workbench/certificates/']").await;
    let certificate_page = browser.current_url().await.expect("url").to_string();
    let pdf = browser.find(Locator::Css("a[href$='/certificate.pdf']")).await.expect("the PDF offered");
    let pdf = pdf.attr("href").await.expect("href").expect("a link");
    let session = browser.get_named_cookie("dataip_session").await.expect("the session's cookie");
    let fetched = app
        .client
        .get(format!("{base}{pdf}"))
        .header("cookie", format!("dataip_session={}", session.value()))
        .send()
        .await
        .expect("pdf");
    assert_eq!(fetched.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(fetched.bytes().await.expect("bytes").starts_with(b"%PDF"));
    let signed_out = app.client.get(format!("{base}{pdf}")).send().await.expect("pdf");
    assert_eq!(signed_out.status(), 303, "not without the session");
    assert_accessible(&browser, "certificate").await;
    file_pledge(&browser).await;
    let acts = text(&browser, "#act-list").await;
    assert!(acts.contains("质押") || acts.contains("pledge"), "{acts}");

    // 8. Every page in both languages, at 1280 and at 360 px.
    let pages = [
        "/workbench".to_owned(),
        "/workbench/applications/new".to_owned(),
        format!("/workbench/applications/{id}"),
        format!("/workbench/applications/{id}/edit"),
        "/workbench/certificates".to_owned(),
        certificate_page.trim_start_matches(&base).to_owned(),
        "/workbench/confirmations".to_owned(),
        "/workbench/party".to_owned(),
        "/workbench/integrations".to_owned(),
        "/workbench/account".to_owned(),
        "/logout".to_owned(),
    ];
    for path in &pages {
        for lang in ["zh-CN", "en"] {
            browser
                .goto(&format!("{base}{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' }))
                .await
                .expect("page");
            assert_accessible(&browser, &format!("{path} in {lang}")).await;
        }
    }
    let cookies = browser.get_all_cookies().await.expect("cookies");
    browser.close().await.expect("closed");
    let phone = driver.browser(360, 1800).await;
    for path in SIGNED_OUT {
        for lang in ["zh-CN", "en"] {
            phone.goto(&format!("{base}{path}?lang={lang}")).await.expect("page");
            assert_accessible(&phone, &format!("{path} in {lang} at 360 px")).await;
            no_sideways_scrolling(&phone, &format!("{path} in {lang}")).await;
        }
    }
    for cookie in cookies {
        phone.add_cookie(cookie).await.expect("the session carried over");
    }
    for path in &pages {
        for lang in ["zh-CN", "en"] {
            phone
                .goto(&format!("{base}{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' }))
                .await
                .expect("page");
            assert_accessible(&phone, &format!("{path} in {lang} at 360 px")).await;
            no_sideways_scrolling(&phone, &format!("{path} in {lang}")).await;
        }
    }
    phone.goto(&format!("{base}/workbench")).await.expect("dashboard");
    shoot(&phone, "workbench-dashboard-360").await;
    phone.goto(&format!("{base}/workbench/applications/new")).await.expect("form");
    shoot(&phone, "workbench-form-360").await;

    // 9. Idle for longer than the session may be: sign in again.
    app.clock.advance(chrono::Duration::minutes(31));
    phone.goto(&format!("{base}/workbench")).await.expect("dashboard");
    assert!(phone.current_url().await.expect("url").as_str().contains("/login?next="));
    phone.close().await.expect("closed");
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.stop().await.expect("stopped");
}

/// A screenshot of the first screenful at 1280 × 1000 (the test's window
/// is taller, so that nothing it clicks is off screen).
async fn shoot_framed(browser: &Client, name: &str) {
    browser.set_window_size(1280, 1000).await.expect("resized");
    let top = "document.activeElement.blur(); window.scrollTo(0, 0); return true;";
    browser.execute(top, vec![]).await.expect("scrolled");
    shoot(browser, name).await;
    browser.set_window_size(1280, 2400).await.expect("resized back");
}

/// Opens the pledge's form on the certificate's page and files it.
async fn file_pledge(browser: &Client) {
    click_summary(browser, "#file-pledge summary").await;
    field(browser, "#file-pledge [name='pledgee[name]']", "上海银行").await;
    field(browser, "#file-pledge [name='pledgee[credit_code]']", &crate::helpers::fresh_credit_code()).await;
    field(browser, "#file-pledge [name='pledgee[contact_email]']", "loans@bank.example").await;
    field(browser, "#file-pledge [name='secured_amount[amount]']", "5000000.00").await;
    date(browser, "#file-pledge [name=starts_on]", "2026-12-01").await;
    date(browser, "#file-pledge [name=ends_on]", "2028-12-01").await;
    click_confirmed(browser, "#file-pledge button[value=file-act]").await;
}

/// Types a day into a date input, in whichever order the browser's locale
/// asks (month first in en-US, year first in zh-CN).
async fn date(browser: &Client, css: &str, day: &str) {
    let (year, rest) = day.split_at(4);
    let (month, day_of_month) = (&rest[1..3], &rest[4..6]);
    for keys in [format!("{month}{day_of_month}{year}"), format!("{year}{month}{day_of_month}")] {
        let element = browser.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        element.send_keys(&keys).await.expect("typed");
        if element.prop("value").await.expect("value").as_deref() == Some(&format!("{year}-{month}-{day_of_month}")) {
            return;
        }
        element.clear().await.expect("cleared");
    }
    panic!("{css}: the browser took neither order of {day}");
}

async fn click_summary(browser: &Client, css: &str) {
    browser.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("opened");
}

fn dataip_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn day_in_shanghai(at: &Value) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.as_str().expect("a time").parse().expect("RFC 3339");
    at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d").to_string()
}
