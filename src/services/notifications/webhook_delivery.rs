//! Delivering webhooks without holding anything up, as anchoring publishes
//! checkpoints: claim in one short statement, send with no transaction or
//! connection held, record in one short statement only if the claim is
//! still ours.
//!
//! Two leases, both lapsing on their own if the worker holding them dies:
//!
//! - An endpoint's lease (`webhooks.lease_id` until `lease_until`): one
//!   worker, in this process or another, delivers to an endpoint at a time,
//!   one delivery after another, so an endpoint never has more than one
//!   request of ours open. A worker claims up to `webhooks.endpoints_at_once`
//!   endpoints with deliveries due and works on them side by side, each on
//!   its own; an endpoint that never answers holds up only its own
//!   deliveries, never another endpoint's and never mail (delivered by a task
//!   of its own, [`crate::services::notifications::deliver_mail_due`]).
//! - A delivery's claim (`outbox.claim_id`, with `next_attempt_at` moved to
//!   the lease's end): taken under the endpoint's lease, which it renews, it
//!   counts the attempt and fences the outcome: a worker whose claim lapsed
//!   (and was taken by another) records nothing. A delivery may thus be sent
//!   twice, never lost: at least once, with the same `webhook-id` (its outbox
//!   id) every time, so receivers drop duplicates.
//!
//! Each endpoint has a circuit breaker: after a failed delivery nothing more
//! is sent to it for `webhooks.circuit_pause`, doubling with each failure in
//! a row up to an hour; then one delivery tries it (the circuit half open),
//! and a success closes it. A dead endpoint costs one attempt per pause.
//!
//! Today each outbox row is one event for one endpoint, written with the
//! event. One row per event, fanned out at delivery, fits the same leases:
//! a fan-out step would claim an event row (as mail is claimed) and, in one
//! statement, insert a delivery row per subscribed endpoint (keyed by event
//! and endpoint, so a repeated fan-out inserts nothing twice) and mark the
//! event fanned out; the endpoint leases and delivery claims below then work
//! on those delivery rows unchanged, since they ask only for an endpoint's
//! oldest delivery due, never how it came to be.

use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::notifications::webhook_client::guard_literal;
use crate::services::{
    Error, Result,
    notifications::webhooks::{Data, Payload, describe, sign},
};
use crate::{
    db::{
        self,
        outbox::OutboxRow,
        webhooks::{Answered, DeliveryTarget, Failure},
    },
    state::AppState,
};

/// Deliveries sent under one lease of an endpoint before it is given back,
/// so that a busy endpoint takes turns with the others.
const PER_LEASE: usize = 20;

/// The longest an endpoint's circuit stays open.
const MAX_PAUSE: chrono::Duration = chrono::Duration::hours(1);

/// What the endpoint's owner reads when no answer came: whether the name
/// resolved, to what, or whether a port is open is not theirs to learn.
pub const UNREACHABLE: &str = "the endpoint could not be reached";

/// The endpoint was deleted after the delivery was queued.
const DELETED: &str = "the endpoint was deleted";

/// An endpoint this worker holds.
#[derive(Debug, Clone, Copy)]
pub struct EndpointLease {
    pub webhook_id: Uuid,
    pub lease_id: Uuid,
}

/// When a lease taken at `now` lapses: `webhooks.timeout` and a margin.
fn lease_end(state: &AppState, now: DateTime<Utc>) -> DateTime<Utc> {
    crate::services::lease::end(now, state.config.webhooks.timeout)
}

/// Claims up to `limit` endpoints with deliveries due, oldest due first.
pub async fn claim_endpoints(state: &AppState, limit: usize) -> Result<Vec<EndpointLease>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let lease_id = Uuid::now_v7();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut conn = state.db.acquire().await?;
    let claimed = db::webhooks::claim_due_endpoints(&mut conn, now, lease_end(state, now), lease_id, limit).await?;
    Ok(claimed.into_iter().map(|webhook_id| EndpointLease { webhook_id, lease_id }).collect())
}

/// Delivers what is due to a leased endpoint, one delivery after another,
/// until nothing is due, one fails (its circuit opens), [`PER_LEASE`] were
/// sent, or `stop` is cancelled (the delivery in hand is finished); then
/// gives the lease back. Returns how many were delivered.
pub async fn deliver_to(state: &AppState, lease: EndpointLease, stop: &CancellationToken) -> Result<u64> {
    let delivered = deliver_leased(state, lease, stop).await;
    // Given back after an error too, so the endpoint need not wait for the
    // lease to lapse.
    let mut conn = state.db.acquire().await?;
    db::webhooks::release(&mut conn, lease.webhook_id, lease.lease_id).await?;
    delivered
}

async fn deliver_leased(state: &AppState, lease: EndpointLease, stop: &CancellationToken) -> Result<u64> {
    let mut delivered = 0;
    for _ in 0..PER_LEASE {
        if stop.is_cancelled() {
            break;
        }
        let now = state.clock.now();
        let claim_id = Uuid::now_v7();
        let claimed = {
            let mut conn = state.db.acquire().await?;
            let (webhook_id, lease_id, until) = (lease.webhook_id, lease.lease_id, lease_end(state, now));
            db::webhooks::claim_next_delivery(&mut conn, webhook_id, lease_id, now, until, claim_id).await?
        };
        let Some(message) = claimed else { break };
        match attempt(state, &message, claim_id).await? {
            Settled::Delivered => delivered += 1,
            Settled::Dropped => {}
            // The circuit is open: the rest wait for it.
            Settled::Failed => break,
        }
    }
    Ok(delivered)
}

/// How a claimed delivery ended.
enum Settled {
    Delivered,
    Failed,
    Dropped,
}

/// What came of sending.
enum Sent {
    Answered(Answered),
    /// No answer; the detail is for the log only.
    Unreachable(String),
}

/// Sends one claimed delivery and records what came of it.
async fn attempt(state: &AppState, message: &OutboxRow, claim_id: Uuid) -> Result<Settled> {
    let target = match message.webhook_id {
        Some(webhook_id) => db::webhooks::find_target(&mut *state.db.acquire().await?, webhook_id).await?,
        None => None,
    };
    let Some(target) = target.filter(|target| !target.deleted) else {
        let now = state.clock.now();
        db::outbox::record_failed(&mut *state.db.acquire().await?, message.id, claim_id, DELETED, None, now).await?;
        return Ok(Settled::Dropped);
    };
    // No connection is held while the endpoint takes its time.
    let sent = send(state, &target, message).await?;
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let (recorded, settled) = match sent {
        Sent::Answered(answered) if (200..300).contains(&answered.status) => {
            (db::webhooks::record_delivered(&mut conn, message.id, claim_id, answered, now).await?, Settled::Delivered)
        }
        sent => {
            let (error, answered) = match sent {
                Sent::Answered(answered) => {
                    tracing::warn!(outbox_id = %message.id, webhook_id = %target.webhook.id, attempt = message.attempts,
                        status = answered.status, "webhook delivery refused by the endpoint");
                    (format!("the endpoint answered {}", answered.status), Some(answered))
                }
                Sent::Unreachable(detail) => {
                    tracing::warn!(outbox_id = %message.id, webhook_id = %target.webhook.id, attempt = message.attempts,
                        error = %detail, "webhook delivery failed: no answer");
                    (UNREACHABLE.to_owned(), None)
                }
            };
            let max_attempts = state.config.webhooks.max_attempts;
            let attempts = u32::try_from(message.attempts).unwrap_or(u32::MAX);
            let retry_at = (attempts < max_attempts).then(|| now + crate::services::notifications::backoff(attempts));
            let consecutive_failures = target.consecutive_failures.saturating_add(1);
            let pause = circuit_pause(state.config.webhooks.circuit_pause.get(), consecutive_failures);
            let failure =
                Failure { error: &error, answered, retry_at, consecutive_failures, paused_until: now + pause };
            let recorded = db::webhooks::record_failed(&mut conn, message.id, claim_id, &failure, now).await?;
            if recorded && retry_at.is_none() {
                tracing::warn!(outbox_id = %message.id, webhook_id = %target.webhook.id,
                    "webhook delivery abandoned after its last attempt; the endpoint is marked failing");
            }
            (recorded, Settled::Failed)
        }
    };
    if !recorded {
        tracing::warn!(outbox_id = %message.id, webhook_id = %target.webhook.id,
            "webhook delivery outlived its claim: its outcome is not recorded (it may be sent again)");
    }
    Ok(settled)
}

/// Posts the delivery, signed, within `webhooks.timeout` as a whole.
async fn send(state: &AppState, target: &DeliveryTarget, message: &OutboxRow) -> Result<Sent> {
    let webhook = &target.webhook;
    let body = serde_json::to_vec(&Payload {
        kind: &message.kind,
        timestamp: message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        data: Data::of(&message.payload.0),
    })
    .map_err(|e| Error::Internal(e.into()))?;
    let msg_id = format!("msg_{}", message.id.simple());
    // Wall-clock seconds: receivers compare them with their own clocks.
    let timestamp = Utc::now().timestamp();
    let now = state.clock.now();
    let mut signatures = vec![sign(&webhook.secret, &msg_id, timestamp, &body)];
    if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_secret_until)
        && now < until
    {
        signatures.push(sign(previous, &msg_id, timestamp, &body));
    }
    let url = match reqwest::Url::parse(&webhook.url) {
        Ok(url) => url,
        Err(error) => return Ok(Sent::Unreachable(format!("not a URL: {error}"))),
    };
    if let Err(reason) = guard_literal(&url, &state.config.webhooks) {
        return Ok(Sent::Unreachable(reason));
    }
    let request = state
        .webhook_client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(body);
    let started = Instant::now();
    let limit = state.config.webhooks.timeout.get();
    Ok(match tokio::time::timeout(limit, request.send()).await {
        Ok(Ok(response)) => Sent::Answered(Answered {
            status: i32::from(response.status().as_u16()),
            latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        }),
        Ok(Err(error)) => Sent::Unreachable(describe(&error)),
        Err(_) => Sent::Unreachable(format!("no answer within {} (webhooks.timeout)", state.config.webhooks.timeout)),
    })
}

/// How long an endpoint's circuit stays open after its `failures`-th
/// failure in a row: `base`, doubling each time, at most an hour.
fn circuit_pause(base: std::time::Duration, failures: i32) -> chrono::Duration {
    let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(20);
    let base = chrono::Duration::from_std(base).unwrap_or(MAX_PAUSE);
    base.checked_mul(1 << doublings).unwrap_or(MAX_PAUSE).min(MAX_PAUSE)
}

/// Delivers every endpoint's due deliveries once, endpoints side by side
/// (`webhooks.endpoints_at_once` at a time): for a worker step, which
/// returns when it is done. The worker's own loop keeps its endpoints busy
/// without rounds (see `jobs`).
pub async fn deliver_due(state: &AppState) -> Result<u64> {
    let stop = CancellationToken::new();
    let at_once = usize::try_from(state.config.webhooks.endpoints_at_once).unwrap_or(1);
    let mut delivered = 0;
    // Bounded: an endpoint whose lease is lost keeps being due.
    for _ in 0..1000 {
        let leases = claim_endpoints(state, at_once).await?;
        if leases.is_empty() {
            break;
        }
        let rounds = futures_util::future::join_all(leases.into_iter().map(|lease| deliver_to(state, lease, &stop)));
        for round in rounds.await {
            delivered += round?;
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_circuit_waits_twice_as_long_after_each_failure_up_to_an_hour() {
        let minute = std::time::Duration::from_secs(60);
        let pauses: Vec<i64> = (1..=9).map(|n| circuit_pause(minute, n).num_minutes()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(circuit_pause(minute, i32::MAX), MAX_PAUSE);
        assert_eq!(circuit_pause(minute, 0).num_minutes(), 1);
    }
}
