//! /public/ledger/*: the ledger, for anyone to verify.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{Always, BadRequest, Paged};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
};
use crate::{
    pagination::{Page, PageQuery},
    services::transparency::ledger::{
        self, AnchorView, ConsistencyQuery, ConsistencyView, EntryView, InclusionQuery, InclusionView, LedgerKey,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkpoint))
        .routes(routes!(key))
        .routes(routes!(entry))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
        .routes(routes!(anchors))
}

/// The latest checkpoint: a C2SP tlog-checkpoint signed note.
#[utoipa::path(get, path = "/public/ledger/checkpoint", tag = "ledger", operation_id = "getLedgerCheckpoint",
    security(), responses(
    (status = 200, description = "The signed note", content_type = "text/plain; charset=utf-8", body = String),
    Always,
))]
async fn checkpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let note = ledger::latest_checkpoint(&state).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// The key that signs checkpoints and certificates.
#[utoipa::path(get, path = "/public/ledger/key", tag = "ledger", operation_id = "getLedgerKey", security(),
    responses(
    (status = 200, description = "The public key", body = LedgerKey),
    Always,
))]
async fn key(State(state): State<AppState>) -> Json<LedgerKey> {
    Json(ledger::key(&state))
}

/// One entry: the exact bytes hashed into leaf `index`.
#[utoipa::path(get, path = "/public/ledger/entries/{index}", tag = "ledger", operation_id = "getLedgerEntry",
    security(), params(("index" = u64, Path, description = "The leaf's index, from 0")), responses(
    (status = 200, description = "The entry", body = EntryView),
    Always, BadRequest,
    (status = 404, description = "Beyond the end of the ledger (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn entry(State(state): State<AppState>, Path(index): Path<u64>) -> ApiResult<Json<EntryView>> {
    Ok(Json(ledger::entry(&state, index).await?))
}

/// The proof that leaf `index` is in the tree of `tree_size` leaves.
#[utoipa::path(get, path = "/public/ledger/proofs/inclusion", tag = "ledger", operation_id = "getInclusionProof",
    security(), params(InclusionQuery), responses(
    (status = 200, description = "The proof", body = InclusionView),
    Always, BadRequest,
    (status = 422, description = "`index` not below `tree_size`, `tree_size` beyond the ledger, or a value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn inclusion(
    State(state): State<AppState>,
    Query(query): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionView>> {
    Ok(Json(ledger::inclusion(&state, query).await?))
}

/// The proof that the tree of `first` leaves is a prefix of that of `second`.
#[utoipa::path(get, path = "/public/ledger/proofs/consistency", tag = "ledger", operation_id = "getConsistencyProof",
    security(), params(ConsistencyQuery), responses(
    (status = 200, description = "The proof", body = ConsistencyView),
    Always, BadRequest,
    (status = 422, description = "`first` above `second`, `second` beyond the ledger, or a value holding the NUL character (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn consistency(
    State(state): State<AppState>,
    Query(query): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyView>> {
    Ok(Json(ledger::consistency(&state, query).await?))
}

/// Checkpoints published to an external blockchain, newest first.
#[utoipa::path(get, path = "/public/ledger/anchors", tag = "ledger", operation_id = "listLedgerAnchors",
    security(), params(PageQuery), responses(
    (status = 200, description = "A page of anchors", body = Page<AnchorView>),
    Always, Paged,
))]
async fn anchors(State(state): State<AppState>, Query(page): Query<PageQuery>) -> ApiResult<Json<Page<AnchorView>>> {
    Ok(Json(ledger::anchors(&state, page.parse()?).await?))
}
