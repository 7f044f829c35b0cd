use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.assert_status(200)["status"], "ok");
    assert_eq!(app.get("/readyz", None).await.assert_status(200)["status"], "ready");
    // Also under the API base path.
    app.get("/api/v1/healthz", None).await.assert_status(200);
    assert_eq!(app.client.get(format!("{}/api/v1/readyz", app.base)).send().await.expect("sent").status(), 200);
}

#[tokio::test]
async fn readiness_fails_when_the_schema_is_behind() {
    let app = spawn_app().await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)")
        .execute(&app.state.db)
        .await
        .expect("forget a migration");
    let answer = app.get("/readyz", None).await;
    assert_eq!(answer.status, 503);
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = spawn_app_with(|config| config.server.metrics_addr = Some("127.0.0.1:0".parse().expect("address"))).await;
    app.get("/healthz", None).await;
    let port = app.metrics_port.expect("a metrics port");
    let metrics = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.expect("sent");
    assert!(metrics.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/plain"));
    let text = metrics.text().await.expect("text");
    assert!(text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
}

#[tokio::test]
async fn the_worker_forgets_expired_sessions() {
    let app = spawn_app().await;
    app.signup().await;
    assert_eq!(app.count("refresh_tokens").await, 1);
    app.clock.advance(chrono::Duration::days(32));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn shutdown_stops_the_server_and_the_worker() {
    let mut app = spawn_app().await;
    app.get("/healthz", None).await.assert_status(200);
    app.stop().await.expect("a clean stop");
    assert!(app.client.get(app.url("/healthz")).send().await.is_err(), "no longer listening");
}
