//! Faults, tested against the real binary and PostgreSQL: `dataip serve`
//! killed with SIGKILL in the middle of writes, its database closed to
//! connections and opened again, PostgreSQL stopped and started again (as a
//! relay cut and restored), and two replicas sharing one database.
//! Each test starts `dataip serve` as child processes on a database of its
//! own, configured as an operator would: through the environment.

use std::{
    ops::{Deref, DerefMut},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use dataip::{
    config::{Config, Environment},
    db,
};
use futures_util::future::join_all;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection, PgConnection, postgres::PgConnectOptions};
use uuid::Uuid;

use crate::{
    child::ChildServer,
    helpers::{
        Answer, PASSWORD, REQUIRED_MATERIALS, answer, application_body, dataip, dataip_with_input, free_port,
        fresh_credit_code, signup_body,
    },
};

/// A database of one test's own, dropped when the test ends (the servers
/// are stopped first: they are declared after it).
struct Database {
    name: String,
    url: String,
}

impl Database {
    /// A name only; `dataip serve` creates the database as it would in
    /// production.
    fn new() -> Self {
        let config =
            Config::load_from(Environment::Test, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))
                .expect("test configuration");
        let name = format!("dataip_test_faults_{}", Uuid::now_v7().simple());
        let url = db::with_database(config.database.url.expose(), &name);
        Self { name, url }
    }

    async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("the test connects to its database")
    }

    /// Opens or closes the database to new connections, as an operator (or
    /// a failover) would; closing also ends every connection it has.
    async fn allow_connections(&self, allow: bool) {
        let mut admin = PgConnection::connect(&db::with_database(&self.url, "postgres")).await.expect("postgres");
        let statement = format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {allow}", self.name);
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.expect("altered");
        if !allow {
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&self.name)
            .execute(&mut admin)
            .await
            .expect("connections ended");
        }
    }

    async fn scalar(&self, query: &'static str) -> i64 {
        sqlx::query_scalar(query).fetch_one(&mut self.connect().await).await.expect(query)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let url = self.url.clone();
        // Drop cannot await: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(db::drop_database(&url))
        })
        .join();
    }
}

/// One `dataip serve` process with a data directory of its own (holding its
/// log), killed when dropped; the child's own methods (alive, log, kill,
/// wait until ready) through `Deref`.
struct Server {
    child: ChildServer,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Deref for Server {
    type Target = ChildServer;
    fn deref(&self) -> &ChildServer {
        &self.child
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut ChildServer {
        &mut self.child
    }
}

impl Server {
    /// Starts `dataip serve` on a free port with the test configuration and
    /// `settings` (environment variables), and waits until it is ready.
    async fn start(database: &Database, settings: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("dataip-faults-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("data directory");
        let mut command = dataip(&database.url);
        command
            .env("DATAIP__LOG__FORMAT", "json")
            // The workers' counts, to tell what each replica did.
            .env("RUST_LOG", "warn,dataip::jobs=info,dataip::services::transparency::ledger=info");
        let log = dir.join("serve.log");
        let child = ChildServer::start(command, settings, Some(&dir.join("data")), Some(&log)).await.expect("ready");
        // Never a hang: every request of these tests ends within the
        // server's own request timeout (30 s) or fails.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(35)).build().expect("client");
        Self { child, dir, http }
    }

    /// `/readyz`, `/healthz` as they are; anything else under /api/v1.
    fn url(&self, path: &str) -> String {
        if path.starts_with("/readyz") || path.starts_with("/healthz") {
            format!("{}{path}", self.child.base)
        } else {
            format!("{}/api/v1{path}", self.child.base)
        }
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> RequestBuilder {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
    }

    async fn send(&self, request: RequestBuilder) -> Answer {
        answer(request.send().await.unwrap_or_else(|e| panic!("{e}\n{}", self.log()))).await
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        self.send(self.request(method, path, token, body)).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Signs up a new organization; returns its owner.
    async fn signup(&self) -> Owner {
        let email = format!("owner-{}@example.com", Uuid::now_v7().simple());
        let credit_code = fresh_credit_code();
        let answer = self.post("/auth/signup", None, signup_body(&email, &credit_code)).await;
        let body = answer.assert_status(201);
        let token = |name: &str| body[name].as_str().expect("token").to_owned();
        Owner { token: token("access_token"), refresh_token: token("refresh_token"), email, credit_code }
    }

    async fn login(&self, email: &str) -> String {
        let answer = self.post("/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
        answer.assert_status(200)["access_token"].as_str().expect("token").to_owned()
    }

    /// The upload of a material (a PDF) as a request to send.
    fn upload(&self, token: &str, id: &str, kind: &str) -> RequestBuilder {
        self.http
            .put(self.url(&format!("/applications/{id}/materials/{kind}")))
            .bearer_auth(token)
            .header("content-type", "application/pdf")
            .header("content-disposition", format!("attachment; filename=\"{kind}.pdf\""))
            .body(format!("%PDF-1.7 {kind} of {id}"))
    }

    /// What this process's workers logged as done: the sum of `field` over
    /// the log lines saying `message`.
    fn logged(&self, message: &str, field: &str) -> u64 {
        self.log()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["message"] == message)
            .filter_map(|line| line[field].as_u64())
            .sum()
    }
}

impl Drop for Server {
    /// The process first: it writes in the directory until it dies.
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A signed-up organization's owner.
struct Owner {
    email: String,
    credit_code: String,
    token: String,
    refresh_token: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_keeps_every_acknowledged_application_whole() {
    let database = Database::new();
    let mut server = Server::start(&database, &[]).await;
    let token = server.signup().await.token;

    // Eight clients create applications as fast as the server answers.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (url, token, acknowledged) = (server.url("/applications"), token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(35)).build().expect("client");
                loop {
                    let sent = client.post(&url).bearer_auth(&token).json(&application_body()).send().await;
                    let Ok(response) = sent else {
                        // In flight when the server died (or refused once it
                        // had): its outcome is unknown.
                        return 1;
                    };
                    assert_eq!(response.status(), 201, "before the kill, every creation succeeds");
                    let Ok(body) = response.json::<Value>().await else { return 1 };
                    acknowledged.lock().expect("lock").push(body["id"].as_str().expect("id").to_owned());
                }
            })
        })
        .collect();
    // SIGKILL once a good number are acknowledged, with more in flight.
    let waiting = Instant::now();
    while acknowledged.lock().expect("lock").len() < 40 {
        assert!(waiting.elapsed() < Duration::from_secs(20), "creations too slow:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let mut unknown = 0;
    for client in join_all(clients).await {
        unknown += client.expect("a client ended");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();

    // Restarted on the same database: the old token still works (same
    // secret), and every acknowledged application is there.
    let server = Server::start(&database, &[]).await;
    for id in &acknowledged {
        server.get(&format!("/applications/{id}"), Some(&token)).await.assert_status(200);
    }
    let stored = database.scalar("SELECT count(*) FROM applications").await;
    let without_history = database
        .scalar(
            "SELECT count(*) FROM applications a WHERE NOT EXISTS
               (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.action = 'create')",
        )
        .await;
    let events = database.scalar("SELECT count(*) FROM application_events").await;
    eprintln!(
        "kill -9: {} creations acknowledged with 201, {unknown} left without an answer; {stored} applications and \
         {events} history rows stored; all {} acknowledged found after the restart",
        acknowledged.len(),
        acknowledged.len()
    );
    // Nothing half-written: each application has its creation in its
    // history; at most the requests in flight were committed unacknowledged.
    assert_eq!(without_history, 0);
    assert_eq!(events, stored, "one history row per application, no orphan");
    let acknowledged = i64::try_from(acknowledged.len()).expect("count");
    assert!(stored >= acknowledged && stored <= acknowledged + unknown, "{stored} stored, {acknowledged} + {unknown}");
    server.post("/applications", Some(&token), application_body()).await.assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_out_of_reach_is_503_at_once_and_recovered_without_a_restart() {
    let database = Database::new();
    let mut server = Server::start(&database, &[]).await;
    let owner = server.signup().await;
    let token = Some(owner.token.as_str());
    let key = server.post("/organization/api-keys", token, json!({"name": "ERP"})).await;
    let key = key.assert_status(201)["key"].as_str().expect("key").to_owned();
    let draft = server.post("/applications", token, application_body()).await;
    let draft = draft.assert_status(201)["id"].as_str().expect("id").to_owned();

    database.allow_connections(false).await;
    let started = Instant::now();
    let readiness = server.get("/readyz", None).await;
    let took = started.elapsed();
    assert_eq!(readiness.status, 503, "{}", readiness.body);
    eprintln!("outage: GET /readyz answered 503 in {took:.2?}");

    // Every kind of caller (anonymous, token, API key) and of work (read,
    // write, password check, upload): each finds the database first or on
    // the way (the token's account is looked up on every request).
    let email = format!("new-{}@example.com", Uuid::now_v7().simple());
    let requests = [
        ("GET /applications (token)", server.request(Method::GET, "/applications", token, None)),
        ("GET /applications (API key)", server.request(Method::GET, "/applications", Some(&key), None)),
        ("GET /applications/{id}", server.request(Method::GET, &format!("/applications/{draft}"), token, None)),
        ("POST /applications", server.request(Method::POST, "/applications", token, Some(application_body()))),
        ("PUT material", server.upload(&owner.token, &draft, "summary")),
        ("GET /me", server.request(Method::GET, "/me", token, None)),
        ("GET /certificates", server.request(Method::GET, "/certificates", token, None)),
        ("GET /public/announcements", server.request(Method::GET, "/public/announcements", None, None)),
        ("GET /public/ledger/checkpoint", server.request(Method::GET, "/public/ledger/checkpoint", None, None)),
        ("POST /auth/login", {
            let login = json!({"email": owner.email, "password": PASSWORD});
            server.request(Method::POST, "/auth/login", None, Some(login))
        }),
        ("POST /auth/refresh", {
            let refresh = json!({"refresh_token": owner.refresh_token});
            server.request(Method::POST, "/auth/refresh", None, Some(refresh))
        }),
        ("POST /auth/signup", {
            let signup = signup_body(&email, &fresh_credit_code());
            server.request(Method::POST, "/auth/signup", None, Some(signup))
        }),
    ];
    // Twice each: first with the pool's connections freshly cut, then with
    // none left.
    for round in 1..=2 {
        for (label, request) in &requests {
            let started = Instant::now();
            let answer = server.send(request.try_clone().expect("a body in memory")).await;
            let took = started.elapsed();
            eprintln!("outage: {label} (round {round}) answered {} in {took:.2?}", answer.status);
            answer.assert_problem(503, "unavailable");
            let retry = answer.header("retry-after").and_then(|s| s.parse::<u64>().ok());
            assert!(retry.is_some_and(|seconds| seconds >= 1), "{label}: Retry-After {retry:?}");
            // Generous: the point is no hang until the request timeout (30 s).
            assert!(took < Duration::from_secs(10), "{label} took {took:?}");
        }
    }
    assert!(server.alive(), "the server survived the outage");
    assert!(!server.log().contains("panicked"), "{}", server.log());

    // Open again: ready without a restart.
    database.allow_connections(true).await;
    let ready_after = server.wait_until_ready(Duration::from_secs(30)).await.expect("ready again");
    eprintln!("outage: ready again {ready_after:.2?} after connections were allowed");
    server.get("/applications", Some(&key)).await.assert_status(200);
    server.send(server.upload(&owner.token, &draft, "summary")).await.assert_status(200);
    server.post("/auth/refresh", None, json!({"refresh_token": owner.refresh_token})).await.assert_status(200);
}

/// A TCP relay in front of PostgreSQL that can be cut: while down, new
/// connections are refused and the ones it carried are broken, as when
/// PostgreSQL stops (or restarts).
struct Relay {
    port: u16,
    /// The database, as reached directly.
    direct: PgConnectOptions,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(database: &Database) -> Self {
        let direct = database.url.parse().expect("a postgres URL");
        let mut relay = Self { port: free_port(), direct, task: None };
        relay.up().await;
        relay
    }

    /// The database's URL through the relay.
    fn url(&self) -> String {
        self.direct.clone().host("127.0.0.1").port(self.port).to_url_lossy().to_string()
    }

    async fn up(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.expect("the relay listens");
        let postgres = (self.direct.get_host().to_owned(), self.direct.get_port());
        self.task = Some(tokio::spawn(async move {
            // Dropped with this task: every relayed connection ends with it.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let postgres = postgres.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(postgres).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    async fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_postgresql_is_503_within_the_acquire_timeout_and_recovered_without_a_restart() {
    let database = Database::new();
    let mut relay = Relay::start(&database).await;
    let url = relay.url();
    let mut server = Server::start(&database, &[("DATABASE_URL", url.as_str())]).await;
    let Owner { email, token, .. } = server.signup().await;
    server.get("/applications", Some(&token)).await.assert_status(200);

    relay.down().await;
    // All at once: each waits for a connection that cannot be had.
    let login = json!({"email": email, "password": PASSWORD});
    let requests = [
        (Method::GET, "/readyz", None, None),
        (Method::GET, "/applications", Some(token.as_str()), None),
        (Method::GET, "/me", Some(token.as_str()), None),
        (Method::GET, "/public/announcements", None, None),
        (Method::POST, "/auth/login", None, Some(login)),
    ];
    let answers = join_all(requests.iter().map(|(method, path, token, body)| {
        let server = &server;
        async move {
            let started = Instant::now();
            let answer = server.call(method.clone(), path, *token, body.clone()).await;
            (method, path, answer, started.elapsed())
        }
    }))
    .await;
    for (method, path, answer, took) in answers {
        eprintln!("postgresql stopped: {method} {path} answered {} in {took:.2?}", answer.status);
        assert_eq!(answer.status, 503, "{method} {path}: {}", answer.body);
        if *path != "/readyz" {
            answer.assert_problem(503, "unavailable");
            assert!(answer.header("retry-after").is_some(), "{method} {path}");
        }
        assert!(took < Duration::from_secs(10), "{method} {path} took {took:?}");
    }
    assert!(server.alive(), "the server survived the outage");
    assert!(!server.log().contains("panicked"), "{}", server.log());

    relay.up().await;
    let ready_after = server.wait_until_ready(Duration::from_secs(30)).await.expect("ready again");
    server.get("/applications", Some(&token)).await.assert_status(200);
    eprintln!("postgresql stopped: ready again {ready_after:.2?} after it came back");
}

/// A token secret and a signing key of the test's own, given to every
/// replica as production would.
fn shared_secrets() -> (String, String) {
    let random = || Uuid::new_v4().into_bytes();
    let jwt_secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let signing_key = STANDARD.encode([random(), random()].concat());
    (jwt_secret, signing_key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_database_register_each_application_once() {
    const APPLICATIONS: usize = 20;
    let database = Database::new();
    let (jwt_secret, signing_key) = shared_secrets();
    let settings = [
        ("DATAIP__AUTH__JWT_SECRET", jwt_secret.as_str()),
        ("DATAIP__SIGNING__KEY", signing_key.as_str()),
        ("DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD", "PT2S"),
        ("DATAIP__WORKER__INTERVAL", "PT1S"),
    ];
    // One after the other: the first creates and migrates the database.
    let replicas = [Server::start(&database, &settings).await, Server::start(&database, &settings).await];

    // A reviewer added with the command line; each token issued by one
    // replica and used on the other.
    let reviewer_email = format!("reviewer-{}@registry.example", Uuid::now_v7().simple());
    let add = ["staff", "add", "--email", &reviewer_email, "--name", "王审查", "--role", "reviewer"];
    let added = dataip_with_input(&database.url, &add, format!("{PASSWORD}\n").as_bytes()).await;
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let owner = replicas[0].signup().await;
    // Verified by an operator, so that it may submit.
    let verify = ["org", "verify", "--credit-code", &owner.credit_code];
    let verified = dataip_with_input(&database.url, &verify, b"").await;
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let tenant = owner.token;
    let reviewer = replicas[1].login(&reviewer_email).await;
    replicas[1].get("/me", Some(&tenant)).await.assert_status(200);
    replicas[0].get("/me", Some(&reviewer)).await.assert_status(200);

    // Every application at once, each step on the other replica than the
    // step before.
    let through = |i: usize| {
        let (tenant, reviewer, replicas) = (&tenant, &reviewer, &replicas);
        async move {
            // Staggered, so that the windows close over two seconds, giving
            // both workers (each stepping every second) some to close.
            tokio::time::sleep(Duration::from_millis(100) * i as u32).await;
            let on = |step: usize| &replicas[(i + step) % 2];
            // Each its own product: the registry refuses the same one filed twice.
            let mut body = application_body();
            body["product_name"] = json!(format!("长三角物流时效数据集 {i}"));
            let created = on(0).post("/applications", Some(tenant), body).await;
            let id = created.assert_status(201)["id"].as_str().expect("id").to_owned();
            for (step, kind) in REQUIRED_MATERIALS.iter().enumerate() {
                on(step + 1).send(on(step + 1).upload(tenant, &id, kind)).await.assert_status(200);
            }
            let commitment = json!({"commitment": true});
            on(1).post(&format!("/applications/{id}/submit"), Some(tenant), commitment).await.assert_status(200);
            on(0).post(&format!("/review/applications/{id}/claim"), Some(reviewer), json!({})).await.assert_status(200);
            on(1)
                .post(&format!("/review/applications/{id}/approve"), Some(reviewer), json!({}))
                .await
                .assert_status(200);
            id
        }
    };
    let ids = join_all((0..APPLICATIONS).map(through)).await;

    // The workers of both replicas close the windows (PT2S) and append to
    // the ledger (every second).
    let started = Instant::now();
    let certificates = loop {
        let list = replicas[started.elapsed().as_secs() as usize % 2].get("/certificates?limit=100", Some(&tenant));
        let items = list.await.assert_status(200)["items"].as_array().cloned().unwrap_or_default();
        if items.len() == APPLICATIONS && items.iter().all(|c| c["ledger"].is_object()) {
            break items;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{} certificates: {items:?}", items.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let waited = started.elapsed();

    // Registered exactly once, one certificate each, one ledger leaf each.
    let n = APPLICATIONS as i64;
    assert_eq!(database.scalar("SELECT count(*) FROM applications WHERE state = 'registered'").await, n);
    assert_eq!(database.scalar("SELECT count(*) FROM application_events WHERE to_state = 'registered'").await, n);
    assert_eq!(database.scalar("SELECT count(DISTINCT registration_number) FROM applications").await, n);
    assert_eq!(database.scalar("SELECT count(*) FROM certificates").await, n);
    assert_eq!(database.scalar("SELECT count(DISTINCT application_id) FROM certificates").await, n);
    assert_eq!(database.scalar("SELECT count(*) FROM ledger_leaves").await, n);
    assert_eq!(database.scalar("SELECT count(DISTINCT leaf_hash) FROM ledger_leaves").await, n);
    assert_eq!(database.scalar("SELECT count(*) FROM ledger_outbox").await, 0);
    let mut registered: Vec<&str> = certificates.iter().map(|c| c["application_id"].as_str().expect("id")).collect();
    registered.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(registered, expected, "each application has its certificate");
    let mut leaves: Vec<u64> =
        certificates.iter().map(|c| c["ledger"]["leaf_index"].as_u64().expect("index")).collect();
    leaves.sort_unstable();
    assert_eq!(leaves, (0..APPLICATIONS as u64).collect::<Vec<_>>(), "one leaf each, none shared");

    // Every receipt verifies offline: signature, leaf, inclusion, checkpoint.
    let key = replicas[1].get("/public/ledger/key", None).await;
    let public_key = STANDARD.decode(key.body["public_key"].as_str().expect("key")).expect("base64");
    for certificate in &certificates {
        let parsed: tlog::verify::Certificate = serde_json::from_value(certificate.clone()).expect("a certificate");
        for check in tlog::verify::verify(&parsed, &public_key) {
            assert!(check.passed, "{}: {}", check.name, check.detail);
        }
    }

    let closed = replicas.each_ref().map(|r| r.logged("announcement windows closed", "closed"));
    let appended = replicas.each_ref().map(|r| r.logged("ledger appended", "entries"));
    eprintln!(
        "replicas: {APPLICATIONS} applications, {n} certificates and {n} distinct ledger leaves, every proof \
         verified; certificates issued {waited:.2?} after the last approval; windows closed by replica A/B: \
         {}/{}, entries appended by A/B: {}/{}",
        closed[0], closed[1], appended[0], appended[1]
    );
    assert_eq!(closed[0] + closed[1], APPLICATIONS as u64, "each window closed once, by one replica");
    assert_eq!(appended[0] + appended[1], APPLICATIONS as u64, "each entry appended once, by one replica");
}
