//! What every endpoint shares: problem+json for every error, request ids,
//! body limits, CORS, and the OpenAPI document.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{answer, fresh_credit_code, signup_body, spawn_app, spawn_app_with};

#[tokio::test]
async fn framework_errors_are_problem_json() {
    let app = spawn_app().await;
    app.get("/no/such/route", None).await.assert_problem(404, "not_found");
    app.get("/auth/signup", None).await.assert_problem(405, "method_not_allowed");
    let wrong_method = app.call(Method::PUT, "/healthz", None, None).await;
    wrong_method.assert_problem(405, "method_not_allowed");
    assert!(wrong_method.header("allow").is_some_and(|allow| allow.contains("GET")));
}

#[tokio::test]
async fn malformed_bodies_are_clear_4xx_and_write_nothing() {
    let app = spawn_app().await;
    let not_json = app.post_raw("/api/v1/auth/signup", None, "application/json", "{\"organization\": ").await;
    not_json.assert_problem(400, "validation_failed");

    let wrong_type = app.post_raw("/api/v1/auth/signup", None, "text/plain", "hello").await;
    wrong_type.assert_problem(415, "unsupported_media_type");

    let wrong_shape = app.post("/auth/signup", None, json!({"organization": "acme", "user": {}})).await;
    wrong_shape.assert_problem(422, "validation_failed");
    assert_eq!(wrong_shape.error_fields(), ["organization", "user.email", "user.password", "user.display_name"]);

    let missing = app.post("/auth/signup", None, json!({"organization": {"name": "x", "credit_code": "y"}})).await;
    missing.assert_problem(422, "validation_failed");
    assert!(missing.body["detail"].as_str().is_some_and(|d| d.contains("user")), "{}", missing.body);
    assert_eq!(missing.error_fields(), ["user"]);

    assert_eq!(app.count("organizations").await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app_with(|config| config.server.body_limit = 1024).await;
    let mut body = signup_body("big@example.com", &fresh_credit_code());
    body["organization"]["name"] = json!("x".repeat(4096));
    let answer = app.post("/auth/signup", None, body).await;
    answer.assert_problem(413, "payload_too_large");
    assert_eq!(app.count("organizations").await, 0);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let ok = app.get("/healthz", None).await;
    assert!(ok.header("x-request-id").is_some_and(|id| id.len() == 36));
    let given = app.client.get(app.url("/healthz")).header("x-request-id", "trace-me-42").send().await.expect("sent");
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(|config| config.server.cors_allowed_origins = vec!["https://portal.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://portal.example").await.expect("sent");
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://portal.example");
    let refused = preflight("https://evil.example").await.expect("sent");
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn openapi_document_describes_every_endpoint() {
    let app = spawn_app().await;
    let answer = app.get("/openapi.json", None).await;
    let doc = answer.assert_status(200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/password", "post"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/organization/members", "post"),
        ("/api/v1/organization/members", "get"),
        ("/api/v1/organization/members/{id}", "delete"),
        ("/api/v1/organization/api-keys", "post"),
        ("/api/v1/organization/api-keys", "get"),
        ("/api/v1/organization/api-keys/{id}", "delete"),
        ("/api/v1/admin/staff", "post"),
        ("/api/v1/applications", "post"),
        ("/api/v1/applications", "get"),
        ("/api/v1/applications/{id}", "get"),
        ("/api/v1/applications/{id}", "patch"),
        ("/api/v1/applications/{id}/submit", "post"),
        ("/api/v1/applications/{id}/withdraw", "post"),
        ("/api/v1/applications/{id}/events", "get"),
        ("/api/v1/applications/{id}/materials/{kind}", "put"),
        ("/api/v1/applications/{id}/materials/{kind}", "get"),
        ("/api/v1/applications/{id}/materials/{kind}", "delete"),
        ("/api/v1/review/applications", "get"),
        ("/api/v1/review/applications/{id}", "get"),
        ("/api/v1/review/applications/{id}/claim", "post"),
        ("/api/v1/review/applications/{id}/request-supplement", "post"),
        ("/api/v1/review/applications/{id}/reject", "post"),
        ("/api/v1/review/applications/{id}/approve", "post"),
        ("/api/v1/review/objections", "get"),
        ("/api/v1/review/objections/{id}/decide", "post"),
        ("/api/v1/applications/{id}/objections", "get"),
        ("/api/v1/applications/{id}/objections/{objection_id}/response", "post"),
        ("/api/v1/certificates", "get"),
        ("/api/v1/certificates/{id}", "get"),
        ("/api/v1/certificates/{id}/pdf", "get"),
        ("/api/v1/certificates/{id}/acts", "post"),
        ("/api/v1/certificates/{id}/acts", "get"),
        ("/api/v1/review/acts", "get"),
        ("/api/v1/review/acts/{id}/approve", "post"),
        ("/api/v1/review/acts/{id}/reject", "post"),
        ("/api/v1/review/certificates/{id}/revoke", "post"),
        ("/api/v1/public/announcements", "get"),
        ("/api/v1/public/announcements/{id}", "get"),
        ("/api/v1/public/announcements/{id}/objections", "post"),
        ("/api/v1/public/objections/{id}", "get"),
        ("/api/v1/public/registry", "get"),
        ("/api/v1/public/certificates/{certificate_number}", "get"),
        ("/api/v1/public/ledger/checkpoint", "get"),
        ("/api/v1/public/ledger/key", "get"),
        ("/api/v1/public/ledger/entries/{index}", "get"),
        ("/api/v1/public/ledger/proofs/inclusion", "get"),
        ("/api/v1/public/ledger/proofs/consistency", "get"),
        ("/api/v1/public/ledger/anchors", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    let ui = app.client.get(app.url("/docs/")).send().await.expect("sent");
    let ui = answer_text(ui).await;
    assert!(ui.contains("swagger"), "the UI is served");
}

async fn answer_text(response: reqwest::Response) -> String {
    let answer = answer(response).await;
    assert_eq!(answer.status, 200);
    answer.body.as_str().unwrap_or_default().to_lowercase()
}

#[tokio::test]
async fn large_answers_are_compressed_on_request() {
    let app = spawn_app().await;
    let answer = app.client.get(app.url("/openapi.json")).header("accept-encoding", "gzip").send().await.expect("sent");
    assert_eq!(answer.headers().get("content-encoding").map(|v| v.to_str().unwrap_or_default()), Some("gzip"));
}

#[tokio::test]
async fn openapi_schemas_describe_what_is_served() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let schemas = &doc["components"]["schemas"];
    let properties = |name: &str| -> Vec<String> {
        schemas[name]["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
    };
    // Each name is one shape: the public announcement item is not the window.
    for field in [
        "id",
        "registration_number",
        "product_name",
        "category",
        "holder_name",
        "abstract",
        "starts_at",
        "ends_at",
        "materials",
    ] {
        assert!(properties("AnnouncementView").contains(&field.to_owned()), "AnnouncementView.{field}");
    }
    assert_eq!(properties("AnnouncementWindow"), ["ends_at", "starts_at"]);
    assert!(properties("ApplicationView").contains(&"abstract".to_owned()));
    assert!(!properties("ApplicationView").contains(&"summary".to_owned()));
}
