//! Publishes new checkpoints to the configured blockchain. Runs in a loop
//! of its own (see `Worker::run`): it waits on a chain that may be slow or
//! gone, and must not hold up the jobs that only need the database.

use tokio_util::sync::CancellationToken;

use crate::{services, state::AppState};

/// Publishes what is due; when `stop` is cancelled, returns at once, even
/// mid-publication.
pub async fn run(state: &AppState, stop: &CancellationToken) -> anyhow::Result<()> {
    if let Some(anchor) = &state.anchor {
        services::transparency::anchoring::publish_due(state, anchor.as_ref(), stop).await?;
    }
    Ok(())
}
