//! `dataip ledger …`: the ledger, seen from the database.

use std::io::IsTerminal;

use crate::{config::Config, db, ledger, signing::Signer};

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
