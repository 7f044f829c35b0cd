//! The subcommands of the `dataip` binary: each module owns its arguments
//! (clap) beside what it does; `serve`, `migrate` and `worker` are here.

mod demo;
mod ledger;
mod org;
mod party;
mod staff;
mod user;
mod verify;
mod witness;

use std::sync::Arc;

use clap::{Args, Subcommand};

use crate::{
    clock::SystemClock,
    config::{Config, Overrides},
    db,
    jobs::Worker,
    services,
    startup::{Application, shutdown_on_signal},
    state::AppState,
    telemetry,
};

/// What every command that reads the configuration is told, at the end of
/// its --help.
pub const CONFIGURATION_HELP: &str = "\
Configuration (later layers win; `dataip config show` prints the result):
  config/default.toml     built in: every setting and its default
  <config dir>/<env>.toml DATAIP_ENV's file: development (default; optional), test or
                          production (required)
  DATAIP__SECTION__KEY    any setting, e.g. DATAIP__SERVER__ADDR=0.0.0.0:8080,
                          DATAIP__WORKFLOW__ANNOUNCEMENT_PERIOD=PT2M
  DATABASE_URL            the PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/dataip)
  --data-dir              DATAIP__DATA_DIR (default ./data): the development signing key
                          (signing.key) and token secret (token.secret), created once
  RUST_LOG                the log filter (default info,sqlx=warn)";

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and run the background worker
    ///
    /// Creates the database if missing and applies migrations first. In
    /// development, with no database configured and none answering at the
    /// default address, starts a private PostgreSQL in the data directory.
    #[command(after_help = CONFIGURATION_HELP)]
    Serve(Start),
    /// Try the registry: short announcements, a database of its own, demo staff
    ///
    /// The service with a 30-second announcement period, in a database of its
    /// own (the configured name + "_demo"; the configured one is never
    /// touched), with a demo admin and reviewer whose credentials it prints,
    /// and the next commands to try.
    #[command(after_help = CONFIGURATION_HELP)]
    Demo(demo::Args),
    /// Create the database if missing and apply migrations.
    #[command(after_help = CONFIGURATION_HELP)]
    Migrate,
    /// Run only the background worker (run several for capacity).
    #[command(after_help = CONFIGURATION_HELP)]
    Worker(Start),
    /// Manage registry staff.
    Staff {
        #[command(subcommand)]
        command: staff::Command,
    },
    /// Applicant organizations.
    Org {
        #[command(subcommand)]
        command: org::Command,
    },
    /// Applicants of either kind: organizations and natural persons.
    Party {
        #[command(subcommand)]
        command: party::Command,
    },
    /// Any account, staff or applicant.
    User {
        #[command(subcommand)]
        command: user::Command,
    },
    /// Show the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Check a certificate, its offline proof, or a disclosure of an act's terms, offline
    ///
    /// With --policy: an offline proof (a .tlog-proof file, or the
    /// certificate's PDF, which carries one) against a C2SP tlog-policy: the
    /// checkpoint's signature by a log the policy lists, the witnesses'
    /// cosignatures the quorum needs, the issuance entry, the registry's
    /// signature on its document and the inclusion proof. With --public-key:
    /// a certificate's JSON or PDF (its signature, ledger leaf, inclusion
    /// proof and checkpoint), or with --opening each disclosed private field
    /// of an act against the commitment in its ledger entry. Reads no
    /// configuration and no database; only --online uses the network.
    Verify(verify::Args),
    /// Run a transparency-log witness (C2SP tlog-witness)
    ///
    /// Cosigns the checkpoints of the logs given with --log once they are
    /// consistent with the last one it cosigned, which it keeps in the
    /// configured database. Serves POST /add-checkpoint and
    /// GET /<sha256(origin)>/checkpoint.
    #[command(after_help = CONFIGURATION_HELP)]
    Witness(witness::Args),
    /// The tamper-evident ledger.
    Ledger {
        #[command(subcommand)]
        command: ledger::Command,
    },
}

#[derive(Args)]
pub struct Start {
    /// Start even though the ledger was signed with another key than the
    /// configured one (what was signed before then verifies only with the
    /// old key).
    #[arg(long)]
    pub accept_new_signing_key: bool,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration, each value with the layer it came
    /// from (secrets redacted), and where the data directory's secrets are.
    #[command(after_help = CONFIGURATION_HELP)]
    Show,
}

impl Command {
    /// Runs the command. Those that read the configuration load it (and
    /// start logging) first; `verify`, `config show` and `ledger monitor`
    /// read no database.
    pub fn run(self, overrides: Overrides) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async move {
            match self {
                Self::Serve(start) => serve(start.apply(configured(&overrides)?)).await,
                Self::Demo(args) => args.run(configured(&overrides)?).await,
                Self::Migrate => migrate(configured(&overrides)?).await,
                Self::Worker(start) => worker(start.apply(configured(&overrides)?)).await,
                Self::Staff { command } => command.run(configured(&overrides)?).await,
                Self::Org { command } => command.run(configured(&overrides)?).await,
                Self::Party { command } => command.run(configured(&overrides)?).await,
                Self::User { command } => command.run(configured(&overrides)?).await,
                Self::Config { command: ConfigCommand::Show } => {
                    print!("{}", crate::config::show(&overrides)?);
                    Ok(())
                }
                Self::Verify(args) => args.run().await,
                Self::Witness(args) => args.run(configured(&overrides)?).await,
                Self::Ledger { command } => command.run(&overrides).await,
            }
        })
    }
}

impl Start {
    fn apply(self, mut config: Config) -> Config {
        config.signing.accept_new_key = self.accept_new_signing_key;
        config
    }
}

/// The configuration, loaded for a command that needs it; logging starts
/// with it, and says where it came from.
fn configured(overrides: &Overrides) -> anyhow::Result<Config> {
    let config = Config::load_with(overrides)?;
    telemetry::init(&config.log);
    log_configuration(&config);
    Ok(config)
}

/// Says where the configuration came from, so that an operator can tell
/// which file and which data directory a process is using.
fn log_configuration(config: &Config) {
    let file = config.sources.file.as_ref().map(|file| file.display().to_string());
    let data_dir = std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    tracing::info!(
        environment = config.environment.as_str(),
        config_dir = %config.sources.config_dir.display(),
        file = file.as_deref().unwrap_or("none (built-in defaults and environment only)"),
        data_dir = %data_dir.display(),
        "configuration read"
    );
}

/// `dataip serve`: the API and the worker (on a private PostgreSQL when
/// development has no database; see `db::embedded`).
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let _postgres = db::embedded::start_if_needed(&mut config).await?;
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    app.run_until_stopped(shutdown_on_signal()).await
}

/// `dataip migrate`: create the database if needed and apply migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let pool = db::prepare(&config.database).await?;
    let applied = db::MIGRATOR.iter().count();
    pool.close().await;
    println!("database is up to date ({applied} migrations)");
    Ok(())
}

/// `dataip worker`: only the background worker (run several for capacity).
pub async fn worker(config: Config) -> anyhow::Result<()> {
    let state = state(config).await?;
    services::transparency::ledger::check_signing_key(&state).await?;
    Worker::new(state).run(shutdown_on_signal()).await;
    Ok(())
}

/// The application state over a prepared database, for one-off commands.
async fn state(mut config: Config) -> anyhow::Result<AppState> {
    let pool = db::prepare(&config.database).await?;
    adopt_stored_origin(&mut config, &pool).await?;
    config.settle(None);
    AppState::new(config, pool, Arc::new(SystemClock))
}

/// With no `ledger.origin` configured, a command that does not serve takes
/// the origin the ledger was started under (the server's derives from the
/// address it serves).
async fn adopt_stored_origin(config: &mut Config, pool: &sqlx::PgPool) -> anyhow::Result<()> {
    if config.ledger.origin.is_empty() {
        let mut conn = pool.acquire().await?;
        if let Some(latest) = db::ledger::latest_checkpoint(&mut conn).await? {
            config.ledger.origin = latest.note.lines().next().unwrap_or_default().to_owned();
        }
    }
    Ok(())
}

/// A use-case's error as a command prints it: every field problem at once.
fn service_error(error: services::Error) -> anyhow::Error {
    match error {
        services::Error::Validation(errors) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::anyhow!("{}", problems.join("; "))
        }
        error => anyhow::anyhow!("{error}"),
    }
}
