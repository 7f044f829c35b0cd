//! Notifications by e-mail, against a real SMTP server (aiosmtpd, started
//! per test): each in its reader's language, written with its event and
//! delivered by the worker, retried while the server is down.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use dataip::domain::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, objection_body, spawn_app_with};

/// aiosmtpd on a port of its own; each message it receives is a JSON file.
pub struct Sink {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl Sink {
    pub fn on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("dataip-mail-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut sink = Self { child: None, port, dir };
        sink.start();
        sink
    }

    fn start(&mut self) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let child = Command::new(root.join("tools/mail/.venv/bin/python"))
            .arg(root.join("tools/mail/sink.py"))
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("aiosmtpd (tools/test installs it in tools/mail/.venv)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the SMTP sink did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, in order.
    fn messages(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")).collect()
    }

    pub fn to(&self, address: &str) -> Vec<Value> {
        self.messages().into_iter().filter(|m| m["to"][0] == address).collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn with_mail(port: u16) -> impl FnOnce(&mut dataip::config::Config) {
    move |config| {
        config.mail.host = "127.0.0.1".into();
        config.mail.port = port;
        config.mail.tls = dataip::config::MailTls::None;
        config.mail.sender = "数据知识产权登记 <registry@test.example>".into();
        config.workflow.announcement_period = "P15D".parse().expect("period");
        config.worker.interval = "PT1H".parse().expect("interval");
    }
}

pub async fn deliver(app: &TestApp) {
    dataip::jobs::Worker::new(app.state.clone()).mail_step().await;
}

#[tokio::test]
async fn applicants_hear_of_their_applications_in_their_language_and_can_switch_a_kind_off() {
    let sink = Sink::on(free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    let supplement = json!({"reason": "缺少数据样例", "due_in_days": 10});
    let path = format!("/review/applications/{id}/request-supplement");
    app.post(&path, Some(&reviewer), supplement).await.assert_status(200);
    deliver(&app).await;
    let mail = sink.to(&tenant.email);
    let subjects: Vec<&str> = mail.iter().filter_map(|m| m["subject"].as_str()).collect();
    assert_eq!(
        subjects,
        [
            "请确认您的电子邮件地址",
            "主体资格已核验：上海数据科技有限公司",
            "申请已提交：长三角物流时效数据集",
            "请补正材料：长三角物流时效数据集"
        ]
    );
    let mail = &mail[2..];
    let text = mail[1]["text"].as_str().expect("text");
    assert!(text.contains("理由：缺少数据样例") && text.contains("请在 2026-"), "{text}");
    assert!(mail[1]["html"].as_str().is_some_and(|html| html.contains(r#"<html lang="zh-CN">"#)));
    assert_eq!(mail[1]["from"], "registry@test.example");

    // English from now on, and no more submission receipts.
    app.patch("/me", Some(&tenant.token), json!({"language": "en"})).await.assert_status(204);
    app.patch("/me", Some(&tenant.token), json!({"language": "fr"})).await.assert_problem(422, "validation_failed");
    let off = json!({"kinds": [{"kind": "application.submitted", "email": false}]});
    let settings = app.call(reqwest::Method::PUT, "/me/notifications", Some(&tenant.token), Some(off)).await;
    let settings = settings.assert_status(200).clone();
    assert_eq!(settings["language"], "en");
    let submitted = settings["kinds"].as_array().and_then(|k| k.iter().find(|k| k["kind"] == "application.submitted"));
    assert_eq!(submitted.map(|k| &k["email"]), Some(&json!(false)));
    let security = json!({"kinds": [{"kind": "security.password_changed", "email": false}]});
    let refused = app.call(reqwest::Method::PUT, "/me/notifications", Some(&tenant.token), Some(security)).await;
    refused.assert_problem(422, "validation_failed");

    app.post(&format!("/applications/{id}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_status(200);
    app.post(&format!("/review/applications/{id}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    app.post(&format!("/review/applications/{id}/approve"), Some(&reviewer), json!({})).await.assert_status(200);
    deliver(&app).await;
    let mail = sink.to(&tenant.email);
    assert_eq!(mail.len(), 5, "the resubmission's receipt was switched off");
    assert_eq!(mail[4]["subject"], "Approved and announced: 长三角物流时效数据集");
    let text = mail[4]["text"].as_str().expect("text");
    assert!(text.contains(&format!("{}/announcements/{id}", app.base)), "{text}");
}

#[tokio::test]
async fn an_objector_gets_the_tracking_link_once_and_hears_of_the_decision() {
    let sink = Sink::on(free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let mut body = objection_body();
    body["language"] = json!("en");
    let filed = app.post(&format!("/public/announcements/{id}/objections"), None, body).await;
    let objection = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    deliver(&app).await;

    let to_objector = sink.to("wangwu@objector.example");
    assert_eq!(to_objector.len(), 1);
    assert_eq!(to_objector[0]["subject"], "Objection received: 长三角物流时效数据集");
    let text = to_objector[0]["text"].as_str().expect("text");
    let link = text.lines().find_map(|line| line.strip_prefix("Follow the objection: ")).expect("the tracking link");
    let page = app.client.get(link).send().await.expect("sent");
    assert_eq!(page.status(), 200, "the link works");
    assert!(page.text().await.expect("text").contains("Open"));
    let holder = sink.to(&tenant.email);
    assert!(holder.iter().any(|m| m["subject"] == "公示中的申请收到异议：长三角物流时效数据集"));
    assert!(!holder.iter().any(|m| m.to_string().contains("wangwu@objector.example")), "never the objector's contact");
    let staff =
        sink.messages().into_iter().filter(|m| m["to"][0].as_str().is_some_and(|to| to.starts_with("staff-"))).count();
    assert_eq!(staff, 1, "the reviewer who claimed it hears of it");

    let decision = json!({"decision": "dismissed", "reason": "授权链条完整"});
    app.post(&format!("/review/objections/{objection}/decide"), Some(&reviewer), decision).await.assert_status(200);
    deliver(&app).await;
    let to_objector = sink.to("wangwu@objector.example");
    assert_eq!(to_objector.len(), 2);
    let text = to_objector[1]["text"].as_str().expect("text");
    assert!(text.contains("tracking link you kept") && !text.contains("token="), "{text}");
}

#[tokio::test]
async fn a_mail_server_down_then_back_receives_everything_once() {
    let port = free_port();
    let app = spawn_app_with(with_mail(port)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    app.claimed_application(&tenant.token, &reviewer).await;
    deliver(&app).await;
    let pending: Vec<(i32, Option<String>)> =
        sqlx::query_as("SELECT attempts, last_error FROM outbox").fetch_all(&app.state.db).await.expect("queued");
    assert_eq!(pending.len(), 3, "the link that proves the address, verified, then submitted");
    assert!(pending.iter().all(|(attempts, error)| *attempts == 1 && error.is_some()), "one failed attempt each");

    let sink = Sink::on(port);
    deliver(&app).await;
    assert!(sink.messages().is_empty(), "not before the backoff has passed");
    app.clock.advance(chrono::Duration::minutes(2));
    deliver(&app).await;
    deliver(&app).await;
    assert_eq!(sink.to(&tenant.email).len(), 3, "each once");
    let delivered: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(delivered, 3);
}

#[tokio::test]
async fn without_a_mail_server_nothing_is_queued() {
    let app = spawn_app_with(|config| config.workflow.announcement_period = "P15D".parse().expect("period")).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    app.object(&id).await;
    assert_eq!(app.count("outbox").await, 0);
    let settings = app.get("/me/notifications", Some(&tenant.token)).await;
    assert_eq!(settings.assert_status(200)["language"], "zh-CN");
    app.get("/me/notifications", None).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn certificates_are_reminded_90_and_30_days_before_they_expire_and_reviewers_before_a_decision_is_due() {
    let sink = Sink::on(free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let h = crate::certificates::acts::holder_after(&app, chrono::Duration::days(16)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let announced = app.announced_application(&tenant.token, &reviewer).await;
    app.object(&announced).await;
    let worker = dataip::jobs::Worker::new(app.state.clone());
    let step = || worker.step();
    step().await;
    let expiring = |sink: &Sink| {
        sink.to(&h.tenant.email)
            .into_iter()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("证书即将到期")))
            .count()
    };
    assert_eq!(expiring(&sink), 0);

    // 58 days on: the objection is due in two; the reviewer is reminded once.
    app.clock.advance(chrono::Duration::days(58));
    step().await;
    step().await;
    let overdue = sink
        .messages()
        .into_iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("异议即将逾期")))
        .count();
    assert_eq!(overdue, 1);

    // 89 days before the certificate ends, then 29.
    let valid_until: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT valid_until FROM certificates WHERE certificate_number = $1")
            .bind(&h.number)
            .fetch_one(&app.state.db)
            .await
            .expect("certificate");
    let now = app.state.clock.now();
    app.clock.advance(valid_until - now - chrono::Duration::days(89));
    step().await;
    step().await;
    assert_eq!(expiring(&sink), 1, "once, 90 days ahead");
    app.clock.advance(chrono::Duration::days(60));
    step().await;
    assert_eq!(expiring(&sink), 2, "and again 30 days ahead");
    let text = sink.to(&h.tenant.email).last().and_then(|m| m["text"].as_str().map(str::to_owned)).expect("text");
    assert!(text.contains(&h.number) && text.contains(&format!("{}/certificates/{}", app.base, h.number)), "{text}");
}

#[tokio::test]
async fn one_click_unsubscribes_a_kind_but_never_security_mail() {
    let sink = Sink::on(free_port());
    let app = spawn_app_with(with_mail(sink.port)).await;
    let tenant = app.signup().await;
    // Security mail goes to proven addresses only.
    app.confirm_email(&tenant.email).await;
    app.submitted_application(&tenant.token).await;
    let change = json!({"current_password": crate::helpers::PASSWORD, "new_password": "another horse battery"});
    app.post("/auth/password", Some(&tenant.token), change).await.assert_status(204);
    deliver(&app).await;
    let mail = sink.to(&tenant.email);
    let submitted =
        mail.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("申请已提交"))).expect("mail");
    assert_eq!(submitted["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    let url = submitted["headers"]["List-Unsubscribe"].as_str().expect("header").trim_matches(['<', '>']).to_owned();
    assert!(
        url.starts_with(&format!("{}/unsubscribe?", app.base)) && url.contains("kind=application.submitted"),
        "{url}"
    );
    assert!(submitted["text"].as_str().is_some_and(|t| t.contains(&url)), "the link is in the text too");
    let security = mail.iter().find(|m| m["subject"] == "您的密码已修改").expect("security mail");
    assert!(security["headers"].get("List-Unsubscribe").is_none(), "security mail cannot be switched off");

    // A GET (a link scanner, a person) changes nothing; the client's POST does.
    let shown = app.client.get(&url).send().await.expect("sent");
    assert_eq!(shown.status(), 200);
    let forged = app.client.post(url.replace("kind=application.submitted", "kind=application.approved")).send().await;
    assert_eq!(forged.expect("sent").status(), 404, "a token names its kind");
    let posted = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("sent");
    assert_eq!(posted.status(), 200);
    let token = app.login(&tenant.email, "another horse battery").await;
    let settings = app.get("/me/notifications", Some(&token)).await;
    let kinds = settings.body["kinds"].as_array().expect("kinds").clone();
    let email_of = |name: &str| kinds.iter().find(|k| k["kind"] == name).map(|k| k["email"].clone());
    assert_eq!(email_of("application.submitted"), Some(json!(false)));
    assert_eq!(email_of("application.approved"), Some(json!(true)));
}

#[tokio::test]
async fn mail_to_an_unconfirmed_address_is_limited_but_the_objection_stands() {
    let sink = Sink::on(free_port());
    let port = sink.port;
    let app = spawn_app_with(move |config| {
        with_mail(port)(config);
        config.throttle.objections_per_address = 100;
    })
    .await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    for _ in 0..12 {
        app.object(&id).await;
    }
    deliver(&app).await;
    assert_eq!(app.count("objections").await, 12);
    assert_eq!(sink.to("wangwu@objector.example").len(), 10, "ten an hour to an address nobody confirmed");
}
