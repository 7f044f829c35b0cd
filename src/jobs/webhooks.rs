//! Delivers the webhooks of the outbox that are due (see
//! `services::webhook_delivery`): once for a worker step, or without end
//! for the worker's own loop, which keeps up to `webhooks.endpoints_at_once`
//! endpoints in delivery and claims another as soon as one is done, so that
//! an endpoint that never answers holds up only itself.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{services::notifications::webhook_delivery, state::AppState};

/// Every endpoint's due deliveries, once.
pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let delivered = webhook_delivery::deliver_due(state).await?;
    if delivered > 0 {
        tracing::info!(delivered, "webhooks delivered");
    }
    Ok(())
}

/// Until `shutdown` is cancelled: endpoints claimed whenever a slot is free
/// (at the latest every `interval`), each delivered in a task of its own.
/// On shutdown each finishes the delivery in hand, then gives its endpoint
/// back.
pub async fn run_until_stopped(state: AppState, interval: Duration, shutdown: CancellationToken) {
    let at_once = usize::try_from(state.config.webhooks.endpoints_at_once).unwrap_or(1);
    let mut running: JoinSet<anyhow::Result<()>> = JoinSet::new();
    loop {
        match webhook_delivery::claim_endpoints(&state, at_once.saturating_sub(running.len())).await {
            Ok(leases) => {
                for lease in leases {
                    let (state, stop) = (state.clone(), shutdown.clone());
                    running.spawn(async move {
                        let delivered = webhook_delivery::deliver_to(&state, lease, &stop).await?;
                        if delivered > 0 {
                            tracing::info!(delivered, webhook_id = %lease.webhook_id, "webhooks delivered");
                        }
                        Ok(())
                    });
                }
            }
            Err(error) => super::report("webhooks", Err(error.into())),
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
            Some(done) = running.join_next(), if !running.is_empty() => report_task(done),
        }
    }
    while let Some(done) = running.join_next().await {
        report_task(done);
    }
}

fn report_task(done: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match done {
        Ok(result) => super::report("webhooks", result),
        Err(error) => tracing::error!(%error, "a webhook delivery task failed"),
    }
}
