//! Delivers the mail of the outbox that is due (see
//! `services::notifications::deliver_mail_due`).

use tokio_util::sync::CancellationToken;

use crate::{services::notifications, state::AppState};

pub async fn run(state: &AppState, stop: &CancellationToken) -> anyhow::Result<()> {
    let delivered = notifications::deliver_mail_due(state, stop).await?;
    if delivered > 0 {
        tracing::info!(delivered, "mail delivered");
    }
    Ok(())
}
