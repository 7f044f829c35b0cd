//! Announcements whose window ended: registered with a certificate, or
//! waiting for the objections to be decided.

use crate::{services, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let closed = services::registration::closing::close_due(state, services::registration::closing::BATCH).await?;
    if closed > 0 {
        tracing::info!(closed, "announcement windows closed");
    }
    Ok(())
}
