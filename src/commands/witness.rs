//! `dataip witness`: runs a C2SP tlog-witness over the configured database.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use crate::{config::Config, db, secrets, startup::shutdown_on_signal, witness::WitnessConfig};
use tlog::signing::Signer;

// The arguments of `dataip witness` (no doc comment: the subcommand's own says what it does).
#[derive(clap::Args)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, env = "DATAIP_WITNESS_LISTEN", default_value = "127.0.0.1:7380")]
    pub listen: std::net::SocketAddr,
    /// The witness's name (a schema-less URL), e.g. witness.example.org/w1.
    #[arg(long, env = "DATAIP_WITNESS_NAME")]
    pub name: String,
    /// The file holding its Ed25519 key (created when missing).
    #[arg(long, env = "DATAIP_WITNESS_KEY_FILE", default_value = "data/witness.key")]
    pub key_file: PathBuf,
    /// A log to witness: its verifier key (see its /tlog/vkey). Repeat,
    /// or separate with commas.
    #[arg(long = "log", env = "DATAIP_WITNESS_LOGS", value_delimiter = ',', value_name = "VKEY")]
    pub logs: Vec<String>,
    /// Print the witness's verifier key (for the logs' configuration and
    /// policies) and exit.
    #[arg(long)]
    pub print_vkey: bool,
}

impl Args {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        let options = WitnessOptions {
            listen: self.listen,
            name: &self.name,
            key_file: &self.key_file,
            logs: &self.logs,
            print_vkey: self.print_vkey,
        };
        witness(config, options).await
    }
}

/// How `dataip witness` runs.
pub struct WitnessOptions<'a> {
    pub listen: SocketAddr,
    /// The witness's key name, e.g. `witness.example.org/w1`.
    pub name: &'a str,
    /// Its Ed25519 seed (base64), created when missing.
    pub key_file: &'a Path,
    /// The verifier keys of the logs it witnesses.
    pub logs: &'a [String],
    /// Print the witness's verifier key and exit.
    pub print_vkey: bool,
}

pub async fn witness(config: Config, options: WitnessOptions<'_>) -> anyhow::Result<()> {
    let (seed, created) = secrets::read_or_create(options.key_file)?;
    let witness = WitnessConfig::new(options.name, Signer::from_seed(&seed)?, options.logs)?;
    if created {
        tracing::warn!(path = %options.key_file.display(), "generated a new witness key; keep this file");
    }
    if options.print_vkey {
        println!("{}", witness.vkey());
        return Ok(());
    }
    anyhow::ensure!(!witness.logs.is_empty(), "give at least one --log VKEY to witness");
    let pool = db::prepare(&config.database).await?;
    crate::witness::serve(witness, pool, options.listen, &config.server, shutdown_on_signal()).await
}
