//! Applications whose supplement deadline passed are deemed withdrawn.

use crate::{services, state::AppState};

const BATCH: i64 = 100;

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let lapsed = services::registration::applications::lapse_due_supplements(state, BATCH).await?;
    if lapsed > 0 {
        tracing::info!(lapsed, "supplement deadlines passed: applications deemed withdrawn");
    }
    Ok(())
}
