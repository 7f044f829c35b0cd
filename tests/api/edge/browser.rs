//! The portal in a real browser: headless Chromium driven over WebDriver
//! (fantoccini), against the real binary's router and database. Search and
//! object; scan the PDF's QR code and open it; verify the PDF and a
//! tampered document; read in English; axe-core on every page; screenshots
//! at 360 and 1280 px kept under `target/tmp/screenshots`.

use std::process::Command;

use dataip::domain::StaffRole;
use fantoccini::Locator;
use serde_json::{Value, json};

use crate::{
    browser_kit::{Driver, assert_accessible, click, shoot, tempfile_dir, text, type_into},
    helpers::spawn_app_with,
};

fn setup(config: &mut dataip::config::Config) {
    config.workflow.announcement_period = "P15D".parse().expect("duration");
    config.worker.interval = "PT1H".parse().expect("duration");
}

/// The certificate's PDF, rendered and its QR code read.
fn scan(pdf: &[u8]) -> String {
    let dir = tempfile_dir("scan");
    std::fs::write(dir.join("certificate.pdf"), pdf).expect("pdf written");
    let rendered = Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1", "certificate.pdf", "page"])
        .current_dir(&dir)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(rendered.success());
    let image = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "png"))
        .expect("a page image");
    let decoded = Command::new("zbarimg").args(["--raw", "-q"]).arg(&image).output().expect("zbarimg (zbar-tools)");
    assert!(decoded.status.success(), "no QR code found");
    String::from_utf8(decoded.stdout).expect("text").trim().to_owned()
}

#[tokio::test]
async fn a_person_searches_objects_scans_verifies_and_reads_in_english() {
    let mut app = spawn_app_with(|config| {
        crate::certificates::acts::setup(config);
        setup(config);
    })
    .await;
    // `holder` closes its window by moving the clock; the second
    // announcement opens after that, for 15 days.
    let h = crate::certificates::acts::holder_after(&app, chrono::Duration::days(16)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let announced = app.announced_application(&tenant.token, &reviewer).await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 2000).await;
    let base = app.base.clone();

    // 1. Search the announcements in Chinese, open one, object, follow it.
    browser.goto(&format!("{base}/")).await.expect("home");
    assert_eq!(
        browser.find(Locator::Css("html")).await.expect("html").attr("lang").await.expect("lang").as_deref(),
        Some("zh-CN")
    );
    assert_accessible(&browser, "home").await;
    type_into(&browser, "#q", "物流").await;
    click(&browser, "form.search button[type=submit]").await;
    assert!(browser.current_url().await.expect("url").as_str().contains("/announcements?q="));
    assert_accessible(&browser, "announcements").await;
    click(&browser, &format!("a[href='/announcements/{announced}']")).await;
    assert!(text(&browser, "h1").await.starts_with("长三角物流时效数据集"));
    assert_accessible(&browser, "announcement").await;
    shoot(&browser, "announcement-1280").await;
    type_into(&browser, "#name", "王五").await;
    type_into(&browser, "#contact_email", "wangwu@objector.example").await;
    type_into(&browser, "#interest", "我们是该数据的原始采集方").await;
    click(&browser, "section.objection button[type=submit]").await;
    // The grounds were left out: said beside the field, the rest kept.
    assert_eq!(text(&browser, "#grounds-error").await, "请填写此项。");
    assert_accessible(&browser, "announcement with errors").await;
    type_into(&browser, "#grounds", "申请人使用的运单数据来自我方系统，未经授权").await;
    click(&browser, "section.objection button[type=submit]").await;
    let link = text(&browser, "#tracking-link").await;
    assert!(link.starts_with(&format!("{base}/objections/")) && link.contains("?token=dipo_"), "{link}");
    assert_accessible(&browser, "objection filed").await;
    click(&browser, "#tracking-link").await;
    assert_eq!(text(&browser, "#objection-state").await, "处理中");
    assert_accessible(&browser, "objection").await;

    // 2. Scan the certificate PDF's QR code and open the address.
    let pdf = app
        .client
        .get(app.url(&format!("/certificates/{}/pdf", h.certificate)))
        .bearer_auth(&h.tenant.token)
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("pdf");
    let scanned = scan(&pdf);
    assert_eq!(scanned, format!("{base}/certificates/{}", h.number));
    browser.goto(&scanned).await.expect("the scanned address");
    assert_eq!(text(&browser, "#certificate-number").await, h.number);
    assert!(text(&browser, "#holder").await.contains("上海数据科技有限公司"));
    assert_eq!(text(&browser, "#certificate-status").await, "有效");
    assert_accessible(&browser, "certificate").await;
    shoot(&browser, "certificate-1280").await;

    // 3. Upload the PDF, then a tampered copy of the signed document.
    let dir = tempfile_dir("uploads");
    let (pdf_path, tampered_path) = (dir.join("certificate.pdf"), dir.join("tampered.json"));
    std::fs::write(&pdf_path, &pdf).expect("written");
    let mut signed: Value = serde_json::from_slice(
        &dataip::pdf::attachment::read_back(&pdf, dataip::pdf::attachment::FILENAME)
            .expect("readable")
            .expect("attached"),
    )
    .expect("json");
    signed["document"]["holder"]["name"] = json!("冒名公司");
    std::fs::write(&tampered_path, serde_json::to_vec(&signed).expect("json")).expect("written");
    browser.goto(&format!("{base}/verify")).await.expect("verify");
    assert_accessible(&browser, "verify").await;
    type_into(&browser, "#file", pdf_path.to_str().expect("path")).await;
    click(&browser, "form[enctype='multipart/form-data'] button").await;
    assert_eq!(text(&browser, "#verdict").await, "核验通过");
    assert!(text(&browser, "ul.checks").await.contains("当前状态：有效"));
    assert_accessible(&browser, "verified").await;
    type_into(&browser, "#file", tampered_path.to_str().expect("path")).await;
    click(&browser, "form[enctype='multipart/form-data'] button").await;
    assert_eq!(text(&browser, "#verdict").await, "核验未通过");
    assert!(text(&browser, "ul.failed").await.contains("signature"), "what failed is said");
    assert_accessible(&browser, "not verified").await;

    // 4. The same pages in English.
    browser.goto(&format!("{base}/certificates/{}?lang=en", h.number)).await.expect("record");
    assert_eq!(text(&browser, "#certificate-status").await, "Valid");
    assert_accessible(&browser, "certificate in English").await;
    click(&browser, "nav a[href='/announcements?lang=en']").await;
    assert_eq!(text(&browser, "h1").await, "Announcements");
    click(&browser, &format!("a[href='/announcements/{announced}?lang=en']")).await;
    assert!(text(&browser, "#object").await.contains("Object"));
    shoot(&browser, "announcement-en-1280").await;
    for path in ["/certificates", "/ledger", "/announcements/past", "/no/such/page", "/verify?number=20261131999999999"]
    {
        for lang in ["zh-CN", "en"] {
            browser
                .goto(&format!("{base}{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' }))
                .await
                .expect("page");
            assert_accessible(&browser, &format!("{path} in {lang}")).await;
        }
    }
    browser.close().await.expect("closed");

    // 6. A phone's width.
    let phone = driver.browser(360, 1800).await;
    phone.goto(&format!("{base}/announcements/{announced}")).await.expect("announcement");
    assert_accessible(&phone, "announcement at 360 px").await;
    shoot(&phone, "announcement-360").await;
    phone.goto(&format!("{base}/certificates/{}", h.number)).await.expect("record");
    assert_accessible(&phone, "certificate at 360 px").await;
    shoot(&phone, "certificate-360").await;
    let overflow = phone.execute("return document.documentElement.scrollWidth", vec![]).await.expect("width");
    assert!(overflow.as_u64().is_some_and(|w| w <= 360), "no sideways scrolling at 360 px: {overflow}");
    phone.close().await.expect("closed");
    app.stop().await.expect("stopped");
}

#[tokio::test]
async fn a_persons_certificate_reads_as_a_natural_persons_in_both_languages() {
    let mut app = spawn_app_with(crate::certificates::acts::setup).await;
    let person = app.signup_person().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.announced_application(&person.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let token = app.login(&person.email, crate::helpers::PASSWORD).await;
    let list = app.get("/certificates", Some(&token)).await;
    let number = list.body["items"][0]["certificate_number"].as_str().expect("a certificate").to_owned();
    let driver = Driver::start().await;
    let base = app.base.clone();
    for (width, height) in [(1280, 1400), (360, 1800)] {
        let browser = driver.browser(width, height).await;
        for (lang, says) in [("zh-CN", "自然人"), ("en", "Natural person")] {
            browser.goto(&format!("{base}/certificates/{number}?lang={lang}")).await.expect("record");
            let holder = text(&browser, "#holder").await;
            assert!(holder.contains("王芳") && holder.contains(says), "{holder}");
            let page = browser.source().await.expect("source");
            assert!(!page.contains(&person.credit_code) && !page.contains(&person.credit_code[14..]), "no number");
            assert_accessible(&browser, &format!("a person's certificate in {lang} at {width} px")).await;
        }
        browser.goto(&format!("{base}/certificates/{number}")).await.expect("record");
        shoot(&browser, &format!("certificate-person-{width}")).await;
        browser.close().await.expect("closed");
    }
    app.stop().await.expect("stopped");
}

#[tokio::test]
async fn a_pledgee_without_an_account_confirms_its_pledge_in_the_browser() {
    use crate::certificates::acts::{file, holder, links, pledge};
    let mut app = spawn_app_with(crate::certificates::acts::setup).await;
    let h = holder(&app).await;
    let filed = file(&app, &h, pledge()).await;
    let token = links(filed.assert_status(201)).pop().expect("a link");
    let driver = Driver::start().await;
    let page = format!("{}/confirm/{token}", app.base);
    for (width, height) in [(1280, 1100), (360, 1600)] {
        let browser = driver.browser(width, height).await;
        for (lang, says) in [("zh-CN", "请确认登记行为"), ("en", "Your confirmation is asked")] {
            browser.goto(&format!("{page}?lang={lang}")).await.expect("page");
            assert_eq!(text(&browser, "h1").await, says);
            assert!(text(&browser, "dl").await.contains("上海银行"));
            assert_accessible(&browser, &format!("the confirmation page in {lang} at {width} px")).await;
        }
        browser.goto(&page).await.expect("page");
        shoot(&browser, &format!("confirm-pledge-{width}")).await;
        browser.close().await.expect("closed");
    }
    // The button answers; the page then says so, and offers no button.
    let browser = driver.browser(1280, 1100).await;
    browser.goto(&format!("{page}?lang=en")).await.expect("page");
    click(&browser, "button[value=confirm]").await;
    assert!(text(&browser, "[role=status]").await.contains("Confirmed"));
    assert!(browser.find(Locator::Css("button[value=decline]")).await.is_err(), "answered once");
    browser.close().await.expect("closed");
    app.stop().await.expect("stopped");
}
