//! Typed settings. Layers, later winning: the built-in `config/default.toml`,
//! `{config dir}/{DATAIP_ENV}.toml` on disk, `DATAIP__SECTION__KEY`
//! environment variables, `DATABASE_URL`, and the command line's
//! `--data-dir`. `dataip config show` prints the result with each value's
//! layer (see `show`).

mod sections;
mod show;

use std::{
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

pub use self::{sections::*, show::show};
use crate::domain::calendar::{RegistryCalendar, WorkingCalendar};

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
    /// The registry's calendar, built from `registry.time_zone` and the
    /// workflow's calendar settings when the configuration is loaded.
    #[serde(skip)]
    pub calendar: RegistryCalendar,
}

fn default_environment() -> Environment {
    Environment::Development
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
        let mut config: Config = figment.extract().map_err(|e| {
            // The setting's name as the files write it, whichever layer gave it.
            let name = match e.path.is_empty() {
                true => String::new(),
                false => format!("{}: ", e.path.join(".").to_lowercase()),
            };
            anyhow::anyhow!("invalid configuration: {name}{e}{}", hint(&e))
        })?;
        config.environment = environment;
        config.sources = sources;
        config.check()?;
        let working_days = std::sync::Arc::new(config.load_calendar()?);
        config.calendar = config.calendar_with(working_days);
        Ok(config)
    }

    /// Computes the settings derived from others, once, when the process
    /// knows where it serves (`served_at`, the bound address; `None` for a
    /// command that serves nothing): an empty `registry.public_url` becomes
    /// that address, so that links and QR codes reach this very server; an
    /// empty `ledger.origin` becomes the public URL's host and path without
    /// scheme or trailing slash, plus `/tlog`, as C2SP tlog-tiles names a log
    /// after its prefix. The registry's calendar, too, follows the settings
    /// as they now are (its working days were read when loading).
    pub fn settle(&mut self, served_at: Option<std::net::SocketAddr>) {
        self.calendar = self.calendar_with(self.calendar.working_days.clone());
        if let (true, Some(addr)) = (self.registry.public_url.is_empty(), served_at) {
            self.registry.public_url = format!("http://{addr}");
        }
        if self.ledger.origin.is_empty() {
            let url = match self.registry.public_url.is_empty() {
                true => self.server.addr.to_string(),
                false => self.registry.public_url.trim_end_matches('/').to_owned(),
            };
            let bare = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
            self.ledger.origin = format!("{bare}/tlog");
        }
    }

    /// The registry's calendar over `working_days`, with the zone and the
    /// rest-day rule the settings now give.
    fn calendar_with(&self, working_days: std::sync::Arc<WorkingCalendar>) -> RegistryCalendar {
        RegistryCalendar {
            zone: self.registry.time_zone,
            working_days,
            skip_rest_days: self.workflow.deadlines_skip_rest_days,
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
            ("auth.refresh_token_ttl", self.auth.refresh_token_ttl),
            ("workflow.announcement_period", self.workflow.announcement_period),
            ("workflow.certificate_validity", self.workflow.certificate_validity),
            ("workflow.supplement_period", self.workflow.supplement_period),
            ("workflow.renewal_window", self.workflow.renewal_window),
            ("workflow.objection_decision_period", self.workflow.objection_decision_period),
            ("registry.identity_document_retention", self.registry.identity_document_retention),
            ("workflow.counterparty_period", self.workflow.counterparty_period),
        ] {
            anyhow::ensure!(!duration.is_zero(), "{name} must not be zero");
        }
        anyhow::ensure!(
            self.registry.identity_document_retention.working_days == 0,
            "registry.identity_document_retention must be a calendar period such as P3Y, not working days"
        );
        anyhow::ensure!(
            self.registry.code.len() == 4 && self.registry.code.bytes().all(|b| b.is_ascii_digit()),
            "registry.code must be 4 digits (e.g. 3100)"
        );
        anyhow::ensure!(
            !self.auth.session_idle.get().is_zero() && self.auth.session_idle.get() <= self.auth.session_lifetime.get(),
            "auth.session_idle must be positive and no longer than auth.session_lifetime"
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
    use crate::domain::{ExactDuration, IsoDuration};

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
        assert_eq!(config.worker.interval, ExactDuration::seconds(5));
        assert_eq!(config.anchor.rpc_timeout, ExactDuration::seconds(30));
        assert_eq!(config.auth.access_token_ttl.written().minutes, 15);
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
        assert_eq!(config.worker.interval, ExactDuration::seconds(1));
        assert_eq!(config.server.addr.port(), 9000);

        let env = [
            ("DATAIP__WORKER__INTERVAL", "PT2S"),
            ("DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD", "PT10S"),
            ("DATABASE_URL", "postgres://elsewhere/db"),
        ];
        let config = load(Environment::Test, &files, &env).expect("valid");
        assert_eq!(config.worker.interval, ExactDuration::seconds(2));
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
