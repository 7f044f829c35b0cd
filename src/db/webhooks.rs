//! An organization's webhook endpoints, and their deliveries (outbox rows of
//! channel `webhook`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

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

/// By id alone, deleted ones included: for delivering what was queued.
pub async fn find_any(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<(WebhookRow, bool)>> {
    let row = sqlx::query!(
        "SELECT id, org_id, url, events, secret, previous_secret, previous_secret_until, created_at, failing_since,
                deleted_at IS NOT NULL AS \"deleted!\"
         FROM webhooks WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let webhook = WebhookRow {
            id: r.id,
            org_id: r.org_id,
            url: r.url,
            events: r.events,
            secret: r.secret,
            previous_secret: r.previous_secret,
            previous_secret_until: r.previous_secret_until,
            created_at: r.created_at,
            failing_since: r.failing_since,
        };
        (webhook, r.deleted)
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

pub async fn set_failing(conn: &mut PgConnection, id: Uuid, since: Option<DateTime<Utc>>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE webhooks SET failing_since = $2 WHERE id = $1", id, since).execute(conn).await?;
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
         VALUES ($1, $2, 'webhook', $3, 'en', $4, $5, $5, $6)",
        id,
        kind,
        webhook.1,
        Json(facts) as _,
        now,
        webhook.0
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
        "UPDATE outbox SET delivered_at = NULL, abandoned_at = NULL, next_attempt_at = $3, attempts = 0
         WHERE webhook_id = $1 AND id = $2",
        webhook_id,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The outcome of one attempt: its response code and how long it took.
pub async fn record_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    status: Option<i32>,
    latency_ms: i32,
) -> sqlx::Result<()> {
    sqlx::query!("UPDATE outbox SET response_status = $2, latency_ms = $3 WHERE id = $1", id, status, latency_ms)
        .execute(conn)
        .await?;
    Ok(())
}
