//! The public read paths over HTTP, against the release server on a
//! database of its own, side by side with pgbench running the same SQL on
//! the same data: the announcement list, search, one announcement, one
//! certificate record, the portal's home page, a tile, an offline proof and
//! signed status statements of 1,000 certificates in one answer.
//!
//! Data goes in through the API (signup, drafts, materials, submission,
//! claim, approval), staff and verification through the `dataip` command;
//! only the end of some announcement windows is moved in SQL, so that the
//! server's worker issues their certificates without waiting 15 days.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use dataip::services::transparency::status;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::database::BenchDatabase;
use crate::child::ChildServer;

#[path = "statements.rs"]
pub mod statements;
#[path = "text.rs"]
pub mod text;

const PASSWORD: &str = "correct horse battery staple";
/// Drafts one organization may hold: room for the loader and the creation
/// benchmark.
pub const DRAFT_QUOTA: u32 = 200_000;
const REQUIRED_MATERIALS: [&str; 4] = ["application_form", "summary", "processing_innovation", "application_scenarios"];

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Applications left in their announcement.
    pub announced: usize,
    /// Applications taken on to a certificate.
    pub registered: usize,
    /// Connections of the closed-loop load (and pgbench's clients).
    pub connections: usize,
    pub duration: Duration,
}

/// The release server on a database of its own (see [`Server::stop`]).
pub struct Server {
    child: ChildServer,
    pub base: String,
    pub database: BenchDatabase,
    pub database_url: String,
}

impl Server {
    /// Stops the server and drops its database.
    pub async fn stop(self) -> anyhow::Result<()> {
        drop(self.child);
        self.database.drop().await
    }

    /// The server's resident memory now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.child.resident_memory() as f64 / MIB
    }

    /// The server's peak resident memory so far (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.child.peak_memory() as f64 / MIB
    }
}

const MIB: f64 = (1 << 20) as f64;

fn dataip(binary: &Path, database_url: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env("DATABASE_URL", database_url)
        .env("DATAIP_ENV", "test")
        .env("DATAIP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("RUST_LOG", "warn");
    command
}

/// Starts `binary serve` on a fresh database; with `statements`, with no
/// cache and every statement it runs logged to that file.
pub async fn start(binary: &Path, statements: Option<&Path>) -> anyhow::Result<Server> {
    let database = BenchDatabase::create().await?;
    let database_url = database.config.database.url.expose().to_owned();
    let quota = DRAFT_QUOTA.to_string();
    let mut settings = vec![
        ("DATAIP__WORKER__INTERVAL", "PT1S"),
        ("DATAIP__QUOTA__OPEN_DRAFTS_PER_ORGANIZATION", quota.as_str()),
        ("DATAIP__DATABASE__MAX_CONNECTIONS", "20"),
        // One account's storm of logins: limited by the hashers, not by the
        // per-account throttle a real storm of many people would not meet.
        ("DATAIP__THROTTLE__LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "1000000"),
        ("DATAIP__THROTTLE__LOGIN_FAILURES_PER_ACCOUNT", "1000000"),
        // Every bulk status answer comes from one address: 1,000 numbers each.
        ("DATAIP__THROTTLE__STATUS_QUERIES_PER_ADDRESS", "1000000000"),
    ];
    if statements.is_some() {
        settings.extend([
            ("RUST_LOG", "warn,sqlx::query=debug"),
            ("DATAIP__LOG__FORMAT", "json"),
            ("DATAIP__SERVER__PUBLIC_CACHE_BYTES", "0"),
        ]);
    }
    let child = ChildServer::start(dataip(binary, &database_url), &settings, None, statements).await?;
    Ok(Server { base: child.base.clone(), child, database, database_url })
}

/// What the seeded data offers the read paths.
pub struct Seeded {
    pub announcement_id: String,
    pub certificate_number: String,
    /// Every registered certificate's number, in order.
    pub certificate_numbers: Vec<String>,
    /// Products loaded (numbered from 0 in their names).
    pub products: usize,
    /// The current announcements, newest first: the list's first page.
    pub newest: Vec<String>,
    pub ledger_size: u64,
    /// A token of the organization that filed everything.
    pub owner_token: String,
}

async fn call(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let answer = request.send().await?;
    let status = answer.status();
    let body = answer.text().await?;
    anyhow::ensure!(status.is_success(), "{status}: {body}");
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Loads `size.announced + size.registered` applications through the API
/// and registers `size.registered` of them.
pub async fn seed(server: &Server, binary: &Path, size: Size) -> anyhow::Result<Seeded> {
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", server.base);
    // The organization, verified as an operator would.
    let credit_code = "91310000MA1FL4B24G";
    let signup = json!({
        "organization": {"name": "上海基准数据科技有限公司", "credit_code": credit_code},
        "user": {"email": "owner@bench.example", "password": PASSWORD, "display_name": "张伟"}
    });
    call(client.post(format!("{api}/auth/signup")).json(&signup)).await?;
    let verified =
        dataip(binary, &server.database_url).args(["org", "verify", "--credit-code", credit_code]).output()?;
    anyhow::ensure!(verified.status.success(), "org verify: {}", String::from_utf8_lossy(&verified.stderr));
    let mut staff = dataip(binary, &server.database_url)
        .args(["staff", "add", "--email", "reviewer@bench.example", "--name", "李娜", "--role", "reviewer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    std::io::Write::write_all(&mut staff.stdin.take().context("stdin")?, PASSWORD.as_bytes())?;
    let added = staff.wait_with_output()?;
    anyhow::ensure!(added.status.success(), "staff add: {}", String::from_utf8_lossy(&added.stderr));
    let login = |email: &'static str| {
        let client = client.clone();
        let api = api.clone();
        async move {
            let body = json!({"email": email, "password": PASSWORD});
            let answer = call(client.post(format!("{api}/auth/login")).json(&body)).await?;
            answer["access_token"].as_str().map(str::to_owned).context("no token")
        }
    };
    let (owner, reviewer) = (login("owner@bench.example").await?, login("reviewer@bench.example").await?);

    // Applications, eight at a time.
    let total = size.announced + size.registered;
    let mut ids = vec![String::new(); total];
    let mut tasks = JoinSet::new();
    for i in 0..total {
        let (client, api, owner, reviewer) = (client.clone(), api.clone(), owner.clone(), reviewer.clone());
        tasks.spawn(async move {
            let body = json!({
                "product_name": text::product_name(i),
                "category": "data_collection",
                "abstract": text::abstract_of(i),
                "data_sources": [{"kind": "self_collected", "description": "自有物流系统运单数据"}],
                "data_format": "CSV", "data_scale": "1.2 亿条", "update_frequency": "每日"
            });
            let draft = call(client.post(format!("{api}/applications")).bearer_auth(&owner).json(&body)).await?;
            let id = draft["id"].as_str().context("no id")?.to_owned();
            for kind in REQUIRED_MATERIALS {
                let upload = client
                    .put(format!("{api}/applications/{id}/materials/{kind}"))
                    .bearer_auth(&owner)
                    .header("content-type", "application/pdf")
                    .header("content-disposition", format!("attachment; filename=\"{kind}.pdf\""))
                    .body(format!("%PDF-1.7 {kind} of {id}"));
                call(upload).await?;
            }
            let submit = client.post(format!("{api}/applications/{id}/submit")).bearer_auth(&owner);
            call(submit.json(&json!({"commitment": true}))).await?;
            for step in ["claim", "approve"] {
                let review = client.post(format!("{api}/review/applications/{id}/{step}")).bearer_auth(&reviewer);
                call(review.json(&json!({}))).await?;
            }
            anyhow::Ok((i, id))
        });
        while tasks.len() >= 8 {
            let (slot, id) = tasks.join_next().await.context("a task")???;
            ids[slot] = id;
        }
    }
    while let Some(done) = tasks.join_next().await {
        let (slot, id) = done??;
        ids[slot] = id;
    }

    // The first `registered` end their windows now: the worker issues them.
    let registered: Vec<uuid::Uuid> = ids[..size.registered].iter().filter_map(|id| id.parse().ok()).collect();
    sqlx::query("UPDATE applications SET announcement_ends_at = now() - interval '1 minute' WHERE id = ANY($1)")
        .bind(&registered)
        .execute(&server.database.pool)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let certificate_numbers = loop {
        let numbers: Vec<String> =
            sqlx::query_scalar("SELECT certificate_number FROM certificates WHERE ledger IS NOT NULL ORDER BY 1")
                .fetch_all(&server.database.pool)
                .await?;
        if numbers.len() >= size.registered && !numbers.is_empty() {
            break numbers;
        }
        anyhow::ensure!(Instant::now() < deadline, "the worker did not register the applications in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    sqlx::query("ANALYZE").execute(&server.database.pool).await?;
    let ledger_size: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ledger_leaves").fetch_one(&server.database.pool).await?;
    let newest: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM applications WHERE state = 'in_announcement'
         ORDER BY announcement_starts_at DESC, id DESC LIMIT 21",
    )
    .fetch_all(&server.database.pool)
    .await?;
    Ok(Seeded {
        ledger_size: u64::try_from(ledger_size)?,
        announcement_id: ids[size.registered..].first().cloned().unwrap_or_default(),
        certificate_number: certificate_numbers[0].clone(),
        certificate_numbers,
        products: total,
        newest,
        owner_token: owner,
    })
}

/// Latencies of one run, and what it achieved.
pub struct Run {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::EPSILON)
    }

    /// The p-th percentile latency, in milliseconds.
    pub fn percentile_ms(&self, p: usize) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let at = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
        sorted.get(at).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Requests `urls` (round robin) on `connections` keep-alive connections:
/// as fast as answers come (`rate` None), or at a fixed offered rate, the
/// latency counted from when each request was due (no coordinated
/// omission).
pub async fn load(urls: &[String], connections: usize, duration: Duration, rate: Option<f64>) -> Run {
    let urls = std::sync::Arc::new(urls.to_vec());
    load_with(connections, duration, rate, move |client, i| client.get(&urls[i % urls.len()])).await
}

/// The load of `load`, each request made by `request` (its client and
/// its sequence number).
pub async fn load_with(
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
    request: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> Run {
    let request = std::sync::Arc::new(request);
    // Clients are built before the clock starts: building one costs
    // milliseconds of CPU (its TLS roots), which would be counted as the
    // server's latency.
    let clients: Vec<reqwest::Client> = (0..connections)
        .map(|_| reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap_or_default())
        .collect();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (connection, client) in clients.into_iter().enumerate() {
        let request = request.clone();
        let interval = rate.map(|rate| Duration::from_secs_f64(connections as f64 / rate.max(1.0)));
        tasks.spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            let mut next =
                Instant::now() + interval.map_or(Duration::ZERO, |i| i.mul_f64(connection as f64 / connections as f64));
            let mut i = connection;
            while started.elapsed() < duration {
                if interval.is_some() {
                    tokio::time::sleep_until(next.into()).await;
                }
                let due = if interval.is_some() { next } else { Instant::now() };
                let ok = match request(&client, i).send().await {
                    Ok(answer) => answer.status().is_success() && answer.bytes().await.is_ok(),
                    Err(_) => false,
                };
                latencies.push(due.elapsed());
                errors += usize::from(!ok);
                i += connections;
                if let Some(interval) = interval {
                    next += interval;
                }
            }
            (latencies, errors)
        });
    }
    let mut run = Run { requests: 0, errors: 0, seconds: 0.0, latencies: Vec::new() };
    while let Some(Ok((latencies, errors))) = tasks.join_next().await {
        run.requests += latencies.len();
        run.errors += errors;
        run.latencies.extend(latencies);
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// The body of a draft the creation benchmark files: a realistic one.
pub fn draft(i: usize) -> Value {
    json!({
        "product_name": format!("基准创建数据集 {i}"),
        "category": "data_collection",
        "abstract": text::abstract_of(i),
        "data_sources": [{"kind": "self_collected", "description": "自有物流系统运单数据"}],
        "data_format": "CSV", "data_scale": "1.2 亿条", "update_frequency": "每日"
    })
}

/// `POST /api/v1/applications` on `connections` connections for `duration`.
pub async fn create_applications(server: &Server, token: &str, connections: usize, duration: Duration) -> Run {
    let (url, token) = (format!("{}/api/v1/applications", server.base), token.to_owned());
    load_with(connections, duration, None, move |client, i| client.post(&url).bearer_auth(&token).json(&draft(i))).await
}

/// Drops the drafts the creation benchmark filed, so that pgbench starts
/// from the same table.
pub async fn drop_drafts(server: &Server) -> anyhow::Result<()> {
    let mut tx = server.database.pool.begin().await?;
    sqlx::query(
        "DELETE FROM application_events WHERE application_id IN (SELECT id FROM applications WHERE state = 'draft')",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM applications WHERE state = 'draft'").execute(&mut *tx).await?;
    tx.commit().await?;
    sqlx::query("VACUUM ANALYZE applications").execute(&server.database.pool).await?;
    Ok(())
}

/// The ids the pgbench creation script files under: the organization and
/// its owner.
pub async fn owner_ids(server: &Server) -> anyhow::Result<(String, String)> {
    let row: (String, String) =
        sqlx::query_as("SELECT org_id::text, id::text FROM users WHERE email = 'owner@bench.example'")
            .fetch_one(&server.database.pool)
            .await?;
    Ok(row)
}

/// Numbers one bulk status query asks: as many as it may.
pub const STATUS_NUMBERS: usize = status::MAX_NUMBERS;

/// The numbers of a bulk status query: the registered certificates' in
/// turn, and in the last place of each hundred a well-formed number never
/// issued (10 of 1,000, answered `unknown` without a proof).
pub fn status_numbers(seeded: &Seeded) -> Vec<String> {
    let mut registered = seeded.certificate_numbers.iter().cycle();
    (0..STATUS_NUMBERS)
        .map(|i| match i % 100 {
            99 => format!("2099129{:010}", i / 100),
            _ => registered.next().cloned().unwrap_or_default(),
        })
        .collect()
}

/// `POST /api/v1/public/status` of `numbers` on `connections` connections
/// for `duration`, as fast as answers come, each answer read to its end.
pub async fn bulk_status(server: &Server, numbers: &[String], connections: usize, duration: Duration) -> Run {
    let url = format!("{}/api/v1/public/status", server.base);
    let body = bytes::Bytes::from(json!({ "numbers": numbers }).to_string());
    load_with(connections, duration, None, move |client, _| {
        client.post(&url).header("content-type", "application/json").body(body.clone())
    })
    .await
}

/// What one bulk status answer held.
pub struct Bundle {
    /// The checkpoint's size, from the header line.
    pub tree_size: u64,
    pub statements: usize,
    /// Statements with a proof (the numbers issued).
    pub proved: usize,
    /// Statements of numbers never issued.
    pub unknown: usize,
    pub bytes: usize,
}

/// One bulk status answer of `numbers`, checked: a header announcing them,
/// then one statement per number in the order asked, each issued number's
/// with its proof.
pub async fn check_bundle(server: &Server, numbers: &[String]) -> anyhow::Result<Bundle> {
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/public/status", server.base))
        .json(&json!({ "numbers": numbers }))
        .send()
        .await?;
    let code = answer.status();
    let body = answer.text().await?;
    anyhow::ensure!(code.is_success(), "{code}: {body}");
    let mut lines = body.lines();
    let header: Value = serde_json::from_str(lines.next().context("no header line")?)?;
    anyhow::ensure!(
        header["type"] == "dataip.status-bundle/v1" && header["count"] == numbers.len(),
        "the header: {header}"
    );
    let tree_size = header["tree_size"].as_u64().context("no tree size")?;
    let statements: Vec<Value> = lines.map(serde_json::from_str).collect::<Result<_, _>>()?;
    anyhow::ensure!(statements.len() == numbers.len(), "{} statements of {}", statements.len(), numbers.len());
    for (statement, number) in statements.iter().zip(numbers) {
        anyhow::ensure!(statement["certificate_number"] == number.as_str(), "{number} out of order");
        anyhow::ensure!(!statement["signature"].is_null(), "{number} unsigned");
    }
    let proved = statements.iter().filter(|s| s["proof"].is_string()).count();
    let unknown = statements.iter().filter(|s| s["status"] == "unknown").count();
    anyhow::ensure!(proved + unknown == numbers.len(), "{proved} proved, {unknown} unknown");
    Ok(Bundle { tree_size, statements: statements.len(), proved, unknown, bytes: body.len() })
}

/// The pgbench script of a bulk status answer of `numbers` at the
/// checkpoint of `tree_size` (`statements::bulk_status`): the rounds' proofs
/// need the subtrees of each certificate's latest leaf below it, read here.
pub async fn status_script(server: &Server, numbers: &[String], tree_size: u64) -> anyhow::Result<String> {
    let latest: Vec<(String, i64)> = sqlx::query_as(
        "SELECT certificate_number, max(idx) FROM ledger_leaves
         WHERE certificate_number = ANY($1) AND idx < $2 GROUP BY 1",
    )
    .bind(numbers)
    .bind(i64::try_from(tree_size)?)
    .fetch_all(&server.database.pool)
    .await?;
    let latest: std::collections::HashMap<String, u64> =
        latest.into_iter().map(|(number, idx)| (number, u64::try_from(idx).unwrap_or(0))).collect();
    let rounds: Vec<statements::StatusRound> = numbers
        .chunks(status::ROUND)
        .map(|round| {
            let distinct: Vec<String> =
                round.iter().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let mut nodes: Vec<(u32, u64)> = distinct
                .iter()
                .filter_map(|number| latest.get(number))
                .flat_map(|index| tlog::merkle::needed_for_inclusion(*index, tree_size))
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            statements::StatusRound { numbers: distinct, nodes }
        })
        .collect();
    Ok(statements::bulk_status(&rounds))
}

/// `clients` people logging in over and over until `stop`, each waiting
/// as told when every password hasher is busy (503 with Retry-After).
pub fn login_storm(server: &Server, clients: usize, stop: tokio_util::sync::CancellationToken) -> JoinSet<usize> {
    let mut storm = JoinSet::new();
    // One client for all (its pool opens a connection per concurrent
    // login): building 200 would take the load generator's CPU as the storm
    // begins, and show as the server's latency.
    let client = reqwest::Client::new();
    for _ in 0..clients {
        let (url, stop, client) = (format!("{}/api/v1/auth/login", server.base), stop.clone(), client.clone());
        storm.spawn(async move {
            let body = json!({"email": "owner@bench.example", "password": PASSWORD});
            let mut logged_in = 0;
            while !stop.is_cancelled() {
                match client.post(&url).json(&body).send().await {
                    Ok(answer) if answer.status().is_success() => logged_in += 1,
                    Ok(answer) => {
                        let wait = answer
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::select! {
                            () = stop.cancelled() => {}
                            () = tokio::time::sleep(Duration::from_secs(wait)) => {}
                        }
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
            logged_in
        });
    }
    storm
}

/// `count` keep-alive connections, each having made one request, held
/// open until dropped.
pub async fn idle_connections(server: &Server, count: usize) -> anyhow::Result<Vec<tokio::net::TcpStream>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = tokio::net::TcpStream::connect(&server.child.address).await?;
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n").await?;
        let mut answer = [0u8; 1024];
        let read = stream.read(&mut answer).await?;
        anyhow::ensure!(answer[..read].starts_with(b"HTTP/1.1 200"), "healthz answered otherwise");
        held.push(stream);
    }
    Ok(held)
}

/// pgbench of `script` on the server's database: transactions per second.
pub fn pgbench(database_url: &str, script: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join(format!("dataip-pgbench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("script.sql");
    std::fs::write(&file, script)?;
    // As the service's own connections plan (see `db::connect`).
    let output = Command::new("pgbench")
        .env("PGOPTIONS", "-c plan_cache_mode=force_custom_plan")
        .args(["-n", "-M", "prepared", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&file)
        .arg(database_url)
        .output()
        .context("could not run pgbench (install PostgreSQL's client programs)")?;
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "pgbench: {}", String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = ").and_then(|rest| rest.split_whitespace().next()?.parse().ok()))
        .context("pgbench printed no tps")
}

/// One path of the benchmark: what the service is asked, and the SQL that
/// gives the same result (None: no single statement to compare with).
pub struct ReadPath {
    pub name: &'static str,
    pub urls: Vec<String>,
    pub sql: Option<String>,
}

/// The paths measured, over the seeded data, each beside the statements
/// the service runs for it (`statements`).
pub fn paths(server: &Server, seeded: &Seeded) -> Vec<ReadPath> {
    let base = &server.base;
    let search_urls = |queries: Vec<String>| -> Vec<String> {
        queries.iter().map(|q| format!("{base}/api/v1/public/announcements?limit=20&q={}", urlencode(q))).collect()
    };
    vec![
        // The ceiling: no database, the whole middleware stack, and this
        // load generator's own cost.
        ReadPath { name: "GET /healthz (the ceiling)", urls: vec![format!("{base}/healthz")], sql: None },
        ReadPath {
            name: "GET /api/v1/public/announcements?limit=20",
            urls: vec![format!("{base}/api/v1/public/announcements?limit=20")],
            sql: Some(statements::list(&seeded.newest)),
        },
        ReadPath {
            name: "search, cold (every query new; two-character terms)",
            urls: search_urls(text::cold_queries(COLD_QUERIES, seeded.products)),
            sql: Some(statements::cold_search(seeded.products, &seeded.newest)),
        },
        ReadPath {
            name: "search, warm (16 popular one-word queries)",
            urls: search_urls(text::warm_queries()),
            sql: Some(statements::warm_search(&seeded.newest)),
        },
        ReadPath {
            name: "GET /api/v1/public/announcements/{id}",
            urls: vec![format!("{base}/api/v1/public/announcements/{}", seeded.announcement_id)],
            sql: Some(statements::announcement(&seeded.announcement_id)),
        },
        ReadPath {
            name: "GET /api/v1/public/certificates/{number}",
            urls: vec![format!("{base}/api/v1/public/certificates/{}", seeded.certificate_number)],
            sql: Some(statements::certificate_record(&seeded.certificate_number)),
        },
        ReadPath { name: "GET / (the portal's home page)", urls: vec![format!("{base}/")], sql: None },
        ReadPath {
            name: "GET /announcements (the portal's list)",
            urls: vec![format!("{base}/announcements")],
            sql: Some(statements::list(&seeded.newest)),
        },
        ReadPath {
            name: "GET /certificates/{number} (the portal's record)",
            urls: vec![format!("{base}/certificates/{}", seeded.certificate_number)],
            sql: Some(statements::certificate_record(&seeded.certificate_number)),
        },
        ReadPath { name: "GET /tlog/tile/0/000.p/N (a tile)", urls: vec![tile_url(base, seeded)], sql: None },
        ReadPath {
            name: "GET /api/v1/public/certificates/{number}/proof",
            urls: vec![format!("{base}/api/v1/public/certificates/{}/proof", seeded.certificate_number)],
            sql: None,
        },
    ]
}

/// The statements the server logged (see `start`) while `request`
/// ran: each one's first words.
pub async fn statements_of(log: &Path, request: reqwest::RequestBuilder) -> anyhow::Result<Vec<String>> {
    let before = std::fs::metadata(log)?.len() as usize;
    let answer = request.send().await?;
    anyhow::ensure!(answer.status().is_success(), "{}", answer.status());
    answer.bytes().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read(log)?;
    let logged = String::from_utf8_lossy(&text[before.min(text.len())..]).into_owned();
    Ok(logged
        .lines()
        .filter_map(|line| Some(serde_json::from_str::<Value>(line).ok()?["summary"].as_str()?.to_owned()))
        .collect())
}

/// Distinct queries of the cold search: more than a run asks.
const COLD_QUERIES: usize = 60_000;

/// The first level-0 tile: full once the ledger has 256 entries.
fn tile_url(base: &str, seeded: &Seeded) -> String {
    match seeded.ledger_size {
        size if size >= 256 => format!("{base}/tlog/tile/0/000"),
        size => format!("{base}/tlog/tile/0/000.p/{size}"),
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
