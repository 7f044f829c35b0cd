//! An organization's webhook endpoints, and their deliveries (outbox rows of
//! channel `webhook`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::outbox::{Channel, OutboxRow};
use crate::notifications::messages::Facts;

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub secret: Vec<u8>,
    pub previous_secret: Option<Vec<u8>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub failing_since: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, row: &WebhookRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO webhooks (id, org_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        row.id,
        row.org_id,
        row.url,
        &row.events,
        row.secret,
        row.created_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Vec<WebhookRow>> {
    sqlx::query_as!(
        WebhookRow,
        "SELECT id, org_id, url, events, secret, previous_secret, previous_secret_until, created_at, failing_since
         FROM webhooks WHERE org_id = $1 AND deleted_at IS NULL ORDER BY id",
        org_id
    )
    .fetch_all(conn)
    .await
}

pub async fn find(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<WebhookRow>> {
    sqlx::query_as!(
        WebhookRow,
        "SELECT id, org_id, url, events, secret, previous_secret, previous_secret_until, created_at, failing_since
         FROM webhooks WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
        org_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// An endpoint as a delivery needs it: deleted ones too (their deliveries
/// are dropped), and its circuit breaker's count.
#[derive(Debug, Clone)]
pub struct DeliveryTarget {
    pub webhook: WebhookRow,
    pub deleted: bool,
    /// Failed deliveries since the last success.
    pub consecutive_failures: i32,
}

/// By id alone, deleted ones included: for delivering what was queued.
pub async fn find_target(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<DeliveryTarget>> {
    let row = sqlx::query!(
        "SELECT id, org_id, url, events, secret, previous_secret, previous_secret_until, created_at, failing_since,
                deleted_at IS NOT NULL AS \"deleted!\", consecutive_failures
         FROM webhooks WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| DeliveryTarget {
        webhook: WebhookRow {
            id: r.id,
            org_id: r.org_id,
            url: r.url,
            events: r.events,
            secret: r.secret,
            previous_secret: r.previous_secret,
            previous_secret_until: r.previous_secret_until,
            created_at: r.created_at,
            failing_since: r.failing_since,
        },
        deleted: r.deleted,
        consecutive_failures: r.consecutive_failures,
    }))
}

pub async fn delete(conn: &mut PgConnection, org_id: Uuid, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE webhooks SET deleted_at = $3 WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
        org_id,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The organization's endpoints that take `kind` and are not failing.
pub async fn subscribed(conn: &mut PgConnection, org_id: Uuid, kind: &str) -> sqlx::Result<Vec<(Uuid, String)>> {
    let prefix = kind.split_once('.').map(|(prefix, _)| format!("{prefix}.*")).unwrap_or_default();
    let rows = sqlx::query!(
        "SELECT id, url FROM webhooks
         WHERE org_id = $1 AND deleted_at IS NULL AND failing_since IS NULL
           AND ($2 = ANY(events) OR $3 = ANY(events) OR '*' = ANY(events))
         ORDER BY id",
        org_id,
        kind,
        prefix
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.url)).collect())
}

/// [`subscribed`] for several organizations and kinds at once: each
/// `(org_id, kind)` with its endpoints, in the order of the pairs given and
/// by endpoint id within a pair.
pub async fn subscribed_each(
    conn: &mut PgConnection,
    wanted: &[(Uuid, &str)],
) -> sqlx::Result<Vec<(usize, Uuid, String)>> {
    let (org_ids, kinds): (Vec<Uuid>, Vec<&str>) = wanted.iter().copied().unzip();
    let prefixes: Vec<String> = kinds
        .iter()
        .map(|kind| kind.split_once('.').map(|(prefix, _)| format!("{prefix}.*")).unwrap_or_default())
        .collect();
    let rows = sqlx::query!(
        r#"SELECT t.n AS "n!", w.id, w.url FROM UNNEST($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY
                AS t(org_id, kind, prefix, n)
           JOIN webhooks w ON w.org_id = t.org_id AND w.deleted_at IS NULL AND w.failing_since IS NULL
                AND (t.kind = ANY(w.events) OR t.prefix = ANY(w.events) OR '*' = ANY(w.events))
           ORDER BY t.n, w.id"#,
        &org_ids,
        &kinds as &[&str],
        &prefixes,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (usize::try_from(r.n - 1).unwrap_or(usize::MAX), r.id, r.url)).collect())
}

/// Clears the failing mark and closes the circuit breaker: the owner says
/// the endpoint works again.
pub async fn enable(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE webhooks SET failing_since = NULL, consecutive_failures = 0, paused_until = NULL WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn rotate(
    conn: &mut PgConnection,
    id: Uuid,
    secret: &[u8],
    previous_until: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = $3, secret = $2 WHERE id = $1",
        id,
        secret,
        previous_until
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues one delivery.
pub async fn enqueue(
    conn: &mut PgConnection,
    webhook: (Uuid, &str),
    kind: &str,
    facts: &Facts,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO outbox (id, kind, channel, recipient, language, payload, created_at, next_attempt_at, webhook_id)
         VALUES ($1, $2, $7, $3, 'en', $4, $5, $5, $6)",
        id,
        kind,
        webhook.1,
        Json(facts) as _,
        now,
        webhook.0,
        Channel::Webhook as Channel,
    )
    .execute(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub delivered_at: Option<DateTime<Utc>>,
    pub abandoned_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub response_status: Option<i32>,
    pub latency_ms: Option<i32>,
    pub last_error: Option<String>,
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(conn: &mut PgConnection, webhook_id: Uuid, limit: i64) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as!(
        DeliveryRow,
        "SELECT id, kind, created_at, attempts, delivered_at, abandoned_at, next_attempt_at, response_status,
                latency_ms, last_error
         FROM outbox WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        webhook_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Queues a delivery again, under the same `webhook-id`.
pub async fn redeliver(conn: &mut PgConnection, webhook_id: Uuid, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        // A claim in flight loses the delivery: its outcome is not recorded,
        // and the delivery is sent again.
        "UPDATE outbox SET delivered_at = NULL, abandoned_at = NULL, next_attempt_at = $3, attempts = 0,
                claim_id = NULL
         WHERE webhook_id = $1 AND id = $2",
        webhook_id,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Claims up to `limit` endpoints with deliveries due, oldest due first,
/// in one statement: each leased to `lease_id` until `lease_until`, so that
/// one worker at a time delivers to an endpoint. Endpoints whose circuit
/// breaker is open wait (deleted ones do not: their deliveries are only
/// dropped). Nothing stays locked.
pub async fn claim_due_endpoints(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    lease_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "WITH due AS (
             SELECT webhook_id, min(next_attempt_at) AS since FROM outbox
             WHERE channel = 'webhook' AND delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $1
             GROUP BY webhook_id
         ), free AS (
             SELECT w.id FROM webhooks w JOIN due ON due.webhook_id = w.id
             WHERE (w.lease_until IS NULL OR w.lease_until <= $1)
               AND (w.paused_until IS NULL OR w.paused_until <= $1 OR w.deleted_at IS NOT NULL)
             ORDER BY due.since, w.id LIMIT $4
             FOR UPDATE OF w SKIP LOCKED
         )
         UPDATE webhooks w SET lease_id = $3, lease_until = $2 FROM free WHERE w.id = free.id
         RETURNING w.id",
        now,
        lease_until,
        lease_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Claims the endpoint's oldest delivery due, under the endpoint's lease,
/// which it renews until `lease_until`: the delivery's attempts counted,
/// `claim_id` made this claim's and `next_attempt_at` moved to
/// `lease_until`. `None` when nothing is due or the lease is no longer
/// `lease_id`'s.
pub async fn claim_next_delivery(
    conn: &mut PgConnection,
    webhook_id: Uuid,
    lease_id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    claim_id: Uuid,
) -> sqlx::Result<Option<OutboxRow>> {
    sqlx::query_as!(
        OutboxRow,
        r#"WITH endpoint AS (
               UPDATE webhooks SET lease_until = $4 WHERE id = $1 AND lease_id = $2 RETURNING id
           )
           UPDATE outbox SET attempts = attempts + 1, claim_id = $5, next_attempt_at = $4
           WHERE id = (
               SELECT o.id FROM outbox o JOIN endpoint ON o.webhook_id = endpoint.id
               WHERE o.channel = 'webhook' AND o.delivered_at IS NULL AND o.abandoned_at IS NULL
                 AND o.next_attempt_at <= $3
               ORDER BY o.next_attempt_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED
           )
           RETURNING id, kind, channel AS "channel: Channel", recipient, language, payload AS "payload: Json<Facts>",
                     attempts, user_id, webhook_id, created_at"#,
        webhook_id,
        lease_id,
        now,
        lease_until,
        claim_id
    )
    .fetch_optional(conn)
    .await
}

/// Gives the endpoint's lease back, if it is still `lease_id`'s.
pub async fn release(conn: &mut PgConnection, webhook_id: Uuid, lease_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE webhooks SET lease_id = NULL, lease_until = NULL WHERE id = $1 AND lease_id = $2",
        webhook_id,
        lease_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the endpoint's answer was, if it answered: its status and how long
/// it took.
#[derive(Debug, Clone, Copy)]
pub struct Answered {
    pub status: i32,
    pub latency_ms: i32,
}

/// Records a delivery made under `claim_id` and closes the endpoint's
/// circuit (clearing a failing mark too), in one statement. False, and
/// nothing changed, when the claim is no longer the delivery's.
pub async fn record_delivered(
    conn: &mut PgConnection,
    id: Uuid,
    claim_id: Uuid,
    answered: Answered,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "WITH recorded AS (
             UPDATE outbox SET delivered_at = $5, last_error = NULL, response_status = $3, latency_ms = $4
             WHERE id = $1 AND claim_id = $2 AND delivered_at IS NULL AND abandoned_at IS NULL
             RETURNING webhook_id
         )
         UPDATE webhooks SET consecutive_failures = 0, paused_until = NULL, failing_since = NULL
         FROM recorded WHERE webhooks.id = recorded.webhook_id",
        id,
        claim_id,
        answered.status,
        answered.latency_ms,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A failed attempt, as recorded.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    /// What the endpoint's owner may read (`last_error`).
    pub error: &'a str,
    pub answered: Option<Answered>,
    /// The next attempt; `None`: the retries ran out, the delivery is
    /// abandoned and the endpoint marked failing.
    pub retry_at: Option<DateTime<Utc>>,
    /// The endpoint's failures in a row, this one included, and until when
    /// its circuit is open.
    pub consecutive_failures: i32,
    pub paused_until: DateTime<Utc>,
}

/// Records a failed attempt made under `claim_id` and opens the endpoint's
/// circuit, in one statement. False, and nothing changed, when the claim is
/// no longer the delivery's.
pub async fn record_failed(
    conn: &mut PgConnection,
    id: Uuid,
    claim_id: Uuid,
    failure: &Failure<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "WITH recorded AS (
             UPDATE outbox SET last_error = $3, response_status = $4, latency_ms = $5,
                    next_attempt_at = COALESCE($6::timestamptz, next_attempt_at),
                    abandoned_at = CASE WHEN $6::timestamptz IS NULL THEN $9::timestamptz END
             WHERE id = $1 AND claim_id = $2 AND delivered_at IS NULL AND abandoned_at IS NULL
             RETURNING webhook_id
         )
         UPDATE webhooks SET consecutive_failures = $7, paused_until = $8,
                failing_since = CASE WHEN $6::timestamptz IS NULL THEN COALESCE(failing_since, $9) ELSE failing_since END
         FROM recorded WHERE webhooks.id = recorded.webhook_id",
        id,
        claim_id,
        failure.error,
        failure.answered.map(|a| a.status),
        failure.answered.map(|a| a.latency_ms),
        failure.retry_at,
        failure.consecutive_failures,
        failure.paused_until,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
