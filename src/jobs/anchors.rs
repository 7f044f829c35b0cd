//! Publishes new checkpoints to the configured blockchain.

use crate::{services, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    if let Some(anchor) = &state.anchor {
        services::ledger::publish_anchors(state, anchor.as_ref()).await?;
    }
    Ok(())
}
