//! What the registry writes to its ledger and what it shows of it: entries
//! enqueued with the acts they record, appended by the worker in batches
//! with one signed checkpoint each, receipts for certificates, and the
//! public proofs.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{Error, Result};
use crate::{
    db,
    ledger::{Ledger, LedgerError, PgLedger},
    pagination::{Page, PageRequest},
    state::AppState,
};
use tlog::{
    Entry, Receipt,
    checkpoint::{self, Checkpoint},
    merkle,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerKey {
    pub origin: String,
    pub key_name: String,
    /// Hex of the 4-byte key hint in checkpoint signature lines.
    pub key_id: String,
    /// Base64 of the raw 32-byte Ed25519 public key.
    pub public_key: String,
    /// The same key as a signed-note verifier key.
    pub vkey: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub index: u64,
    pub leaf_hash: String,
    /// Base64 of the exact bytes hashed (RFC 8785 JSON).
    pub entry: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    pub index: u64,
    /// Default: the latest checkpoint's size.
    pub tree_size: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionView {
    pub index: u64,
    pub tree_size: u64,
    pub root_hash: String,
    pub hashes: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    pub first: u64,
    pub second: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyView {
    pub first: u64,
    pub second: u64,
    pub hashes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnchorView {
    pub tree_size: u64,
    pub root_hash: String,
    pub chain_id: u64,
    pub tx_hash: Option<String>,
    pub block_number: Option<u64>,
    pub anchored_at: Option<DateTime<Utc>>,
}

/// What an entry's landing in the ledger fills in.
#[derive(Debug, Clone, Copy)]
pub enum Recording {
    /// The receipt of this certificate's issuance.
    Certificate(Uuid),
    /// The ledger index of this act.
    Act(Uuid),
    Nothing,
}

/// Queues an entry in the caller's transaction, so it is appended if and
/// only if the act it records happened.
pub async fn enqueue(conn: &mut PgConnection, entry: &Entry, recording: Recording, now: DateTime<Utc>) -> Result<()> {
    let bytes = bytes_of(entry)?;
    let (certificate_id, act_id) = recording.ids();
    let number = entry.certificate_number();
    Ok(db::ledger::enqueue(conn, &bytes, number, certificate_id, act_id, now).await?)
}

/// [`enqueue`] for many entries, in one statement and in the order given.
pub async fn enqueue_each(conn: &mut PgConnection, entries: &[(Entry, Recording)], now: DateTime<Utc>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let bytes = entries.iter().map(|(entry, _)| bytes_of(entry)).collect::<Result<Vec<_>>>()?;
    let numbers: Vec<String> = entries.iter().map(|(entry, _)| entry.certificate_number().to_owned()).collect();
    let (certificate_ids, act_ids): (Vec<_>, Vec<_>) = entries.iter().map(|(_, recording)| recording.ids()).unzip();
    Ok(db::ledger::enqueue_each(conn, &bytes, &numbers, &certificate_ids, &act_ids, now).await?)
}

impl Recording {
    /// The certificate and the act the entry's landing fills in.
    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Certificate(id) => (Some(id), None),
            Self::Act(id) => (None, Some(id)),
            Self::Nothing => (None, None),
        }
    }
}

/// The bytes a leaf holds.
fn bytes_of(entry: &Entry) -> Result<Vec<u8>> {
    let bytes = entry.to_bytes().map_err(|e| Error::Internal(e.into()))?;
    // Entry bundles (C2SP tlog-tiles) prefix each entry with a 16-bit
    // length. Input limits keep entries far below it (an issuance entry with
    // a 2,000-character abstract is a few KiB); this keeps the log servable
    // should a future entry kind forget.
    if bytes.len() > tlog::tiles::MAX_ENTRY {
        return Err(Error::Internal(anyhow::anyhow!(
            "a {} entry of {} bytes is larger than the {} an entry bundle carries",
            entry.type_name(),
            bytes.len(),
            tlog::tiles::MAX_ENTRY
        )));
    }
    Ok(bytes)
}

fn ledger_error(error: LedgerError) -> Error {
    match error {
        LedgerError::OutOfRange(message) => {
            Error::Validation(vec![crate::services::FieldError { field: "query".into(), message }])
        }
        LedgerError::Missing(missing) => Error::Internal(missing.into()),
        LedgerError::Database(error) => error.into(),
    }
}

/// Receipts written per statement.
const RECEIPTS_PER_STATEMENT: usize = 100;

/// Appends the waiting entries, a batch and one checkpoint at a time, and
/// fills in the receipts of the certificates they record. When another
/// worker is appending, this one leaves it to them.
pub async fn append_pending(state: &AppState) -> Result<u64> {
    let batch = i64::from(state.config.ledger.batch_size);
    let mut appended = 0;
    loop {
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        if !db::ledger::try_lock_appends(&mut tx).await? {
            return Ok(appended);
        }
        let pending = db::ledger::pending(&mut tx, batch).await?;
        if pending.is_empty() {
            return Ok(appended);
        }
        let entries: Vec<Vec<u8>> = pending.iter().map(|row| row.entry.clone()).collect();
        let origin = &state.config.ledger.origin;
        let result = PgLedger { conn: &mut tx, signer: &state.signer, origin }.append(&entries, now).await;
        let done = result.map_err(ledger_error)?;
        let size = done.checkpoint.size;

        let certificates: Vec<(Uuid, u64)> = pending
            .iter()
            .enumerate()
            .filter_map(|(i, row)| row.certificate_id.map(|id| (id, done.first_index + i as u64)))
            .collect();
        let mut wanted: Vec<(u32, u64)> =
            certificates.iter().flat_map(|(_, index)| merkle::needed_for_inclusion(*index, size)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let nodes = db::ledger::nodes(&mut tx, &wanted).await?;
        let mut receipts = Vec::with_capacity(certificates.len());
        for (_, index) in &certificates {
            let index = *index;
            let proof = merkle::inclusion_proof(&nodes, index, size).map_err(|e| Error::Internal(e.into()))?;
            let leaf = merkle::leaf_hash(&entries[(index - done.first_index) as usize]);
            receipts.push(Receipt {
                origin: origin.clone(),
                leaf_index: index,
                leaf_hash: hex::encode(leaf),
                tree_size: size,
                root_hash: hex::encode(done.checkpoint.root),
                inclusion_proof: proof.iter().map(hex::encode).collect(),
                checkpoint: done.note.clone(),
            });
        }
        let certificate_ids: Vec<Uuid> = certificates.iter().map(|(id, _)| *id).collect();
        // A statement per hundred: each receipt rewrites its certificate's
        // row and index entries (the abstract's trigrams among them), which
        // with 100,000 certificates took some 30 ms a row (BENCHMARKS.md);
        // a whole batch in one statement would outlast the statement timeout.
        for (ids, receipts) in
            certificate_ids.chunks(RECEIPTS_PER_STATEMENT).zip(receipts.chunks(RECEIPTS_PER_STATEMENT))
        {
            db::ledger::set_receipts(&mut tx, ids, receipts).await?;
        }
        let (acts, indexes): (Vec<Uuid>, Vec<i64>) = pending
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                row.act_id.map(|id| (id, i64::try_from(done.first_index + i as u64).unwrap_or(i64::MAX)))
            })
            .unzip();
        db::acts::set_ledger_indexes(&mut tx, &acts, &indexes).await?;
        let ids: Vec<i64> = pending.iter().map(|row| row.id).collect();
        db::ledger::remove_pending(&mut tx, &ids).await?;
        if state.config.anchor.enabled() {
            db::ledger::insert_anchor(&mut tx, size, &done.checkpoint.root, state.config.anchor.chain_id, now).await?;
        }
        tx.commit().await?;
        tracing::info!(entries = ids.len(), tree_size = size, "ledger appended");
        appended += ids.len() as u64;
        if (ids.len() as i64) < batch {
            return Ok(appended);
        }
    }
}

/// Refuses to go on with a ledger signed with another key than the
/// configured one: a registry started from another directory, or with a lost
/// key file, would otherwise sign on with a new key, and everything signed
/// before would look forged. `--accept-new-signing-key` goes on anyway.
pub async fn check_signing_key(state: &AppState) -> anyhow::Result<()> {
    let mut conn = state.db.acquire().await?;
    let Some(latest) = db::ledger::latest_checkpoint(&mut conn).await? else { return Ok(()) };
    let origin = &state.config.ledger.origin;
    let public_key = state.signer.public_key();
    if checkpoint::open(&latest.note, origin, public_key).is_ok() {
        return Ok(());
    }
    let stored = latest.note.lines().next().unwrap_or_default();
    anyhow::ensure!(
        stored == origin,
        "the ledger's origin is {stored}, but the configured one is {origin} (ledger.origin, or when that is empty \
         registry.public_url without its scheme plus /tlog). Another origin would be another log: set \
         ledger.origin = \"{stored}\" to keep this one"
    );
    let ours = format!("{origin} {}", hex::encode(checkpoint::key_hint(origin, public_key)));
    let theirs: Vec<String> =
        checkpoint::signers(&latest.note).into_iter().map(|(name, hint)| format!("{name} {hint}")).collect();
    let problem = format!(
        "the ledger's latest checkpoint (tree size {}) is signed by [{}], not by the configured signing key ({ours})",
        latest.tree_size,
        theirs.join(", ")
    );
    if state.config.signing.accept_new_key {
        tracing::warn!(
            %problem,
            "!!! --accept-new-signing-key: signing from now on with the configured key; \
             certificates and checkpoints signed before verify only with the old key !!!"
        );
        return Ok(());
    }
    let config = &state.config;
    let key_source = match config.signing.key.is_empty() {
        true => format!("the key file {}", std::path::absolute(config.signing_key_file())?.display()),
        false => "signing.key (DATAIP__SIGNING__KEY)".to_owned(),
    };
    anyhow::bail!(
        "{problem}; the configured key comes from {key_source}. Everything signed before would stop verifying. \
         Start with the key that signed this ledger: DATAIP__SIGNING__KEY, or its file in the data directory (was \
         dataip started from another directory, or with another --data-dir?); if ledger.origin changed, set it \
         back. To start anyway and sign from now on with the configured key, pass --accept-new-signing-key."
    )
}

/// The key that signs checkpoints (and certificates).
pub fn key(state: &AppState) -> LedgerKey {
    let origin = state.config.ledger.origin.clone();
    let public_key = state.signer.public_key();
    LedgerKey {
        key_id: hex::encode(checkpoint::key_hint(&origin, public_key)),
        public_key: STANDARD.encode(public_key),
        vkey: checkpoint::verifier_key(&origin, public_key),
        key_name: origin.clone(),
        origin,
    }
}

/// The latest signed checkpoint (of the empty tree while nothing is appended).
pub async fn latest_checkpoint(state: &AppState) -> Result<String> {
    let mut conn = state.db.acquire().await?;
    let origin = &state.config.ledger.origin;
    let latest = PgLedger { conn: &mut conn, signer: &state.signer, origin }.latest().await.map_err(ledger_error)?;
    Ok(match latest {
        Some((_, note)) => note,
        None => Checkpoint { origin: origin.clone(), size: 0, root: merkle::empty_root() }.sign(&state.signer),
    })
}

/// The receipt of leaf `index` at the latest checkpoint, with the leaf's
/// bytes: everything needed to check the entry offline.
pub async fn receipt(state: &AppState, index: u64) -> Result<(Vec<u8>, Receipt)> {
    let mut conn = state.db.acquire().await?;
    let leaf = db::ledger::leaf(&mut conn, index).await?.ok_or(Error::NotFound)?;
    let origin = &state.config.ledger.origin;
    let mut ledger = PgLedger { conn: &mut conn, signer: &state.signer, origin };
    let (checkpoint, note) = ledger.latest().await.map_err(ledger_error)?.ok_or(Error::NotFound)?;
    let (proof, root) = ledger.inclusion_proof(index, checkpoint.size).await.map_err(ledger_error)?;
    let receipt = Receipt {
        origin: origin.clone(),
        leaf_index: index,
        leaf_hash: hex::encode(&leaf.leaf_hash),
        tree_size: checkpoint.size,
        root_hash: hex::encode(root),
        inclusion_proof: proof.iter().map(hex::encode).collect(),
        checkpoint: note,
    };
    Ok((leaf.entry, receipt))
}

pub async fn entry(state: &AppState, index: u64) -> Result<EntryView> {
    let mut conn = state.public_read().await?;
    let leaf = db::ledger::leaf(&mut conn, index).await?.ok_or(Error::NotFound)?;
    Ok(EntryView { index, leaf_hash: hex::encode(&leaf.leaf_hash), entry: STANDARD.encode(&leaf.entry) })
}

pub async fn inclusion(state: &AppState, query: InclusionQuery) -> Result<InclusionView> {
    let mut conn = state.public_read().await?;
    let origin = &state.config.ledger.origin;
    let mut ledger = PgLedger { conn: &mut conn, signer: &state.signer, origin };
    let size = match query.tree_size {
        Some(size) => size,
        None => ledger.latest().await.map_err(ledger_error)?.map_or(0, |(checkpoint, _)| checkpoint.size),
    };
    let (hashes, root) = ledger.inclusion_proof(query.index, size).await.map_err(ledger_error)?;
    Ok(InclusionView {
        index: query.index,
        tree_size: size,
        root_hash: hex::encode(root),
        hashes: hashes.iter().map(hex::encode).collect(),
    })
}

pub async fn consistency(state: &AppState, query: ConsistencyQuery) -> Result<ConsistencyView> {
    let mut conn = state.public_read().await?;
    let origin = &state.config.ledger.origin;
    let mut ledger = PgLedger { conn: &mut conn, signer: &state.signer, origin };
    let hashes = ledger.consistency_proof(query.first, query.second).await.map_err(ledger_error)?;
    Ok(ConsistencyView { first: query.first, second: query.second, hashes: hashes.iter().map(hex::encode).collect() })
}

/// Checkpoints published to the chain, newest first.
pub async fn anchors(state: &AppState, page: PageRequest<i64>) -> Result<Page<AnchorView>> {
    let mut conn = state.public_read().await?;
    let rows = db::ledger::anchors(&mut conn, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.tree_size, AnchorView::from))
}

/// The earliest checkpoint published to the chain that holds leaf `index`.
pub async fn anchor_covering(state: &AppState, index: u64) -> Result<Option<AnchorView>> {
    let index = i64::try_from(index).map_err(|_| Error::NotFound)?;
    let row = db::ledger::anchor_covering(&mut *state.db.acquire().await?, index).await?;
    Ok(row.map(AnchorView::from))
}

impl From<db::ledger::AnchorRow> for AnchorView {
    fn from(row: db::ledger::AnchorRow) -> Self {
        Self {
            tree_size: u64::try_from(row.tree_size).unwrap_or(0),
            root_hash: hex::encode(&row.root_hash),
            chain_id: u64::try_from(row.chain_id).unwrap_or(0),
            tx_hash: row.tx_hash,
            block_number: row.block_number.and_then(|b| u64::try_from(b).ok()),
            anchored_at: row.anchored_at,
        }
    }
}
