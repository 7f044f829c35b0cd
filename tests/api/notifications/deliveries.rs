//! Deliveries that strangers cannot turn against others (issue 26): the
//! worker's own loops against an endpoint and a mail server that accept
//! connections and never answer, with PostgreSQL watched for transactions
//! left open; and the real `dataip worker` process with a proxy in its
//! environment.

use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use dataip::domain::StaffRole;
use serde_json::json;
use sqlx::PgPool;

use crate::{
    helpers::{TestApp, dataip, free_port, spawn_app_with},
    notifications::mail::{Sink, with_mail},
    notifications::webhooks::{Receiver, create},
};

/// A TCP listener that accepts every connection, keeps it open and never
/// says a word: an endpoint, a mail server or a proxy that hangs.
struct Silent {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Silent {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                open.push(socket);
            }
        });
        Self { port, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Polls `pg_stat_activity` every 50 ms until stopped: the sessions of the
/// test's database found idle inside a transaction for more than a second.
struct IdleWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<String>>,
}

impl IdleWatch {
    fn start(db: PgPool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut found = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let idle: Vec<String> = sqlx::query_scalar(
                    "SELECT coalesce(query, '') FROM pg_stat_activity
                     WHERE datname = current_database() AND state LIKE 'idle in transaction%'
                       AND state_change < now() - interval '1 second'",
                )
                .fetch_all(&db)
                .await
                .expect("pg_stat_activity");
                found.extend(idle);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            found
        });
        Self { stop, task }
    }

    async fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("joined")
    }
}

/// Waits up to `limit` for `done`, checking every 50 ms; how long it took.
async fn within(limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The worker as it runs in production: its own loops, every second.
fn running_worker(config: &mut dataip::config::Config) {
    config.worker.interval = "PT1S".parse().expect("interval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_delays_no_mail_and_no_other_endpoint_and_holds_no_transaction() {
    let sink = Sink::on(free_port());
    let silent = Silent::start().await;
    let (receiver, receiver_url) = Receiver::start().await;
    let port = sink.port;
    let app = spawn_app_with(move |config| {
        with_mail(port)(config);
        running_worker(config);
        config.webhooks.allow_private_addresses = true;
        config.webhooks.timeout = "PT8S".parse().expect("timeout");
        config.throttle.webhook_pings_per_organization = 100;
    })
    .await;
    let watch = IdleWatch::start(app.state.db.clone());
    let tenant = app.signup().await;
    let hook = create(&app, &tenant.token, &format!("http://127.0.0.1:{}/hook", silent.port), json!(["*"])).await;
    let id = hook["id"].as_str().expect("id").to_owned();
    for _ in 0..12 {
        app.post(&format!("/organization/webhooks/{id}/ping"), Some(&tenant.token), json!({})).await.assert_status(202);
    }
    assert!(
        within(Duration::from_secs(5), async || silent.connections() > 0).await.is_some(),
        "the first ping is sent"
    );

    // Meanwhile another organization's application is announced, and objected to.
    let other = app.signup().await;
    create(&app, &other.token, &receiver_url, json!(["application.submitted"])).await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let announced = app.announced_application(&other.token, &reviewer).await;
    let filed = Instant::now();
    app.object(&announced).await;
    let mail = within(Duration::from_secs(5), async || !sink.to("wangwu@objector.example").is_empty()).await;
    let mail = mail.expect("the objector's tracking link arrives within seconds");
    let hooked = within(Duration::from_secs(5), async || !receiver.received().is_empty()).await;
    assert!(hooked.is_some(), "the other organization's endpoint hears of its application");
    eprintln!("tracking-link mail {mail:?} after the objection (filed {:?} ago)", filed.elapsed());
    assert_eq!(silent.connections(), 1, "one request at a time to an endpoint");

    // The first ping runs out of time; the endpoint's circuit opens, and
    // the other pings wait for it.
    let failed = within(Duration::from_secs(15), async || an_attempt_failed(&app, "kind = 'webhook.ping'").await).await;
    assert!(failed.is_some(), "the silent endpoint's attempt ends within webhooks.timeout");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(silent.connections(), 1, "nothing more is sent while the circuit is open");
    let deliveries = app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token)).await;
    let tried: Vec<_> = deliveries
        .assert_status(200)
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["attempts"] != 0)
        .cloned()
        .collect();
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert_eq!(tried[0]["last_error"], "the endpoint could not be reached");
    assert!(tried[0]["latency_ms"].is_null() && tried[0]["response_status"].is_null());

    let idle = watch.finish().await;
    assert!(idle.is_empty(), "sessions idle in a transaction for over a second: {idle:?}");
}

/// Whether an attempt at an outbox row matching `filter` (SQL) has failed.
async fn an_attempt_failed(app: &TestApp, filter: &str) -> bool {
    app.count(&format!("outbox WHERE {filter} AND attempts > 0 AND last_error IS NOT NULL")).await > 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_that_never_answers_delays_no_webhook_and_holds_no_transaction() {
    let silent = Silent::start().await;
    let (receiver, receiver_url) = Receiver::start().await;
    let port = silent.port;
    let app = spawn_app_with(move |config| {
        with_mail(port)(config);
        running_worker(config);
        config.mail.timeout = "PT8S".parse().expect("timeout");
        config.webhooks.allow_private_addresses = true;
    })
    .await;
    let watch = IdleWatch::start(app.state.db.clone());
    let tenant = app.signup().await;
    assert!(within(Duration::from_secs(5), async || silent.connections() > 0).await.is_some(), "mail is being sent");
    create(&app, &tenant.token, &receiver_url, json!(["application.submitted"])).await;
    app.submitted_application(&tenant.token).await;
    let hooked = within(Duration::from_secs(5), async || !receiver.received().is_empty()).await;
    assert!(hooked.is_some(), "the webhook does not wait for the mail server");
    let attempted = within(Duration::from_secs(15), async || an_attempt_failed(&app, "channel = 'email'").await).await;
    assert!(attempted.is_some(), "the silent mail server's attempt ends within mail.timeout");
    let idle = watch.finish().await;
    assert!(idle.is_empty(), "sessions idle in a transaction for over a second: {idle:?}");
}

/// `dataip worker` with every proxy variable pointing at a listener of the
/// test's: deliveries to names (which only a proxy would resolve, out of
/// the address check's sight) never go through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_named_in_the_environment_receives_nothing() {
    let proxy = Silent::start().await;
    // This process's worker runs its first round at start, then sleeps:
    // the child process delivers.
    let app = spawn_app_with(|config| config.worker.interval = "PT1H".parse().expect("interval")).await;
    let tenant = app.signup().await;
    let mut hooks = Vec::new();
    for url in [
        "http://localhost:8080/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://receiver.example/hook",
        "https://receiver.example/hook",
    ] {
        let hook = create(&app, &tenant.token, url, json!(["*"])).await;
        let id = hook["id"].as_str().expect("id").to_owned();
        app.post(&format!("/organization/webhooks/{id}/ping"), Some(&tenant.token), json!({})).await.assert_status(202);
        hooks.push(id);
    }
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let mut worker = dataip(&app.database_url);
    for variable in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        worker.env(variable, &proxy_url);
    }
    let mut worker = worker
        .arg("worker")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("DATAIP__WORKER__INTERVAL", "PT1S")
        .env("DATAIP__WEBHOOKS__TIMEOUT", "PT3S")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dataip worker starts");
    let attempted = within(Duration::from_secs(30), async || {
        let settled: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE last_error IS NOT NULL")
            .fetch_one(&app.state.db)
            .await
            .expect("outbox");
        settled == 4
    })
    .await;
    let _ = worker.kill();
    let _ = worker.wait();
    assert!(attempted.is_some(), "the worker tried every endpoint");
    assert_eq!(proxy.connections(), 0, "the proxy heard nothing");
    for id in hooks {
        let deliveries = app.get(&format!("/organization/webhooks/{id}/deliveries"), Some(&tenant.token)).await;
        assert_eq!(deliveries.assert_status(200)[0]["last_error"], "the endpoint could not be reached");
    }
}
