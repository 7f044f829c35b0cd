//! Webhooks: an organization's endpoints, each subscribed to kinds of the
//! event catalogue (exact names, `prefix.*` or `*`); deliveries signed per
//! the Standard Webhooks specification, queued in the outbox with the event
//! and sent by the worker with retries. Endpoints on private, loopback and
//! link-local addresses are refused unless configured, checked against the
//! address resolved at delivery; redirects are never followed.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Instant,
};

use aws_lc_rs::hmac;
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Error, Result};
use crate::{
    auth::Owner,
    config::{Config, WebhooksConfig},
    db::{self, outbox::OutboxRow, webhooks::WebhookRow},
    notifications::{EventKind, messages::Facts},
    state::AppState,
};

const SECRET_PREFIX: &str = "whsec_";
/// While a rotation lasts, deliveries are signed with both secrets.
const ROTATION_OVERLAP_HOURS: i64 = 24;

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: `https://` (or `http://`).
    #[schema(example = "https://exchange.example/dataip/events", max_length = 2000, pattern = "^https?://[^\\s/?#@]+")]
    pub url: String,
    /// Kinds to receive: exact names (`application.registered`), a prefix
    /// (`objection.*`) or `*`.
    #[schema(min_items = 1, max_items = 30, example = json!(["application.*", "certificate.revoked"]))]
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Set when a delivery ran out of retries: nothing is sent until the
    /// owner enables the endpoint again.
    pub failing_since: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for WebhookView {
    fn from(row: WebhookRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            events: row.events,
            created_at: row.created_at,
            failing_since: row.failing_since,
        }
    }
}

/// A new endpoint, or a new secret: shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` + base64 of the signing key (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` it is sent with (the same on every retry and
    /// redelivery).
    pub id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// `pending`, `delivered` or `abandoned`.
    pub status: &'static str,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status, if the endpoint answered.
    pub response_status: Option<i32>,
    /// How long the last attempt took.
    pub latency_ms: Option<i32>,
    pub last_error: Option<String>,
}

/// The names a subscription may hold: kinds, `prefix.*`, `*`.
fn check_events(events: &[String]) -> Result<Vec<String>> {
    if events.is_empty() || events.len() > 30 {
        return Err(Error::field("events", "list 1 to 30 kinds"));
    }
    for (i, event) in events.iter().enumerate() {
        let known = event == "*"
            || EventKind::parse(event).is_some()
            || event.strip_suffix(".*").is_some_and(|prefix| {
                EventKind::ALL.iter().any(|kind| kind.as_str().split_once('.').is_some_and(|(p, _)| p == prefix))
            });
        if !known {
            return Err(Error::field(
                format!("events[{i}]"),
                format!("{event:?} is not a kind of the event catalogue"),
            ));
        }
    }
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    Ok(events)
}

fn check_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| Error::field("url", "is not a URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(Error::field("url", "must be an http(s) URL with a host, at most 2000 characters"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::field("url", "must not carry credentials"));
    }
    Ok(parsed)
}

fn new_secret() -> Result<Vec<u8>> {
    let mut secret = vec![0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(secret)
}

fn render_secret(secret: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(secret))
}

pub async fn create(state: &AppState, owner: Owner, request: NewWebhook) -> Result<WebhookWithSecret> {
    let url = check_url(&request.url)?;
    let events = check_events(&request.events)?;
    let secret = new_secret()?;
    let row = WebhookRow {
        id: Uuid::now_v7(),
        org_id: owner.org_id,
        url: url.to_string(),
        events,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_until: None,
        created_at: state.clock.now(),
        failing_since: None,
    };
    db::webhooks::insert(&mut *state.db.acquire().await?, &row).await?;
    tracing::info!(webhook_id = %row.id, "webhook created");
    Ok(WebhookWithSecret { webhook: row.into(), secret: render_secret(&secret) })
}

pub async fn list(state: &AppState, owner: Owner) -> Result<Vec<WebhookView>> {
    let rows = db::webhooks::list(&mut *state.db.acquire().await?, owner.org_id).await?;
    Ok(rows.into_iter().map(WebhookView::from).collect())
}

pub async fn delete(state: &AppState, owner: Owner, id: Uuid) -> Result<()> {
    let deleted = db::webhooks::delete(&mut *state.db.acquire().await?, owner.org_id, id, state.clock.now()).await?;
    deleted.then_some(()).ok_or(Error::NotFound)
}

async fn owned(conn: &mut PgConnection, owner: Owner, id: Uuid) -> Result<WebhookRow> {
    db::webhooks::find(conn, owner.org_id, id).await?.ok_or(Error::NotFound)
}

pub async fn deliveries(state: &AppState, owner: Owner, id: Uuid) -> Result<Vec<DeliveryView>> {
    let mut conn = state.db.acquire().await?;
    owned(&mut conn, owner, id).await?;
    let rows = db::webhooks::deliveries(&mut conn, id, 100).await?;
    Ok(rows
        .into_iter()
        .map(|row| DeliveryView {
            id: row.id,
            kind: row.kind,
            status: match (row.delivered_at, row.abandoned_at) {
                (Some(_), _) => "delivered",
                (None, Some(_)) => "abandoned",
                (None, None) => "pending",
            },
            attempts: row.attempts,
            created_at: row.created_at,
            next_attempt_at: (row.delivered_at.is_none() && row.abandoned_at.is_none()).then_some(row.next_attempt_at),
            delivered_at: row.delivered_at,
            response_status: row.response_status,
            latency_ms: row.latency_ms,
            last_error: row.last_error,
        })
        .collect())
}

/// Sends a delivery again, with its `webhook-id`.
pub async fn redeliver(state: &AppState, owner: Owner, id: Uuid, delivery: Uuid) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    owned(&mut conn, owner, id).await?;
    let queued = db::webhooks::redeliver(&mut conn, id, delivery, state.clock.now()).await?;
    queued.then_some(()).ok_or(Error::NotFound)
}

/// Queues a `webhook.ping` delivery, to try the endpoint.
pub async fn ping(state: &AppState, owner: Owner, id: Uuid) -> Result<Uuid> {
    let mut conn = state.db.acquire().await?;
    let webhook = owned(&mut conn, owner, id).await?;
    let facts = Facts::default();
    Ok(db::webhooks::enqueue(&mut conn, (webhook.id, &webhook.url), PING, &facts, state.clock.now()).await?)
}

/// The kind of a test delivery, outside the catalogue.
pub const PING: &str = "webhook.ping";

/// A new secret; the old one keeps signing too for a day, so that the
/// receiver can switch without losing a delivery.
pub async fn rotate(state: &AppState, owner: Owner, id: Uuid) -> Result<WebhookWithSecret> {
    let mut tx = state.db.begin().await?;
    owned(&mut tx, owner, id).await?;
    let secret = new_secret()?;
    let until = state.clock.now() + chrono::Duration::hours(ROTATION_OVERLAP_HOURS);
    db::webhooks::rotate(&mut tx, id, &secret, until).await?;
    let row = owned(&mut tx, owner, id).await?;
    tx.commit().await?;
    Ok(WebhookWithSecret { webhook: row.into(), secret: render_secret(&secret) })
}

/// Clears the failing mark: deliveries resume with the next event.
pub async fn enable(state: &AppState, owner: Owner, id: Uuid) -> Result<WebhookView> {
    let mut conn = state.db.acquire().await?;
    owned(&mut conn, owner, id).await?;
    db::webhooks::set_failing(&mut conn, id, None).await?;
    Ok(owned(&mut conn, owner, id).await?.into())
}

/// Queues `kind` for the organization's endpoints that take it, in the
/// caller's transaction.
pub async fn enqueue(
    conn: &mut PgConnection,
    org_id: Uuid,
    kind: EventKind,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<()> {
    for (id, url) in db::webhooks::subscribed(conn, org_id, kind.as_str()).await? {
        db::webhooks::enqueue(conn, (id, &url), kind.as_str(), facts, now).await?;
    }
    Ok(())
}

/// What a receiver gets: `{type, timestamp, data}`, thin.
#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: Data<'a>,
}

#[derive(Serialize)]
struct Data<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    product_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
}

/// The outcome of one delivery attempt.
pub enum Attempt {
    Delivered,
    /// Try again later.
    Failed(String),
    /// Never: the endpoint was deleted.
    Dropped,
}

/// Sends one queued delivery.
pub async fn deliver(state: &AppState, conn: &mut PgConnection, message: &OutboxRow) -> Result<Attempt> {
    let Some(webhook_id) = message.webhook_id else { return Ok(Attempt::Dropped) };
    let Some((webhook, deleted)) = db::webhooks::find_any(conn, webhook_id).await? else { return Ok(Attempt::Dropped) };
    if deleted {
        return Ok(Attempt::Dropped);
    }
    let facts = &message.payload.0;
    let body = serde_json::to_vec(&Payload {
        kind: &message.kind,
        timestamp: message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        data: Data {
            product_name: facts.product_name.as_deref(),
            certificate_number: facts.certificate_number.as_deref(),
            outcome: facts.outcome.as_deref(),
            due: facts.due.as_deref(),
            link: facts.link.as_deref(),
        },
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
    let started = Instant::now();
    let sent = match guard_literal(&webhook.url, &state.config.webhooks) {
        Err(reason) => Err(reason),
        Ok(()) => state
            .webhook_client
            .post(&webhook.url)
            .header("content-type", "application/json")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e)),
    };
    let latency = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let status = sent.as_ref().ok().map(|r| i32::from(r.status().as_u16()));
    db::webhooks::record_attempt(conn, message.id, status, latency).await?;
    Ok(match sent {
        Ok(response) if response.status().is_success() => {
            if webhook.failing_since.is_some() {
                db::webhooks::set_failing(conn, webhook.id, None).await?;
            }
            Attempt::Delivered
        }
        Ok(response) => Attempt::Failed(format!("the endpoint answered {}", response.status())),
        Err(reason) => Attempt::Failed(reason),
    })
}

/// After the last attempt failed: the endpoint receives nothing more until
/// its owner enables it.
pub async fn mark_failing(conn: &mut PgConnection, message: &OutboxRow, now: DateTime<Utc>) -> Result<()> {
    if let Some(id) = message.webhook_id {
        db::webhooks::set_failing(conn, id, Some(now)).await?;
        tracing::warn!(webhook_id = %id, "webhook marked failing after its last retry");
    }
    Ok(())
}

fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`.
fn sign(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{msg_id}.{timestamp}.").as_bytes());
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

/// An address a webhook may be delivered to.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link-local
        }
    }
}

/// A URL whose host is an address literal is checked here: no resolver
/// sees it.
fn guard_literal(url: &str, config: &WebhooksConfig) -> std::result::Result<(), String> {
    let Ok(parsed) = reqwest::Url::parse(url) else { return Err("not a URL".into()) };
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let literal = host.parse::<IpAddr>().ok();
    match literal {
        Some(ip) if !config.allow_private_addresses && !is_public(ip) => {
            Err(format!("{ip} is a private, loopback or link-local address (webhooks.allow_private_addresses)"))
        }
        _ => Ok(()),
    }
}

/// Resolves endpoint names, keeping only addresses a webhook may reach.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to private, loopback or link-local addresses (webhooks.allow_private_addresses)"
                )
                .into();
                return Err(error);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The client deliveries go through: no redirects, the configured
/// timeout, and the resolver above.
pub fn client(config: &WebhooksConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Config::exact(config.timeout))
        .dns_resolver(Arc::new(PublicOnly { allow_private: config.allow_private_addresses }))
        .user_agent(concat!("dataip-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reachable() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["8.8.8.8", "203.0.114.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn subscriptions_name_kinds_prefixes_or_everything() {
        let ok = check_events(&["objection.*".into(), "*".into(), "application.registered".into()]);
        assert_eq!(ok.ok(), Some(vec!["*".into(), "application.registered".into(), "objection.*".into()]));
        assert!(check_events(&["application.unknown".into()]).is_err());
        assert!(check_events(&["nothing.*".into()]).is_err());
        assert!(check_events(&[]).is_err());
    }
}
