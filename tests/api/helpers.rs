//! The test harness: a real application on a free port, against a fresh
//! database of its own, and small helpers to call it.

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use dataip::{
    clock::ShiftedClock,
    config::{Config, Environment},
    db,
    domain::{CreditCode, IdNumber, StaffRole},
    services::{self, accounts::staff::NewStaff},
    startup::Application,
    state::AppState,
};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    /// `server.metrics_addr`'s port, when set.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub clock: Arc<ShiftedClock>,
    pub state: AppState,
    pub database_url: String,
    /// Drafts made by `create_application`, to name each its own product.
    drafts: AtomicUsize,
    /// False for a replica: the first app made the database and drops it.
    owns_database: bool,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// An answer: status, headers, and the body as JSON (`Value::Null` when the
/// body is empty, a string when it is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "detail: {}", self.body);
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        &self.body
    }

    /// The fields named in a validation problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

/// A signed-up organization and its owner.
#[derive(Clone)]
pub struct Tenant {
    pub org_id: String,
    pub user_id: String,
    pub email: String,
    pub credit_code: String,
    pub token: String,
    pub refresh_token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Announcement windows of two seconds, so that a test can wait one out
/// (or move the clock past it) and see what closing does.
pub fn short_windows(config: &mut Config) {
    config.workflow.announcement_period = "PT2S".parse().expect("duration");
}

/// Starts the application with the test configuration, adjusted by
/// `customize`, on a fresh database.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::load_from(Environment::Test, &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))
        .expect("test configuration");
    let database_url =
        db::with_database(config.database.url.expose(), &format!("dataip_test_{}", Uuid::now_v7().simple()));
    config.database.url = dataip::config::Secret::new(database_url.clone());
    config.server.addr = "127.0.0.1:0".parse().expect("address");
    // The address bound: links, feeds and QR codes reach this test's server.
    config.registry.public_url = String::new();
    customize(&mut config);
    if std::env::var_os("TEST_LOG").is_some() {
        dataip::telemetry::init(&config.log);
    }
    start(config, Arc::new(ShiftedClock::default()), database_url, true).await
}

async fn start(config: Config, clock: Arc<ShiftedClock>, database_url: String, owns_database: bool) -> TestApp {
    let app = Application::build(config, clock.clone()).await.expect("the application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let metrics_port = app.metrics_port();
    let state = app.state().clone();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    wait_until_listening(&state).await;
    TestApp {
        base,
        metrics_port,
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        clock,
        state,
        database_url,
        drafts: AtomicUsize::new(0),
        owns_database,
        shutdown,
        server: Some(server),
    }
}

/// Waits for the change feed to listen, so that tests which read a public
/// view, change it and read it again see the cache at work from the start.
async fn wait_until_listening(state: &AppState) {
    for _ in 0..200 {
        if state.changes.generation().is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the change feed did not start listening");
}

impl TestApp {
    /// Another replica of this registry: another process (here, another
    /// server in this one) on the same database, with the same settings and
    /// clock, adjusted by `customize`.
    pub async fn spawn_replica_with(&self, customize: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        config.server.addr = "127.0.0.1:0".parse().expect("address");
        customize(&mut config);
        start(config, self.clock.clone(), self.database_url.clone(), false).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if !self.owns_database {
            return;
        }
        let url = self.database_url.clone();
        // Drop the database from a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(db::drop_database(&url))
        })
        .join();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") || is_root_path(path) {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    /// Stops the server and the worker as SIGTERM would, and waits for both.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(server) => server.await?,
            None => Ok(()),
        }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self.client.post(self.url(path)).header("content-type", content_type).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// Uploads a material: PUT of raw bytes with a media type.
    pub async fn upload(
        &self,
        token: &str,
        id: &str,
        kind: &str,
        media_type: &str,
        bytes: impl Into<reqwest::Body>,
    ) -> Answer {
        let request = self
            .client
            .put(self.url(&format!("/applications/{id}/materials/{kind}")))
            .bearer_auth(token)
            .header("content-type", media_type)
            .header("content-disposition", format!("attachment; filename=\"{kind}.pdf\""))
            .body(bytes);
        answer(request.send().await.expect("request sent")).await
    }

    /// Creates a draft application and returns its id. The first is named
    /// as `application_body()` names it; each later one gets a product name
    /// of its own, so that an organization may submit several (the registry
    /// refuses the same product filed twice).
    pub async fn create_application(&self, token: &str) -> String {
        let mut body = application_body();
        let n = self.drafts.fetch_add(1, Ordering::Relaxed) + 1;
        if n > 1 {
            body["product_name"] = json!(format!("长三角物流时效数据集（{n}）"));
        }
        let answer = self.post("/applications", Some(token), body).await;
        answer.assert_status(201)["id"].as_str().expect("id").to_owned()
    }

    /// Uploads the four required materials.
    pub async fn upload_required(&self, token: &str, id: &str) {
        for kind in REQUIRED_MATERIALS {
            let content = format!("%PDF-1.7 {kind} of {id}");
            self.upload(token, id, kind, "application/pdf", content).await.assert_status(200);
        }
    }

    /// A draft with everything a submission needs, submitted.
    pub async fn submitted_application(&self, token: &str) -> String {
        let id = self.create_application(token).await;
        self.upload_required(token, &id).await;
        self.post(&format!("/applications/{id}/submit"), Some(token), json!({"commitment": true}))
            .await
            .assert_status(200);
        id
    }

    /// A submitted application claimed by `reviewer`.
    pub async fn claimed_application(&self, token: &str, reviewer: &str) -> String {
        let id = self.submitted_application(token).await;
        self.post(&format!("/review/applications/{id}/claim"), Some(reviewer), json!({})).await.assert_status(200);
        id
    }

    /// An approved application, now in its public announcement.
    pub async fn announced_application(&self, token: &str, reviewer: &str) -> String {
        let id = self.claimed_application(token, reviewer).await;
        self.post(&format!("/review/applications/{id}/approve"), Some(reviewer), json!({})).await.assert_status(200);
        id
    }

    /// Files an objection; returns its id and tracking token.
    pub async fn object(&self, application: &str) -> (String, String) {
        let answer =
            self.post(&format!("/public/announcements/{application}/objections"), None, objection_body()).await;
        let body = answer.assert_status(201);
        (body["id"].as_str().expect("id").to_owned(), body["tracking_token"].as_str().expect("token").to_owned())
    }

    /// Moves the clock past every announcement window (configured short)
    /// and runs one step of the worker.
    pub async fn close_windows(&self, by: chrono::Duration) {
        self.clock.advance(by);
        dataip::jobs::Worker::new(self.state.clone()).step().await;
    }

    /// Signs up an organization and verifies it (through the service, as
    /// `dataip org verify` does), so that it may submit applications.
    pub async fn signup(&self) -> Tenant {
        let tenant = self.signup_unverified().await;
        let org_id = tenant.org_id.parse().expect("org id");
        services::accounts::verification::verify_by_operator(&self.state, org_id, None).await.expect("verified");
        tenant
    }

    /// Signs up an organization, left unverified.
    pub async fn signup_unverified(&self) -> Tenant {
        let credit_code = fresh_credit_code();
        let email = format!("owner-{}@example.com", Uuid::now_v7().simple());
        let answer = self.post("/auth/signup", None, signup_body(&email, &credit_code)).await;
        let body = answer.assert_status(201);
        Tenant {
            org_id: body["organization"]["id"].as_str().expect("org id").into(),
            user_id: body["user"]["id"].as_str().expect("user id").into(),
            email,
            credit_code,
            token: body["access_token"].as_str().expect("access token").into(),
            refresh_token: body["refresh_token"].as_str().expect("refresh token").into(),
        }
    }

    /// Signs up a natural person, left unverified; `credit_code` holds the
    /// identity number.
    pub async fn signup_person_unverified(&self) -> Tenant {
        let id_number = fresh_id_number();
        let email = format!("person-{}@example.com", Uuid::now_v7().simple());
        let answer = self.post("/auth/signup", None, person_signup_body(&email, &id_number)).await;
        let body = answer.assert_status(201);
        Tenant {
            org_id: body["party"]["id"].as_str().expect("party id").into(),
            user_id: body["user"]["id"].as_str().expect("user id").into(),
            email,
            credit_code: id_number,
            token: body["access_token"].as_str().expect("access token").into(),
            refresh_token: body["refresh_token"].as_str().expect("refresh token").into(),
        }
    }

    /// Signs up a natural person and verifies them (as an operator does).
    pub async fn signup_person(&self) -> Tenant {
        let tenant = self.signup_person_unverified().await;
        let id = tenant.org_id.parse().expect("party id");
        services::accounts::verification::verify_by_operator(&self.state, id, None).await.expect("verified");
        tenant
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let answer = self.post("/auth/login", None, json!({"email": email, "password": password})).await;
        answer.assert_status(200)["access_token"].as_str().expect("access token").to_owned()
    }

    /// Adds a member to the tenant's organization and returns their token.
    pub async fn add_member(&self, tenant: &Tenant, role: &str) -> String {
        let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
        let body = json!({"email": email, "password": PASSWORD, "display_name": "李娜", "role": role});
        self.post("/organization/members", Some(&tenant.token), body).await.assert_status(201);
        self.login(&email, PASSWORD).await
    }

    /// The token of the latest link mailed to prove `email` (read from the
    /// outbox: mail must be configured).
    pub async fn confirmation_token(&self, email: &str) -> String {
        let link: String = sqlx::query_scalar(
            "SELECT payload->>'link' FROM outbox WHERE kind = 'security.email_confirmation' AND recipient = $1
             ORDER BY id DESC LIMIT 1",
        )
        .bind(email)
        .fetch_one(&self.state.db)
        .await
        .expect("a confirmation link was mailed");
        link.split_once("token=").map(|(_, token)| token.to_owned()).expect("a token in the link")
    }

    /// Proves `email` with the link mailed to it (mail must be configured).
    pub async fn confirm_email(&self, email: &str) {
        let token = self.confirmation_token(email).await;
        self.post("/auth/confirm-email", None, json!({"token": token})).await.assert_status(200);
    }

    /// Creates a staff member directly (as `dataip staff add` does) and
    /// returns their token.
    pub async fn staff(&self, role: StaffRole) -> String {
        let email = format!("staff-{}@registry.example", Uuid::now_v7().simple());
        let staff =
            NewStaff { email: email.clone(), password: PASSWORD.into(), display_name: "王审查".into(), role };
        services::accounts::staff::add(&self.state, services::audit::AuditActor::Cli, staff)
            .await
            .expect("staff added");
        self.login(&email, PASSWORD).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.state.db)
            .await
            .expect("count")
    }
}

fn is_root_path(path: &str) -> bool {
    ["/healthz", "/readyz", "/metrics", "/docs", "/tlog"].iter().any(|root| path.starts_with(root))
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer { status, headers, body }
}

pub const REQUIRED_MATERIALS: [&str; 4] =
    ["application_form", "summary", "processing_innovation", "application_scenarios"];

pub fn application_body() -> Value {
    json!({
        "product_name": "长三角物流时效数据集",
        "category": "data_collection",
        "abstract": "覆盖长三角地区的物流时效数据，按日更新。",
        "data_sources": [{"kind": "self_collected", "description": "自有物流系统运单数据"}],
        "data_format": "CSV",
        "data_scale": "1.2 亿条",
        "update_frequency": "每日"
    })
}

pub fn objection_body() -> Value {
    json!({
        "objector": {"name": "王五", "contact_email": "wangwu@objector.example"},
        "interest": "我们是该数据的原始采集方",
        "grounds": "申请人使用的运单数据来自我方系统，未经授权"
    })
}

pub fn signup_body(email: &str, credit_code: &str) -> Value {
    json!({
        "organization": {"name": "上海数据科技有限公司", "credit_code": credit_code},
        "user": {"email": email, "password": PASSWORD, "display_name": "张伟"}
    })
}

/// A random, valid resident identity number (born 1990, in Shanghai).
pub fn fresh_id_number() -> String {
    let random = Uuid::new_v4().as_u128();
    let day = 1 + random % 28;
    let sequence = (random >> 8) % 1000;
    IdNumber::complete(&format!("3101011990{:02}{day:02}{sequence:03}", 1 + (random >> 20) % 12))
        .expect("valid number")
        .expose()
        .to_owned()
}

/// A person's signup.
pub fn person_signup_body(email: &str, id_number: &str) -> Value {
    json!({
        "person": {"name": "王芳", "id_number": id_number},
        "user": {"email": email, "password": PASSWORD, "display_name": "王芳"}
    })
}

/// A random, valid unified social credit code.
pub fn fresh_credit_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let random = Uuid::new_v4();
    let body: String = random.as_bytes()[..9].iter().map(|b| char::from(ALPHABET[usize::from(*b) % 31])).collect();
    CreditCode::complete(&format!("91310000{body}")).expect("valid code").to_string()
}

/// The `dataip` binary with the test configuration (config/test.toml: its
/// fixed token secret and signing key, quiet logs) on `database_url`.
pub fn dataip(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dataip"));
    command
        .env("DATABASE_URL", database_url)
        .env("DATAIP_ENV", "test")
        .env("DATAIP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"));
    command
}

/// Runs `dataip args...` (test configuration) with `input` on its standard input.
pub async fn dataip_with_input(database_url: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = dataip(database_url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dataip runs");
    child.stdin.take().expect("stdin").write_all(input).expect("input written");
    tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("joined").expect("output")
}

/// A port free a moment ago (bound, then released, for a child process to
/// listen on).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

/// Waits up to 20 s for `{base}/healthz` to answer 200.
pub async fn wait_until_healthy(base: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
