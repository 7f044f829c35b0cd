//! Forgets what can no longer matter: expired refresh tokens and old
//! throttle windows.

use crate::{services, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    let tokens = services::sessions::purge_expired(state, now).await?;
    let windows = services::throttle::purge(state, now).await?;
    if tokens + windows > 0 {
        tracing::debug!(tokens, windows, "housekeeping");
    }
    Ok(())
}
