//! `/tlog/*`: the ledger as a C2SP tlog-tiles log, for monitors, mirrors,
//! witnesses and offline verifiers. Plain files, not the JSON API: the
//! same paths a static mirror (`dataip ledger export`) serves.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::http::error::ApiResult;
use crate::{services::transparency::log_files, state::AppState};

/// Full tiles never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The checkpoint and partial tiles move on with the log.
const SHORT_LIVED: &str = "public, max-age=5";
const TEXT: &str = "text/plain; charset=utf-8";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tlog/checkpoint", get(checkpoint))
        .route("/tlog/vkey", get(vkey))
        .route("/tlog/policy", get(policy))
        .route("/tlog/{*path}", get(tile))
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(TEXT)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

/// The latest checkpoint, with the witnesses' cosignatures collected on it.
async fn checkpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let (_, note) = log_files::checkpoint(&state).await?;
    Ok(text(note, SHORT_LIVED))
}

/// The log's verifier key (C2SP signed-note vkey).
async fn vkey(State(state): State<AppState>) -> Response {
    text(format!("{}\n", log_files::log_key(&state)), SHORT_LIVED)
}

/// A suggested C2SP tlog-policy: this log and its configured witnesses.
async fn policy(State(state): State<AppState>) -> Response {
    text(log_files::policy(&state), SHORT_LIVED)
}

/// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> ApiResult<Response> {
    let Some((tile, bytes)) = log_files::tile(&state, &path).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let cache = if tile.is_full() { IMMUTABLE } else { SHORT_LIVED };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response())
}
