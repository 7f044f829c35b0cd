//! A tiled log read from outside: a directory (as `dataip ledger export`
//! writes it) or a base URL (a registry, a CDN, a static mirror). Audits
//! check every tile and entry against a signed checkpoint; monitors follow
//! the checkpoint from a remembered, verified state.

use std::path::PathBuf;

use anyhow::Context;

use super::audit;
use tlog::{
    checkpoint::{self, Checkpoint},
    merkle::{self, Hash, MemoryTree, Subtrees},
    note::{Note, VerifierKey},
    tiles::{self, Kind, Tile},
};

/// Where a log's files are read from.
pub enum Source {
    Directory(PathBuf),
    /// The log's prefix, e.g. `https://registry.example/tlog`.
    Url(String, reqwest::Client),
}

impl Source {
    /// A directory, or a base URL: a registry's address (its `/tlog`
    /// prefix is appended unless given).
    pub fn new(location: &str) -> Self {
        if location.starts_with("http://") || location.starts_with("https://") {
            let base = location.trim_end_matches('/');
            let prefix = if base.ends_with("/tlog") { base.to_owned() } else { format!("{base}/tlog") };
            let client =
                reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap_or_default();
            Self::Url(prefix, client)
        } else {
            Self::Directory(PathBuf::from(location))
        }
    }

    /// A file of the log; `None` when it does not exist (404).
    pub async fn get(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Self::Directory(dir) => match std::fs::read(dir.join(path)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error).with_context(|| format!("could not read {}", dir.join(path).display())),
            },
            Self::Url(prefix, client) => {
                let url = format!("{prefix}/{path}");
                let answer = client.get(&url).send().await.with_context(|| format!("could not fetch {url}"))?;
                match answer.status() {
                    reqwest::StatusCode::NOT_FOUND => Ok(None),
                    status if status.is_success() => Ok(Some(answer.bytes().await?.to_vec())),
                    status => anyhow::bail!("{url} answered {status}"),
                }
            }
        }
    }

    pub async fn require(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.get(path).await?.ok_or_else(|| anyhow::anyhow!("{path} is missing from {}", self.describe()))
    }

    pub async fn text(&self, path: &str) -> anyhow::Result<String> {
        String::from_utf8(self.require(path).await?).with_context(|| format!("{path} is not text"))
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Directory(dir) => dir.display().to_string(),
            Self::Url(prefix, _) => prefix.clone(),
        }
    }
}

/// What an audit of a mirror found intact.
#[derive(Debug)]
pub struct MirrorReport {
    pub checkpoint: Checkpoint,
    pub tiles: usize,
}

/// Audits a mirror: its checkpoint is signed by `key`; every entry bundle
/// parses, its entries are well-formed (issuance entries signed by the
/// registry) and hash to the level-0 tile; every higher tile holds the
/// hashes of the tiles below; the tree's root is the checkpoint's. Errors
/// name the first file found wrong.
pub async fn audit(
    source: &Source,
    key: &VerifierKey,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<MirrorReport> {
    let (checkpoint, _) = verified_checkpoint(source, key).await?;
    let mut tree = MemoryTree::new();
    let all = tiles::tiles_of(checkpoint.size);
    for bundle in all.iter().filter(|tile| tile.kind == Kind::Entries) {
        let leaves = read_bundle(source, bundle, &key.public_key).await?;
        let level0 = Tile { kind: Kind::Hashes(0), ..*bundle };
        let hashes = source.require(&level0.path()).await?;
        if hashes != leaves.concat() {
            anyhow::bail!("{} does not hold the hashes of the entries of {}", level0.path(), bundle.path());
        }
        leaves.into_iter().for_each(|leaf| tree.push(leaf));
        progress(tree.len(), checkpoint.size);
    }
    for tile in all.iter().filter(|tile| matches!(tile.kind, Kind::Hashes(level) if level > 0)) {
        let bytes = source.require(&tile.path()).await?;
        let expected: Vec<u8> = (tile.first()..tile.first() + tile.width)
            .filter_map(|index| tree.perfect(tile.tree_level(), index))
            .flatten()
            .collect();
        if bytes != expected {
            anyhow::bail!("{} does not hold the hashes of the tiles below it", tile.path());
        }
    }
    let root = merkle::root(&tree, checkpoint.size)?;
    anyhow::ensure!(root == checkpoint.root, "the tiles' root is not the checkpoint's");
    Ok(MirrorReport { checkpoint, tiles: all.len() })
}

/// The checkpoint a source serves, signed by `key`, and its note as served.
pub async fn verified_checkpoint(source: &Source, key: &VerifierKey) -> anyhow::Result<(Checkpoint, String)> {
    let text = source.text("checkpoint").await?;
    let (checkpoint, _) = checkpoint::open_with(&text, key).map_err(|e| anyhow::anyhow!("checkpoint: {e}"))?;
    Ok((checkpoint, text))
}

/// The leaf hashes of a bundle, each entry checked for form.
async fn read_bundle(source: &Source, bundle: &Tile, public_key: &[u8]) -> anyhow::Result<Vec<Hash>> {
    Ok(read_entries(source, bundle, public_key).await?.iter().map(|entry| merkle::leaf_hash(entry)).collect())
}

/// The entries of a bundle, each checked for form (an issuance signed by
/// the registry's `public_key`): what audits hash and replays fold.
pub async fn read_entries(source: &Source, bundle: &Tile, public_key: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let bytes = source.require(&bundle.path()).await?;
    let entries = tiles::unbundle(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", bundle.path()))?;
    anyhow::ensure!(
        entries.len() as u64 == bundle.width,
        "{} holds {} entries, not {}",
        bundle.path(),
        entries.len(),
        bundle.width
    );
    for (i, entry) in entries.iter().enumerate() {
        audit::check_entry(entry, public_key)
            .map_err(|what| anyhow::anyhow!("entry {} in {}: {what}", bundle.first() + i as u64, bundle.path()))?;
    }
    Ok(entries.into_iter().map(<[u8]>::to_vec).collect())
}

/// What a monitor remembers between runs: the last verified checkpoint and
/// the tree's right edge (its peaks), enough to extend it with new entries.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MonitorState {
    /// The log's verifier key, pinned at the first run.
    pub vkey: String,
    pub size: u64,
    /// The last verified checkpoint, as the log served it.
    pub checkpoint: String,
    /// (level, index, hex hash) of each peak of the tree of `size` leaves.
    pub peaks: Vec<(u32, u64, String)>,
}

/// What following a log found.
#[derive(Debug)]
pub enum Followed {
    /// Nothing new.
    Unchanged,
    /// Grew from one size to another, every new entry checked.
    Grew { from: u64, to: u64 },
    /// Two checkpoints that cannot both be true: the one remembered and the
    /// one just served.
    SplitView { remembered: String, served: String, why: String },
}

/// Follows a log from `state`: verifies its current checkpoint, reads the
/// entries since, checks each, and that the tree they extend has the
/// checkpoint's root. Returns the new state with what was found.
pub async fn follow(source: &Source, state: MonitorState) -> anyhow::Result<(MonitorState, Followed)> {
    let key = VerifierKey::parse(&state.vkey).map_err(anyhow::Error::msg)?;
    let (checkpoint, served) = verified_checkpoint(source, &key).await?;
    let remembered = match state.checkpoint.is_empty() {
        true => None,
        false => Some(Checkpoint::parse_body(&Note::parse(&state.checkpoint)?.body)?),
    };
    let split = |why: &str| Followed::SplitView {
        remembered: state.checkpoint.clone(),
        served: served.clone(),
        why: why.to_owned(),
    };
    if let Some(remembered) = &remembered {
        if checkpoint.size < remembered.size {
            return Ok((state.clone(), split("the served tree is smaller than one already verified")));
        }
        if checkpoint.size == remembered.size {
            return Ok(match checkpoint.root == remembered.root {
                true => (state, Followed::Unchanged),
                false => (state.clone(), split("two different roots for one tree size")),
            });
        }
    }
    let mut known = std::collections::HashMap::new();
    for (level, index, hash) in &state.peaks {
        let hash: Hash =
            hex::decode(hash).ok().and_then(|b| b.try_into().ok()).context("a corrupt peak in the state")?;
        known.insert((*level, *index), hash);
    }
    let mut size = state.size;
    while size < checkpoint.size {
        let index = size / tiles::WIDTH;
        let count = checkpoint.size - index * tiles::WIDTH;
        let bundle = Tile { kind: Kind::Entries, index, width: count.min(tiles::WIDTH) };
        let leaves = read_bundle(source, &bundle, &key.public_key).await?;
        let skip = usize::try_from(size - bundle.first())?;
        let new = &leaves[skip.min(leaves.len())..];
        let added = merkle::subtrees_completed_by(size, &known, new);
        known.extend(added.into_iter().map(|(level, index, hash)| ((level, index), hash)));
        size += new.len() as u64;
        anyhow::ensure!(!new.is_empty(), "{} adds no entries", bundle.path());
    }
    let root = merkle::root(&known, checkpoint.size)?;
    if root != checkpoint.root {
        return Ok((state.clone(), split("the served entries extend the verified tree to another root than signed")));
    }
    let peaks = merkle::needed_for_root(checkpoint.size)
        .into_iter()
        .filter_map(|(level, index)| known.get(&(level, index)).map(|hash| (level, index, hex::encode(hash))))
        .collect();
    let from = state.size;
    let next = MonitorState { vkey: state.vkey, size: checkpoint.size, checkpoint: served, peaks };
    Ok((next, Followed::Grew { from, to: checkpoint.size }))
}
