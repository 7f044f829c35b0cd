//! The portal's one stylesheet, served under a name that changes with its
//! content, so browsers and CDNs may keep it for a year.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

const STYLESHEET: &str = include_str!("../../templates/portal/portal.css");

static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!("/assets/portal-{}.css", &digest[..16])
});

pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

/// `GET /assets/{name}`: the stylesheet under its current name only.
pub async fn serve(Path(name): Path<String>) -> Response {
    if format!("/assets/{name}") != stylesheet_path() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let headers = [
        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
    ];
    (headers, STYLESHEET).into_response()
}
