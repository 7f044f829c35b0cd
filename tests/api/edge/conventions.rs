//! What every endpoint shares: problem+json for every error, request ids,
//! body limits, CORS, and the OpenAPI document.

use std::collections::BTreeSet;

use dataip::domain::StaffRole;
use reqwest::Method;
use serde_json::{Value, json};

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
        ("/api/v1/auth/password-reset/request", "post"),
        ("/api/v1/auth/confirm-email", "post"),
        ("/api/v1/auth/confirm-email/resend", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/organization/members", "post"),
        ("/api/v1/organization/members", "get"),
        ("/api/v1/organization/members/{id}", "delete"),
        ("/api/v1/organization/api-keys", "post"),
        ("/api/v1/organization/api-keys", "get"),
        ("/api/v1/organization/api-keys/{id}", "delete"),
        ("/api/v1/admin/staff", "post"),
        ("/api/v1/organization", "get"),
        ("/api/v1/organization/business-licence", "put"),
        ("/api/v1/organization/business-licence", "get"),
        ("/api/v1/admin/organizations", "get"),
        ("/api/v1/admin/organizations/{id}", "get"),
        ("/api/v1/admin/organizations/{id}/business-licence", "get"),
        ("/api/v1/admin/organizations/{id}/verify", "post"),
        ("/api/v1/admin/organizations/{id}/refuse", "post"),
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
        ("/api/v1/public/objections/{id}/withdraw", "post"),
        ("/api/v1/public/objections/{id}/evidence", "post"),
        ("/api/v1/applications/{id}/objections/{objection_id}/evidence", "get"),
        ("/api/v1/applications/{id}/objections/{objection_id}/evidence/{evidence_id}", "get"),
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

/// Every operation of the document with its path and method.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                operations.push((path.clone(), method.clone(), operation.clone()));
            }
        }
    }
    operations
}

/// A response, following a `$ref` to the document's response components.
fn resolve<'d>(doc: &'d Value, response: &'d Value) -> &'d Value {
    match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => &doc["components"]["responses"][name],
        None => response,
    }
}

const PUBLIC: [&str; 7] = [
    "/api/v1/auth/signup",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/request",
    "/api/v1/auth/confirm-email",
];

/// Public, and a verified relying party's API key raises the allowance.
const STATUS: [&str; 2] = ["/api/v1/public/certificates/{certificate_number}/status", "/api/v1/public/status"];

fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path) || path.starts_with("/api/v1/public/") || !path.starts_with("/api/")
}

#[tokio::test]
async fn openapi_operations_are_named_described_secured_and_list_their_problems() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let mut ids = BTreeSet::new();
    let mut failures = Vec::new();
    for (path, method, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = operation["operationId"].as_str().unwrap_or_default();
        let camel = id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(char::is_alphanumeric);
        if !camel || !ids.insert(id.to_owned()) {
            failures.push(format!("{at}: operationId {id:?} is not unique camelCase"));
        }
        if operation["summary"].as_str().is_none_or(str::is_empty) {
            failures.push(format!("{at}: no summary"));
        }
        let responses = operation["responses"].as_object().expect("responses");
        for (status, response) in responses {
            let response = resolve(&doc, response);
            if response["description"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{at}: {status} has no description"));
            }
            if status.starts_with('4') || status.starts_with('5') {
                let problem = response["content"]["application/problem+json"]["schema"]["$ref"].as_str();
                if problem != Some("#/components/schemas/Problem") && status != "503" {
                    failures.push(format!("{at}: {status} is not a Problem"));
                }
            }
        }
        let security = &operation["security"];
        // The status endpoints take a relying party's key, optionally.
        let expected = match (is_public(&path), STATUS.contains(&path.as_str())) {
            (_, true) => json!([{}, {"bearer": []}]),
            (true, false) => json!([]),
            (false, false) => json!([{"bearer": []}]),
        };
        if *security != expected {
            failures.push(format!("{at}: security is {security}, not {expected}"));
        }
        let mut needed = vec!["408", "500"];
        if !is_public(&path) {
            needed.push("401");
        }
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        let parameter = |name: &str| parameters.iter().find(|p| p["name"] == name);
        if parameters.iter().any(|p| p["in"] == "path" && p["schema"]["type"] != "string") || path.contains("{id}") {
            needed.push("400");
        }
        if let Some(limit) = parameter("limit") {
            needed.extend(["400", "422"]);
            let schema = &limit["schema"];
            if (schema["minimum"].clone(), schema["maximum"].clone(), schema["default"].clone())
                != (json!(1), json!(100), json!(20))
            {
                failures.push(format!("{at}: limit is not 1 to 100, default 20: {schema}"));
            }
            if parameter("cursor").is_none_or(|cursor| cursor["schema"]["minLength"] != 1) {
                failures.push(format!("{at}: the cursor may be empty"));
            }
        }
        if operation["requestBody"]["content"]["application/json"].is_object() {
            needed.extend(["400", "413", "415", "422"]);
        }
        for status in needed {
            if !responses.contains_key(status) {
                failures.push(format!("{at}: {status} is not listed"));
            }
        }
    }
    assert!(ids.len() > 50, "{ids:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `allOf` part that refuses unknown properties, by path: such an
/// `allOf` with more properties in another part matches nothing.
fn closed_all_of_parts(doc: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for part in map.get("allOf").and_then(Value::as_array).into_iter().flatten() {
                let reference = part["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
                let schema = reference.map_or(part, |name| &doc["components"]["schemas"][name]);
                if schema["additionalProperties"] == json!(false) {
                    found.push(at.to_owned());
                }
            }
            for (key, value) in map {
                closed_all_of_parts(doc, value, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                closed_all_of_parts(doc, item, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn openapi_request_bodies_refuse_unknown_fields_and_stay_satisfiable() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let mut found = Vec::new();
    closed_all_of_parts(&doc, &doc, "#", &mut found);
    assert!(found.is_empty(), "allOf with a closed part matches nothing: {found:?}");
    // Acts are read by their kind, each shape closed, `kind` among its properties.
    let acts = doc["components"]["schemas"]["NewAct"]["oneOf"].as_array().expect("oneOf");
    assert_eq!(acts.len(), 7);
    for act in acts {
        assert_eq!(act["additionalProperties"], json!(false), "{act}");
        assert!(act["properties"]["kind"]["enum"].is_array(), "{act}");
    }
    for body in ["NewApplication", "SignupRequest", "NewMember", "NewStaff", "SupplementRequest", "NewObjection"] {
        assert_eq!(doc["components"]["schemas"][body]["additionalProperties"], json!(false), "{body}");
    }
}

#[tokio::test]
async fn material_uploads_and_downloads_offer_the_configured_media_types() {
    let app =
        spawn_app_with(|config| config.materials.media_types = vec!["application/pdf".into(), "text/csv".into()]).await;
    let doc = app.get("/openapi.json", None).await.body;
    let item = &doc["paths"]["/api/v1/applications/{id}/materials/{kind}"];
    let media_types =
        |content: &Value| content.as_object().map(|c| c.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(media_types(&item["put"]["requestBody"]["content"]), ["application/pdf", "text/csv"]);
    assert_eq!(
        item["put"]["requestBody"]["content"]["text/csv"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
    assert_eq!(media_types(&item["get"]["responses"]["200"]["content"]), ["application/pdf", "text/csv"]);
    // Objection evidence: the same types, up and down.
    let upload = &doc["paths"]["/api/v1/public/objections/{id}/evidence"]["post"];
    assert_eq!(media_types(&upload["requestBody"]["content"]), ["application/pdf", "text/csv"]);
    let download = &doc["paths"]["/api/v1/applications/{id}/objections/{objection_id}/evidence/{evidence_id}"]["get"];
    assert_eq!(media_types(&download["responses"]["200"]["content"]), ["application/pdf", "text/csv"]);
}

/// Calls every operation as the public, an applicant and an admin, with
/// path parameters malformed and well-formed, an empty JSON object as the
/// body and an out-of-range `limit`: whatever it answers, the document
/// lists for that operation.
#[tokio::test]
async fn every_answer_is_one_the_document_lists() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let owner = app.signup().await.token;
    let admin = app.staff(StaffRole::Admin).await;
    let mut undocumented = Vec::new();
    for (path, method, operation) in operations(&doc) {
        let documented = operation["responses"].as_object().expect("responses");
        for well_formed in [false, true] {
            let mut url = path.clone();
            for (name, good, bad) in [
                ("{id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{objection_id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{act_id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{evidence_id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{delivery_id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{measure_id}", uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()),
                ("{token}", format!("dpcf_{}_{}", uuid::Uuid::now_v7().simple(), "A".repeat(43)), "x".to_owned()),
                ("{kind}", "summary".to_owned(), "not-a-kind".to_owned()),
                ("{index}", "12345".to_owned(), "minus-one".to_owned()),
                ("{certificate_number}", "20261131000000001".to_owned(), "x".to_owned()),
            ] {
                url = url.replace(name, if well_formed { &good } else { &bad });
            }
            assert!(!url.contains('{'), "{url}: a path parameter this test does not know");
            if operation["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "limit")) {
                url.push_str(if well_formed { "?limit=0" } else { "?limit=many" });
            } else if well_formed {
                // The NUL character, which no database text holds.
                url.push_str("?note=%00");
            }
            for token in [None, Some(owner.as_str()), Some(admin.as_str())] {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let mut request = app.client.request(method.clone(), app.url(&url));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if [Method::POST, Method::PUT, Method::PATCH].contains(&method) {
                    request = request.json(&json!({}));
                }
                let answer = answer(request.send().await.expect("sent")).await;
                let status = answer.status.as_u16().to_string();
                if !documented.contains_key(&status) {
                    let who = if token.is_none() {
                        "the public"
                    } else if token == Some(owner.as_str()) {
                        "an owner"
                    } else {
                        "an admin"
                    };
                    undocumented.push(format!("{method} {url} as {who}: {status} {}", answer.body));
                }
            }
        }
    }
    assert!(undocumented.is_empty(), "answers the document does not list:\n{}", undocumented.join("\n"));
}
