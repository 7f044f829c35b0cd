//! Signed status statements (`dataip.status/v1`, see `tlog::status`): a
//! certificate's status computed from its ledger entries up to the
//! checkpoint statements are of, signed with the registry's key, with the
//! proof of its latest entry into that checkpoint. Never stored and never
//! kept in the public cache: each answer is made for its asker.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use crate::services::{Error, FieldError, Result};
use crate::{db, domain::CertificateNumber, state::AppState};
use tlog::{
    Entry,
    checkpoint::Checkpoint,
    merkle,
    proof::Proof,
    status::{self, BundleHeader, Replay, Statement},
};

/// Numbers one bulk query may ask.
pub const MAX_NUMBERS: usize = 1000;

/// Statements computed per round trip of a bulk answer: the answer streams
/// a round at a time, so its first lines leave before its last are made.
pub const ROUND: usize = 100;

/// The checkpoint a set of statements is of, and when they are made.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub tree_size: u64,
    /// The signed checkpoint with the witnesses' cosignatures.
    pub checkpoint: String,
    pub as_of: DateTime<Utc>,
}

impl Snapshot {
    /// A bundle's first line.
    pub fn header(&self, count: usize) -> BundleHeader {
        BundleHeader {
            kind: status::BUNDLE_TYPE.into(),
            tree_size: self.tree_size,
            checkpoint: self.checkpoint.clone(),
            count,
        }
    }
}

/// A bulk query.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// Certificate numbers, 1 to 1,000; answered in this order.
    #[schema(min_items = 1, max_items = 1000)]
    pub numbers: Vec<String>,
}

/// A number as asked, or 422.
pub fn parse_number(number: &str) -> Result<String> {
    CertificateNumber::parse(number)
        .map(|number| number.as_str().to_owned())
        .map_err(|e| Error::field("certificate_number", e.to_string()))
}

/// The numbers of a bulk query, each well-formed, or 422 naming each that is not.
pub fn parse_query(query: StatusQuery) -> Result<Vec<String>> {
    if query.numbers.is_empty() || query.numbers.len() > MAX_NUMBERS {
        return Err(Error::field("numbers", format!("ask 1 to {MAX_NUMBERS} numbers, not {}", query.numbers.len())));
    }
    let mut numbers = Vec::with_capacity(query.numbers.len());
    let mut problems = Vec::new();
    for (i, number) in query.numbers.iter().enumerate() {
        match CertificateNumber::parse(number) {
            Ok(number) => numbers.push(number.as_str().to_owned()),
            Err(e) => problems.push(FieldError { field: format!("numbers[{i}]"), message: e.to_string() }),
        }
    }
    match problems.is_empty() {
        true => Ok(numbers),
        false => Err(Error::Validation(problems)),
    }
}

/// The checkpoint statements are of now: the latest, or where witnesses are
/// configured the latest all of them cosigned.
pub async fn snapshot(state: &AppState) -> Result<Snapshot> {
    let mut conn = state.db.acquire().await?;
    let witnesses: Vec<String> = state.config.ledger.witnesses.iter().map(|peer| peer.vkey.clone()).collect();
    let as_of = state.clock.now();
    let Some((tree_size, note)) = db::status::checkpoint(&mut conn, &witnesses).await? else {
        let origin = state.config.ledger.origin.clone();
        let empty = Checkpoint { origin, size: 0, root: merkle::empty_root() }.sign(&state.signer);
        return Ok(Snapshot { tree_size: 0, checkpoint: empty, as_of });
    };
    let lines = db::tlog::cosignatures(&mut conn, tree_size).await?;
    let checkpoint = super::log_files::with_cosignatures(&note, &lines);
    Ok(Snapshot { tree_size, checkpoint, as_of })
}

/// One certificate's statement now.
pub async fn one(state: &AppState, number: &str) -> Result<Statement> {
    let number = parse_number(number)?;
    let snapshot = snapshot(state).await?;
    let mut statements = statements(state, &snapshot, std::slice::from_ref(&number)).await?;
    statements.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("no statement made")))
}

/// The signed statements of `numbers` (well-formed), in their order, at the
/// snapshot's checkpoint.
pub async fn statements(state: &AppState, snapshot: &Snapshot, numbers: &[String]) -> Result<Vec<Statement>> {
    let size = snapshot.tree_size;
    let distinct: Vec<String> = numbers.iter().cloned().collect::<HashSet<_>>().into_iter().collect();
    let mut conn = state.db.acquire().await?;
    let leaves = db::status::entries_of(&mut conn, &distinct, size).await?;
    let pending: HashSet<String> = db::status::pending_among(&mut conn, &distinct, size).await?.into_iter().collect();

    let replay = replay_of(&leaves)?;
    if let Some((index, problem)) = replay.problems.first() {
        tracing::error!(index, problem, "a certificate's ledger entries do not fit together");
    }
    // Each certificate's latest entry, which its proof proves.
    let entry_at: HashMap<i64, &[u8]> = leaves.iter().map(|leaf| (leaf.idx, leaf.entry.as_slice())).collect();
    let latest: HashMap<&str, (u64, &[u8])> = replay
        .records()
        .filter_map(|(number, record)| {
            let entry = entry_at.get(&i64::try_from(record.latest).ok()?)?;
            Some((number.as_str(), (record.latest, *entry)))
        })
        .collect();

    // Every proof's subtrees in one query.
    let mut wanted: Vec<(u32, u64)> =
        latest.values().flat_map(|(index, _)| merkle::needed_for_inclusion(*index, size)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let nodes = db::ledger::nodes(&mut conn, &wanted).await?;
    drop(conn);

    let mut proofs: HashMap<&str, String> = HashMap::with_capacity(latest.len());
    for (number, (index, entry)) in &latest {
        let inclusion = merkle::inclusion_proof(&nodes, *index, size).map_err(|e| Error::Internal(e.into()))?;
        let proof =
            Proof { extra: Some(entry.to_vec()), index: *index, inclusion, checkpoint: snapshot.checkpoint.clone() };
        proofs.insert(number, proof.to_text());
    }
    numbers
        .iter()
        .map(|number| {
            let mut statement = replay.statement(number, snapshot.as_of, size);
            statement.pending = pending.contains(number);
            statement.proof = proofs.get(number.as_str()).cloned();
            statement.sign(&state.signer).map_err(Error::Internal)?;
            Ok(statement)
        })
        .collect()
}

/// A certificate's status at the tree size given (for watchers' events).
pub async fn statuses_at(
    conn: &mut sqlx::PgConnection,
    numbers: &[String],
    tree_size: u64,
    as_of: DateTime<Utc>,
) -> Result<HashMap<String, status::Status>> {
    let replay = replay_of(&db::status::entries_of(conn, numbers, tree_size).await?)?;
    Ok(numbers.iter().map(|n| (n.clone(), replay.statement(n, as_of, tree_size).status)).collect())
}

/// The records the certificates' leaves (in log order) leave.
fn replay_of(leaves: &[db::status::CertificateLeaf]) -> Result<Replay> {
    let mut replay = Replay::default();
    for leaf in leaves {
        let index = u64::try_from(leaf.idx).unwrap_or(0);
        // The registry's own leaves, read back: their form was checked when
        // written (and `dataip ledger audit` checks it again), so this does
        // not re-serialize each to compare (a third of a bulk answer's CPU).
        let entry: Entry = serde_json::from_slice(&leaf.entry)
            .map_err(|e| Error::Internal(anyhow::anyhow!("ledger entry {index} does not parse: {e}")))?;
        replay.push(index, &entry);
    }
    Ok(replay)
}

/// Lines of a bulk answer: JSON and a newline.
pub fn line<T: serde::Serialize>(value: &T) -> Result<bytes::Bytes> {
    let mut bytes = serde_json::to_vec(value).map_err(|e| Error::Internal(e.into()))?;
    bytes.push(b'\n');
    Ok(bytes.into())
}

/// Whether the operator asked for the numbers queried to be logged.
pub fn log_numbers(state: &AppState, numbers: &[String]) {
    if state.config.log.status_numbers {
        tracing::info!(numbers = numbers.join(","), "status queried");
    }
}
