//! What status statements read: the checkpoint they are of, certificates'
//! entries up to it, which of them have changes still to come, relying
//! parties' counted queries, and how far watchers have been told.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The checkpoint statements are of: the latest one, or where `witnesses`
/// are configured the latest that all of them cosigned (the latest of all
/// while none is). Walks back from the size the slowest witness reached,
/// so it reads a few rows whatever the log's length.
pub async fn checkpoint(conn: &mut PgConnection, witnesses: &[String]) -> sqlx::Result<Option<(u64, String)>> {
    let row = sqlx::query!(
        r#"WITH reached AS (
               SELECT CASE WHEN cardinality($1::text[]) = 0 THEN NULL
                           ELSE (SELECT min(COALESCE(w.tree_size, 0)) FROM UNNEST($1::text[]) AS k(vkey)
                                 LEFT JOIN ledger_witnesses w ON w.vkey = k.vkey) END AS size)
           (SELECT c.tree_size, c.note, 0 AS preference FROM ledger_checkpoints c, reached r
             WHERE r.size IS NOT NULL AND c.tree_size <= r.size
               AND (SELECT count(*) FROM ledger_cosignatures s WHERE s.tree_size = c.tree_size)
                   >= cardinality($1::text[])
             ORDER BY c.tree_size DESC LIMIT 1)
           UNION ALL
           (SELECT tree_size, note, 1 FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1)
           ORDER BY preference LIMIT 1"#,
        witnesses
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|row| Some((u64::try_from(row.tree_size?).ok()?, row.note?))))
}

/// One leaf of a certificate.
pub struct CertificateLeaf {
    pub certificate_number: String,
    pub idx: i64,
    pub entry: Vec<u8>,
}

/// The entries of these certificates below `tree_size`, by certificate and
/// in log order.
pub async fn entries_of(
    conn: &mut PgConnection,
    numbers: &[String],
    tree_size: u64,
) -> sqlx::Result<Vec<CertificateLeaf>> {
    sqlx::query_as!(
        CertificateLeaf,
        "SELECT certificate_number, idx, entry FROM ledger_leaves
         WHERE certificate_number = ANY($1) AND idx < $2 ORDER BY certificate_number, idx",
        numbers,
        signed(tree_size)
    )
    .fetch_all(conn)
    .await
}

/// Which of these certificates have a change not in the checkpoint of
/// `tree_size`: appended after it, or still queued.
pub async fn pending_among(conn: &mut PgConnection, numbers: &[String], tree_size: u64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT certificate_number AS "number!" FROM ledger_leaves WHERE certificate_number = ANY($1) AND idx >= $2
           UNION
           SELECT certificate_number FROM ledger_outbox WHERE certificate_number = ANY($1)"#,
        numbers,
        signed(tree_size)
    )
    .fetch_all(conn)
    .await
}

/// Counts `numbers` status queries of a relying party on `day`.
pub async fn count_queries(conn: &mut PgConnection, org_id: Uuid, day: NaiveDate, numbers: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO status_queries (org_id, day, numbers) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, day) DO UPDATE SET numbers = status_queries.numbers + $3",
        org_id,
        day,
        numbers
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A relying party's counted queries, newest day first.
pub async fn queries(conn: &mut PgConnection, org_id: Uuid, days: i64) -> sqlx::Result<Vec<(NaiveDate, i64)>> {
    let rows = sqlx::query!(
        "SELECT day, numbers FROM status_queries WHERE org_id = $1 ORDER BY day DESC LIMIT $2",
        org_id,
        days
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.day, row.numbers)).collect())
}

/// The tree size up to which watchers have been told of changes, locked
/// until the transaction ends; `None` while another worker holds it.
pub async fn lock_told(conn: &mut PgConnection) -> sqlx::Result<Option<u64>> {
    let size = sqlx::query_scalar!("SELECT tree_size FROM status_events_told FOR UPDATE SKIP LOCKED")
        .fetch_optional(conn)
        .await?;
    Ok(size.map(|size| u64::try_from(size).unwrap_or(0)))
}

pub async fn set_told(conn: &mut PgConnection, tree_size: u64, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE status_events_told SET tree_size = $1, updated_at = $2", signed(tree_size), now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A leaf appended to a certificate's entries, with the act it records.
pub struct AppendedLeaf {
    pub idx: i64,
    pub certificate_number: String,
    pub entry: Vec<u8>,
}

/// Leaves `from..to`, at most `limit`, in order.
pub async fn leaves_between(
    conn: &mut PgConnection,
    from: u64,
    to: u64,
    limit: i64,
) -> sqlx::Result<Vec<AppendedLeaf>> {
    sqlx::query_as!(
        AppendedLeaf,
        "SELECT idx, certificate_number, entry FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3",
        signed(from),
        signed(to),
        limit
    )
    .fetch_all(conn)
    .await
}

/// Who is told of a leaf: the parties watching its certificate (with their
/// channels), and the verified parties of its pledgees of record, the
/// pledgee of a pledge the leaf records or releases included (by mail and
/// webhook). By leaf index; a party may appear twice (watching and pledgee).
pub struct Watcher {
    pub idx: i64,
    pub org_id: Uuid,
    pub channels: Vec<String>,
}

pub async fn watchers(conn: &mut PgConnection, indexes: &[i64], numbers: &[String]) -> sqlx::Result<Vec<Watcher>> {
    sqlx::query_as!(
        Watcher,
        r#"WITH leaf AS (SELECT * FROM UNNEST($1::bigint[], $2::text[]) AS t(idx, number))
           SELECT l.idx AS "idx!", w.org_id AS "org_id!", w.channels AS "channels!"
             FROM leaf l JOIN watches w ON w.kind = 'certificate' AND w.deleted_at IS NULL AND w.normalized = l.number
           UNION ALL
           SELECT l.idx, o.id, ARRAY['email', 'webhook']
             FROM leaf l
             JOIN certificates c ON c.certificate_number = l.number
             LEFT JOIN certificate_acts a ON a.certificate_id = c.id AND a.ledger_index = l.idx
             JOIN pledges p ON p.certificate_id = c.id
                           AND (p.released_at IS NULL OR p.act_id = a.id OR p.released_by_act = a.id)
             JOIN organizations o ON o.credit_code = p.pledgee_credit_code AND o.verification = 'verified'"#,
        indexes,
        numbers
    )
    .fetch_all(conn)
    .await
}
