//! Forgets what can no longer matter: expired refresh tokens, password
//! resets and confirmation links, old throttle windows, day-old idempotency keys, and file contents
//! no material uses.

use crate::{services, state::AppState};

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    let tokens = services::accounts::sessions::purge_expired(state, now).await?
        + services::accounts::password_resets::purge_expired(state, now).await?
        + services::accounts::email_confirmations::purge_expired(state, now).await?;
    let windows = services::throttle::purge(state, now).await?;
    let keys = services::registration::applications::purge_idempotency_keys(state, now).await?;
    let blobs = services::registration::materials::purge_unused_blobs(state).await?;
    if tokens + windows + keys + blobs > 0 {
        tracing::debug!(tokens, windows, keys, blobs, "housekeeping");
    }
    Ok(())
}
