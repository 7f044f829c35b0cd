//! The web edge's static files: the one stylesheet the portal and the
//! workbench share, and the workbench's one script, each served under a
//! name that changes with its content, so browsers and CDNs may keep it for
//! a year.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

const STYLESHEET: &str = include_str!("../../templates/portal/portal.css");
/// What the workbench's pages may add when scripts run: a confirmation
/// before what cannot be undone, live character counts, upload progress.
/// Every page works without it.
const SCRIPT: &str = include_str!("../../templates/workbench/workbench.js");

fn named(stem: &str, extension: &str, content: &str) -> String {
    let digest = hex::encode(Sha256::digest(content.as_bytes()));
    format!("/assets/{stem}-{}.{extension}", &digest[..16])
}

static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| named("portal", "css", STYLESHEET));
static SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| named("workbench", "js", SCRIPT));

pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

pub fn script_path() -> &'static str {
    SCRIPT_PATH.as_str()
}

/// `GET /assets/{name}`: each file under its current name only.
pub async fn serve(Path(name): Path<String>) -> Response {
    let path = format!("/assets/{name}");
    let (content_type, body) = if path == stylesheet_path() {
        ("text/css; charset=utf-8", STYLESHEET)
    } else if path == script_path() {
        ("text/javascript; charset=utf-8", SCRIPT)
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers =
        [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")];
    (headers, body).into_response()
}
