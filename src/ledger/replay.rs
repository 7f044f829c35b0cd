//! `dataip ledger replay`: every certificate's status recomputed from a
//! log's tiles alone, and compared with the registry's signed answers.
//!
//! The replay is [`tlog::status::Replay`], the very computation the
//! registry signs its statements with, fed the entries of the tiles rather
//! than the database's rows: so a registry that answers anything but what
//! its own log says is caught by anyone holding the log's key.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::mirror::{self, Source};
use tlog::{
    Entry,
    checkpoint::{self, Checkpoint},
    merkle::{self, MemoryTree},
    note::VerifierKey,
    policy::Policy,
    status::{self, BundleHeader, Expectations, Replay, Statement, Status},
    tiles::{self, Kind},
};

/// The numbers one bulk status query may ask (the registry refuses more).
const CHUNK: usize = 1000;

/// How long one bulk answer may take: it streams a thousand statements,
/// each with its proof.
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// A log read whole from its tiles, its entries exactly its checkpoint's tree.
pub struct ReplayedLog {
    pub checkpoint: Checkpoint,
    /// The tree of every entry, kept for the roots of smaller trees (the
    /// registry's status checkpoint may lag the tiles').
    pub tree: MemoryTree,
    /// Every entry with its index, in log order.
    pub entries: Vec<(u64, Entry)>,
    /// Every certificate as the whole log leaves it.
    pub replay: Replay,
}

impl ReplayedLog {
    /// The records the first `size` entries leave: the log as it was at an
    /// earlier checkpoint.
    pub fn replay_prefix(&self, size: u64) -> Replay {
        let mut replay = Replay::default();
        for (index, entry) in self.entries.iter().take_while(|(index, _)| *index < size) {
            replay.push(*index, entry);
        }
        replay
    }
}

/// The log's key in a policy: its first log's (a registry's policy names
/// one log, its own).
pub fn log_key(policy: &Policy) -> anyhow::Result<&VerifierKey> {
    policy.logs.first().map(|log| &log.key).context("the policy names no log")
}

/// Reads every entry of the log `source` serves, each checked for form,
/// and replays them. Fails unless the checkpoint is signed by `key` and the
/// entries' tree has its root: only then are they exactly the signed log.
pub async fn read(
    source: &Source,
    key: &VerifierKey,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<ReplayedLog> {
    let (checkpoint, _) = mirror::verified_checkpoint(source, key).await?;
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    for bundle in tiles::tiles_of(checkpoint.size).iter().filter(|tile| tile.kind == Kind::Entries) {
        for bytes in mirror::read_entries(source, bundle, &key.public_key).await? {
            let index = tree.len();
            tree.push(merkle::leaf_hash(&bytes));
            let entry = Entry::parse(&bytes).map_err(|e| anyhow::anyhow!("entry {index}: {e}"))?;
            entries.push((index, entry));
        }
        progress(tree.len(), checkpoint.size);
    }
    anyhow::ensure!(
        tree.len() == checkpoint.size && tree.root() == checkpoint.root,
        "the entries of {} are not the tree its checkpoint of size {} signs",
        source.describe(),
        checkpoint.size
    );
    let mut replay = Replay::default();
    for (index, entry) in &entries {
        replay.push(*index, entry);
    }
    Ok(ReplayedLog { checkpoint, tree, entries, replay })
}

/// How many certificates a replay leaves in each status, pledged and
/// preserved, as statements at one moment would say.
#[derive(Debug, Default)]
pub struct Summary {
    pub certificates: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    pub pledged: usize,
    pub preserved: usize,
}

/// Counts the statements every record makes at `as_of` (an active record
/// past its validity counts as expired, as its statement says).
pub fn summarize(replay: &Replay, as_of: DateTime<Utc>, tree_size: u64) -> Summary {
    let mut summary = Summary::default();
    for (number, record) in replay.records() {
        let statement = record.statement(number, as_of, tree_size);
        summary.certificates += 1;
        *summary.by_status.entry(statement.status.as_str()).or_default() += 1;
        summary.pledged += usize::from(statement.pledged);
        summary.preserved += usize::from(statement.preserved);
    }
    summary
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every status, even at zero, so that reports line up run after run.
        let counts: Vec<String> = [Status::Active, Status::Expired, Status::Revoked, Status::Cancelled]
            .iter()
            .map(|status| format!("{} {}", self.by_status.get(status.as_str()).copied().unwrap_or(0), status.as_str()))
            .collect();
        write!(
            f,
            "{} certificate{} ({}); {} pledged, {} preserved",
            self.certificates,
            if self.certificates == 1 { "" } else { "s" },
            counts.join(", "),
            self.pledged,
            self.preserved
        )
    }
}

/// Every certificate's replayed statement (unsigned, without proof) at
/// `as_of`, one JSON line each, by number.
pub fn statements_ndjson(replay: &Replay, as_of: DateTime<Utc>, tree_size: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for (number, record) in replay.records() {
        serde_json::to_writer(&mut bytes, &record.statement(number, as_of, tree_size))?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// One field on which a signed statement and the replay differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub number: String,
    pub field: &'static str,
    /// The registry's value, as JSON.
    pub registry: String,
    /// The replay's value, as JSON.
    pub replay: String,
}

/// What comparing the registry's answers with the replay found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Certificates asked about.
    pub compared: usize,
    /// The tree sizes the registry answered at.
    pub tree_sizes: BTreeSet<u64>,
    /// Statements that do not verify against the policy: number, what failed.
    pub refused: Vec<(String, String)>,
    pub disagreements: Vec<Disagreement>,
}

impl Comparison {
    /// Whether every answer verified and agreed with the replay.
    pub fn agrees(&self) -> bool {
        self.refused.is_empty() && self.disagreements.is_empty()
    }
}

/// Asks the registry at `base_url` for the signed statement of every
/// certificate of the log, in bulk, verifies each against `policy`, and
/// compares it with the replay of the log at the statement's checkpoint.
/// A relying party's `api_key` raises the allowance the questions count
/// against (anonymous, an address asks a few thousand numbers an hour).
pub async fn compare(
    log: &ReplayedLog,
    base_url: &str,
    policy: &Policy,
    api_key: Option<&str>,
) -> anyhow::Result<Comparison> {
    let key = log_key(policy)?;
    let client = reqwest::Client::builder().timeout(ANSWER_TIMEOUT).build()?;
    let url = format!("{}/api/v1/public/status", base_url.trim_end_matches('/'));
    let numbers: Vec<&str> = log.replay.records().map(|(number, _)| number.as_str()).collect();
    let mut comparison = Comparison { compared: numbers.len(), ..Comparison::default() };
    // One replay per checkpoint answered at: chunks are usually all of one.
    let mut replays: HashMap<u64, Replay> = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        let (header, statements) = fetch_bundle(&client, &url, chunk, api_key).await?;
        check_header(&header, key, log)?;
        comparison.tree_sizes.insert(header.tree_size);
        let replay = replays.entry(header.tree_size).or_insert_with(|| log.replay_prefix(header.tree_size));
        for (number, json) in chunk.iter().zip(&statements) {
            compare_one(number, json, &header, policy, replay, &mut comparison);
        }
    }
    Ok(comparison)
}

/// A bundle the registry answers for `numbers`: its header and one
/// statement (as JSON, to verify as signed) per number, in their order.
async fn fetch_bundle(
    client: &reqwest::Client,
    url: &str,
    numbers: &[&str],
    api_key: Option<&str>,
) -> anyhow::Result<(BundleHeader, Vec<Value>)> {
    let mut request = client.post(url).json(&serde_json::json!({ "numbers": numbers }));
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.with_context(|| format!("could not ask {url}"))?;
    let code = answer.status();
    if code == reqwest::StatusCode::TOO_MANY_REQUESTS {
        let wait = answer.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).unwrap_or("?");
        anyhow::bail!(
            "{url} answered 429: the allowance of status queries is spent; retry in {wait} s (a relying party's \
             --api-key raises it)"
        );
    }
    anyhow::ensure!(code.is_success(), "{url} answered {code}: {}", answer.text().await.unwrap_or_default());
    let text = answer.text().await.with_context(|| format!("{url} broke off its answer"))?;
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header: BundleHeader = serde_json::from_str(lines.next().unwrap_or_default())
        .with_context(|| format!("{url} did not answer a bundle header"))?;
    anyhow::ensure!(
        header.kind == status::BUNDLE_TYPE,
        "{url} answered a {}, not a {}",
        header.kind,
        status::BUNDLE_TYPE
    );
    let statements = lines
        .map(serde_json::from_str)
        .collect::<Result<Vec<Value>, _>>()
        .with_context(|| format!("{url} answered a statement that is not JSON"))?;
    // A bundle that broke off mid-stream holds fewer lines than announced.
    anyhow::ensure!(
        header.count == numbers.len() && statements.len() == numbers.len(),
        "{url} answered {} statements (announcing {}) for the {} numbers asked",
        statements.len(),
        header.count,
        numbers.len()
    );
    Ok((header, statements))
}

/// The registry's status checkpoint must be signed by the log's key and be
/// a tree the tiles hold (the root of their first `tree_size` entries):
/// else its statements are of another history than the tiles'.
fn check_header(header: &BundleHeader, key: &VerifierKey, log: &ReplayedLog) -> anyhow::Result<()> {
    let (checkpoint, _) = checkpoint::open_with(&header.checkpoint, key)
        .map_err(|e| anyhow::anyhow!("the registry's status checkpoint: {e}"))?;
    anyhow::ensure!(
        checkpoint.size == header.tree_size,
        "the registry's bundle says tree size {}, its checkpoint {}",
        header.tree_size,
        checkpoint.size
    );
    anyhow::ensure!(
        checkpoint.size <= log.checkpoint.size,
        "the registry answered at tree size {}, past the tiles' checkpoint of size {}: the log grew meanwhile: run again",
        checkpoint.size,
        log.checkpoint.size
    );
    anyhow::ensure!(
        merkle::root(&log.tree, checkpoint.size)? == checkpoint.root,
        "the registry's status checkpoint of size {} has another root than the tiles' tree of that size: a split view",
        checkpoint.size
    );
    Ok(())
}

/// Verifies one signed statement and compares it with the replay at its
/// checkpoint and its moment (`as_of` decides whether it has expired).
fn compare_one(
    number: &str,
    json: &Value,
    header: &BundleHeader,
    policy: &Policy,
    replay: &Replay,
    comparison: &mut Comparison,
) {
    // No age limit: the point is what the statement says, not its freshness.
    let (checks, statement) = status::verify(json, policy, Expectations { now: Utc::now(), max_age: None });
    let failed: Vec<String> =
        checks.iter().filter(|check| !check.passed).map(|check| format!("{}: {}", check.name, check.detail)).collect();
    if !failed.is_empty() {
        comparison.refused.push((number.to_owned(), failed.join("; ")));
    }
    let Some(statement) = statement else { return };
    // The replay is of the bundle's checkpoint: a statement of another says nothing comparable.
    if statement.tree_size != header.tree_size {
        let why = format!("of tree size {}, not the bundle's {}", statement.tree_size, header.tree_size);
        comparison.refused.push((number.to_owned(), why));
        return;
    }
    let replayed = replay.statement(number, statement.as_of, statement.tree_size);
    comparison.disagreements.extend(differences(number, &statement, &replayed));
}

/// The fields a status consists of on which `registry` and `replayed`
/// differ; the signature, proof and `pending` are the registry's own.
fn differences(number: &str, registry: &Statement, replayed: &Statement) -> Vec<Disagreement> {
    let fields: [(&'static str, String, String); 9] = [
        ("certificate_number", json(&registry.certificate_number), json(&replayed.certificate_number)),
        ("status", json(&registry.status), json(&replayed.status)),
        ("holders", json(&registry.holders), json(&replayed.holders)),
        ("pledged", json(&registry.pledged), json(&replayed.pledged)),
        ("pledgees", json(&registry.pledgees), json(&replayed.pledgees)),
        ("preserved", json(&registry.preserved), json(&replayed.preserved)),
        ("measures", json(&registry.measures), json(&replayed.measures)),
        ("valid_from", json(&registry.valid_from), json(&replayed.valid_from)),
        ("valid_until", json(&registry.valid_until), json(&replayed.valid_until)),
    ];
    fields
        .into_iter()
        .filter(|(_, theirs, ours)| theirs != ours)
        .map(|(field, registry, replay)| Disagreement { number: number.to_owned(), field, registry, replay })
        .collect()
}

/// A value as compact JSON, to show and to compare.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
