//! Appends the entries waiting in the outbox to the ledger.

use crate::{services, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    services::transparency::ledger::append_pending(state).await?;
    Ok(())
}
