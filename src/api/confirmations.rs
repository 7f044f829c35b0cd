//! /confirmations: the acts that name the caller's party as counterparty
//! and await its word (a transfer, the transferee's acceptance).

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsTenant, BadRequest};
use crate::http::{
    client_addr::ClientAddr,
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    auth::Tenant,
    services::certificates::acts::{ActView, confirmations},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(awaiting)).routes(routes!(confirm)).routes(routes!(decline))
}

/// The acts awaiting the caller's party's word, oldest first: transfers to
/// it, until it accepts or declines them or they lapse
/// (`workflow.counterparty_period`).
#[utoipa::path(get, path = "/confirmations", tag = "certificates", operation_id = "listConfirmations",
    security(("bearer" = [])), responses(
    (status = 200, description = "The acts, `state: awaiting_confirmation`", body = Vec<ActView>),
    Always, AsTenant,
))]
async fn awaiting(State(state): State<AppState>, tenant: Tenant) -> ApiResult<Json<Vec<ActView>>> {
    Ok(Json(confirmations::awaiting(&state, tenant).await?))
}

/// Confirms an act awaiting the caller's party: a transfer is accepted and
/// goes to review (`pending`). Who answered, when and from which client
/// address are recorded.
#[utoipa::path(post, path = "/confirmations/{act_id}/confirm", tag = "certificates", operation_id = "confirmAct",
    security(("bearer" = [])), params(("act_id" = Uuid, Path, description = "The act's id")), responses(
    (status = 200, description = "The act, now `pending` review", body = ActView),
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
