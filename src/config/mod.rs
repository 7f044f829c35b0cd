//! Typed settings. Layers, later winning: the built-in `config/default.toml`,
//! `{config dir}/{DATAIP_ENV}.toml` on disk, `DATAIP__SECTION__KEY`
//! environment variables, `DATABASE_URL`, and the command line's
//! `--data-dir`. `dataip config show` prints the result with each value's
//! layer (see `show`).

mod show;

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::Context;
use figment::{
    Figment, Metadata, Profile, Provider,
    providers::{Env, Format, Toml},
    value::{Dict, Map},
};
use serde::Deserialize;

pub use self::show::show;
use crate::domain::{IsoDuration, calendar::WorkingCalendar};

const DEFAULTS: &str = include_str!("../../config/default.toml");
/// Where configuration files are looked for unless told otherwise.
pub const DEFAULT_CONFIG_DIR: &str = "config";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    /// From `DATAIP_ENV`; development when unset.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("DATAIP_ENV") {
            Ok(value) => value.parse(),
            Err(_) => Ok(Self::Development),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => anyhow::bail!("DATAIP_ENV={other:?}: expected development, test or production"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(skip, default = "default_environment")]
    pub environment: Environment,
    /// Where this process read its configuration.
    #[serde(skip)]
    pub sources: Sources,
    /// Where a registry keeps what must outlive a restart outside the
    /// database: in development the signing key and the token secret,
    /// created on first start (and the embedded PostgreSQL, when used).
    pub data_dir: PathBuf,
    pub registry: RegistryConfig,
    pub signing: SigningConfig,
    pub ledger: LedgerConfig,
    pub anchor: AnchorConfig,
    pub mail: MailConfig,
    pub webhooks: WebhooksConfig,
    pub server: ServerConfig,
    pub materials: MaterialsConfig,
    pub evidence: EvidenceConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub throttle: ThrottleConfig,
    pub quota: QuotaConfig,
    pub workflow: WorkflowConfig,
    pub worker: WorkerConfig,
    pub log: LogConfig,
}

fn default_environment() -> Environment {
    Environment::Development
}

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
    /// prefix the tiles are served under (see [`Config::resolve_origin`]).
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
    pub timeout: IsoDuration,
    /// Attempts before the endpoint is marked failing (30: about a day).
    pub max_attempts: u32,
    /// Endpoints one worker process delivers to at once; each endpoint
    /// receives one delivery at a time whatever this is.
    pub endpoints_at_once: u32,
    /// How long an endpoint's circuit stays open after a failed delivery
    /// (nothing is sent to it meanwhile), doubling with each failure in a
    /// row, at most an hour.
    pub circuit_pause: IsoDuration,
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
    pub timeout: IsoDuration,
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
    pub rpc_timeout: IsoDuration,
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
    pub request_timeout: IsoDuration,
    pub upload_timeout: IsoDuration,
    pub header_read_timeout: IsoDuration,
    pub idle_timeout: IsoDuration,
    /// How long a new connection may stay silent before its first byte.
    pub first_byte_timeout: IsoDuration,
    pub connection_limit: usize,
    /// Connections one client address (an IPv4 address, an IPv6 /64) may
    /// hold at once; trusted proxies are exempt.
    pub connections_per_address: usize,
    pub shutdown_grace: IsoDuration,
    pub body_limit: usize,
    /// Bytes of public reads kept in memory; 0 turns the cache off.
    pub public_cache_bytes: u64,
    /// No public read is served from memory once older than this, even if
    /// no change was heard of; also sets the change feed's heartbeat.
    pub public_cache_max_age: IsoDuration,
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
    pub acquire_timeout: IsoDuration,
    pub statement_timeout: IsoDuration,
    pub locale: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub jwt_secret: Secret,
    pub access_token_ttl: IsoDuration,
    pub refresh_token_ttl: IsoDuration,
    pub hashing_concurrency: usize,
    pub hashing_queue: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    pub login_window: IsoDuration,
    pub login_failures_per_account_address: u32,
    pub login_failures_per_address: u32,
    pub login_failures_per_account: u32,
    pub members_window: IsoDuration,
    pub members_per_organization: u32,
    pub signup_window: IsoDuration,
    pub signups_per_address: u32,
    pub objection_window: IsoDuration,
    pub objections_per_address: u32,
    /// Evidence files objectors may upload from one client address per
    /// `evidence_window`.
    pub evidence_window: IsoDuration,
    pub evidence_per_address: u32,
    /// Certificate files the portal's `/verify` may check for one client
    /// address per `verify_upload_window` (each is parsed, a PDF included).
    pub verify_upload_window: IsoDuration,
    pub verify_uploads_per_address: u32,
    /// API keys an organization's owners may create per `api_key_window`.
    pub api_key_window: IsoDuration,
    pub api_keys_per_organization: u32,
    /// Confirmation links one user may ask to be mailed again per
    /// `confirmation_resend_window`.
    pub confirmation_resend_window: IsoDuration,
    pub confirmation_resends_per_user: u32,
    /// Webhook pings an organization may ask for per `webhook_ping_window`.
    pub webhook_ping_window: IsoDuration,
    pub webhook_pings_per_organization: u32,
    /// Webhook redeliveries an organization may ask for per
    /// `webhook_redelivery_window`.
    pub webhook_redelivery_window: IsoDuration,
    pub webhook_redeliveries_per_organization: u32,
}

/// What one organization may hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Bytes of materials, counted once per stored file.
    pub storage_per_organization: u64,
    /// Applications in draft at once.
    pub open_drafts_per_organization: u32,
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
    /// Loaded from `calendar_file`.
    #[serde(skip)]
    pub calendar: std::sync::Arc<WorkingCalendar>,
    /// How long the registry has to decide an objection, from its filing.
    pub objection_decision_period: IsoDuration,
    /// How long after withdrawing an application the organization may not
    /// file the same product name again (zero: no bar).
    pub refile_bar: IsoDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    pub interval: IsoDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
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

/// The configuration directory and the files read from it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub config_dir: PathBuf,
    /// `{config dir}/{environment}.toml`, when it was there to read.
    pub file: Option<PathBuf>,
    /// Whether `database.url` is the built-in default (no file, variable
    /// or flag set it): only then may development start a private
    /// PostgreSQL (see `db::embedded`).
    pub database_url_is_default: bool,
}

/// What the command line says about where configuration and state live;
/// `None` leaves it to the environment and the defaults.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config-dir` (else `DATAIP_CONFIG_DIR`, else `./config`).
    pub config_dir: Option<PathBuf>,
    /// `--data-dir` (else `DATAIP__DATA_DIR`, else `data_dir`).
    pub data_dir: Option<PathBuf>,
}

impl Overrides {
    fn config_dir(&self) -> PathBuf {
        self.config_dir
            .clone()
            .or_else(|| std::env::var_os("DATAIP_CONFIG_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_DIR))
    }
}

/// Whether a value comes from the built-in defaults (the only layer read
/// from a string).
fn is_built_in(metadata: &Metadata) -> bool {
    metadata.name.ends_with("source string")
}

/// The layer of values given on the command line.
struct CommandLine(Dict);

impl Provider for CommandLine {
    fn metadata(&self) -> Metadata {
        Metadata::named("command line")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}

impl Config {
    /// The configuration of this process: `DATAIP_ENV` picks the layer,
    /// `DATAIP_CONFIG_DIR` (default `./config`) where its file lives.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_with(&Overrides::default())
    }

    pub fn load_with(overrides: &Overrides) -> anyhow::Result<Self> {
        let environment = Environment::from_env()?;
        let (figment, sources) = Self::layers(environment, &overrides.config_dir(), overrides)?;
        Self::extract(environment, &figment, sources)
    }

    pub fn load_from(environment: Environment, dir: &Path) -> anyhow::Result<Self> {
        let (figment, sources) = Self::layers(environment, dir, &Overrides::default())?;
        Self::extract(environment, &figment, sources)
    }

    /// Every layer, in order. Development needs no file of its own; any
    /// other environment's file must exist, so that a mistyped directory is
    /// an error rather than production running on development defaults.
    fn layers(environment: Environment, dir: &Path, overrides: &Overrides) -> anyhow::Result<(Figment, Sources)> {
        let path = dir.join(format!("{}.toml", environment.as_str()));
        let file = match path.is_file() {
            true => Some(std::path::absolute(&path).unwrap_or(path)),
            false if environment == Environment::Development => None,
            false => anyhow::bail!(
                "DATAIP_ENV={} needs {}, which does not exist: point --config-dir (or DATAIP_CONFIG_DIR) at the \
                 directory that holds {}.toml",
                environment.as_str(),
                path.display(),
                environment.as_str()
            ),
        };
        let mut figment = Figment::new().merge(Toml::string(DEFAULTS));
        if let Some(file) = &file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment
            .merge(Env::prefixed("DATAIP__").split("__"))
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()));
        if let Some(data_dir) = &overrides.data_dir {
            let mut flags = Dict::new();
            flags.insert("data_dir".into(), data_dir.display().to_string().into());
            figment = figment.merge(CommandLine(flags));
        }
        let config_dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let database_url_is_default = figment.find_metadata("database.url").is_none_or(is_built_in);
        Ok((figment, Sources { config_dir, file, database_url_is_default }))
    }

    fn extract(environment: Environment, figment: &Figment, sources: Sources) -> anyhow::Result<Self> {
        let mut config: Config =
            figment.extract().map_err(|e| anyhow::anyhow!("invalid configuration: {e}{}", hint(&e)))?;
        config.environment = environment;
        config.sources = sources;
        config.check()?;
        config.workflow.calendar = std::sync::Arc::new(config.load_calendar()?);
        Ok(config)
    }

    /// Fills an empty `ledger.origin` in from `registry.public_url`: its
    /// host and path without scheme or trailing slash, plus `/tlog`, as C2SP
    /// tlog-tiles names a log after its prefix.
    pub fn resolve_origin(&mut self) {
        if self.ledger.origin.is_empty() {
            // An empty public URL means the address served (see startup).
            let url = match self.registry.public_url.is_empty() {
                true => self.server.addr.to_string(),
                false => self.registry.public_url.trim_end_matches('/').to_owned(),
            };
            let bare = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
            self.ledger.origin = format!("{bare}/tlog");
        }
    }

    /// The file holding the signing key when `signing.key` is empty.
    pub fn signing_key_file(&self) -> PathBuf {
        match self.signing.key_file.as_os_str().is_empty() {
            true => self.data_dir.join("signing.key"),
            false => self.signing.key_file.clone(),
        }
    }

    /// The file holding the development token secret when `auth.jwt_secret`
    /// is empty.
    pub fn token_secret_file(&self) -> PathBuf {
        self.data_dir.join("token.secret")
    }

    /// Rules no single field can express.
    fn check(&self) -> anyhow::Result<()> {
        for (name, duration) in [
            ("server.request_timeout", self.server.request_timeout),
            ("server.upload_timeout", self.server.upload_timeout),
            ("auth.access_token_ttl", self.auth.access_token_ttl),
            ("database.acquire_timeout", self.database.acquire_timeout),
            ("database.statement_timeout", self.database.statement_timeout),
            ("server.header_read_timeout", self.server.header_read_timeout),
            ("server.idle_timeout", self.server.idle_timeout),
            ("server.first_byte_timeout", self.server.first_byte_timeout),
            ("server.shutdown_grace", self.server.shutdown_grace),
            ("server.public_cache_max_age", self.server.public_cache_max_age),
            ("throttle.members_window", self.throttle.members_window),
            ("throttle.login_window", self.throttle.login_window),
            ("throttle.signup_window", self.throttle.signup_window),
            ("throttle.objection_window", self.throttle.objection_window),
            ("throttle.evidence_window", self.throttle.evidence_window),
            ("throttle.api_key_window", self.throttle.api_key_window),
            ("throttle.confirmation_resend_window", self.throttle.confirmation_resend_window),
            ("throttle.verify_upload_window", self.throttle.verify_upload_window),
            ("throttle.webhook_ping_window", self.throttle.webhook_ping_window),
            ("throttle.webhook_redelivery_window", self.throttle.webhook_redelivery_window),
            ("worker.interval", self.worker.interval),
            ("mail.timeout", self.mail.timeout),
            ("webhooks.timeout", self.webhooks.timeout),
            ("webhooks.circuit_pause", self.webhooks.circuit_pause),
            ("anchor.rpc_timeout", self.anchor.rpc_timeout),
        ] {
            match duration.exact() {
                Some(d) if !d.is_zero() => {}
                _ => anyhow::bail!(
                    "{name} = {duration}: give a positive exact duration in hours, minutes or seconds (e.g. PT15M)"
                ),
            }
        }
        for (name, duration) in [
            ("auth.refresh_token_ttl", self.auth.refresh_token_ttl),
            ("workflow.announcement_period", self.workflow.announcement_period),
            ("workflow.certificate_validity", self.workflow.certificate_validity),
            ("workflow.supplement_period", self.workflow.supplement_period),
            ("workflow.renewal_window", self.workflow.renewal_window),
            ("workflow.objection_decision_period", self.workflow.objection_decision_period),
        ] {
            anyhow::ensure!(!duration.is_zero(), "{name} must not be zero");
        }
        anyhow::ensure!(
            self.registry.code.len() == 4 && self.registry.code.bytes().all(|b| b.is_ascii_digit()),
            "registry.code must be 4 digits (e.g. 3100)"
        );
        anyhow::ensure!(self.materials.max_size > 0, "materials.max_size must be positive");
        let evidence = &self.evidence;
        anyhow::ensure!(evidence.max_size > 0, "evidence.max_size must be positive");
        anyhow::ensure!(
            evidence.max_size <= evidence.bytes_per_objection
                && evidence.bytes_per_objection <= evidence.bytes_per_announcement
                && evidence.bytes_per_announcement <= evidence.bytes_per_day,
            "evidence limits must grow: max_size <= bytes_per_objection <= bytes_per_announcement <= bytes_per_day"
        );
        anyhow::ensure!(
            !self.ledger.origin.contains(|c: char| c.is_whitespace() || c == '+'),
            "ledger.origin must be a name without spaces or `+`, such as registry.example/tlog (or empty)"
        );
        for witness in &self.ledger.witnesses {
            witness.key().context("ledger.witnesses: vkey")?;
            anyhow::ensure!(
                witness.url.starts_with("http://") || witness.url.starts_with("https://"),
                "ledger.witnesses: url must be an http(s) URL, not {}",
                witness.url
            );
        }
        anyhow::ensure!(self.ledger.batch_size > 0, "ledger.batch_size must be positive");
        anyhow::ensure!(
            !self.anchor.enabled() || !self.anchor.signer_key.is_empty(),
            "anchor.signer_key is required when anchor.rpc_url is set"
        );
        anyhow::ensure!(
            !self.mail.enabled() || !self.mail.sender.is_empty(),
            "mail.sender is required when mail.host is set"
        );
        anyhow::ensure!(self.auth.hashing_concurrency > 0, "auth.hashing_concurrency must be at least 1");
        anyhow::ensure!(self.webhooks.endpoints_at_once > 0, "webhooks.endpoints_at_once must be at least 1");
        anyhow::ensure!(self.database.max_connections > 0, "database.max_connections must be at least 1");
        anyhow::ensure!(self.server.connection_limit > 0, "server.connection_limit must be at least 1");
        anyhow::ensure!(self.server.connections_per_address > 0, "server.connections_per_address must be at least 1");
        anyhow::ensure!(
            self.server.hsts.is_empty() || self.server.hsts.starts_with("max-age="),
            "server.hsts must be empty or a Strict-Transport-Security value such as \"max-age=31536000; includeSubDomains\""
        );
        anyhow::ensure!(
            axum::http::HeaderValue::from_str(&self.server.hsts).is_ok(),
            "server.hsts must be a valid header value"
        );
        anyhow::ensure!(!self.data_dir.as_os_str().is_empty(), "data_dir must name a directory");
        let secret = &self.auth.jwt_secret;
        if self.environment == Environment::Production {
            anyhow::ensure!(
                !secret.is_empty(),
                "auth.jwt_secret is required in production: set DATAIP__AUTH__JWT_SECRET to at least 32 random bytes"
            );
        }
        anyhow::ensure!(
            secret.is_empty() || secret.expose().len() >= 32,
            "auth.jwt_secret must be at least 32 bytes long"
        );
        Ok(())
    }

    fn load_calendar(&self) -> anyhow::Result<WorkingCalendar> {
        let path = &self.workflow.calendar_file;
        if path.as_os_str().is_empty() {
            return WorkingCalendar::parse(crate::domain::calendar::BUILT_IN);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("workflow.calendar_file: cannot read {}", path.display()))?;
        WorkingCalendar::parse(&text).with_context(|| format!("workflow.calendar_file {}", path.display()))
    }

    /// `start + duration` on the registry's calendar, in UTC; working days
    /// (`15WD`) are counted on the working calendar, keeping the time of day.
    pub fn deadline(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        duration: IsoDuration,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let local = start.with_timezone(&self.registry.time_zone);
        let end = match duration.working_days {
            0 => duration.after(&local)?,
            count => {
                let date = self.workflow.calendar.add_working_days(local.date_naive(), count)?;
                on_date(&local, date)?
            }
        };
        Some(end.with_timezone(&chrono::Utc))
    }

    /// The deadline of something to be done by `duration` after `start`:
    /// [`deadline`](Self::deadline), moved to the next working day when a
    /// period counted in calendar days ends on a rest day and
    /// `workflow.deadlines_skip_rest_days` is on (as the Civil Code, art.
    /// 203, has it for periods ending on statutory rest days).
    pub fn due(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        duration: IsoDuration,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let end = self.deadline(start, duration)?;
        if !(self.workflow.deadlines_skip_rest_days && duration.has_calendar_days()) {
            return Some(end);
        }
        let local = end.with_timezone(&self.registry.time_zone);
        let date = self.workflow.calendar.next_working_day(local.date_naive())?;
        Some(on_date(&local, date)?.with_timezone(&chrono::Utc))
    }

    /// `end - duration` on the registry's calendar, in UTC.
    pub fn deadline_before(
        &self,
        end: chrono::DateTime<chrono::Utc>,
        duration: IsoDuration,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        duration.before(&end.with_timezone(&self.registry.time_zone)).map(|start| start.with_timezone(&chrono::Utc))
    }

    /// The exact length of a duration setting that `check` has proved exact.
    pub fn exact(duration: IsoDuration) -> std::time::Duration {
        duration.exact().unwrap_or_default()
    }
}

/// `at`'s time of day on `date`, in `at`'s zone.
fn on_date<Tz: chrono::TimeZone>(at: &chrono::DateTime<Tz>, date: chrono::NaiveDate) -> Option<chrono::DateTime<Tz>> {
    let shifted = date.and_time(at.naive_local().time());
    let zone = at.timezone();
    zone.from_local_datetime(&shifted)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(shifted + chrono::Duration::hours(1))).earliest())
}

/// Advice for settings that were renamed or replaced.
fn hint(error: &figment::Error) -> &'static str {
    let message = error.to_string();
    if message.contains("trust_forwarded_for") {
        "; server.trust_forwarded_for was replaced by server.trusted_proxies: list the proxies (addresses or \
         networks, e.g. [\"10.0.0.0/8\"]) whose X-Forwarded-For or Forwarded headers name the client"
    } else if message.contains("login_failures_per_account") {
        "; see throttle.login_failures_per_account_address (per account and client address) and \
         throttle.login_failures_per_account (the account's ceiling)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    /// Loads the configuration inside a jail: a scratch directory holding
    /// `config/{name}` files and an environment holding only `env`.
    fn load(environment: Environment, files: &[(&str, &str)], env: &[(&str, &str)]) -> Result<Config, String> {
        let mut result = Err(String::new());
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_dir("config")?;
            for (name, text) in files {
                jail.create_file(format!("config/{name}"), text)?;
            }
            for (key, value) in env {
                jail.set_env(key, value);
            }
            result = Config::load_from(environment, &jail.directory().join("config")).map_err(|e| e.to_string());
            Ok(())
        });
        result
    }

    #[test]
    fn defaults_load_in_development() {
        let config = load(Environment::Development, &[], &[]).expect("defaults are valid");
        assert_eq!(config.workflow.announcement_period, IsoDuration::days(15));
        assert_eq!(config.workflow.certificate_validity.years, 3);
        assert_eq!(config.workflow.supplement_period, IsoDuration::days(30));
        assert_eq!(config.workflow.renewal_window, IsoDuration::days(90));
        assert_eq!(config.workflow.objection_decision_period, IsoDuration::days(60));
        assert_eq!(config.throttle.evidence_per_address, 20);
        assert_eq!(config.workflow.refile_bar.months, 6);
        assert_eq!(config.worker.interval, IsoDuration::seconds(5));
        assert_eq!(config.anchor.rpc_timeout, IsoDuration::seconds(30));
        assert_eq!(config.auth.access_token_ttl.minutes, 15);
        assert_eq!(config.server.addr.port(), 8080);
        assert_eq!(config.database.url.expose(), "postgres://postgres@127.0.0.1:5432/dataip");
        assert!(config.auth.jwt_secret.is_empty());
        assert_eq!(config.registry.time_zone, chrono_tz::Asia::Shanghai);
        assert_eq!(config.registry.code, "3100");
        assert_eq!(config.materials.max_size, 25 * 1024 * 1024);
        assert!(config.materials.media_types.iter().any(|t| t == "application/pdf"));
    }

    #[test]
    fn trusted_proxies_are_networks_or_addresses_and_the_old_key_is_refused_with_a_hint() {
        let env = [("DATAIP__SERVER__TRUSTED_PROXIES", r#"["10.0.0.0/8", "::1"]"#)];
        let config = load(Environment::Development, &[], &env).expect("valid");
        let expected: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("net"), "::1/128".parse().expect("net")];
        assert_eq!(config.server.trusted_proxies, expected);
        let error = load(Environment::Development, &[], &[("DATAIP__SERVER__TRUSTED_PROXIES", r#"["nearby"]"#)])
            .expect_err("not a network");
        assert!(error.contains("10.0.0.0/8"), "{error}");
        let error = load(Environment::Development, &[], &[("DATAIP__SERVER__TRUST_FORWARDED_FOR", "true")])
            .expect_err("replaced");
        assert!(error.contains("server.trusted_proxies"), "{error}");
    }

    #[test]
    fn environment_file_then_variables_win() {
        let files = [("test.toml", "[worker]\ninterval = \"PT1S\"\n[server]\naddr = \"127.0.0.1:9000\"\n")];
        let config = load(Environment::Test, &files, &[]).expect("valid");
        assert_eq!(config.worker.interval, IsoDuration::seconds(1));
        assert_eq!(config.server.addr.port(), 9000);

        let env = [
            ("DATAIP__WORKER__INTERVAL", "PT2S"),
            ("DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD", "PT10S"),
            ("DATABASE_URL", "postgres://elsewhere/db"),
        ];
        let config = load(Environment::Test, &files, &env).expect("valid");
        assert_eq!(config.worker.interval, IsoDuration::seconds(2));
        assert_eq!(config.workflow.announcement_period, IsoDuration::seconds(10));
        assert_eq!(config.server.addr.port(), 9000);
        assert_eq!(config.database.url.expose(), "postgres://elsewhere/db");
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        let file = [("production.toml", "[log]\nformat = \"json\"\n")];
        let error = load(Environment::Production, &file, &[]).expect_err("no secret");
        assert!(error.contains("jwt_secret is required"), "{error}");
        let short = [("DATAIP__AUTH__JWT_SECRET", "too-short")];
        assert!(load(Environment::Production, &file, &short).expect_err("short").contains("32 bytes"));
        let good = [("DATAIP__AUTH__JWT_SECRET", "0123456789abcdef0123456789abcdef")];
        let config = load(Environment::Production, &file, &good).expect("valid");
        assert_eq!(format!("{:?}", config.auth.jwt_secret), "Secret(<redacted>)");
        assert!(config.sources.file.is_some_and(|f| f.ends_with("config/production.toml")));
    }

    #[test]
    fn only_development_may_lack_its_file() {
        let config = load(Environment::Development, &[], &[]).expect("development needs no file");
        assert!(config.sources.file.is_none());
        assert!(config.sources.config_dir.is_absolute());
        assert!(config.sources.database_url_is_default);
        let set = load(Environment::Development, &[], &[("DATABASE_URL", "postgres://db/x")]).expect("valid");
        assert!(!set.sources.database_url_is_default);
        let set =
            load(Environment::Development, &[("development.toml", "[database]\nurl = \"postgres://h/d\"\n")], &[]);
        assert!(!set.expect("valid").sources.database_url_is_default);
        let good = [("DATAIP__AUTH__JWT_SECRET", "0123456789abcdef0123456789abcdef")];
        let error = load(Environment::Production, &[], &good).expect_err("no production.toml");
        assert!(error.contains("production.toml") && error.contains("DATAIP_CONFIG_DIR"), "{error}");
        assert!(load(Environment::Test, &[], &[]).expect_err("no test.toml").contains("test.toml"));
    }

    #[test]
    fn the_data_directory_holds_the_development_secrets() {
        let config = load(Environment::Development, &[], &[]).expect("defaults");
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.signing_key_file(), PathBuf::from("data/signing.key"));
        assert_eq!(config.token_secret_file(), PathBuf::from("data/token.secret"));
        let config = load(Environment::Development, &[], &[("DATAIP__DATA_DIR", "/var/lib/dataip")]).expect("env");
        assert_eq!(config.signing_key_file(), PathBuf::from("/var/lib/dataip/signing.key"));
        let config = load(Environment::Development, &[], &[("DATAIP__SIGNING__KEY_FILE", "/run/key")]).expect("env");
        assert_eq!(config.signing_key_file(), PathBuf::from("/run/key"));
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        let error = load(Environment::Development, &[], &[("DATAIP__WORKER__INTERVAL", "P1D")]).expect_err("calendar");
        assert!(error.contains("worker.interval"), "{error}");
        let error = load(Environment::Development, &[], &[("DATAIP__WORKFLOW__SUPPLEMENT_PERIOD", "30 days")])
            .expect_err("not ISO");
        assert!(error.contains("ISO 8601"), "{error}");
        let error = load(Environment::Development, &[], &[("DATAIP__REGISTRY__TIME_ZONE", "Mars/Olympus")])
            .expect_err("unknown zone");
        assert!(error.contains("TIME_ZONE"), "{error}");
        let code = load(Environment::Development, &[], &[("DATAIP__REGISTRY__CODE", "4400")]).expect("digits");
        assert_eq!(code.registry.code, "4400");
        let error = load(Environment::Development, &[], &[("DATAIP__REGISTRY__CODE", "31")]).expect_err("short code");
        assert!(error.contains("registry.code"), "{error}");
        let error = load(Environment::Development, &[], &[("DATAIP__SERVER__ADRR", "x")]).expect_err("typo");
        assert!(error.contains("adrr"), "{error}");
    }

    #[test]
    fn environment_names() {
        assert_eq!("production".parse::<Environment>().ok(), Some(Environment::Production));
        assert_eq!("TEST".parse::<Environment>().ok(), Some(Environment::Test));
        assert!("staging".parse::<Environment>().is_err());
    }
}
