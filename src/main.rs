//! The `dataip` command: parses the command line and calls the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use dataip::{
    commands::{self, Verifiable},
    config::Config,
    domain::StaffRole,
    telemetry,
};

#[derive(Parser)]
#[command(name = "dataip", version, about = "Registry of data-product intellectual property")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and run the background worker (creates and migrates
    /// the database first).
    Serve,
    /// Create the database if missing and apply migrations.
    Migrate,
    /// Run only the background worker.
    Worker,
    /// Manage registry staff.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Verify offline a certificate (its signature, its ledger leaf, the
    /// inclusion proof and the checkpoint's signature) or, with --opening,
    /// the disclosed private fields of an act against its ledger entry.
    Verify {
        /// The certificate as the registry serves it (JSON).
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

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every leaf and the whole tree from the database, check every
    /// checkpoint, and report the first discrepancy.
    Audit,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a reviewer or admin; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: StaffRole,
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
    // Verification is offline: no configuration, no database.
    if let Command::Verify { certificate, opening, public_key } = &cli.command {
        let what = match (certificate, opening) {
            (_, Some(opening)) => Verifiable::Opening(opening),
            (Some(certificate), None) => Verifiable::Certificate(certificate),
            (None, None) => anyhow::bail!("give a certificate or --opening FILE"),
        };
        return runtime.block_on(commands::verify(what, public_key));
    }
    let config = Config::load()?;
    telemetry::init(&config.log);
    runtime.block_on(async move {
        match cli.command {
            Command::Serve => commands::serve(config).await,
            Command::Migrate => commands::migrate(config).await,
            Command::Worker => commands::worker(config).await,
            Command::Staff { command: StaffCommand::Add { email, name, role } } => {
                commands::staff_add(config, email, name, role).await
            }
            Command::Ledger { command: LedgerCommand::Audit } => commands::audit(config).await,
            // Handled above, before any configuration is read.
            Command::Verify { .. } => Ok(()),
        }
    })
}
