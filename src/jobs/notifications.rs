//! Delivers the outbox: what is due, a batch at a time, until none is left
//! (or a batch delivers nothing: the server is down, retried later).

use crate::{services::notifications, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    loop {
        let delivered = notifications::deliver_due(state).await?;
        if delivered > 0 {
            tracing::info!(delivered, "mail delivered");
        }
        if delivered < notifications::BATCH as u64 {
            return Ok(());
        }
    }
}
