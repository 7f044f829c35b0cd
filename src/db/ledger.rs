//! The ledger's tables: leaves, perfect-subtree nodes, checkpoints, the
//! outbox of entries to append, and blockchain anchors.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use tlog::{Receipt, merkle::Hash};

/// Held by the one transaction that appends, until it ends.
const APPEND_LOCK: i64 = 0x6461_7461_6970; // "dataip"

/// Takes the append lock if no other transaction holds it.
pub async fn try_lock_appends(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT pg_try_advisory_xact_lock($1) AS "locked!""#, APPEND_LOCK).fetch_one(conn).await
}

/// Waits for the append lock.
pub async fn lock_appends(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK).execute(conn).await?;
    Ok(())
}

pub async fn size(conn: &mut PgConnection) -> sqlx::Result<u64> {
    let size = sqlx::query_scalar!(r#"SELECT COALESCE(max(idx) + 1, 0) AS "size!" FROM ledger_leaves"#)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(size).unwrap_or(0))
}

/// The stored perfect subtrees among `wanted` (level, index) pairs.
pub async fn nodes(conn: &mut PgConnection, wanted: &[(u32, u64)]) -> sqlx::Result<HashMap<(u32, u64), Hash>> {
    let levels: Vec<i16> = wanted.iter().map(|(level, _)| i16::try_from(*level).unwrap_or(i16::MAX)).collect();
    let indexes: Vec<i64> = wanted.iter().map(|(_, index)| i64::try_from(*index).unwrap_or(i64::MAX)).collect();
    let rows = sqlx::query!(
        "SELECT n.level, n.idx, n.hash FROM ledger_nodes n
         JOIN UNNEST($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
        &levels,
        &indexes
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let hash: Hash = row.hash.try_into().ok()?;
            Some(((u32::try_from(row.level).ok()?, u64::try_from(row.idx).ok()?), hash))
        })
        .collect())
}

/// Inserts leaves from `first_index` on, each with the certificate its
/// entry is about.
pub async fn insert_leaves(
    conn: &mut PgConnection,
    first_index: u64,
    entries: &[Vec<u8>],
    hashes: &[Hash],
    certificate_numbers: &[String],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let start = i64::try_from(first_index).unwrap_or(i64::MAX);
    let indexes: Vec<i64> = (0..entries.len() as i64).map(|i| start + i).collect();
    let hashes: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    sqlx::query!(
        "INSERT INTO ledger_leaves (idx, entry, leaf_hash, certificate_number, appended_at)
         SELECT idx, entry, leaf_hash, certificate_number, $5
         FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::text[]) AS t(idx, entry, leaf_hash, certificate_number)",
        &indexes,
        entries,
        &hashes,
        certificate_numbers,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_nodes(conn: &mut PgConnection, nodes: &[(u32, u64, Hash)]) -> sqlx::Result<()> {
    let levels: Vec<i16> = nodes.iter().map(|(l, _, _)| i16::try_from(*l).unwrap_or(i16::MAX)).collect();
    let indexes: Vec<i64> = nodes.iter().map(|(_, i, _)| i64::try_from(*i).unwrap_or(i64::MAX)).collect();
    let hashes: Vec<Vec<u8>> = nodes.iter().map(|(_, _, h)| h.to_vec()).collect();
    sqlx::query!(
        "INSERT INTO ledger_nodes (level, idx, hash)
         SELECT * FROM UNNEST($1::smallint[], $2::bigint[], $3::bytea[])",
        &levels,
        &indexes,
        &hashes
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub struct LeafRow {
    pub idx: i64,
    pub entry: Vec<u8>,
    pub leaf_hash: Vec<u8>,
}

pub async fn leaf(conn: &mut PgConnection, index: u64) -> sqlx::Result<Option<LeafRow>> {
    sqlx::query_as!(
        LeafRow,
        "SELECT idx, entry, leaf_hash FROM ledger_leaves WHERE idx = $1",
        i64::try_from(index).unwrap_or(i64::MAX)
    )
    .fetch_optional(conn)
    .await
}

/// Leaves from `from` on, at most `limit`, in order (for audits).
pub async fn leaves(conn: &mut PgConnection, from: u64, limit: i64) -> sqlx::Result<Vec<LeafRow>> {
    sqlx::query_as!(
        LeafRow,
        "SELECT idx, entry, leaf_hash FROM ledger_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2",
        i64::try_from(from).unwrap_or(i64::MAX),
        limit
    )
    .fetch_all(conn)
    .await
}

/// Every stored node at one level, in order (for audits).
pub async fn level(conn: &mut PgConnection, level: u32) -> sqlx::Result<Vec<(u64, Vec<u8>)>> {
    let rows = sqlx::query!(
        "SELECT idx, hash FROM ledger_nodes WHERE level = $1 ORDER BY idx",
        i16::try_from(level).unwrap_or(i16::MAX)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (u64::try_from(row.idx).unwrap_or(u64::MAX), row.hash)).collect())
}

pub struct CheckpointRow {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_checkpoint(
    conn: &mut PgConnection,
    size: u64,
    root: &Hash,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, created_at) VALUES ($1, $2, $3, $4)",
        i64::try_from(size).unwrap_or(i64::MAX),
        root.as_slice(),
        note,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest_checkpoint(conn: &mut PgConnection) -> sqlx::Result<Option<CheckpointRow>> {
    sqlx::query_as!(
        CheckpointRow,
        "SELECT tree_size, root_hash, note, created_at FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
    )
    .fetch_optional(conn)
    .await
}

/// Every checkpoint, smallest first (for audits).
pub async fn checkpoints(conn: &mut PgConnection) -> sqlx::Result<Vec<CheckpointRow>> {
    sqlx::query_as!(
        CheckpointRow,
        "SELECT tree_size, root_hash, note, created_at FROM ledger_checkpoints ORDER BY tree_size"
    )
    .fetch_all(conn)
    .await
}

/// Queues an entry; the appender fills in the receipt of `certificate_id`
/// or the ledger index of `act_id` when it lands.
pub async fn enqueue(
    conn: &mut PgConnection,
    entry: &[u8],
    certificate_number: &str,
    certificate_id: Option<Uuid>,
    act_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_outbox (entry, certificate_number, certificate_id, act_id, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        entry,
        certificate_number,
        certificate_id,
        act_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// [`enqueue`] for many entries in one statement: queued in the order
/// given, so they are appended in that order.
pub async fn enqueue_each(
    conn: &mut PgConnection,
    entries: &[Vec<u8>],
    certificate_numbers: &[String],
    certificate_ids: &[Option<Uuid>],
    act_ids: &[Option<Uuid>],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_outbox (entry, certificate_number, certificate_id, act_id, created_at)
         SELECT t.entry, t.certificate_number, t.certificate_id, t.act_id, $5
         FROM UNNEST($1::bytea[], $2::text[], $3::uuid[], $4::uuid[])
              WITH ORDINALITY AS t(entry, certificate_number, certificate_id, act_id, n)
         ORDER BY t.n",
        entries,
        certificate_numbers,
        certificate_ids as &[Option<Uuid>],
        act_ids as &[Option<Uuid>],
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub struct OutboxRow {
    pub id: i64,
    pub entry: Vec<u8>,
    pub certificate_id: Option<Uuid>,
    pub act_id: Option<Uuid>,
}

/// The oldest pending entries, in the order they were written.
pub async fn pending(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as!(
        OutboxRow,
        "SELECT id, entry, certificate_id, act_id FROM ledger_outbox ORDER BY id LIMIT $1",
        limit
    )
    .fetch_all(conn)
    .await
}

pub async fn remove_pending(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM ledger_outbox WHERE id = ANY($1)", ids).execute(conn).await?;
    Ok(())
}

/// Fills in the receipts of many certificates in one statement.
pub async fn set_receipts(conn: &mut PgConnection, certificate_ids: &[Uuid], receipts: &[Receipt]) -> sqlx::Result<()> {
    if certificate_ids.is_empty() {
        return Ok(());
    }
    let receipts: Vec<Json<&Receipt>> = receipts.iter().map(Json).collect();
    sqlx::query!(
        "UPDATE certificates c SET ledger = t.receipt
         FROM UNNEST($1::uuid[], $2::jsonb[]) AS t(id, receipt) WHERE c.id = t.id",
        certificate_ids,
        &receipts as &[Json<&Receipt>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_anchor(
    conn: &mut PgConnection,
    size: u64,
    root: &Hash,
    chain_id: u64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_anchors (tree_size, root_hash, chain_id, next_attempt_at) VALUES ($1, $2, $3, $4)",
        i64::try_from(size).unwrap_or(i64::MAX),
        root.as_slice(),
        i64::try_from(chain_id).unwrap_or(i64::MAX),
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub struct AnchorRow {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    pub chain_id: i64,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
    pub anchored_at: Option<DateTime<Utc>>,
    pub attempts: i32,
}

/// A checkpoint claimed for one publication attempt.
pub struct ClaimedAnchor {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    /// The attempts made so far, this one included. It also tells this claim
    /// from a later one on the same row (see `anchor_failed`).
    pub attempts: i32,
}

/// Claims the oldest checkpoint due for publication, in one statement that
/// commits at once: the attempt is counted and the row leased until
/// `lease_until`, so no other worker takes it meanwhile, while the
/// publication itself runs with no transaction open. An attempt that never
/// reports back (its process died) is retried once the lease has ended.
pub async fn claim_due_anchor(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    max_attempts: i32,
) -> sqlx::Result<Option<ClaimedAnchor>> {
    sqlx::query_as!(
        ClaimedAnchor,
        "UPDATE ledger_anchors SET attempts = attempts + 1, next_attempt_at = $2
         WHERE tree_size = (
             SELECT tree_size FROM ledger_anchors
             WHERE tx_hash IS NULL AND next_attempt_at <= $1 AND attempts < $3
             ORDER BY tree_size LIMIT 1 FOR UPDATE SKIP LOCKED
         )
         RETURNING tree_size, root_hash, attempts",
        now,
        lease_until,
        max_attempts
    )
    .fetch_optional(conn)
    .await
}

/// Records where a checkpoint was published. False when it already was, by
/// an attempt that outlived its lease: this publication is then a duplicate
/// on the chain, harmless, and the first one recorded stays.
pub async fn anchored(
    conn: &mut PgConnection,
    size: i64,
    tx_hash: &str,
    block: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE ledger_anchors SET tx_hash = $2, block_number = $3, anchored_at = $4, last_error = NULL
         WHERE tree_size = $1 AND tx_hash IS NULL",
        size,
        tx_hash,
        block,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records the failure of the attempt numbered `attempt` and when to try
/// again; nothing if a later claim has taken the row since (this attempt
/// outlived its lease), whose result is the one that counts.
pub async fn anchor_failed(
    conn: &mut PgConnection,
    size: i64,
    attempt: i32,
    error: &str,
    retry_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE ledger_anchors SET last_error = $3, next_attempt_at = $4
         WHERE tree_size = $1 AND attempts = $2 AND tx_hash IS NULL",
        size,
        attempt,
        error,
        retry_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Published anchors, newest first, before the tree size `before`.
pub async fn anchors(conn: &mut PgConnection, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<AnchorRow>> {
    sqlx::query_as!(
        AnchorRow,
        "SELECT tree_size, root_hash, chain_id, tx_hash, block_number, anchored_at, attempts FROM ledger_anchors
         WHERE tx_hash IS NOT NULL AND ($1::bigint IS NULL OR tree_size < $1)
         ORDER BY tree_size DESC LIMIT $2",
        before,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The earliest anchored checkpoint that holds leaf `index`.
pub async fn anchor_covering(conn: &mut PgConnection, index: i64) -> sqlx::Result<Option<AnchorRow>> {
    sqlx::query_as!(
        AnchorRow,
        "SELECT tree_size, root_hash, chain_id, tx_hash, block_number, anchored_at, attempts FROM ledger_anchors
         WHERE tx_hash IS NOT NULL AND tree_size > $1
         ORDER BY tree_size LIMIT 1",
        index
    )
    .fetch_optional(conn)
    .await
}
