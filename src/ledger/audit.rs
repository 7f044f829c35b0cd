//! A full audit of the stored ledger: every leaf recomputed from its entry
//! and the entry read back as a well-formed typed entry (issuance entries
//! with a valid signature), the whole tree rebuilt and compared with the
//! stored subtrees, every checkpoint's signature and root checked, and
//! consistency between consecutive checkpoints. The first discrepancy is
//! reported.

use sqlx::PgConnection;

use crate::db;
use tlog::signing;
use tlog::{
    Entry, checkpoint,
    merkle::{self, Hash, MemoryTree, Subtrees},
};

const PAGE: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub leaves: u64,
    pub nodes: u64,
    pub checkpoints: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum Discrepancy {
    #[error("leaf {index}: {what}")]
    Leaf { index: u64, what: String },
    #[error("stored subtree at level {level}, index {index}: {what}")]
    Node { level: u32, index: u64, what: String },
    #[error("checkpoint of tree size {size}: {what}")]
    Checkpoint { size: u64, what: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Audits the ledger; `progress(done, total)` is told how far it got.
pub async fn audit(
    conn: &mut PgConnection,
    origin: &str,
    public_key: &[u8],
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, Discrepancy> {
    let size = db::ledger::size(conn).await?;
    let mut tree = MemoryTree::new();
    while tree.len() < size {
        let page = db::ledger::leaves(conn, tree.len(), PAGE).await?;
        if page.is_empty() {
            break;
        }
        for leaf in page {
            let index = tree.len();
            if u64::try_from(leaf.idx).ok() != Some(index) {
                return Err(Discrepancy::Leaf {
                    index,
                    what: format!("missing (the next stored leaf is {})", leaf.idx),
                });
            }
            let recomputed = merkle::leaf_hash(&leaf.entry);
            if leaf.leaf_hash != recomputed {
                return Err(Discrepancy::Leaf {
                    index,
                    what: format!(
                        "the entry hashes to {}, but {} is stored",
                        hex::encode(recomputed),
                        hex::encode(&leaf.leaf_hash)
                    ),
                });
            }
            check_entry(&leaf.entry, public_key).map_err(|what| Discrepancy::Leaf { index, what })?;
            tree.push(recomputed);
        }
        progress(tree.len(), size);
    }

    let mut nodes = 0;
    for level in 0..64u32 {
        let stored = db::ledger::level(conn, level).await?;
        let expected = if level < 64 { size >> level } else { 0 };
        if stored.is_empty() && expected == 0 {
            break;
        }
        for (position, (index, hash)) in stored.iter().enumerate() {
            if *index != position as u64 {
                return Err(Discrepancy::Node { level, index: position as u64, what: "missing".into() });
            }
            match tree.perfect(level, *index) {
                Some(rebuilt) if rebuilt.as_slice() == hash.as_slice() => nodes += 1,
                Some(rebuilt) => {
                    return Err(Discrepancy::Node {
                        level,
                        index: *index,
                        what: format!("stored {}, rebuilt {}", hex::encode(hash), hex::encode(rebuilt)),
                    });
                }
                None => return Err(Discrepancy::Node { level, index: *index, what: "beyond the tree".into() }),
            }
        }
        if stored.len() as u64 != expected {
            return Err(Discrepancy::Node { level, index: stored.len() as u64, what: "missing".into() });
        }
    }

    let checkpoints = db::ledger::checkpoints(conn).await?;
    let mut previous: Option<(u64, Hash)> = None;
    for row in &checkpoints {
        let size_here = u64::try_from(row.tree_size).unwrap_or(0);
        let fail = |what: String| Discrepancy::Checkpoint { size: size_here, what };
        let opened = checkpoint::open(&row.note, origin, public_key).map_err(|e| fail(e.to_string()))?;
        if opened.size != size_here || opened.root.as_slice() != row.root_hash.as_slice() {
            return Err(fail("the signed note and the stored row disagree".into()));
        }
        if size_here > size {
            return Err(fail(format!("beyond the {size} stored leaves")));
        }
        let rebuilt = merkle::root(&tree, size_here).map_err(|e| fail(e.to_string()))?;
        if rebuilt != opened.root {
            return Err(fail(format!("signed root {}, rebuilt {}", hex::encode(opened.root), hex::encode(rebuilt))));
        }
        if let Some((first, first_root)) = previous {
            let proof = merkle::consistency_proof(&tree, first, size_here).map_err(|e| fail(e.to_string()))?;
            if !merkle::verify_consistency(first, size_here, &proof, &first_root, &opened.root) {
                return Err(fail(format!("not consistent with the checkpoint of size {first}")));
            }
        }
        previous = Some((size_here, opened.root));
    }
    if let Some((last, _)) = previous
        && last != size
    {
        return Err(Discrepancy::Checkpoint {
            size: last,
            what: format!("the ledger holds {size} leaves, more than signed"),
        });
    }
    Ok(Report { leaves: size, nodes, checkpoints: checkpoints.len() })
}

/// An entry is one of the typed shapes, in canonical form; an issuance
/// entry's document carries the registry's signature.
pub(crate) fn check_entry(bytes: &[u8], public_key: &[u8]) -> Result<(), String> {
    let entry = Entry::parse(bytes).map_err(|e| e.to_string())?;
    if let Entry::CertificateIssued { document, signature } = &entry {
        let document = signing::canonical_json(document).map_err(|e| e.to_string())?;
        if !signing::verify(public_key, &document, signature) {
            return Err(format!("the signature of certificate {} does not verify", entry.certificate_number()));
        }
    }
    Ok(())
}
