//! The ledger as anyone can check it without trusting the registry: the
//! C2SP tlog-tiles view (checkpoint with witness cosignatures, tiles, entry
//! bundles), the log's verifier key and a suggested policy, and offline
//! proofs (C2SP tlog-proof) of certificates' issuance.

use crate::services::{Error, Result};
use crate::{
    db,
    ledger::{Ledger, PgLedger},
    state::AppState,
};
use tlog::{
    checkpoint::Checkpoint,
    merkle,
    note::{ED25519_TYPE, Note, SignatureLine, Signed, VerifierKey},
    policy::{self, Policy},
    proof::Proof,
    tiles::{self, Kind, Tile},
};

/// The log's verifier key (type 0x01, named after the origin).
pub fn log_key(state: &AppState) -> VerifierKey {
    let public_key = state.signer.public_key().try_into().unwrap_or([0; 32]);
    VerifierKey { name: state.config.ledger.origin.clone(), kind: ED25519_TYPE, public_key }
}

/// The latest checkpoint with the cosignatures collected on it (the empty
/// tree's, signed, before the first append).
pub async fn checkpoint(state: &AppState) -> Result<(u64, String)> {
    let mut conn = state.db.acquire().await?;
    let Some(latest) = db::ledger::latest_checkpoint(&mut conn).await? else {
        let empty = Checkpoint { origin: state.config.ledger.origin.clone(), size: 0, root: merkle::empty_root() };
        return Ok((0, empty.sign(&state.signer)));
    };
    let size = u64::try_from(latest.tree_size).unwrap_or(0);
    let lines = db::tlog::cosignatures(&mut conn, size).await?;
    Ok((size, with_cosignatures(&latest.note, &lines)))
}

/// A stored note with cosignature lines added.
pub(crate) fn with_cosignatures(note: &str, lines: &[String]) -> String {
    let Ok(mut parsed) = Note::parse(note) else { return note.to_owned() };
    parsed.add(lines.iter().filter_map(|line| SignatureLine::parse(line)));
    parsed.to_text()
}

/// A configured witness's verified cosignature on a checkpoint.
#[derive(Debug, Clone)]
pub struct Cosigner {
    /// Its name in the registry's policy.
    pub name: String,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The configured witnesses whose cosignatures on `note` verify.
pub fn cosigners(state: &AppState, note: &str) -> Vec<Cosigner> {
    let Ok(note) = Note::parse(note) else { return Vec::new() };
    state
        .config
        .ledger
        .witnesses
        .iter()
        .filter_map(|peer| match note.signed_by(&peer.key().ok()?) {
            Signed::Valid { timestamp } => Some(Cosigner {
                name: peer.policy_name(),
                at: timestamp.and_then(|t| chrono::DateTime::from_timestamp(i64::try_from(t).ok()?, 0)),
            }),
            _ => None,
        })
        .collect()
}

/// A tile or entry bundle by its path under the prefix (`tile/…`): `None`
/// when the path names no tile of the current tree.
pub async fn tile(state: &AppState, path: &str) -> Result<Option<(Tile, Vec<u8>)>> {
    let Some(tile) = Tile::parse(path) else { return Ok(None) };
    let mut conn = state.public_read().await?;
    let size = db::ledger::size(&mut conn).await?;
    if !tiles::exists_in(&tile, size) {
        return Ok(None);
    }
    let bytes = read_tile(&mut conn, &tile).await?;
    Ok(Some((tile, bytes)))
}

/// A tile's bytes from the stored subtrees (or entries).
pub async fn read_tile(conn: &mut sqlx::PgConnection, tile: &Tile) -> Result<Vec<u8>> {
    let rows = match tile.kind {
        Kind::Entries => db::tlog::entries(conn, tile.first(), tile.width).await?,
        Kind::Hashes(_) => db::tlog::hashes(conn, tile.tree_level(), tile.first(), tile.width).await?,
    };
    if rows.len() as u64 != tile.width {
        return Err(Error::Internal(anyhow::anyhow!(
            "{} has {} of its {} rows stored",
            tile.path(),
            rows.len(),
            tile.width
        )));
    }
    Ok(match tile.kind {
        Kind::Entries => tiles::bundle(rows.iter().map(Vec::as_slice)),
        Kind::Hashes(_) => rows.concat(),
    })
}

/// The log as a suggested C2SP tlog-policy: its key and URL, and every
/// configured witness, all of which must cosign.
pub fn policy(state: &AppState) -> String {
    let log = policy::Log { key: log_key(state), url: Some(state.config.registry.public_url.clone()) };
    let witnesses = state
        .config
        .ledger
        .witnesses
        .iter()
        .filter_map(|peer| {
            let key = peer.key().ok()?;
            Some(policy::Witness { name: peer.policy_name(), key, url: Some(peer.url.clone()) })
        })
        .collect();
    Policy::suggested(log, witnesses)
}

/// The offline proof of leaf `index`: at the checkpoint that covers it with
/// the most cosignatures (the latest among equals), the entry's bytes in
/// its `extra` line.
pub async fn proof_of(state: &AppState, index: u64) -> Result<String> {
    let mut conn = state.db.acquire().await?;
    let leaf = db::ledger::leaf(&mut conn, index).await?.ok_or(Error::NotFound)?;
    let (size, note) = db::tlog::best_checkpoint_covering(&mut conn, index).await?.ok_or(Error::NotFound)?;
    let lines = db::tlog::cosignatures(&mut conn, size).await?;
    let origin = &state.config.ledger.origin;
    let (inclusion, _) = PgLedger { conn: &mut conn, signer: &state.signer, origin }
        .inclusion_proof(index, size)
        .await
        .map_err(|error| Error::Internal(error.into()))?;
    let proof = Proof { extra: Some(leaf.entry), index, inclusion, checkpoint: with_cosignatures(&note, &lines) };
    Ok(proof.to_text())
}

/// The offline proof of a certificate's issuance, by its number; 404 until
/// the issuance is recorded.
pub async fn certificate_proof(state: &AppState, number: &str) -> Result<String> {
    let number = crate::domain::CertificateNumber::parse(number).map_err(|_| Error::NotFound)?;
    let mut conn = state.public_read().await?;
    let row = db::certificates::find_public(&mut conn, number.as_str()).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let receipt = row.certificate.ledger.ok_or(Error::NotFound)?;
    proof_of(state, receipt.leaf_index).await
}
