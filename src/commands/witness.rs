//! `dataip witness`: runs a C2SP tlog-witness over the configured database.

use std::{net::SocketAddr, path::Path};

use crate::{config::Config, db, secrets, startup::shutdown_on_signal, witness::WitnessConfig};
use tlog::signing::Signer;

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
    let pool = db::prepare(&config).await?;
    crate::witness::serve(witness, pool, options.listen, &config.server, shutdown_on_signal()).await
}
