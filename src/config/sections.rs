//! The sections of the settings, each what one part of the service is
//! given: typed when read (an exact duration cannot hold a calendar period,
//! an address is an address), with the defaults of `config/default.toml`.

use std::{fmt, net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use crate::domain::{ExactDuration, IsoDuration};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub code: String,
    pub time_zone: chrono_tz::Tz,
    #[serde(deserialize_with = "text")]
    pub public_url: String,
    pub public_pledge_amounts: bool,
    /// How long a natural person's identity document is kept after their
    /// last registration ended (sensitive personal information: kept no
    /// longer than the registration needs it, and then this long).
    pub identity_document_retention: IsoDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    pub key: Secret,
    /// Empty: `signing.key` in the data directory.
    pub key_file: PathBuf,
    /// Set by `--accept-new-signing-key` only: start even though the ledger
    /// was signed with another key.
    #[serde(skip)]
    pub accept_new_key: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// The log's origin: the first line of its checkpoints and the name of
    /// its key. Empty: `<registry.public_url without scheme>/tlog`, the
    /// prefix the tiles are served under (see [`Config::settle`]).
    #[serde(deserialize_with = "text")]
    pub origin: String,
    pub batch_size: u32,
    /// Witnesses asked to cosign each new checkpoint (C2SP tlog-witness).
    #[serde(default)]
    pub witnesses: Vec<WitnessPeer>,
}

/// A witness the registry submits its checkpoints to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessPeer {
    /// Its verifier key (signature type 0x04, cosignature/v1).
    pub vkey: String,
    /// Its submission prefix: checkpoints are posted to `<url>/add-checkpoint`.
    pub url: String,
    /// Its name in the suggested policy; empty: the key's name.
    #[serde(default)]
    pub name: String,
}

impl WitnessPeer {
    pub fn key(&self) -> anyhow::Result<tlog::note::VerifierKey> {
        let key = tlog::note::VerifierKey::parse(&self.vkey).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            key.kind == tlog::note::COSIGNATURE_V1_TYPE,
            "the witness key {} is not a cosignature/v1 key (type 0x04)",
            key.name
        );
        Ok(key)
    }

    /// The witness's name in policies.
    pub fn policy_name(&self) -> String {
        match self.name.is_empty() {
            true => self.key().map(|key| key.name).unwrap_or_default(),
            false => self.name.clone(),
        }
    }
}

/// Organizations' webhook endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Deliver to private, loopback and link-local addresses too (tests, a
    /// registry inside a private network). Off: such endpoints are refused,
    /// checked against the address resolved at delivery.
    pub allow_private_addresses: bool,
    /// How long one delivery may take.
    pub timeout: ExactDuration,
    /// Attempts before the endpoint is marked failing (30: about a day).
    pub max_attempts: u32,
    /// Endpoints one worker process delivers to at once; each endpoint
    /// receives one delivery at a time whatever this is.
    pub endpoints_at_once: u32,
    /// How long an endpoint's circuit stays open after a failed delivery
    /// (nothing is sent to it meanwhile), doubling with each failure in a
    /// row, at most an hour.
    pub circuit_pause: ExactDuration,
}

/// The operator's SMTP server, through which the registry sends mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Empty: no mail is sent (nor queued).
    #[serde(deserialize_with = "text")]
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    #[serde(deserialize_with = "text")]
    pub username: String,
    pub password: Secret,
    /// The From address: `注册机构 <registry@example.org>` or a bare address.
    #[serde(deserialize_with = "text")]
    pub sender: String,
    /// Failed deliveries are retried with exponential backoff (one minute,
    /// doubling, at most an hour apart) up to this many attempts.
    pub max_attempts: u32,
    /// How long one delivery may take.
    pub timeout: ExactDuration,
}

impl MailConfig {
    pub fn enabled(&self) -> bool {
        !self.host.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTls {
    /// Plain SMTP: for a relay on the same host or network only.
    None,
    /// STARTTLS after connecting (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorConfig {
    #[serde(deserialize_with = "text")]
    pub rpc_url: String,
    pub chain_id: u64,
    pub signer_key: Secret,
    pub max_attempts: u32,
    /// Bounds one publication attempt as a whole, the wait for its receipt
    /// included: a chain that stops answering fails the attempt.
    pub rpc_timeout: ExactDuration,
}

impl AnchorConfig {
    pub fn enabled(&self) -> bool {
        !self.rpc_url.trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialsConfig {
    pub max_size: u64,
    pub media_types: Vec<String>,
}

/// What objectors, who are anonymous, may store (files of the media types
/// `materials.media_types` lists).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceConfig {
    /// Largest evidence file, in bytes.
    pub max_size: u64,
    /// Bytes of evidence one objection may carry, over its files.
    pub bytes_per_objection: u64,
    /// Bytes of evidence all objections to one announced application may
    /// carry together.
    pub bytes_per_announcement: u64,
    /// Bytes of evidence the registry takes from all objectors in any 24
    /// hours.
    pub bytes_per_day: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Where `/metrics` is served instead of `addr` (empty: on `addr`).
    #[serde(deserialize_with = "optional_socket_addr")]
    pub metrics_addr: Option<SocketAddr>,
    pub request_timeout: ExactDuration,
    pub upload_timeout: ExactDuration,
    pub header_read_timeout: ExactDuration,
    pub idle_timeout: ExactDuration,
    /// How long a new connection may stay silent before its first byte.
    pub first_byte_timeout: ExactDuration,
    pub connection_limit: usize,
    /// Connections one client address (an IPv4 address, an IPv6 /64) may
    /// hold at once; trusted proxies are exempt.
    pub connections_per_address: usize,
    pub shutdown_grace: ExactDuration,
    pub body_limit: usize,
    /// Bytes of public reads kept in memory; 0 turns the cache off.
    pub public_cache_bytes: u64,
    /// No public read is served from memory once older than this, even if
    /// no change was heard of; also sets the change feed's heartbeat.
    pub public_cache_max_age: ExactDuration,
    pub cors_allowed_origins: Vec<String>,
    /// Proxies whose forwarded headers name the client (networks or single
    /// addresses).
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The one header trusted proxies name the client in.
    pub forwarded_header: ForwardedHeader,
    /// The `Strict-Transport-Security` value to send (empty: none).
    #[serde(deserialize_with = "text")]
    pub hsts: String,
    /// Whether `/docs` (the interactive API browser) is served.
    pub docs: bool,
}

/// The header a trusted proxy writes the client's address into. Only one
/// is read: a proxy that appends to one passes the other on as the client
/// wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ForwardedHeader {
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239.
    #[serde(rename = "forwarded")]
    Forwarded,
}

impl ForwardedHeader {
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

fn optional_socket_addr<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.trim() {
        "" => Ok(None),
        address => address.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// `10.0.0.0/8`, or a single address (`10.0.0.2`, as `/32`).
fn networks<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<ipnet::IpNet>().or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).map_err(
                |_| serde::de::Error::custom(format!("{text:?} is not an address or a network such as 10.0.0.0/8")),
            )
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Secret,
    /// A streaming replica for public reads; empty: none.
    pub read_url: Secret,
    /// Where the change feed listens (LISTEN/NOTIFY) for changes to public
    /// reads; empty: `url`. It must reach the same primary.
    pub listen_url: Secret,
    pub max_connections: u32,
    pub acquire_timeout: ExactDuration,
    pub statement_timeout: ExactDuration,
    pub locale: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub jwt_secret: Secret,
    pub access_token_ttl: ExactDuration,
    pub refresh_token_ttl: IsoDuration,
    /// A workbench session ends after this long without a request...
    pub session_idle: ExactDuration,
    /// ...and this long after sign-in, however busy.
    pub session_lifetime: ExactDuration,
    pub hashing_concurrency: usize,
    pub hashing_queue: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    pub login_window: ExactDuration,
    pub login_failures_per_account_address: u32,
    pub login_failures_per_address: u32,
    pub login_failures_per_account: u32,
    pub members_window: ExactDuration,
    pub members_per_organization: u32,
    pub signup_window: ExactDuration,
    pub signups_per_address: u32,
    pub objection_window: ExactDuration,
    pub objections_per_address: u32,
    /// Evidence files objectors may upload from one client address per
    /// `evidence_window`.
    pub evidence_window: ExactDuration,
    pub evidence_per_address: u32,
    /// Certificate files the portal's `/verify` may check for one client
    /// address per `verify_upload_window` (each is parsed, a PDF included).
    pub verify_upload_window: ExactDuration,
    pub verify_uploads_per_address: u32,
    /// API keys an organization's owners may create per `api_key_window`.
    pub api_key_window: ExactDuration,
    pub api_keys_per_organization: u32,
    /// Confirmation links one user may ask to be mailed again per
    /// `confirmation_resend_window`.
    pub confirmation_resend_window: ExactDuration,
    pub confirmation_resends_per_user: u32,
    /// Password-reset links asked for by mail per `password_reset_window`:
    /// from one client address (past it, 429), and to one address (past it,
    /// nothing is sent, and the answer stays 202).
    pub password_reset_window: ExactDuration,
    pub password_resets_per_address: u32,
    pub password_resets_per_recipient: u32,
    /// Webhook pings an organization may ask for per `webhook_ping_window`.
    pub webhook_ping_window: ExactDuration,
    pub webhook_pings_per_organization: u32,
    /// Webhook redeliveries an organization may ask for per
    /// `webhook_redelivery_window`.
    pub webhook_redelivery_window: ExactDuration,
    pub webhook_redeliveries_per_organization: u32,
    /// Certificate numbers whose status one client address may ask per
    /// `status_query_window` (a bulk query counts each number).
    pub status_query_window: ExactDuration,
    pub status_queries_per_address: u32,
    /// The same for a verified relying party, asking with its API key.
    pub status_queries_per_relying_party: u32,
}

/// What one organization may hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Bytes of materials, counted once per stored file.
    pub storage_per_organization: u64,
    /// Applications in draft at once.
    pub open_drafts_per_organization: u32,
    /// Certificates one party may watch.
    pub certificate_watches_per_party: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    pub announcement_period: IsoDuration,
    pub certificate_validity: IsoDuration,
    pub supplement_period: IsoDuration,
    pub renewal_window: IsoDuration,
    /// The file of public holidays and make-up working days (empty: the
    /// built-in `config/calendar.toml`).
    pub calendar_file: PathBuf,
    /// Whether a deadline counted in calendar days that ends on a rest day
    /// moves to the next working day.
    pub deadlines_skip_rest_days: bool,
    /// How long the registry has to decide an objection, from its filing.
    pub objection_decision_period: IsoDuration,
    /// How long after withdrawing an application the organization may not
    /// file the same product name again (zero: no bar).
    pub refile_bar: IsoDuration,
    /// How long an act waits for the words it needs (its counterparty's,
    /// pledgees' consents) before it lapses.
    pub counterparty_period: IsoDuration,
    /// Whether a licence waits for its licensee's confirmation, as pledges
    /// and transfers wait for their counterparty's.
    pub license_needs_confirmation: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    pub interval: ExactDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
    /// Whether the numbers asked of the status endpoints are logged.
    pub status_numbers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Environment variables are parsed like TOML values, so `3100` arrives as a
/// number: text settings accept numbers and booleans as their text.
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Integer(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::String(s) => s,
        Text::Integer(i) => i.to_string(),
        Text::Float(f) => f.to_string(),
        Text::Bool(b) => b.to_string(),
    })
}

/// A string that never appears in `Debug` output or logs.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Secret(#[serde(deserialize_with = "text")] String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(<empty>)" } else { "Secret(<redacted>)" })
    }
}
