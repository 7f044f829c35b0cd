//! Nothing the public sends takes the registry down: the attacks of the
//! audit in issue 25, each against the real `dataip serve` process and
//! measured from outside: its peak memory (`VmHWM` in `/proc`), what it
//! answers and how soon, and `/healthz` polled throughout.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use dataip::domain::StaffRole;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::{
    child::ChildServer,
    helpers::{TestApp, dataip, spawn_app},
};

#[path = "../../../src/pdf/bombs.rs"]
mod bombs;

const MIB: u64 = 1 << 20;

/// `dataip serve` on a test app's database, with `settings`.
async fn serve(app: &TestApp, settings: &[(&str, &str)]) -> ChildServer {
    ChildServer::start(dataip(&app.database_url), settings, None, None).await.expect("dataip serve starts")
}

/// `/healthz`, asked every 100 ms until stopped: the slowest answer.
struct HealthWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Duration>,
}

impl HealthWatch {
    fn start(base: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, stopped) = (format!("{base}/healthz"), stop.clone());
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut slowest = Duration::ZERO;
            while !stopped.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let answered = client.get(&url).timeout(Duration::from_secs(5)).send().await;
                let took = if answered.is_ok_and(|a| a.status() == 200) { asked.elapsed() } else { Duration::MAX };
                slowest = slowest.max(took);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            slowest
        });
        Self { stop, task }
    }

    async fn slowest(self) -> Duration {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("joined")
    }
}

/// A form posting `bytes` as its file, from this site.
fn file_form(bytes: Vec<u8>, filename: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
    reqwest::multipart::Form::new().part("file", part)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pdfs_are_refused_in_seconds_and_bounded_memory_while_the_server_answers() {
    let app = spawn_app().await;
    let server = serve(&app, &[("DATAIP__THROTTLE__VERIFY_UPLOADS_PER_ADDRESS", "1000")]).await;
    let client = reqwest::Client::new();
    // Warm: the page and one harmless check have run once.
    let warm = client.post(format!("{}/verify", server.base)).multipart(file_form(b"{}".to_vec(), "c.json"));
    assert_eq!(warm.send().await.expect("sent").status(), 422);
    let before = server.peak_memory();
    let health = HealthWatch::start(&server.base);
    let cases = [
        ("predictor", bombs::predictor_columns(), "predictor"),
        ("inflation", bombs::inflation(3 << 29), "decompressed"),
        ("repeated offsets", bombs::repeated_offsets(100_000), "object stream"),
    ];
    let mut files = Vec::new();
    for (name, pdf, limit) in cases {
        assert!(pdf.len() < 2 << 20, "{name}: {} bytes fit the upload limit", pdf.len());
        let started = Instant::now();
        let answer = client.post(format!("{}/verify?lang=en", server.base)).multipart(file_form(pdf.clone(), "c.pdf"));
        let answer = answer.send().await.expect("answered");
        let took = started.elapsed();
        let status = answer.status();
        let text = answer.text().await.expect("text");
        assert_eq!(status, 422, "{name}: {text}");
        assert!(text.contains(limit), "{name} names the limit ({limit}): {text}");
        assert!(took < Duration::from_secs(5), "{name} took {took:?}");
        eprintln!("{name}: {} bytes answered 422 in {took:?}", pdf.len());
        files.push((name, pdf, limit));
    }
    let slowest = health.slowest().await;
    let grown = server.peak_memory().saturating_sub(before);
    eprintln!("peak memory {} KiB more; /healthz {slowest:?} at worst", grown / 1024);
    assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} at worst");
    assert!(grown <= 100 * MIB, "the server's peak memory grew by {} MiB", grown / MIB);

    // `dataip verify` reads the same files within the same limits.
    let dir = std::env::temp_dir().join(format!("dataip-bombs-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("scratch");
    for (name, pdf, limit) in files {
        let path = dir.join(format!("{}.pdf", name.replace(' ', "-")));
        std::fs::write(&path, pdf).expect("written");
        let started = Instant::now();
        let output = dataip(&app.database_url)
            .args(["verify", path.to_str().expect("path"), "--public-key", "AAAA"])
            .output()
            .expect("dataip verify runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(limit), "{name}: {stderr}");
        assert!(started.elapsed() < Duration::from_secs(5), "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Sends `size` bytes of `A` as a chunked `multipart/form-data` body that
/// never holds its boundary, as fast as the server takes them; what the
/// server answered (its status line), if it did.
async fn boundaryless(address: &str, path: &str, size: usize) -> Option<String> {
    let stream = TcpStream::connect(address).await.expect("connects");
    let (mut reader, mut writer) = stream.into_split();
    let answer = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
        answer
    });
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: registry\r\nContent-Type: multipart/form-data; boundary=B\r\n\
         Sec-Fetch-Site: same-origin\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = [format!("{:x}\r\n", 64 << 10).into_bytes(), vec![b'A'; 64 << 10], b"\r\n".to_vec()].concat();
    let mut sent = 0;
    if writer.write_all(head.as_bytes()).await.is_ok() {
        while sent < size && writer.write_all(&chunk).await.is_ok() {
            sent += 64 << 10;
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
    }
    let answer = answer.await.expect("joined");
    String::from_utf8_lossy(&answer).lines().next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_never_say_their_boundary_are_cut_off_before_they_are_buffered() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let application = app.announced_application(&tenant.token, &reviewer).await;
    let (objection, token) = app.object(&application).await;
    let server = serve(&app, &[]).await;
    let before = server.peak_memory();
    let health = HealthWatch::start(&server.base);
    let bogus = uuid::Uuid::now_v7();
    let cases = [
        (format!("/objections/{bogus}/evidence?token=x"), "404"),
        (format!("/objections/{objection}/evidence?token=x"), "404"),
        (format!("/objections/{objection}/evidence?token={token}"), "422"),
        (format!("/api/v1/public/objections/{objection}/evidence?token={token}"), "415"),
    ];
    for (path, expected) in cases {
        let started = Instant::now();
        let floods: Vec<_> = (0..4)
            .map(|_| {
                let (address, path) = (server.address.clone(), path.clone());
                tokio::spawn(async move { boundaryless(&address, &path, 128 << 20).await })
            })
            .collect();
        for flood in floods {
            let status = flood.await.expect("joined");
            assert!(status.as_deref().is_some_and(|line| line.contains(expected)), "{path}: {status:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{path}: {:?}", started.elapsed());
        eprintln!("{path}: four floods answered {expected} in {:?}", started.elapsed());
    }
    let slowest = health.slowest().await;
    let grown = server.peak_memory().saturating_sub(before);
    eprintln!("peak memory {} KiB more; /healthz {slowest:?} at worst", grown / 1024);
    assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} at worst");
    assert!(grown <= 64 * MIB, "the server's peak memory grew by {} MiB", grown / MIB);
    assert_eq!(app.count("objection_evidence").await, 0);
}

/// A connection from `local` (a loopback address) to `address`.
async fn connect_from(local: &str, address: &str) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{local}:0").parse().expect("address"))?;
    socket.connect(address.parse().expect("address")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_many_idle_connections_keeps_no_one_else_out() {
    let app = spawn_app().await;
    // The defaults: 1,200 connections per address, closed after 10 s of silence.
    let server = serve(&app, &[]).await;
    let mut idle = Vec::new();
    for _ in 0..1300 {
        idle.push(connect_from("127.0.0.1", &server.address).await.expect("connects"));
    }
    // Those past the address's share are closed at once; the rest stay.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(5), stream.read(&mut byte)).await {
            closed += 1;
        }
    }
    assert!((100..=110).contains(&closed), "{closed} of 1,300 closed at once");

    // Another address is served at once, on a new connection.
    let started = Instant::now();
    let mut other = connect_from("127.0.0.2", &server.address).await.expect("connects");
    other.write_all(b"GET /healthz HTTP/1.1\r\nHost: registry\r\nConnection: close\r\n\r\n").await.expect("writes");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(1), other.read_to_end(&mut answer)).await.expect("in time").expect("read");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The first address itself, once it lets go, is served again.
    idle.truncate(1000);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = reqwest::Client::new().get(format!("{}/healthz", server.base)).send().await.expect("served");
    assert_eq!(again.status(), 200);
}
