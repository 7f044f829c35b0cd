//! /public/certificates/{number}/status and /public/status: signed status
//! statements for banks, exchanges and courts. Made for each asker and never
//! kept (`Cache-Control: no-store`, outside the public cache); counted
//! against the asker's allowance, which a verified relying party's API key
//! raises.

use axum::{
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::responses::{Always, JsonBody};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    services::{
        accounts::relying_parties::{self, StatusAsker},
        transparency::status::{self, StatusQuery},
    },
    state::AppState,
};
use tlog::status::{BundleHeader, Statement};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(certificate_status)).routes(routes!(bulk_status))
}

/// A certificate's signed status (`dataip.status/v1`): computed from its
/// ledger entries up to the latest checkpoint (the latest every configured
/// witness cosigned), signed with the registry's key over the RFC 8785 form
/// without `signature` and `proof`, with the C2SP tlog-proof of its latest
/// entry into that checkpoint. A change not yet in it answers the status at
/// the checkpoint with `"pending": true`; a well-formed number never issued
/// answers `"status": "unknown"` (signed, without a proof). `dataip verify
/// --status FILE --policy P` checks it offline. A verified relying party's
/// API key (`Authorization: Bearer dipk_…`) raises the allowance; it does
/// nothing else here.
#[utoipa::path(get, path = "/public/certificates/{certificate_number}/status", tag = "public",
    operation_id = "getCertificateStatus", security((), ("bearer" = [])),
    params(("certificate_number" = String, Path, description = "The certificate number, 17 digits", example = "20261131000000001")),
    responses(
    (status = 200, description = "The signed statement (`Cache-Control: no-store`)", body = Statement),
    Always,
    (status = 401, description = "An Authorization header that is not a valid API key (`code`: `unauthorized`)", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "An API key of an organization that is not a verified relying party (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Not a well-formed certificate number (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Past the allowance of this client address (`throttle.status_queries_per_address`) or relying party (`throttle.status_queries_per_relying_party`) (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn certificate_status(
    State(state): State<AppState>,
    asker: StatusAsker,
    Path(number): Path<String>,
) -> ApiResult<Json<Statement>> {
    let number = status::parse_number(&number)?;
    relying_parties::admit(&state, asker, 1).await?;
    status::log_numbers(&state, std::slice::from_ref(&number));
    Ok(Json(status::one(&state, &number).await?))
}

/// Signed statements of up to 1,000 certificates at one checkpoint, as
/// NDJSON streamed a hundred at a time: first the bundle's header (the
/// checkpoint with its cosignatures, `dataip.status-bundle/v1`), then one
/// statement per number asked, in the order asked, each as the single
/// answer would give it. `dataip verify --status FILE --policy P` checks
/// the whole bundle offline. Each number counts against the allowance.
#[utoipa::path(post, path = "/public/status", tag = "public", operation_id = "getStatusBundle",
    security((), ("bearer" = [])), request_body = StatusQuery,
    responses(
    (status = 200, description = "The bundle: a `BundleHeader` line, then one `Statement` line per number (`Cache-Control: no-store`)", content_type = "application/x-ndjson", body = BundleHeader),
    Always, JsonBody,
    (status = 401, description = "An Authorization header that is not a valid API key (`code`: `unauthorized`)", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "An API key of an organization that is not a verified relying party (`code`: `forbidden`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "The numbers asked would pass the allowance of this client address or relying party (`code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn bulk_status(
    State(state): State<AppState>,
    asker: StatusAsker,
    Json(query): Json<StatusQuery>,
) -> ApiResult<Response> {
    let numbers = status::parse_query(query)?;
    relying_parties::admit(&state, asker, numbers.len()).await?;
    status::log_numbers(&state, &numbers);
    let snapshot = status::snapshot(&state).await?;
    let header_line = status::line(&snapshot.header(numbers.len()))?;
    let rounds: Vec<Vec<String>> = numbers.chunks(status::ROUND).map(<[String]>::to_vec).collect();
    let statements = futures_util::stream::iter(rounds).then(move |round| {
        let (state, snapshot) = (state.clone(), snapshot.clone());
        async move {
            let statements = status::statements(&state, &snapshot, &round).await?;
            let mut bytes = Vec::new();
            for statement in &statements {
                bytes.extend_from_slice(&status::line(statement)?);
            }
            Ok::<_, crate::services::Error>(bytes::Bytes::from(bytes))
        }
    });
    let body = futures_util::stream::once(async move { Ok(header_line) }).chain(statements).map(|chunk| {
        chunk.map_err(|error| {
            // The answer has begun: the client sees it end early (its header
            // announces how many statements follow).
            tracing::error!(%error, "a status bundle broke off");
            std::io::Error::other(error.to_string())
        })
    });
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(body)).into_response())
}
