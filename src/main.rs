//! The `dataip` command: parses the command line and runs the subcommand
//! (each lives, with its arguments, in `dataip::commands`).

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser};
use dataip::{
    commands::{CONFIGURATION_HELP, Command},
    config::Overrides,
};

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides { config_dir: Some(cli.places.config_dir), data_dir: cli.places.data_dir };
    match cli.command.run(overrides) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
