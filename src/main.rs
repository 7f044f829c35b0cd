//! The `dataip` command: parses the command line and calls the library.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
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
    Verify {
        /// The proof (with --policy), the certificate (JSON or PDF).
        #[arg(required_unless_present = "opening", conflicts_with = "opening")]
        certificate: Option<PathBuf>,
        /// A disclosure of an act's private fields, as
        /// /api/v1/certificates/{id}/acts/{act_id}/openings gives it (JSON).
        #[arg(long, value_name = "FILE")]
        opening: Option<PathBuf>,
        /// The registry's public key: base64, a file holding it, or the
        /// registry's URL (its /api/v1/public/ledger/key is fetched).
        #[arg(long, required_unless_present = "policy", conflicts_with = "policy")]
        public_key: Option<String>,
        /// A C2SP tlog-policy file: the logs and witnesses trusted, and the
        /// quorum of cosignatures required (the registry suggests one at /tlog/policy).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// With --policy: also fetch the certificate's current status and
        /// the anchor covering its entry from the registry the policy names.
        #[arg(long, requires = "policy")]
        online: bool,
    },
    /// Run a transparency-log witness (C2SP tlog-witness)
    ///
    /// Cosigns the checkpoints of the logs given with --log once they are
    /// consistent with the last one it cosigned, which it keeps in the
    /// configured database. Serves POST /add-checkpoint and
    /// GET /<sha256(origin)>/checkpoint.
    #[command(after_help = CONFIGURATION_HELP)]
    Witness {
        /// The address to listen on.
        #[arg(long, env = "DATAIP_WITNESS_LISTEN", default_value = "127.0.0.1:7380")]
        listen: std::net::SocketAddr,
        /// The witness's name (a schema-less URL), e.g. witness.example.org/w1.
        #[arg(long, env = "DATAIP_WITNESS_NAME")]
        name: String,
        /// The file holding its Ed25519 key (created when missing).
        #[arg(long, env = "DATAIP_WITNESS_KEY_FILE", default_value = "data/witness.key")]
        key_file: PathBuf,
        /// A log to witness: its verifier key (see its /tlog/vkey). Repeat,
        /// or separate with commas.
        #[arg(long = "log", env = "DATAIP_WITNESS_LOGS", value_delimiter = ',', value_name = "VKEY")]
        logs: Vec<String>,
        /// Print the witness's verifier key (for the logs' configuration and
        /// policies) and exit.
        #[arg(long)]
        print_vkey: bool,
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
    /// entry and checkpoint, and report the first discrepancy; with
    /// --mirror, audit a mirror's tiles against the registry's key instead.
    #[command(after_help = CONFIGURATION_HELP)]
    Audit {
        /// A mirror to audit: a directory written by `ledger export`, or a
        /// base URL (a registry's address, or a mirror's /tlog prefix).
        #[arg(long, value_name = "DIR|URL")]
        mirror: Option<String>,
    },
    /// Write the log as static files (C2SP tlog-tiles), for any static host or CDN
    ///
    /// The files /tlog/ serves: checkpoint, vkey, policy, and every tile and
    /// entry bundle of the latest tree. Run it again to bring a mirror up to
    /// date; full tiles already written are kept.
    #[command(after_help = CONFIGURATION_HELP)]
    Export {
        /// The directory (the mirror's /tlog/ prefix).
        dir: PathBuf,
    },
    /// Follow a log's checkpoints and check each, like a monitor
    ///
    /// Verifies each new checkpoint, checks it consistent with the last one
    /// verified (kept in --state) and every new entry's form, and exits
    /// non-zero, printing both checkpoints, on a split view. Reads no
    /// configuration and no database.
    Monitor {
        /// The registry's address, a mirror's /tlog prefix, or a directory.
        url: String,
        /// Where the last verified state is kept.
        #[arg(long, default_value = "dataip-monitor.json", value_name = "FILE")]
        state: PathBuf,
        /// The log's verifier key; by default the one pinned in --state, or
        /// on the first run the log's own /tlog/vkey.
        #[arg(long, value_name = "VKEY")]
        vkey: Option<String>,
        /// Check once and exit.
        #[arg(long)]
        once: bool,
        /// Seconds between checks.
        #[arg(long, default_value_t = 60)]
        interval: u64,
    },
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
        Command::Verify { certificate, policy: Some(policy), online, .. } => {
            let proof = certificate.context("give the proof file (or the certificate's PDF)")?;
            return runtime.block_on(commands::verify_proof(&proof, &policy, online));
        }
        Command::Verify { certificate, opening, public_key, .. } => {
            let public_key = public_key.context("give --public-key (or --policy for an offline proof)")?;
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
        Command::Ledger { command: LedgerCommand::Monitor { url, state, vkey, once, interval } } => {
            let options = commands::MonitorOptions {
                location: &url,
                state_file: &state,
                vkey: vkey.as_deref(),
                once,
                interval: std::time::Duration::from_secs(interval.max(1)),
            };
            return runtime.block_on(commands::ledger_monitor(options));
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
            Command::Ledger { command: LedgerCommand::Audit { mirror } } => {
                commands::audit(config, mirror.as_deref()).await
            }
            Command::Ledger { command: LedgerCommand::Export { dir } } => commands::ledger_export(config, &dir).await,
            Command::Witness { listen, name, key_file, logs, print_vkey } => {
                let options =
                    commands::WitnessOptions { listen, name: &name, key_file: &key_file, logs: &logs, print_vkey };
                commands::witness(config, options).await
            }
            // Handled above, before any configuration is read.
            Command::Verify { .. }
            | Command::Config { .. }
            | Command::Ledger { command: LedgerCommand::Monitor { .. } } => Ok(()),
        }
    })
}
