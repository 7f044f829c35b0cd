//! Bounded resources: connections, slow clients, statements, metrics
//! series; and the headers every answer carries.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{spawn_app, spawn_app_with};

fn seconds(text: &str) -> dataip::domain::ExactDuration {
    text.parse().expect("duration")
}

/// Reads until the server closes the connection; the time it took.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let app = spawn_app_with(|config| {
        config.server.header_read_timeout = seconds("PT1S");
        config.server.idle_timeout = seconds("PT30S");
    })
    .await;
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connects");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: registry\r\nX-Slow: ").await.expect("writes");
    let closed = closed_after(&mut stream, Duration::from_secs(10)).await.expect("dropped");
    assert!(closed >= Duration::from_millis(900) && closed < Duration::from_secs(5), "{closed:?}");
}

#[tokio::test]
async fn kept_alive_connections_wait_for_the_idle_timeout_not_the_header_timeout() {
    let app = spawn_app_with(|config| {
        config.server.header_read_timeout = seconds("PT1S");
        config.server.idle_timeout = seconds("PT3S");
    })
    .await;
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connects");
    let request = b"GET /healthz HTTP/1.1\r\nHost: registry\r\n\r\n";
    let mut buffer = vec![0u8; 4096];
    for _ in 0..2 {
        stream.write_all(request).await.expect("writes");
        let read = stream.read(&mut buffer).await.expect("reads");
        assert!(buffer[..read].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buffer[..read]));
        // Idle longer than the header timeout: the connection stays.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    // Idle past the idle timeout: closed.
    let closed = closed_after(&mut stream, Duration::from_secs(10)).await.expect("closed when idle");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_closed_long_before_the_idle_timeout() {
    let app = spawn_app_with(|config| {
        config.server.first_byte_timeout = seconds("PT1S");
        config.server.idle_timeout = seconds("PT30S");
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut silent = TcpStream::connect(&address).await.expect("connects");
    let closed = closed_after(&mut silent, Duration::from_secs(10)).await.expect("closed");
    assert!(closed >= Duration::from_millis(900) && closed < Duration::from_secs(5), "{closed:?}");

    // One that has spoken is kept alive for the idle timeout.
    let mut spoken = TcpStream::connect(&address).await.expect("connects");
    spoken.write_all(b"GET /healthz HTTP/1.1\r\nHost: registry\r\n\r\n").await.expect("writes");
    let mut buffer = vec![0u8; 4096];
    let read = spoken.read(&mut buffer).await.expect("reads");
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    assert!(closed_after(&mut spoken, Duration::from_secs(2)).await.is_none(), "still open after 2 s");
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_a_free_one() {
    let app = spawn_app_with(|config| config.server.connection_limit = 2).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let first = TcpStream::connect(&address).await.expect("connects");
    let _second = TcpStream::connect(&address).await.expect("connects");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let waiting = client.get(app.url("/healthz")).timeout(Duration::from_millis(700)).send().await;
    assert!(waiting.is_err(), "a third connection is not served while two are open");
    drop(first);
    let served = client.get(app.url("/healthz")).timeout(Duration::from_secs(5)).send().await.expect("served");
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn statements_past_the_timeout_are_cancelled() {
    let app = spawn_app_with(|config| config.database.statement_timeout = seconds("PT1S")).await;
    let error = sqlx::query("SELECT pg_sleep(3)").execute(&app.state.db).await.expect_err("cancelled");
    let code = error.as_database_error().and_then(|e| e.code()).map(|code| code.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "{error}");
}

#[tokio::test]
async fn no_client_can_add_metrics_series() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let send = |method: String| {
        let request = client.request(reqwest::Method::from_bytes(method.as_bytes()).expect("method"), app.url("/x"));
        async move { request.send().await.expect("sent").status() }
    };
    send("WARMUP".into()).await;
    let count = |text: &str| text.lines().filter(|line| !line.starts_with('#')).count();
    let before = app.state.metrics.render();
    let series = count(&before);
    for i in 0..40 {
        send(format!("LONGMETHOD{i}{}", "X".repeat(200))).await;
    }
    let after = app.state.metrics.render();
    assert!(!after.contains("LONGMETHOD"), "no method becomes a label");
    assert!(after.contains(r#"method="other",route="unmatched""#), "{after}");
    // Other tests of this process add series for their own routes; none
    // of theirs use these labels.
    let ours = |text: &str| text.lines().filter(|line| line.contains(r#"method="other""#)).count();
    assert_eq!(ours(&after), ours(&before), "{series} series before");
}

#[tokio::test]
async fn metrics_are_served_only_on_an_address_of_their_own() {
    // Not set: no metrics at all, and none beside the API.
    let app = spawn_app().await;
    assert_eq!(app.metrics_port, None);
    for path in ["/metrics", "/api/v1/metrics"] {
        assert_eq!(app.client.get(app.url(path)).send().await.expect("sent").status(), 404, "{path}");
    }

    let app = spawn_app_with(|config| config.server.metrics_addr = Some("127.0.0.1:0".parse().expect("address"))).await;
    assert_eq!(app.client.get(app.url("/metrics")).send().await.expect("sent").status(), 404);
    let document = app.get("/openapi.json", None).await;
    assert!(document.body["paths"].get("/metrics").is_none(), "not in the document either");
    let port = app.metrics_port.expect("a metrics port");
    let metrics = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.expect("sent");
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.expect("text").contains("http_requests_total"));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app_with(|config| config.server.hsts = "max-age=31536000; includeSubDomains".into()).await;
    let tenant = app.signup().await;
    for (path, token) in
        [("/public/announcements", None), ("/applications", Some(tenant.token.as_str())), ("/nowhere", None)]
    {
        let answer = app.get(path, token).await;
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert!(answer.header("content-security-policy").is_some_and(|p| p.contains("default-src 'none'")), "{path}");
        assert_eq!(answer.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    }
    // What a credential unlocked is never stored; public reads may be.
    assert_eq!(app.get("/applications", Some(&tenant.token)).await.header("cache-control"), Some("no-store"));
    assert_eq!(app.get("/applications", None).await.header("cache-control"), Some("no-store"));
    let login = serde_json::json!({"email": tenant.email, "password": crate::helpers::PASSWORD});
    assert_eq!(app.post("/auth/login", None, login).await.header("cache-control"), Some("no-store"));
    assert_ne!(app.get("/public/announcements", None).await.header("cache-control"), Some("no-store"));
    // The API browser gets a policy it can work with.
    let docs = app.client.get(format!("{}/docs/", app.base)).send().await.expect("sent");
    assert_eq!(docs.status(), 200);
    let policy = docs.headers()["content-security-policy"].to_str().expect("policy").to_owned();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn the_api_browser_can_be_switched_off() {
    let app = spawn_app_with(|config| config.server.docs = false).await;
    assert_eq!(app.client.get(format!("{}/docs/", app.base)).send().await.expect("sent").status(), 404);
    let document = app.get("/openapi.json", None).await;
    assert_eq!(document.status, 200, "the document stays");
    assert!(document.body["paths"].is_object());
    assert!(
        app.get("/public/announcements", None).await.header("strict-transport-security").is_none(),
        "off by default"
    );
}

/// One request through the whole application, in process: what the
/// router's layers made of it.
pub(crate) async fn through_the_router(
    app: &crate::helpers::TestApp,
    method: reqwest::Method,
    path: &str,
    declared_length: Option<usize>,
) -> axum::response::Response {
    use tower::ServiceExt as _;
    let mut request = axum::http::Request::builder().method(method.as_str()).uri(path);
    if let Some(length) = declared_length {
        request = request.header("content-length", length);
    }
    let request = request.body(axum::body::Body::empty()).expect("request");
    dataip::startup::web_app(app.state.clone()).oneshot(request).await.expect("infallible")
}

#[tokio::test]
async fn routes_are_sorted_by_what_they_send() {
    use reqwest::Method;
    let app = spawn_app().await;
    let id = uuid::Uuid::now_v7();
    let over_the_plain_limit = app.state.config.server.body_limit + 1;
    let upload = [
        (Method::PUT, format!("/api/v1/applications/{id}/materials/summary"), "Upload"),
        (Method::PUT, "/api/v1/organization/business-licence".to_owned(), "Upload"),
        (Method::POST, format!("/api/v1/public/objections/{id}/evidence"), "Evidence"),
        (Method::POST, format!("/objections/{id}/evidence"), "Evidence"),
        (Method::POST, "/verify".to_owned(), "CertificateFile"),
    ];
    for (method, route, expected) in upload {
        let answer = through_the_router(&app, method, &route, Some(over_the_plain_limit)).await;
        assert_ne!(answer.status(), 413, "{route}: {expected}");
    }
    let plain = [
        (Method::GET, "/verify".to_owned()),
        (Method::GET, format!("/api/v1/applications/{id}/materials/summary")),
        (Method::POST, "/unrouted".to_owned()),
    ];
    for (method, route) in plain {
        let answer = through_the_router(&app, method, &route, Some(over_the_plain_limit)).await;
        assert_eq!(answer.status(), 413, "{route}: Plain");
    }
}

#[tokio::test]
async fn credentials_are_needed_outside_the_public_reads() {
    use reqwest::Method;
    let app = spawn_app().await;
    let no_store = |answer: &axum::response::Response| {
        answer.headers().get("cache-control").is_some_and(|value| value.as_bytes() == b"no-store")
    };
    for (method, path) in [
        (Method::GET, "/api/v1/applications"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/public/objections/x"),
    ] {
        assert!(no_store(&through_the_router(&app, method, path, None).await), "{path}");
    }
    for path in ["/api/v1/public/announcements", "/api/v1/openapi.json", "/healthz", "/docs/", "/metrics"] {
        assert!(!no_store(&through_the_router(&app, Method::GET, path, None).await), "{path}");
    }
}
