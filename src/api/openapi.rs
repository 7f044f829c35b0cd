//! The OpenAPI 3 document, assembled from the routers' annotations.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use utoipa::{
    Modify, OpenApi,
    openapi::{
        RefOr,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use super::responses;
use crate::http::error::Problem;
use crate::{
    config::Config,
    services::{FieldError, files::SCAN_MEDIA_TYPES},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dataip",
        description = "Registry of data-product intellectual property: applications, review, public announcement, certificates and the acts on them.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "This registry")),
    modifiers(&BearerAuth, &ProblemResponses),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Signing up, logging in, sessions, and the caller's mail settings"),
        (name = "organization", description = "An applicant organization: its verification and business licence, members and API keys"),
        (name = "applications", description = "Preparing, submitting and following applications"),
        (name = "review", description = "Examination by the registry's reviewers"),
        (name = "certificates", description = "The holder's registration certificates"),
        (name = "public", description = "Announcements, objections, the register and certificates, for anyone"),
        (name = "ledger", description = "The tamper-evident log: checkpoints, entries, proofs and anchors"),
        (name = "admin", description = "Registry staff management, and the verification of organizations"),
        (name = "webhooks", description = "An organization's endpoints for machine notifications (Standard Webhooks), their deliveries and secrets"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("A JWT access token from /auth/login, or an organization API key (dipk_…).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The problem answers the operations refer to (`#/components/responses/...`).
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.responses.extend(responses::components());
    }
}

/// Raw bytes of any media type: an upload's body, a download's answer.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// The document as served: with what depends on the configuration, and
/// without schemas nothing refers to.
pub fn finish(document: utoipa::openapi::OpenApi, config: &Config) -> utoipa::openapi::OpenApi {
    with_webhooks(without_unused_schemas(with_nul_refused(with_closed_variants_merged(configured(document, config)))))
}

/// The event catalogue as OpenAPI 3.1 `webhooks`: what an organization's
/// endpoint receives for each kind (Standard Webhooks: signed with the
/// `webhook-id`, `webhook-timestamp` and `webhook-signature` headers).
fn with_webhooks(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use crate::{notifications::EventKind, services::notifications::webhooks::PING};
    let kinds = EventKind::ALL.iter().map(|kind| kind.as_str()).chain([PING]);
    let mut paths = serde_json::Map::new();
    for kind in kinds {
        let operation_id: String = std::iter::once("webhook".to_owned())
            .chain(kind.split(['.', '_']).map(|word| {
                let mut chars = word.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            }))
            .collect();
        let header = |name: &str, description: &str| {
            serde_json::json!({"name": name, "in": "header", "required": true, "description": description,
                "schema": {"type": "string"}})
        };
        let operation = serde_json::json!({"post": {
            "operationId": operation_id,
            "summary": format!("The `{kind}` event"),
            "description": format!("Sent to the organization's endpoints subscribed to `{kind}` (by its name, its prefix with `.*`, or `*`). Verify `webhook-signature` with the endpoint's secret before trusting the body; the same `webhook-id` comes with every retry and redelivery."),
            "security": [],
            "parameters": [
                header("webhook-id", "The delivery's id: the same on every retry and redelivery"),
                header("webhook-timestamp", "Seconds since the epoch, when this attempt was signed"),
                header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, one per secret in use"),
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["type", "timestamp", "data"],
                "properties": {
                    "type": {"type": "string", "enum": [kind]},
                    "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened"},
                    "data": {"type": "object", "description": "Thin: names, numbers, states, dates and links, never material contents or an objector's contact", "properties": {
                        "product_name": {"type": "string"},
                        "certificate_number": {"type": "string"},
                        "outcome": {"type": "string", "description": "`upheld`, `dismissed`, `approved` or `rejected`, where the event decides"},
                        "due": {"type": "string", "description": "A day on the registry's calendar, `YYYY-MM-DD`"},
                        "link": {"type": "string", "format": "uri", "description": "The public page to read more"}
                    }}
                }
            }}}},
            "responses": {
                "2XX": {"description": "Received"},
                "4XX": {"description": "Refused: retried with backoff for about a day, then the endpoint is marked failing"}
            }
        }});
        paths.insert(kind.to_owned(), operation);
    }
    match serde_json::from_value::<utoipa::openapi::Paths>(serde_json::Value::Object(paths)) {
        Ok(webhooks) => document.webhooks = Some(webhooks),
        Err(error) => tracing::error!(%error, "the webhooks section could not be built"),
    }
    document
}

/// The server refuses the NUL character in every string a client sends
/// (bodies and query values: no database text can hold it); strings the
/// document does not already pattern, enumerate or format say so.
fn with_nul_refused(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    // What request bodies refer to, and what that refers to.
    let mut sent = BTreeSet::new();
    for item in document.paths.paths.values_mut() {
        for operation in operations(item) {
            if let Some(body) = &operation.request_body {
                collect_schema_refs(&serde_json::to_value(body).unwrap_or_default(), &mut sent);
            }
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else { continue };
                if parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query {
                    parameter.schema = parameter.schema.take().map(with_nul_refused_in);
                }
            }
        }
    }
    let Some(components) = document.components.as_mut() else { return document };
    let mut pending: Vec<String> = sent.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let mut found = BTreeSet::new();
        if let Some(schema) = components.schemas.get(&name) {
            collect_schema_refs(&serde_json::to_value(schema).unwrap_or_default(), &mut found);
        }
        pending.extend(found.into_iter().filter(|name| sent.insert(name.clone())));
    }
    for name in &sent {
        if let Some(schema) = components.schemas.remove(name) {
            components.schemas.insert(name.clone(), with_nul_refused_in(schema));
        }
    }
    document
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
}

/// A schema with "no NUL" added to its free-form strings.
fn with_nul_refused_in(schema: RefOr<utoipa::openapi::schema::Schema>) -> RefOr<utoipa::openapi::schema::Schema> {
    let Ok(mut value) = serde_json::to_value(&schema) else { return schema };
    refuse_nul(&mut value);
    serde_json::from_value(value).unwrap_or(schema)
}

/// Adds "no NUL" to every free-form string schema under `value`.
fn refuse_nul(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(kind)) => kind == "string",
                Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
                _ => false,
            };
            let formatted = map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|format| ["binary", "date", "date-time", "uuid"].contains(&format));
            let constrained = formatted || ["pattern", "enum", "const"].iter().any(|key| map.contains_key(*key));
            if is_string && !constrained {
                map.insert("pattern".into(), Value::String(r"^[^\u0000]*$".into()));
            }
            map.values_mut().for_each(refuse_nul);
        }
        Value::Array(items) => items.iter_mut().for_each(refuse_nul),
        _ => {}
    }
}

/// The parts of the document that depend on the configuration: the media
/// types a stored file (a material, a business licence, an objection's
/// evidence) may have, what an upload may send and a download answers, and
/// its size limit.
fn configured(mut document: utoipa::openapi::OpenApi, config: &Config) -> utoipa::openapi::OpenApi {
    let materials = &config.materials;
    let material_limit = ("materials.max_size", materials.max_size);
    offer_files(&mut document, MATERIAL_PATH, &materials.media_types, material_limit);
    for path in [EVIDENCE_UPLOAD_PATH, EVIDENCE_DOWNLOAD_PATH] {
        offer_files(&mut document, path, &materials.media_types, ("evidence.max_size", config.evidence.max_size));
    }
    let licence_types = SCAN_MEDIA_TYPES.map(String::from);
    for path in LICENCE_PATHS.into_iter().chain([ORDER_PATH, ACT_DOCUMENT_PATH, ACT_DOCUMENT_REVIEW_PATH]) {
        offer_files(&mut document, path, &licence_types, material_limit);
    }
    document
}

/// Sets the media types of the file that `path` uploads (PUT or POST) and
/// downloads (GET), and the upload's size limit (the setting, its value).
fn offer_files(
    document: &mut utoipa::openapi::OpenApi,
    path: &str,
    media_types: &[String],
    (setting, max_size): (&str, u64),
) {
    use utoipa::{PartialSchema, openapi::Content};

    let Some(item) = document.paths.paths.get_mut(path) else {
        return;
    };
    // Bytes, whatever the type; a JSON file is any JSON value.
    let content = |media_type: &str| match media_type {
        "application/json" => Content::new(Some(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                .build(),
        )),
        _ => Content::new(Some(Binary::schema())),
    };
    let contents = || media_types.iter().map(|media_type| (media_type.clone(), content(media_type).into()));
    for upload in [item.put.as_mut(), item.post.as_mut()].into_iter().flatten() {
        if let Some(RefOr::T(body)) = upload.request_body.as_mut() {
            body.content = contents().collect();
        }
        if let Some(RefOr::T(too_large)) = upload.responses.responses.get_mut("413") {
            too_large.description =
                format!("The file is larger than `{setting}`, here {max_size} bytes (`code`: `payload_too_large`)");
        }
    }
    if let Some(RefOr::T(ok)) = item.get.as_mut().and_then(|download| download.responses.responses.get_mut("200")) {
        ok.content = contents().collect();
    }
}

const MATERIAL_PATH: &str = "/api/v1/applications/{id}/materials/{kind}";
const LICENCE_PATHS: [&str; 3] = [
    "/api/v1/organization/business-licence",
    "/api/v1/party/verification-document",
    "/api/v1/admin/organizations/{id}/business-licence",
];
const ORDER_PATH: &str = "/api/v1/admin/certificates/{id}/measures/{measure_id}/document";
const ACT_DOCUMENT_PATH: &str = "/api/v1/certificates/{id}/acts/{act_id}/document";
const ACT_DOCUMENT_REVIEW_PATH: &str = "/api/v1/review/acts/{id}/document";
const EVIDENCE_UPLOAD_PATH: &str = "/api/v1/public/objections/{id}/evidence";
const EVIDENCE_DOWNLOAD_PATH: &str = "/api/v1/applications/{id}/objections/{objection_id}/evidence/{evidence_id}";

/// Drops the schema components that nothing refers to. utoipa copies a
/// generic's argument into each instance (`Page_AnchorView` holds the whole
/// `AnchorView`), yet still lists the argument as a component of its own.
fn without_unused_schemas(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Some(components) = document.components.as_mut() else {
        return document;
    };
    let schemas = std::mem::take(&mut components.schemas);
    let mut used = BTreeSet::new();
    collect_schema_refs(&serde_json::to_value(&document).unwrap_or_default(), &mut used);
    let mut pending: Vec<String> = used.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let mut found = BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            collect_schema_refs(&serde_json::to_value(schema).unwrap_or_default(), &mut found);
        }
        pending.extend(found.into_iter().filter(|name| used.insert(name.clone())));
    }
    if let Some(components) = document.components.as_mut() {
        components.schemas = schemas.into_iter().filter(|(name, _)| used.contains(name)).collect();
    }
    document
}

fn collect_schema_refs(value: &serde_json::Value, names: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                            names.insert(name.to_owned());
                        }
                    }
                    _ => collect_schema_refs(value, names),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_schema_refs(item, names)),
        _ => {}
    }
}

/// A tagged enum's variant of a struct that refuses unknown fields comes
/// out of utoipa as `allOf: [{$ref: Terms}, {kind}]`, which nothing can
/// match: `Terms` says `additionalProperties: false`, so `kind` is one too
/// many. Each such variant becomes the one closed object it is, `kind` among
/// its properties.
fn with_closed_variants_merged(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Some(components) = document.components.as_mut() else {
        return document;
    };
    let values: BTreeMap<String, Value> = components
        .schemas
        .iter()
        .map(|(name, schema)| (name.clone(), serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    for (name, schema) in components.schemas.iter_mut() {
        let Some(mut value) = values.get(name).cloned() else { continue };
        if merge_closed_variants(&mut value, &values)
            && let Ok(merged) = serde_json::from_value(value)
        {
            *schema = merged;
        }
    }
    document
}

fn merge_closed_variants(value: &mut Value, schemas: &BTreeMap<String, Value>) -> bool {
    match value {
        Value::Object(map) => {
            if let Some(mut merged) =
                map.get("allOf").and_then(Value::as_array).and_then(|parts| closed(parts, schemas))
            {
                if let Some(description) = map.get("description") {
                    merged["description"] = description.clone();
                }
                *value = merged;
                return true;
            }
            let mut changed = false;
            for value in map.values_mut() {
                changed |= merge_closed_variants(value, schemas);
            }
            changed
        }
        Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= merge_closed_variants(item, schemas);
            }
            changed
        }
        _ => false,
    }
}

/// The parts of an `allOf` as one object, if one of them is a closed one.
fn closed(parts: &[Value], schemas: &BTreeMap<String, Value>) -> Option<Value> {
    let (mut properties, mut required) = (serde_json::Map::new(), Vec::new());
    let (mut is_closed, mut description) = (false, None);
    for part in parts {
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let schema = schemas.get(reference.strip_prefix("#/components/schemas/")?)?;
                is_closed |= schema.get("additionalProperties") == Some(&Value::Bool(false));
                description = description.or_else(|| schema.get("description").cloned());
                schema
            }
            None => part,
        };
        if part.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        properties.extend(part.get("properties").and_then(Value::as_object).cloned().unwrap_or_default());
        required.extend(part.get("required").and_then(Value::as_array).cloned().unwrap_or_default());
    }
    let mut merged = serde_json::json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    });
    if let Some(description) = description {
        merged["description"] = description;
    }
    is_closed.then_some(merged)
}
