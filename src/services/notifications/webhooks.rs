//! Webhooks: an organization's endpoints, each subscribed to kinds of the
//! event catalogue (exact names, `prefix.*` or `*`); deliveries signed per
//! the Standard Webhooks specification, queued in the outbox with the event
//! and sent by the worker with retries ([`crate::services::notifications::webhook_delivery`]).
//! Endpoints are reached only at global unicast addresses unless configured
//! otherwise: checked for an address in the URL and against the address a
//! name resolves to at delivery, with no proxy in between (a proxy would
//! resolve the name itself, out of the check's sight); redirects are never
//! followed.

use aws_lc_rs::hmac;
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, Result, throttle::Throttle};
use crate::{
    auth::Owner,
    config::{Config, WebhooksConfig},
    db::{self, webhooks::WebhookRow},
    notifications::{EventKind, messages::Facts, webhook_client::guard_literal},
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
    /// How long the endpoint took to answer the last attempt, if it did.
    pub latency_ms: Option<i32>,
    /// Why the last attempt failed, in general terms only: `the endpoint
    /// answered 503`, or `the endpoint could not be reached` (whether its
    /// name did not resolve to a public address, the connection failed or
    /// no answer came in time is not told). The registry's log has the
    /// detail under the delivery's id.
    #[schema(example = "the endpoint could not be reached")]
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

fn check_url(url: &str, config: &WebhooksConfig) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| Error::field("url", "is not a URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(Error::field("url", "must be an http(s) URL with a host, at most 2000 characters"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::field("url", "must not carry credentials"));
    }
    // An address in the URL is judged now; a name, at each delivery, by
    // what it resolves to then.
    if guard_literal(&parsed, config).is_err() {
        return Err(Error::field(
            "url",
            "must not be a private, loopback, link-local or other non-public address \
             (webhooks.allow_private_addresses)",
        ));
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
    let url = check_url(&request.url, &state.config.webhooks)?;
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

/// Redeliveries an organization may ask for: each makes the registry call
/// the endpoint.
fn redelivery_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "webhooks.redeliver",
        limit: config.throttle.webhook_redeliveries_per_organization,
        window: config.throttle.webhook_redelivery_window.get(),
    }
}

/// Pings an organization may ask for.
fn ping_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "webhooks.ping",
        limit: config.throttle.webhook_pings_per_organization,
        window: config.throttle.webhook_ping_window.get(),
    }
}

/// Sends a delivery again, with its `webhook-id`, within the organization's
/// budget (`throttle.webhook_redeliveries_per_organization`). Counted with
/// the redelivery, in one transaction: asking for one that does not exist
/// costs nothing.
pub async fn redeliver(state: &AppState, owner: Owner, id: Uuid, delivery: Uuid) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    owned(&mut tx, owner, id).await?;
    redelivery_throttle(&state.config).take(&mut tx, owner.org_id.as_bytes(), now).await?;
    if !db::webhooks::redeliver(&mut tx, id, delivery, now).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Queues a `webhook.ping` delivery, to try the endpoint, within the
/// organization's budget (`throttle.webhook_pings_per_organization`).
pub async fn ping(state: &AppState, owner: Owner, id: Uuid) -> Result<Uuid> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let webhook = owned(&mut tx, owner, id).await?;
    ping_throttle(&state.config).take(&mut tx, owner.org_id.as_bytes(), now).await?;
    let facts = Facts::default();
    let queued = db::webhooks::enqueue(&mut tx, (webhook.id, &webhook.url), PING, &facts, now).await?;
    tx.commit().await?;
    Ok(queued)
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

/// Clears the failing mark and closes the endpoint's circuit: deliveries
/// resume at once, and with the next event.
pub async fn enable(state: &AppState, owner: Owner, id: Uuid) -> Result<WebhookView> {
    let mut conn = state.db.acquire().await?;
    owned(&mut conn, owner, id).await?;
    db::webhooks::enable(&mut conn, id).await?;
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
pub(super) struct Payload<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub timestamp: String,
    pub data: Data<'a>,
}

#[derive(Serialize)]
pub(super) struct Data<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
}

impl<'a> Data<'a> {
    pub fn of(facts: &'a Facts) -> Self {
        Self {
            product_name: facts.product_name.as_deref(),
            certificate_number: facts.certificate_number.as_deref(),
            outcome: facts.outcome.as_deref(),
            due: facts.due.as_deref(),
            link: facts.link.as_deref(),
            entry_type: facts.entry_type.as_deref(),
            ledger_index: facts.ledger_index,
            status: facts.status.as_deref(),
            tree_size: facts.tree_size,
        }
    }
}

/// The whole error chain, for the log (never for the endpoint's owner: it
/// tells how names resolve and which ports are open).
pub(super) fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`.
pub(super) fn sign(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{msg_id}.{timestamp}.").as_bytes());
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::webhook_client::is_public;

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
            "192.0.0.170",
            "192.88.99.1",
            "198.18.0.1",
            "203.0.113.9",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "100::1",
            "64:ff9b:1::a00:1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["8.8.8.8", "203.0.114.1", "2606:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    /// The forms of issue 26's audit: each carries (or is) an address that
    /// must not be reached.
    #[test]
    fn ipv6_forms_that_carry_a_private_ipv4_address_or_are_site_local_are_refused() {
        for (form, address) in [
            ("NAT64", "64:ff9b::7f00:1"),
            ("NAT64", "64:ff9b::169.254.169.254"),
            ("NAT64", "64:ff9b::10.0.0.1"),
            ("IPv4-compatible", "::127.0.0.1"),
            ("IPv4-compatible", "::a9fe:a9fe"),
            ("IPv4-compatible", "::192.168.0.1"),
            ("6to4", "2002:7f00:1::"),
            ("6to4", "2002:a9fe:a9fe::1"),
            ("6to4", "2002:c0a8:101:1::1"),
            ("site-local", "fec0::1"),
            ("site-local", "feff:ffff::1"),
        ] {
            assert!(!is_public(address.parse().expect("ip")), "{form} {address}");
        }
        // The same forms around a public IPv4 address are what they carry.
        for public in ["64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn address_literals_in_urls_are_judged_by_the_address() {
        let config = WebhooksConfig {
            allow_private_addresses: false,
            timeout: crate::domain::ExactDuration::seconds(10),
            max_attempts: 30,
            endpoints_at_once: 8,
            circuit_pause: crate::domain::ExactDuration::seconds(60),
        };
        for url in [
            "http://127.0.0.1/hook",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
            "http://[::127.0.0.1]:8080/hook",
            "http://[2002:7f00:1::]/hook",
            "https://[fec0::1]/hook",
        ] {
            let parsed = reqwest::Url::parse(url).expect("url");
            assert!(guard_literal(&parsed, &config).is_err(), "{url}");
            assert!(check_url(url, &config).is_err(), "{url}");
        }
        for url in ["https://exchange.example/hook", "https://[2606:4700::1111]/hook", "http://8.8.8.8/"] {
            assert!(check_url(url, &config).is_ok(), "{url}");
        }
        let allowed = WebhooksConfig { allow_private_addresses: true, ..config };
        assert!(check_url("http://[::1]:8080/hook", &allowed).is_ok());
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
