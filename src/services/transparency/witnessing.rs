//! Asking witnesses to cosign the registry's checkpoints (C2SP
//! tlog-witness `add-checkpoint`): each is sent the latest checkpoint with a
//! consistency proof from the size it last cosigned, and the cosignature it
//! returns is checked and kept for `/tlog/checkpoint` and offline proofs.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::StatusCode;

use crate::{
    config::WitnessPeer,
    db,
    ledger::{Ledger, PgLedger},
    state::AppState,
};
use tlog::note::{Note, SignatureLine, Signed};

/// How long a witness may take to answer before this round gives up on it.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client for witnesses: operator-configured addresses, short timeouts.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(TIMEOUT).redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default()
}

/// Submits the latest checkpoint to `peer` unless it already cosigned it;
/// returns the size it cosigned now, if any. Failures are recorded on the
/// witness's row (and returned).
pub async fn submit(state: &AppState, client: &reqwest::Client, peer: &WitnessPeer) -> anyhow::Result<Option<u64>> {
    let result = try_submit(state, client, peer).await;
    if let Err(error) = &result {
        let mut conn = state.db.acquire().await?;
        let size = db::tlog::witness_size(&mut conn, &peer.vkey).await?;
        let message = format!("{error:#}");
        db::tlog::set_witness_state(&mut conn, &peer.vkey, size, Some(&message), state.clock.now()).await?;
    }
    result
}

async fn try_submit(state: &AppState, client: &reqwest::Client, peer: &WitnessPeer) -> anyhow::Result<Option<u64>> {
    let key = peer.key()?;
    let mut conn = state.db.acquire().await?;
    let Some(latest) = db::ledger::latest_checkpoint(&mut conn).await? else { return Ok(None) };
    let size = u64::try_from(latest.tree_size)?;
    let mut old = db::tlog::witness_size(&mut conn, &peer.vkey).await?;
    let url = format!("{}/add-checkpoint", peer.url.trim_end_matches('/'));
    // One retry: a 409 tells the size the witness really holds.
    for _ in 0..2 {
        if old >= size {
            anyhow::ensure!(old == size, "the witness has cosigned size {old}, more than the log's {size}");
            return Ok(None);
        }
        let origin = &state.config.ledger.origin;
        let proof = match old {
            0 => Vec::new(),
            _ => PgLedger { conn: &mut conn, signer: &state.signer, origin }.consistency_proof(old, size).await?,
        };
        let mut body = format!("old {old}\n");
        for hash in &proof {
            body.push_str(&STANDARD.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&latest.note);
        let answer = client.post(&url).body(body).send().await?;
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        match status {
            StatusCode::OK => {
                let note = Note::parse(&latest.note)?;
                let line = text
                    .lines()
                    .filter_map(SignatureLine::parse)
                    .find(|line| {
                        let cosigned = Note { body: note.body.clone(), signatures: vec![line.clone()] };
                        matches!(cosigned.signed_by(&key), Signed::Valid { .. })
                    })
                    .ok_or_else(|| {
                        anyhow::anyhow!("the witness answered without a valid cosignature by {}", key.name)
                    })?;
                let now = state.clock.now();
                db::tlog::insert_cosignature(&mut conn, size, &key.name, line.to_line().trim_end(), now).await?;
                db::tlog::set_witness_state(&mut conn, &peer.vkey, size, None, now).await?;
                tracing::info!(witness = %key.name, size, "checkpoint cosigned");
                return Ok(Some(size));
            }
            StatusCode::CONFLICT => {
                old = text.trim().parse().map_err(|_| anyhow::anyhow!("the witness's 409 names no size: {text}"))?;
                db::tlog::set_witness_state(&mut conn, &peer.vkey, old, None, state.clock.now()).await?;
            }
            _ => anyhow::bail!("the witness answered {status}: {}", text.trim()),
        }
    }
    anyhow::bail!("the witness keeps naming another size than it cosigns")
}
