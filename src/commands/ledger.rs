//! `dataip ledger …`: the ledger, seen from the database, exported as
//! static files, audited from a mirror, followed by a monitor, and replayed
//! into every certificate's status.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;

use crate::{
    config::Config,
    db,
    ledger::{
        self,
        mirror::{self, Followed, MonitorState, Source},
        replay,
    },
    services::transparency::log_files,
};
use tlog::{note::VerifierKey, tiles};

use clap::{Args, Subcommand};

use super::{CONFIGURATION_HELP, configured};
use crate::config::Overrides;

#[derive(Subcommand)]
pub enum Command {
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
    Monitor(MonitorArgs),
    /// Recompute every certificate's status from a log's tiles alone
    ///
    /// Reads every entry of the log at LOCATION, checks that they are exactly
    /// the tree of its checkpoint (signed by the --policy's log key), and
    /// folds them into each certificate's status, holders, pledges and
    /// measures as the registry computes its signed statements. Prints a
    /// summary; --out writes each certificate's replayed statement
    /// (unsigned); --compare asks the registry for every certificate's
    /// signed statement, verifies each, and exits non-zero, naming each
    /// field, on any that differs from the replay. Reads no configuration
    /// and no database.
    Replay(ReplayArgs),
}

// The arguments of `dataip ledger monitor` (no doc comment: the subcommand's own says what it does).
#[derive(Args)]
pub struct MonitorArgs {
    /// The registry's address, a mirror's /tlog prefix, or a directory.
    pub url: String,
    /// Where the last verified state is kept.
    #[arg(long, default_value = "dataip-monitor.json", value_name = "FILE")]
    pub state: PathBuf,
    /// The log's verifier key; by default the one pinned in --state, or
    /// on the first run the log's own /tlog/vkey.
    #[arg(long, value_name = "VKEY")]
    pub vkey: Option<String>,
    /// Check once and exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between checks.
    #[arg(long, default_value_t = 60)]
    pub interval: u64,
}

impl MonitorArgs {
    /// Follows the log; reads no configuration and no database.
    pub async fn run(self) -> anyhow::Result<()> {
        monitor(MonitorOptions {
            location: &self.url,
            state_file: &self.state,
            vkey: self.vkey.as_deref(),
            once: self.once,
            interval: Duration::from_secs(self.interval.max(1)),
        })
        .await
    }
}

// The arguments of `dataip ledger replay` (no doc comment: the subcommand's own says what it does).
#[derive(Args)]
pub struct ReplayArgs {
    /// The registry's address, a mirror's /tlog prefix, or a directory.
    pub location: String,
    /// A C2SP tlog-policy file: its log's key must sign the checkpoint
    /// (the registry suggests one at /tlog/policy).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The registry's address: compare its signed statements with the replay.
    #[arg(long, value_name = "URL")]
    pub compare: Option<String>,
    /// Write every certificate's replayed statement here, one JSON line each.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --compare: a verified relying party's API key (dipk_…), whose
    /// allowance of status queries is the larger one.
    #[arg(long, env = "DATAIP_API_KEY", hide_env_values = true, requires = "compare", value_name = "KEY")]
    pub api_key: Option<String>,
}

impl ReplayArgs {
    /// Replays the log, and compares; reads no configuration and no database.
    pub async fn run(self) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&self.policy)
            .with_context(|| format!("could not read {}", self.policy.display()))?;
        let policy = tlog::policy::Policy::parse(&text).map_err(anyhow::Error::msg)?;
        let source = Source::new(&self.location);
        let bar = progress_bar("replaying");
        let key = replay::log_key(&policy)?;
        let log = replay::read(&source, key, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await;
        bar.finish_and_clear();
        let log = log.with_context(|| format!("the log at {} cannot be replayed", source.describe()))?;
        report_replay(&source, &key.name, &log, self.out.as_deref())?;
        match self.compare {
            Some(url) => compare(&log, &url, &policy, self.api_key.as_deref()).await,
            None => Ok(()),
        }
    }
}

impl Command {
    /// Audit and export read the configuration; monitor and replay do not.
    pub async fn run(self, overrides: &Overrides) -> anyhow::Result<()> {
        match self {
            Self::Audit { mirror } => audit(configured(overrides)?, mirror.as_deref()).await,
            Self::Export { dir } => export(configured(overrides)?, &dir).await,
            Self::Monitor(args) => args.run().await,
            Self::Replay(args) => args.run().await,
        }
    }
}

fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} leaves ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_message(message);
    bar
}

/// `dataip ledger audit`: recomputes the whole ledger from the database and
/// reports the first discrepancy; with `mirror`, audits that directory or
/// URL instead, against the registry's key and the database's checkpoints.
pub async fn audit(mut config: Config, mirror: Option<&str>) -> anyhow::Result<()> {
    let pool = db::prepare(&config.database).await?;
    super::adopt_stored_origin(&mut config, &pool).await?;
    config.settle(None);
    let signer = crate::secrets::signing_key(&config)?;
    let bar = progress_bar("auditing");
    if let Some(location) = mirror {
        let key = VerifierKey::new(&config.ledger.origin, tlog::note::ED25519_TYPE, signer.public_key())
            .map_err(anyhow::Error::msg)?;
        let source = Source::new(location);
        let report = mirror::audit(&source, &key, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await;
        bar.finish_and_clear();
        let report = report.with_context(|| format!("the mirror {} is not intact", source.describe()))?;
        let size = report.checkpoint.size;
        let mut conn = pool.acquire().await?;
        let ours = db::ledger::checkpoints(&mut conn).await?;
        let known = ours.iter().any(|row| u64::try_from(row.tree_size).ok() == Some(size));
        let matches = ours.iter().any(|row| {
            u64::try_from(row.tree_size).ok() == Some(size) && row.root_hash.as_slice() == report.checkpoint.root
        });
        anyhow::ensure!(
            !known || matches,
            "the mirror's checkpoint of size {size} has another root than the database's: a split view"
        );
        println!(
            "the mirror {} is intact: {} tiles and {size} entries match its checkpoint, signed by {}{}",
            source.describe(),
            report.tiles,
            key.name,
            if known { " and recorded in the database" } else { " (a size the database has no checkpoint of)" }
        );
        return Ok(());
    }
    let mut conn = pool.acquire().await?;
    let result = ledger::audit::audit(&mut conn, &config.ledger.origin, signer.public_key(), |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            println!(
                "the ledger is intact: {} leaves recomputed, {} subtrees and {} signed checkpoints match",
                report.leaves, report.nodes, report.checkpoints
            );
            Ok(())
        }
        Err(discrepancy) => anyhow::bail!("first discrepancy: {discrepancy}"),
    }
}

/// `dataip ledger export DIR`: the log as static files, the paths
/// `/tlog/` serves: checkpoint, vkey, policy, every tile and entry bundle
/// of the latest checkpoint's tree. Full tiles already there are kept.
pub async fn export(config: Config, dir: &Path) -> anyhow::Result<()> {
    let state = super::state(config).await?;
    let (size, note) = log_files::checkpoint(&state).await.map_err(super::service_error)?;
    let mut conn = state.db.acquire().await?;
    let mut written = 0;
    for tile in tiles::tiles_of(size) {
        let path = dir.join(tile.path());
        if tile.is_full() && path.exists() {
            continue;
        }
        let bytes = log_files::read_tile(&mut conn, &tile).await.map_err(super::service_error)?;
        write(&path, &bytes)?;
        written += 1;
    }
    write(&dir.join("vkey"), format!("{}\n", log_files::log_key(&state)).as_bytes())?;
    write(&dir.join("policy"), log_files::policy(&state).as_bytes())?;
    // Last, so that a mirror never serves a checkpoint before its tiles.
    write(&dir.join("checkpoint"), note.as_bytes())?;
    println!("exported the ledger at tree size {size} to {} ({written} tiles written)", dir.display());
    Ok(())
}

/// Writes a file whole or not at all (a temporary file renamed).
fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
    }
    let temporary = path.with_extension("partial-write");
    std::fs::write(&temporary, bytes).with_context(|| format!("could not write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("could not write {}", path.display()))
}

/// How `dataip ledger monitor` runs.
pub struct MonitorOptions<'a> {
    pub location: &'a str,
    /// Where the last verified state is kept.
    pub state_file: &'a Path,
    /// The log's key; else the one pinned in the state, else the log's own
    /// `vkey` on the first run (trust on first use).
    pub vkey: Option<&'a str>,
    /// Check once and exit, rather than follow.
    pub once: bool,
    pub interval: Duration,
}

/// `dataip ledger monitor URL`: follows a log's checkpoints, checks each
/// consistent with the last verified one and every new entry's form, and
/// fails with both checkpoints on a split view.
pub async fn monitor(options: MonitorOptions<'_>) -> anyhow::Result<()> {
    let source = Source::new(options.location);
    let mut state = match std::fs::read(options.state_file) {
        Ok(bytes) => serde_json::from_slice::<MonitorState>(&bytes)
            .with_context(|| format!("{} is not a monitor state", options.state_file.display()))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let vkey = match options.vkey {
                Some(vkey) => vkey.to_owned(),
                None => {
                    let vkey = source.text("vkey").await?.trim().to_owned();
                    println!("first run: trusting the log's key {vkey}");
                    vkey
                }
            };
            MonitorState { vkey, size: 0, checkpoint: String::new(), peaks: Vec::new() }
        }
        Err(error) => return Err(error).context("could not read the monitor state"),
    };
    if let Some(vkey) = options.vkey {
        anyhow::ensure!(
            VerifierKey::parse(vkey).map_err(anyhow::Error::msg)?
                == VerifierKey::parse(&state.vkey).map_err(anyhow::Error::msg)?,
            "--vkey is not the key pinned in {}",
            options.state_file.display()
        );
    }
    loop {
        let (next, found) = mirror::follow(&source, state).await?;
        match found {
            Followed::Unchanged => println!("tree size {}: unchanged", next.size),
            Followed::Grew { from, to } => {
                println!("tree size {from} → {to}: consistent, {} new entries well-formed", to - from);
                write(options.state_file, &serde_json::to_vec_pretty(&next)?)?;
            }
            Followed::SplitView { remembered, served, why } => {
                println!(
                    "SPLIT VIEW: {why}\n\n--- checkpoint verified before ---\n{remembered}\n--- checkpoint served now ---\n{served}"
                );
                anyhow::bail!("split view detected on {}: {why}", source.describe());
            }
        }
        state = next;
        if options.once {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(options.interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// Entries that do not fit their certificate's record shown at most: a
/// log with many shows the first, and how many more.
const PROBLEMS_SHOWN: usize = 20;

/// What `dataip ledger replay` found in the log: the summary now, entries
/// that do not fit their certificate, and with `out` every statement.
fn report_replay(source: &Source, signer: &str, log: &replay::ReplayedLog, out: Option<&Path>) -> anyhow::Result<()> {
    let (now, size) = (chrono::Utc::now(), log.checkpoint.size);
    println!(
        "replayed {size} entries from {}, the whole tree of its checkpoint signed by {signer}: {}",
        source.describe(),
        replay::summarize(&log.replay, now, size)
    );
    let problems = &log.replay.problems;
    if !problems.is_empty() {
        println!("{} entries do not fit their certificate's record:", problems.len());
        for (index, problem) in problems.iter().take(PROBLEMS_SHOWN) {
            println!("  entry {index}: {problem}");
        }
        if problems.len() > PROBLEMS_SHOWN {
            println!("  … and {} more", problems.len() - PROBLEMS_SHOWN);
        }
    }
    if let Some(path) = out {
        write(path, &replay::statements_ndjson(&log.replay, now, size)?)?;
        println!(
            "wrote {} statements (unsigned, tree size {size}) to {}",
            log.replay.records().count(),
            path.display()
        );
    }
    Ok(())
}

/// `dataip ledger replay --compare URL`: the registry's signed statements
/// against the replay; fails naming each disagreement and refused statement.
async fn compare(
    log: &replay::ReplayedLog,
    url: &str,
    policy: &tlog::policy::Policy,
    api_key: Option<&str>,
) -> anyhow::Result<()> {
    let comparison = replay::compare(log, url, policy, api_key).await?;
    let tiles = log.checkpoint.size;
    let sizes: Vec<String> = comparison.tree_sizes.iter().map(u64::to_string).collect();
    // Statements of an earlier checkpoint (one the witnesses reached) are
    // compared with the replay of that checkpoint's entries.
    let earlier = comparison.tree_sizes.iter().any(|size| *size < tiles);
    println!(
        "the registry answered at tree size {} (the tiles' checkpoint: {tiles}){}",
        if sizes.is_empty() { "-".to_owned() } else { sizes.join(", ") },
        if earlier { ": compared with the replay of the entries below it" } else { "" }
    );
    for (number, why) in &comparison.refused {
        println!("REFUSED {number}: the statement does not verify: {why}");
    }
    for d in &comparison.disagreements {
        println!("DISAGREE {} {}: the registry says {}, the replay {}", d.number, d.field, d.registry, d.replay);
    }
    anyhow::ensure!(
        comparison.agrees(),
        "{} disagreements and {} refused statements among the registry's answers for {} certificates",
        comparison.disagreements.len(),
        comparison.refused.len(),
        comparison.compared
    );
    println!("the registry's answers agree with the replay for all {} certificates", comparison.compared);
    Ok(())
}
