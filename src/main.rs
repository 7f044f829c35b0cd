//! The `dataip` command: parses the command line and calls the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use dataip::{
    commands::{self, Verifiable},
    config::{Config, Overrides},
    domain::StaffRole,
    telemetry,
};

/// What every command that reads the configuration is told, at the end of
/// its --help.
const CONFIGURATION_HELP: &str = "\
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

#[derive(Parser)]
#[command(name = "dataip", version, about = "Registry of data-product intellectual property", after_help = CONFIGURATION_HELP)]
struct Cli {
    #[command(flatten)]
    places: Places,
    #[command(subcommand)]
    command: Command,
}

/// Where configuration and state live.
#[derive(Args)]
struct Places {
    /// The configuration directory, holding <DATAIP_ENV>.toml.
    #[arg(long, global = true, env = "DATAIP_CONFIG_DIR", value_name = "DIR", default_value = "config")]
    config_dir: PathBuf,
    /// The data directory: the development signing key and token secret
    /// (else DATAIP__DATA_DIR, else ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
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
    Demo {
        /// The announcement period of the demo (ISO 8601).
        #[arg(long, default_value = "PT30S", value_name = "DURATION")]
        announcement_period: String,
        /// Drop the demo database and exit.
        #[arg(long)]
        reset: bool,
    },
    /// Create the database if missing and apply migrations.
    #[command(after_help = CONFIGURATION_HELP)]
    Migrate,
    /// Run only the background worker (run several for capacity).
    #[command(after_help = CONFIGURATION_HELP)]
    Worker(Start),
    /// Manage registry staff.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Applicant organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Any account, staff or applicant.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Show the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Check a certificate, or a disclosure of an act's terms, offline
    ///
    /// A certificate: its signature, its ledger leaf, the inclusion proof and
    /// the checkpoint's signature. With --opening: each disclosed private
    /// field of an act against the commitment in its ledger entry, then the
    /// entry's leaf, proof and checkpoint. Reads no configuration and no
    /// database.
    Verify {
        /// The certificate as the registry serves it (JSON), or its PDF.
        #[arg(required_unless_present = "opening", conflicts_with = "opening")]
        certificate: Option<PathBuf>,
        /// A disclosure of an act's private fields, as
        /// /api/v1/certificates/{id}/acts/{act_id}/openings gives it (JSON).
        #[arg(long, value_name = "FILE")]
        opening: Option<PathBuf>,
        /// The registry's public key: base64, a file holding it, or the
        /// registry's URL (its /api/v1/public/ledger/key is fetched).
        #[arg(long)]
        public_key: String,
    },
    /// The tamper-evident ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Args)]
struct Start {
    /// Start even though the ledger was signed with another key than the
    /// configured one (what was signed before then verifies only with the
    /// old key).
    #[arg(long)]
    accept_new_signing_key: bool,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every leaf and the whole tree from the database, check every
    /// entry and checkpoint, and report the first discrepancy.
    #[command(after_help = CONFIGURATION_HELP)]
    Audit,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration, each value with the layer it came
    /// from (secrets redacted), and where the data directory's secrets are.
    #[command(after_help = CONFIGURATION_HELP)]
    Show,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a reviewer or admin. The password is asked for (hidden) on a
    /// terminal, else read as one line from standard input.
    #[command(after_help = CONFIGURATION_HELP)]
    Add {
        /// The staff member's e-mail address, with which they log in.
        #[arg(long)]
        email: String,
        /// Their name as the registry shows it.
        #[arg(long)]
        name: String,
        /// reviewer: examines applications and acts; admin: also manages staff.
        #[arg(long, value_enum)]
        role: StaffRole,
    },
    /// List every staff member: role, e-mail, name, and whether disabled.
    #[command(after_help = CONFIGURATION_HELP)]
    List,
    /// Disable a staff member: they can no longer log in, their sessions end
    /// and their access tokens stop working at once.
    #[command(after_help = CONFIGURATION_HELP)]
    Disable {
        /// The staff member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled staff member again (they log in afresh).
    #[command(after_help = CONFIGURATION_HELP)]
    Enable {
        /// The staff member's e-mail address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Verify the organization that claims a credit code, having checked its
    /// business licence (the one it uploaded, or on paper). A verified
    /// organization may submit applications and holds its credit code.
    ///
    /// When several unverified organizations claim the code, they are listed
    /// and none is verified: name one with --id. The organization that is
    /// verified already is left as it is.
    #[command(after_help = CONFIGURATION_HELP)]
    Verify {
        /// The organization's unified social credit code.
        #[arg(long)]
        credit_code: String,
        /// Which of the organizations claiming the code to verify.
        #[arg(long, value_name = "UUID")]
        id: Option<uuid::Uuid>,
        /// The organization's name as its licence gives it, if it signed up
        /// under another.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Print a one-time token (valid an hour) with which the account's owner
    /// sets a new password at POST /api/v1/auth/password-reset.
    #[command(after_help = CONFIGURATION_HELP)]
    ResetPassword {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let overrides = Overrides { config_dir: Some(cli.places.config_dir), data_dir: cli.places.data_dir };
    match cli.command {
        // Verification is offline: no configuration, no database.
        Command::Verify { certificate, opening, public_key } => {
            let what = match (&certificate, &opening) {
                (_, Some(opening)) => Verifiable::Opening(opening),
                (Some(certificate), None) => Verifiable::Certificate(certificate),
                (None, None) => anyhow::bail!("give a certificate or --opening FILE"),
            };
            return runtime.block_on(commands::verify(what, &public_key));
        }
        Command::Config { command: ConfigCommand::Show } => {
            print!("{}", dataip::config::show(&overrides)?);
            return Ok(());
        }
        _ => {}
    }
    let mut config = Config::load_with(&overrides)?;
    telemetry::init(&config.log);
    commands::log_configuration(&config);
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(start) => {
                config.signing.accept_new_key = start.accept_new_signing_key;
                commands::serve(config).await
            }
            Command::Demo { announcement_period, reset } => {
                commands::demo(config, announcement_period.parse()?, reset).await
            }
            Command::Migrate => commands::migrate(config).await,
            Command::Worker(start) => {
                config.signing.accept_new_key = start.accept_new_signing_key;
                commands::worker(config).await
            }
            Command::Staff { command: StaffCommand::Add { email, name, role } } => {
                commands::staff_add(config, email, name, role).await
            }
            Command::Staff { command: StaffCommand::List } => commands::staff_list(config).await,
            Command::Staff { command: StaffCommand::Disable { email } } => {
                commands::staff_set_disabled(config, &email, true).await
            }
            Command::Staff { command: StaffCommand::Enable { email } } => {
                commands::staff_set_disabled(config, &email, false).await
            }
            Command::Org { command: OrgCommand::Verify { credit_code, id, name } } => {
                commands::org_verify(config, &credit_code, id, name.as_deref()).await
            }
            Command::User { command: UserCommand::ResetPassword { email } } => {
                commands::reset_password(config, &email).await
            }
            Command::Ledger { command: LedgerCommand::Audit } => commands::audit(config).await,
            // Handled above, before any configuration is read.
            Command::Verify { .. } | Command::Config { .. } => Ok(()),
        }
    })
}
