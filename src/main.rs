//! The `dataip` command: parses the command line and calls the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use dataip::{commands, config::Config, domain::StaffRole, telemetry};

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
    /// Verify a certificate offline.
    Verify {
        /// The certificate JSON.
        certificate: Option<PathBuf>,
        /// The registry's ledger public key.
        #[arg(long)]
        public_key: Option<String>,
    },
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
    if let Command::Verify { .. } = cli.command {
        return commands::verify();
    }
    let config = Config::load()?;
    telemetry::init(&config.log);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve => commands::serve(config).await,
            Command::Migrate => commands::migrate(config).await,
            Command::Worker => commands::worker(config).await,
            Command::Staff { command: StaffCommand::Add { email, name, role } } => {
                commands::staff_add(config, email, name, role).await
            }
            Command::Verify { .. } => commands::verify(),
        }
    })
}
