//! Reminders: certificates about to expire, objections about to be due.

use crate::{services::notifications, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let sent = notifications::remind(state).await?;
    if sent > 0 {
        tracing::info!(sent, "reminders queued");
    }
    Ok(())
}
