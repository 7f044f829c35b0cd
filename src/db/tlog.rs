//! What the tiled log reads beyond the ledger's own tables: ranges of
//! stored subtrees and entries (tiles and bundles), the cosignatures
//! witnesses returned, and how far each witness has cosigned.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The stored hashes of tree level `level`, indexes `first..first + count`,
/// in order (fewer when the tree has fewer).
pub async fn hashes(conn: &mut PgConnection, level: u32, first: u64, count: u64) -> sqlx::Result<Vec<Vec<u8>>> {
    let level = i16::try_from(level).unwrap_or(i16::MAX);
    sqlx::query_scalar!(
        "SELECT hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        level,
        signed(first),
        signed(first.saturating_add(count))
    )
    .fetch_all(conn)
    .await
}

/// The entries `first..first + count`, in order.
pub async fn entries(conn: &mut PgConnection, first: u64, count: u64) -> sqlx::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar!(
        "SELECT entry FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        signed(first),
        signed(first.saturating_add(count))
    )
    .fetch_all(conn)
    .await
}

/// The cosignature lines collected on the checkpoint of `tree_size`.
pub async fn cosignatures(conn: &mut PgConnection, tree_size: u64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT line FROM ledger_cosignatures WHERE tree_size = $1 ORDER BY witness", signed(tree_size))
        .fetch_all(conn)
        .await
}

pub async fn insert_cosignature(
    conn: &mut PgConnection,
    tree_size: u64,
    witness: &str,
    line: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_cosignatures (tree_size, witness, line, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tree_size, witness) DO NOTHING",
        signed(tree_size),
        witness,
        line,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The checkpoint a proof of leaf `index` should lead to: of those that
/// cover the leaf, the one most witnesses cosigned, the latest among equals
/// (the latest of all when none is cosigned).
pub async fn best_checkpoint_covering(conn: &mut PgConnection, index: u64) -> sqlx::Result<Option<(u64, String)>> {
    let cosigned = sqlx::query_scalar!(
        "SELECT tree_size FROM ledger_cosignatures WHERE tree_size > $1
         GROUP BY tree_size ORDER BY count(*) DESC, tree_size DESC LIMIT 1",
        signed(index)
    )
    .fetch_optional(&mut *conn)
    .await?;
    let row = sqlx::query!(
        "SELECT tree_size, note FROM ledger_checkpoints
         WHERE tree_size = $1 OR ($1::bigint IS NULL AND tree_size > $2)
         ORDER BY tree_size DESC LIMIT 1",
        cosigned,
        signed(index)
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (u64::try_from(row.tree_size).unwrap_or(0), row.note)))
}

/// The tree size a witness (by its verifier key) last cosigned; zero for a
/// witness never heard from.
pub async fn witness_size(conn: &mut PgConnection, vkey: &str) -> sqlx::Result<u64> {
    let size = sqlx::query_scalar!("SELECT tree_size FROM ledger_witnesses WHERE vkey = $1", vkey)
        .fetch_optional(conn)
        .await?;
    Ok(size.map_or(0, |size| u64::try_from(size).unwrap_or(0)))
}

/// Records how far a witness has cosigned, and the last failure (if any).
pub async fn set_witness_state(
    conn: &mut PgConnection,
    vkey: &str,
    tree_size: u64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ledger_witnesses (vkey, tree_size, updated_at, last_error) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vkey) DO UPDATE SET tree_size = $2, updated_at = $3, last_error = $4",
        vkey,
        signed(tree_size),
        now,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `dataip witness`: the latest checkpoint cosigned for a log.
pub struct WitnessedRow {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    pub note: String,
}

/// The log's row, locked until the transaction ends (created at size
/// zero, the empty tree, when the log is new).
pub async fn lock_witnessed(conn: &mut PgConnection, origin: &str, empty_root: &[u8]) -> sqlx::Result<WitnessedRow> {
    sqlx::query!(
        "INSERT INTO witnessed_logs (origin, tree_size, root_hash, note, updated_at) VALUES ($1, 0, $2, '', now())
         ON CONFLICT (origin) DO NOTHING",
        origin,
        empty_root
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_as!(
        WitnessedRow,
        "SELECT tree_size, root_hash, note FROM witnessed_logs WHERE origin = $1 FOR UPDATE",
        origin
    )
    .fetch_one(conn)
    .await
}

pub async fn update_witnessed(
    conn: &mut PgConnection,
    origin: &str,
    tree_size: u64,
    root: &[u8],
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE witnessed_logs SET tree_size = $2, root_hash = $3, note = $4, updated_at = $5 WHERE origin = $1",
        origin,
        signed(tree_size),
        root,
        note,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest cosigned checkpoint of the log whose origin hashes to
/// `origin_sha256` (lowercase hex).
pub async fn witnessed_note(conn: &mut PgConnection, origin_sha256: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT note FROM witnessed_logs WHERE encode(sha256(convert_to(origin, 'UTF8')), 'hex') = $1 AND note <> ''",
        origin_sha256
    )
    .fetch_optional(conn)
    .await
}
