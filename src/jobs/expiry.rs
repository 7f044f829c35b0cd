//! Certificates whose validity ended become expired.

use crate::{services, state::AppState};

const BATCH: i64 = 500;

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let expired = services::certificates::expire_due(state, BATCH).await?;
    if expired > 0 {
        tracing::info!(expired, "certificates expired");
    }
    Ok(())
}
