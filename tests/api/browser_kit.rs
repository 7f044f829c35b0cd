//! The browser tests' kit: ChromeDriver and headless Chromium, clicks that
//! wait for the next page, axe-core's verdict, and screenshots kept under
//! `target/tmp/screenshots` (the portal's tests in `edge::browser`, the
//! workbench's in `workbench::procedure`).

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::free_port;

/// ChromeDriver on a port of its own, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // A group of its own, so that the browsers it starts go with it
            // even when a failing test never closes its session.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; tools/test installs it)");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url }
    }

    /// A headless Chromium whose pages are `width` CSS pixels wide.
    pub async fn browser(&self, width: u32, height: u32) -> Client {
        let profile = tempfile_dir("chromium-profile");
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--hide-scrollbars", format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ],
            // Chinese first, as most of the registry's readers.
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
        });
        if width < 500 {
            // Desktop windows do not go this narrow: emulate a phone.
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1}});
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut builder = ClientBuilder::rustls().expect("rustls");
        builder.capabilities(capabilities);
        builder.connect(&self.url).await.expect("a Chromium session (Debian's chromium)")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dataip-{name}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

pub async fn text(browser: &Client, css: &str) -> String {
    let element = browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
    element.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.expect("text")
}

/// Clicks what navigates to another page, and waits until that page has
/// loaded (a mark left on the old document is gone).
pub async fn click(browser: &Client, css: &str) {
    browser.execute("window.__dataipOldPage = true; return true;", vec![]).await.expect("marked");
    browser.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
    let loaded = "return window.__dataipOldPage === undefined && document.readyState === 'complete';";
    for _ in 0..100 {
        if browser.execute(loaded, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: no page loaded after the click");
}

pub async fn type_into(browser: &Client, css: &str, value: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .expect("keys");
}

/// axe-core's serious and critical violations on the current page.
pub async fn accessibility_violations(browser: &Client) -> Vec<String> {
    let axe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/browser/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&axe).expect("axe-core (tools/test runs npm ci --prefix tools/browser)");
    browser.execute(&format!("{source}\n;return true;"), vec![]).await.expect("axe injected");
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document).then(result => done({passes: result.passes.length, violations: result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))}));";
    let found = browser.execute_async(script, vec![]).await.expect("axe ran");
    // A run that checked nothing would pass anything.
    assert!(found["passes"].as_u64().is_some_and(|n| n > 10), "axe checked the page: {found}");
    serde_json::from_value(found["violations"].clone()).expect("violations")
}

pub async fn assert_accessible(browser: &Client, what: &str) {
    let violations = accessibility_violations(browser).await;
    assert!(violations.is_empty(), "{what}: {violations:#?}");
}

pub async fn shoot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("saved");
}
