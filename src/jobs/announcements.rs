//! Announcements whose window ended: registered with a certificate, or
//! waiting for the objections to be decided.

use crate::{services, state::AppState};

const BATCH: i64 = 100;

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let closed = services::objections::close_due_announcements(state, BATCH).await?;
    if closed > 0 {
        tracing::info!(closed, "announcement windows closed");
    }
    Ok(())
}
