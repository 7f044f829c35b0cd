//! Publishing checkpoints to the chain without holding anything up: a
//! checkpoint is claimed in one short statement, published with no
//! transaction open and within `anchor.rpc_timeout`, and the result is
//! recorded in another short statement. A chain that hangs costs one
//! attempt, never a locked row or a stuck worker.

use tokio_util::sync::CancellationToken;

use crate::services::Result;
use crate::{
    db,
    ledger::anchor::{Anchor, Published},
    state::AppState,
};
use tlog::merkle::Hash;

/// The longest pause between two attempts at one checkpoint, in seconds.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// A checkpoint this worker holds for one publication attempt.
#[derive(Debug, Clone)]
pub struct Claim {
    pub tree_size: u64,
    pub root: Hash,
    /// This attempt's number, from 1.
    pub attempt: i32,
}

/// Claims the oldest checkpoint due for publication, if any, until
/// `anchor.rpc_timeout` and a margin have passed. Until then no other
/// worker, in this process or another, claims it.
pub async fn claim(state: &AppState) -> Result<Option<Claim>> {
    let now = state.clock.now();
    let max_attempts = i32::try_from(state.config.anchor.max_attempts).unwrap_or(i32::MAX);
    let mut conn = state.db.acquire().await?;
    let claimed = db::ledger::claim_due_anchor(
        &mut conn,
        now,
        crate::services::lease::end(now, state.config.anchor.rpc_timeout),
        max_attempts,
    )
    .await?;
    let Some(row) = claimed else { return Ok(None) };
    let root: Hash = row.root_hash.try_into().map_err(|_| anyhow::anyhow!("a stored root is not 32 bytes"))?;
    Ok(Some(Claim { tree_size: u64::try_from(row.tree_size).unwrap_or(0), root, attempt: row.attempts }))
}

/// Publishes the checkpoints due, oldest first, until one fails: a failure
/// is recorded and retried with exponential backoff (10 s, 20 s, ... at
/// most an hour), up to `anchor.max_attempts` attempts. When `stop` is
/// cancelled, an attempt in progress is dropped at once; its claim runs out
/// and the checkpoint is tried again then.
pub async fn publish_due(state: &AppState, anchor: &impl Anchor, stop: &CancellationToken) -> Result<u64> {
    let mut published = 0;
    while !stop.is_cancelled() {
        let Some(claim) = claim(state).await? else { break };
        let attempt = tokio::select! {
            () = stop.cancelled() => {
                tracing::info!(tree_size = claim.tree_size, "anchoring interrupted by shutdown: retried when its claim runs out");
                break;
            }
            attempt = publish_within(state, anchor, &claim) => attempt,
        };
        match attempt {
            Ok(receipt) => {
                record_published(state, &claim, &receipt).await?;
                published += 1;
            }
            Err(error) => {
                record_failed(state, &claim, &format!("{error:#}")).await?;
                break;
            }
        }
    }
    Ok(published)
}

/// One attempt, bounded as a whole (chain check, sending, waiting for the
/// receipt) by `anchor.rpc_timeout`.
async fn publish_within(state: &AppState, anchor: &impl Anchor, claim: &Claim) -> anyhow::Result<Published> {
    let limit = state.config.anchor.rpc_timeout;
    match tokio::time::timeout(limit.get(), anchor.publish(claim.tree_size, &claim.root)).await {
        Ok(attempt) => attempt,
        Err(_) => {
            anyhow::bail!("timed out: the chain did not complete the publication within {limit} (anchor.rpc_timeout)")
        }
    }
}

async fn record_published(state: &AppState, claim: &Claim, receipt: &Published) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    let size = i64::try_from(claim.tree_size).unwrap_or(i64::MAX);
    let block = i64::try_from(receipt.block_number).unwrap_or(i64::MAX);
    let now = state.clock.now();
    if db::ledger::anchored(&mut conn, size, &receipt.tx_hash, block, now).await? {
        tracing::info!(tree_size = claim.tree_size, tx_hash = %receipt.tx_hash, block = receipt.block_number, "checkpoint anchored");
    } else {
        tracing::warn!(
            tree_size = claim.tree_size,
            tx_hash = %receipt.tx_hash,
            "checkpoint published again: an earlier attempt, past its claim, had already anchored it"
        );
    }
    Ok(())
}

async fn record_failed(state: &AppState, claim: &Claim, error: &str) -> Result<()> {
    // Counted from the attempt's end: one that timed out has already taken
    // `anchor.rpc_timeout`, and the backoff is the pause between attempts.
    let retry_at = state.clock.now() + chrono::Duration::seconds(backoff_seconds(claim.attempt));
    tracing::warn!(tree_size = claim.tree_size, attempt = claim.attempt, error, %retry_at, "anchoring failed");
    let mut conn = state.db.acquire().await?;
    let size = i64::try_from(claim.tree_size).unwrap_or(i64::MAX);
    db::ledger::anchor_failed(&mut conn, size, claim.attempt, error, retry_at).await?;
    Ok(())
}

/// The pause after the `attempt`-th failure: 10 s, then twice as long each
/// time, at most an hour.
fn backoff_seconds(attempt: i32) -> i64 {
    let doublings = (attempt - 1).clamp(0, 20);
    10i64.saturating_mul(1 << doublings).min(MAX_BACKOFF_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour() {
        let pauses: Vec<i64> = (1..=11).map(backoff_seconds).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
        assert_eq!(backoff_seconds(i32::MAX), 3600);
    }
}
