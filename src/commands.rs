//! What each subcommand of the `dataip` binary does.

use std::{
    io::{BufRead, IsTerminal},
    path::Path,
    sync::Arc,
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::{
    clock::SystemClock,
    config::Config,
    db,
    domain::StaffRole,
    jobs::Worker,
    ledger,
    services::{self, accounts::NewAccount, staff::NewStaff},
    signing::Signer,
    startup::{Application, shutdown_on_signal},
    state::AppState,
};

/// `dataip serve`: the API and the worker.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    app.run_until_stopped(shutdown_on_signal()).await
}

/// `dataip migrate`: create the database if needed and apply migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let pool = db::prepare(&config).await?;
    let applied = db::MIGRATOR.iter().count();
    pool.close().await;
    println!("database is up to date ({applied} migrations)");
    Ok(())
}

/// `dataip worker`: only the background worker (run several for capacity).
pub async fn worker(config: Config) -> anyhow::Result<()> {
    let pool = db::prepare(&config).await?;
    let state = AppState::new(config, pool, Arc::new(SystemClock))?;
    Worker::new(state).run(shutdown_on_signal()).await;
    Ok(())
}

/// `dataip staff add`: creates a reviewer or admin, the password read as one
/// line from standard input.
pub async fn staff_add(config: Config, email: String, name: String, role: StaffRole) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("could not read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let pool = db::prepare(&config).await?;
    let state = AppState::new(config, pool, Arc::new(SystemClock))?;
    let request = NewStaff { account: NewAccount { email, password, display_name: name }, role };
    match services::staff::add(&state, request).await {
        Ok(user) => {
            println!("added {:?} {} ({})", user.role, user.email, user.id);
            Ok(())
        }
        Err(services::Error::Validation(errors)) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::bail!("{}", problems.join("; "))
        }
        Err(error) => Err(anyhow::anyhow!("{error}")),
    }
}

/// What `dataip verify` checks.
pub enum Verifiable<'a> {
    /// A certificate as the registry serves it.
    Certificate(&'a Path),
    /// A disclosure of an act's private fields, as
    /// `GET /certificates/{id}/acts/{act_id}/openings` gives it.
    Opening(&'a Path),
}

/// `dataip verify`: checks a certificate or a disclosure offline and prints
/// each check; fails if any fails. KEY is the base64 public key, a file
/// holding it (or the JSON of /public/ledger/key), or the registry's URL to
/// fetch it from.
pub async fn verify(what: Verifiable<'_>, public_key: &str) -> anyhow::Result<()> {
    let (path, shape) = match what {
        Verifiable::Certificate(path) => {
            (path, "a certificate as the registry serves it (document, signature, ledger)")
        }
        Verifiable::Opening(path) => (path, "a disclosure as the registry serves it (openings, entry, ledger)"),
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    let key = public_key_from(public_key).await?;
    let (checks, conclusion) = match what {
        Verifiable::Certificate(_) => {
            let certificate = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            (ledger::verify::verify(&certificate, &key), "the certificate is authentic and recorded in the ledger")
        }
        Verifiable::Opening(_) => {
            let disclosure = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            let checks = ledger::verify::verify_disclosure(&disclosure, &key);
            (checks, "every disclosed value is the one the ledger committed to")
        }
    };
    for check in &checks {
        println!("{} {}: {}", if check.passed { "✓" } else { "✗" }, check.name, check.detail);
    }
    let failed = checks.iter().filter(|c| !c.passed).count();
    anyhow::ensure!(failed == 0, "{failed} of {} checks failed", checks.len());
    println!("{conclusion}");
    Ok(())
}

/// The raw public key from base64, a file, or a registry URL.
async fn public_key_from(given: &str) -> anyhow::Result<Vec<u8>> {
    let text = if given.starts_with("http://") || given.starts_with("https://") {
        let url = if given.trim_end_matches('/').ends_with("/public/ledger/key") {
            given.to_owned()
        } else {
            format!("{}/api/v1/public/ledger/key", given.trim_end_matches('/'))
        };
        let answer = reqwest::get(&url).await.with_context(|| format!("could not fetch {url}"))?;
        anyhow::ensure!(answer.status().is_success(), "{url} answered {}", answer.status());
        answer.text().await?
    } else if Path::new(given).is_file() {
        std::fs::read_to_string(given).with_context(|| format!("could not read {given}"))?
    } else {
        given.to_owned()
    };
    let text = text.trim();
    let encoded = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => json["public_key"].as_str().map(str::to_owned).context("no public_key in that JSON")?,
        Err(_) => text.to_owned(),
    };
    let key = STANDARD.decode(encoded.trim()).context("the public key is not base64")?;
    anyhow::ensure!(key.len() == 32, "an Ed25519 public key has 32 bytes, not {}", key.len());
    Ok(key)
}

/// `dataip ledger audit`: recomputes the whole ledger from the database and
/// reports the first discrepancy; a progress bar on a terminal.
pub async fn audit(config: Config) -> anyhow::Result<()> {
    let pool = db::prepare(&config).await?;
    let signer = Signer::load(&config)?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} leaves ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_message("auditing");
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
