//! /organization/webhooks: an organization's endpoints for machine
//! notifications, their deliveries, pings, secret rotation.

use axum::{extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::responses::{Always, AsOwner, BadRequest, JsonBody};
use crate::http::{
    error::{ApiResult, Problem},
    extract::{Json, Path},
};
use crate::{
    auth::Owner,
    services::notifications::webhooks::{self, DeliveryView, NewWebhook, WebhookView, WebhookWithSecret},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(ping))
        .routes(routes!(rotate_secret))
        .routes(routes!(enable))
}

/// Registers an endpoint; its signing secret is in this answer only.
#[utoipa::path(post, path = "/organization/webhooks", tag = "webhooks", operation_id = "createWebhook",
    security(("bearer" = [])), request_body = NewWebhook, responses(
    (status = 201, description = "The endpoint, with its secret", body = WebhookWithSecret),
    Always, JsonBody, AsOwner,
    (status = 422, description = "Not an http(s) URL, an address that is not public (unless `webhooks.allow_private_addresses`), or a kind not in the event catalogue (`code`: `validation_failed`)", body = Problem, content_type = "application/problem+json"),
))]
async fn create_webhook(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&state, owner, request).await?)))
}

/// The organization's endpoints.
#[utoipa::path(get, path = "/organization/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    security(("bearer" = [])), responses(
    (status = 200, description = "The endpoints", body = Vec<WebhookView>),
    Always, AsOwner,
))]
async fn list_webhooks(State(state): State<AppState>, owner: Owner) -> ApiResult<Json<Vec<WebhookView>>> {
    Ok(Json(webhooks::list(&state, owner).await?))
}

/// Removes an endpoint: nothing more is sent to it.
#[utoipa::path(delete, path = "/organization/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id")), responses(
    (status = 204, description = "Removed"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn delete_webhook(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    webhooks::delete(&state, owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's last 100 deliveries, newest first: status, attempts,
/// response code and latency, and why the last attempt failed in general
/// terms (`the endpoint answered 503`, `the endpoint could not be reached`).
#[utoipa::path(get, path = "/organization/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listWebhookDeliveries",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id")), responses(
    (status = 200, description = "The deliveries", body = Vec<DeliveryView>),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn list_deliveries(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    Ok(Json(webhooks::deliveries(&state, owner, id).await?))
}

/// Sends a delivery again, with the same `webhook-id`; an organization may
/// ask for `throttle.webhook_redeliveries_per_organization` per
/// `throttle.webhook_redelivery_window`.
#[utoipa::path(post, path = "/organization/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    operation_id = "redeliverWebhook", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id"), ("delivery_id" = Uuid, Path, description = "The delivery's id")),
    responses(
    (status = 202, description = "Queued"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint or delivery in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "The organization has asked for as many redeliveries as it may in this window (`throttle.webhook_redeliveries_per_organization`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until the window ends"))),
))]
async fn redeliver(
    State(state): State<AppState>,
    owner: Owner,
    Path((id, delivery)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    webhooks::redeliver(&state, owner, id, delivery).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedDelivery {
    /// The delivery, as `GET .../deliveries` lists it.
    pub id: Uuid,
}

/// Queues a `webhook.ping` delivery, to try the endpoint; an organization
/// may ask for `throttle.webhook_pings_per_organization` per
/// `throttle.webhook_ping_window`.
#[utoipa::path(post, path = "/organization/webhooks/{id}/ping", tag = "webhooks", operation_id = "pingWebhook",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id")), responses(
    (status = 202, description = "Queued", body = QueuedDelivery),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "The organization has asked for as many pings as it may in this window (`throttle.webhook_pings_per_organization`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until the window ends"))),
))]
async fn ping(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<QueuedDelivery>)> {
    Ok((StatusCode::ACCEPTED, Json(QueuedDelivery { id: webhooks::ping(&state, owner, id).await? })))
}

/// A new signing secret, in this answer only; for a day deliveries are
/// signed with the old one too, so the receiver can switch.
#[utoipa::path(post, path = "/organization/webhooks/{id}/rotate-secret", tag = "webhooks", operation_id = "rotateWebhookSecret",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id")), responses(
    (status = 200, description = "The endpoint, with its new secret", body = WebhookWithSecret),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn rotate_secret(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<WebhookWithSecret>> {
    Ok(Json(webhooks::rotate(&state, owner, id).await?))
}

/// Clears the failing mark and closes the endpoint's circuit: deliveries
/// resume at once.
#[utoipa::path(post, path = "/organization/webhooks/{id}/enable", tag = "webhooks", operation_id = "enableWebhook",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id")), responses(
    (status = 200, description = "The endpoint", body = WebhookView),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such endpoint in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn enable(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<Json<WebhookView>> {
    Ok(Json(webhooks::enable(&state, owner, id).await?))
}
