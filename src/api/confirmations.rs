//! /confirmations: the acts that await the caller's party's word (a
//! transferee's acceptance, a pledgee's confirmation or consent); and
//! /public/confirmations/{token}: the same word given by a single-use link
//! mailed to a counterparty with no account here.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsTenant, BadRequest, JsonBody};
use crate::http::{
    client_addr::ClientAddr,
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    auth::Tenant,
    services::certificates::acts::{
        ActView,
        confirmations::{self, Answer, LinkAnswer, LinkRequest},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(awaiting)).routes(routes!(confirm)).routes(routes!(decline))
}

/// The acts awaiting the caller's party's word, oldest first: transfers to
/// it, pledges to it and their holder's releases, acts that need its
/// consent as pledgee of record (a second pledge, a transfer, a
/// cancellation, an exclusive licence), and licences to it where licences
/// need confirmation; until it answers or they lapse
/// (`workflow.counterparty_period`).
#[utoipa::path(get, path = "/confirmations", tag = "certificates", operation_id = "listConfirmations",
    security(("bearer" = [])), responses(
    (status = 200, description = "The acts, `state: awaiting_confirmation`", body = Vec<ActView>),
    Always, AsTenant,
))]
async fn awaiting(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Json<Vec<ActView>>> {
    Ok(Json(confirmations::awaiting(&state, tenant).await?))
}

/// Confirms an act awaiting the caller's party (every word it awaits from
/// it): the act goes to review (`pending`) once no other word is awaited.
/// Who answered, when and from which client address are recorded.
#[utoipa::path(post, path = "/confirmations/{act_id}/confirm", tag = "certificates", operation_id = "confirmAct",
    security(("bearer" = [])), params(("act_id" = Uuid, Path, description = "The act's id")), responses(
    (status = 200, description = "The act: `pending` review, or still `awaiting_confirmation` another's word", body = ActView),
    Always, BadRequest, AsTenant,
    (status = 404, description = "No act awaits this party's word under that id (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The act no longer awaits an answer: it was answered, lapsed or became moot (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn confirm(
    State(state): State<AppState>,
    tenant: Tenant,
    ClientAddr(from): ClientAddr,
    Path(act_id): Path<Uuid>,
) -> ApiResult<Json<ActView>> {
    Ok(Json(confirmations::answer(&state, tenant, act_id, true, from).await?))
}

/// Declines an act awaiting the caller's party: it is rejected, and its
/// holder is told.
#[utoipa::path(post, path = "/confirmations/{act_id}/decline", tag = "certificates", operation_id = "declineAct",
    security(("bearer" = [])), params(("act_id" = Uuid, Path, description = "The act's id")), responses(
    (status = 200, description = "The act, now `rejected`", body = ActView),
    Always, BadRequest, AsTenant,
    (status = 404, description = "No act awaits this party's word under that id (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The act no longer awaits an answer (`code`: `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
))]
async fn decline(
    State(state): State<AppState>,
    tenant: Tenant,
    ClientAddr(from): ClientAddr,
    Path(act_id): Path<Uuid>,
) -> ApiResult<Json<ActView>> {
    Ok(Json(confirmations::answer(&state, tenant, act_id, false, from).await?))
}

/// The single-use links mailed to counterparties with no account here.
pub fn by_link() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(link_request, link_answer))
}

/// What a confirmation link asks: the act (its terms, contacts left out),
/// the certificate, its holder, the due date, and the answer once given.
/// Changes nothing (mail scanners follow links). The portal's
/// `/confirm/{token}` shows the same, with the buttons.
#[utoipa::path(get, path = "/public/confirmations/{token}", tag = "public", operation_id = "getConfirmationByLink",
    security(), params(("token" = String, Path, description = "The token the mailed link carries")), responses(
    (status = 200, description = "What is asked", body = LinkRequest),
    Always,
    (status = 404, description = "No confirmation has this token (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many unknown tokens from this client address (`code`: `rate_limited`)", body = Problem, content_type = "application/problem+json"),
))]
async fn link_request(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> ApiResult<Json<LinkRequest>> {
    Ok(Json(confirmations::by_link(&state, &token, client).await?))
}

/// Answers by a confirmation link, once: `confirm` (the act goes to review
/// once no other word is awaited) or `decline` (it is rejected, and its
/// holder told). Recorded with the link's address, the time and the client
/// address.
#[utoipa::path(post, path = "/public/confirmations/{token}", tag = "public", operation_id = "answerConfirmationByLink",
    security(), params(("token" = String, Path, description = "The token the mailed link carries")),
    request_body = LinkAnswer, responses(
    (status = 200, description = "The answer, recorded, and where the act stands", body = LinkRequest),
    Always, JsonBody,
    (status = 404, description = "No confirmation has this token (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Answered already, or the act no longer awaits answers: it lapsed, was declined by another, or became moot (`code`: `conflict` or `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many unknown tokens from this client address (`code`: `rate_limited`)", body = Problem, content_type = "application/problem+json"),
))]
async fn link_answer(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    Json(request): Json<LinkAnswer>,
) -> ApiResult<Json<LinkRequest>> {
    let confirmed = request.answer == Answer::Confirm;
    Ok(Json(confirmations::answer_by_link(&state, &token, confirmed, client).await?))
}
