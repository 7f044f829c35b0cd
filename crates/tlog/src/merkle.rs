//! RFC 9162 Merkle trees: leaf and node hashing, roots, inclusion and
//! consistency proofs and their verification. Long because proofs and
//! their verification are one concern, kept beside their tests.
//!
//! Any tree's hashes are built from the hashes of its *perfect* subtrees
//! (2^level leaves starting at a multiple of 2^level), which is what the
//! database stores. Proofs are computed against a [`Subtrees`] source; which
//! subtrees a proof needs depends only on the sizes involved, so callers can
//! ask for them first ([`needed_for_inclusion`], ...) and fetch them in one go.
//!
//! # Examples
//!
//! A tree of five leaves, a proof that the fourth is in it, and a proof
//! that the tree of three leaves is a prefix of it:
//!
//! ```
//! use tlog::merkle::{self, MemoryTree};
//!
//! let mut tree = MemoryTree::new();
//! for entry in ["a", "b", "c", "d", "e"] {
//!     tree.push(merkle::leaf_hash(entry.as_bytes()));
//! }
//! let root = tree.root();
//!
//! let proof = merkle::inclusion_proof(&tree, 3, 5)?;
//! assert!(merkle::verify_inclusion(&merkle::leaf_hash(b"d"), 3, 5, &proof, &root));
//! assert!(!merkle::verify_inclusion(&merkle::leaf_hash(b"x"), 3, 5, &proof, &root));
//!
//! let old_root = merkle::root(&tree, 3)?;
//! let consistency = merkle::consistency_proof(&tree, 3, 5)?;
//! assert!(merkle::verify_consistency(3, 5, &consistency, &old_root, &root));
//! # Ok::<(), merkle::MissingSubtree>(())
//! ```

use std::{cell::RefCell, collections::BTreeSet};

use sha2::{Digest, Sha256};

/// A SHA-256 hash: of a leaf, a node or a root.
pub type Hash = [u8; 32];

/// The hash of an empty tree: SHA-256 of nothing.
///
/// # Examples
///
/// ```
/// assert_eq!(tlog::merkle::MemoryTree::new().root(), tlog::merkle::empty_root());
/// assert_eq!(hex::encode(tlog::merkle::empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// ```
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// SHA-256(0x00 ‖ entry): the hash of a leaf, the entry's exact bytes.
///
/// # Examples
///
/// ```
/// let mut tree = tlog::merkle::MemoryTree::new();
/// tree.push(tlog::merkle::leaf_hash(b"entry"));
/// // The root of a tree of one leaf is that leaf's hash.
/// assert_eq!(tree.root(), tlog::merkle::leaf_hash(b"entry"));
/// ```
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut digest = Sha256::new();
    digest.update([0u8]);
    digest.update(entry);
    digest.finalize().into()
}

/// SHA-256(0x01 ‖ left ‖ right): the hash of an inner node.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{MemoryTree, leaf_hash, node_hash};
///
/// let mut tree = MemoryTree::new();
/// tree.push(leaf_hash(b"a"));
/// tree.push(leaf_hash(b"b"));
/// assert_eq!(tree.root(), node_hash(&leaf_hash(b"a"), &leaf_hash(b"b")));
/// ```
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut digest = Sha256::new();
    digest.update([1u8]);
    digest.update(left);
    digest.update(right);
    digest.finalize().into()
}

/// Where perfect subtree hashes come from: the subtree of 2^`level` leaves
/// starting at leaf `index << level`.
///
/// # Examples
///
/// A map from (level, index) is a source; so is a [`MemoryTree`]:
///
/// ```
/// use std::collections::HashMap;
///
/// use tlog::merkle::{self, Subtrees};
///
/// let leaves: HashMap<(u32, u64), merkle::Hash> = HashMap::from([((0, 0), [1; 32]), ((0, 1), [2; 32])]);
/// assert_eq!(leaves.perfect(0, 1), Some([2; 32]));
/// assert_eq!(merkle::root(&leaves, 2), Err(merkle::MissingSubtree { level: 1, index: 0 }));
/// assert_eq!(merkle::root(&leaves, 1), Ok([1; 32]));
/// ```
pub trait Subtrees {
    /// The hash of the perfect subtree of 2^`level` leaves from leaf
    /// `index << level`, if the source has it.
    fn perfect(&self, level: u32, index: u64) -> Option<Hash>;
}

/// A proof or root could not be computed: a subtree hash is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the subtree at level {level}, index {index} is missing")]
pub struct MissingSubtree {
    /// The subtree's level: it spans 2^level leaves.
    pub level: u32,
    /// The subtree's index in its level.
    pub index: u64,
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start:end]).
fn mth(source: &impl Subtrees, start: u64, end: u64) -> Result<Hash, MissingSubtree> {
    let width = end - start;
    if width == 0 {
        return Ok(empty_root());
    }
    if width.is_power_of_two() && start.is_multiple_of(width) {
        let level = width.trailing_zeros();
        let index = start >> level;
        return source.perfect(level, index).ok_or(MissingSubtree { level, index });
    }
    let k = split(width);
    Ok(node_hash(&mth(source, start, start + k)?, &mth(source, start + k, end)?))
}

/// The root of the tree of the first `size` leaves.
///
/// # Errors
///
/// [`MissingSubtree`] when `source` lacks a subtree the root is made of.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// (0u8..3).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let two = merkle::root(&tree, 2)?;
/// assert_eq!(two, merkle::node_hash(&merkle::leaf_hash(&[0]), &merkle::leaf_hash(&[1])));
/// assert_eq!(merkle::root(&tree, 3)?, merkle::node_hash(&two, &merkle::leaf_hash(&[2])));
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
pub fn root(source: &impl Subtrees, size: u64) -> Result<Hash, MissingSubtree> {
    mth(source, 0, size)
}

/// PATH(index, D\[0:size\]) of RFC 9162 §2.1.3.1, deepest sibling first.
/// The caller checks `index < size`.
///
/// # Errors
///
/// [`MissingSubtree`] when `source` lacks a subtree the proof needs.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// (0u8..7).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let proof = merkle::inclusion_proof(&tree, 4, 7)?;
/// assert_eq!(proof.len(), 3);
/// assert!(merkle::verify_inclusion(&merkle::leaf_hash(&[4]), 4, 7, &proof, &tree.root()));
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
pub fn inclusion_proof(source: &impl Subtrees, index: u64, size: u64) -> Result<Vec<Hash>, MissingSubtree> {
    let mut proof = Vec::new();
    path(source, index, 0, size, &mut proof)?;
    Ok(proof)
}

fn path(source: &impl Subtrees, m: u64, start: u64, end: u64, proof: &mut Vec<Hash>) -> Result<(), MissingSubtree> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(source, m, start, start + k, proof)?;
        proof.push(mth(source, start + k, end)?);
    } else {
        path(source, m - k, start + k, end, proof)?;
        proof.push(mth(source, start, start + k)?);
    }
    Ok(())
}

/// PROOF(first, D\[0:second\]) of RFC 9162 §2.1.4.1. The caller checks
/// `0 < first <= second`.
///
/// # Errors
///
/// [`MissingSubtree`] when `source` lacks a subtree the proof needs.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// (0u8..4).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let old_root = tree.root();
/// (4u8..9).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let proof = merkle::consistency_proof(&tree, 4, 9)?;
/// assert!(merkle::verify_consistency(4, 9, &proof, &old_root, &tree.root()));
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
pub fn consistency_proof(source: &impl Subtrees, first: u64, second: u64) -> Result<Vec<Hash>, MissingSubtree> {
    let mut proof = Vec::new();
    subproof(source, first, 0, second, true, &mut proof)?;
    Ok(proof)
}

fn subproof(
    source: &impl Subtrees,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    proof: &mut Vec<Hash>,
) -> Result<(), MissingSubtree> {
    let n = end - start;
    if m == n {
        if !complete {
            proof.push(mth(source, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(source, m, start, start + k, complete, proof)?;
        proof.push(mth(source, start + k, end)?);
    } else {
        subproof(source, m - k, start + k, end, false, proof)?;
        proof.push(mth(source, start, start + k)?);
    }
    Ok(())
}

/// A source that records what is asked of it, to learn which subtrees a
/// computation needs before fetching them.
#[derive(Default)]
struct Recorder(RefCell<BTreeSet<(u32, u64)>>);

impl Subtrees for Recorder {
    fn perfect(&self, level: u32, index: u64) -> Option<Hash> {
        self.0.borrow_mut().insert((level, index));
        Some([0; 32])
    }
}

fn needed(run: impl FnOnce(&Recorder)) -> Vec<(u32, u64)> {
    let recorder = Recorder::default();
    run(&recorder);
    recorder.0.into_inner().into_iter().collect()
}

/// The perfect subtrees that the root of `size` leaves is made of, as
/// (level, index).
///
/// # Examples
///
/// ```
/// // 6 = 4 + 2: the subtree of leaves 0..4 and that of leaves 4..6.
/// assert_eq!(tlog::merkle::needed_for_root(6), [(1, 2), (2, 0)]);
/// ```
pub fn needed_for_root(size: u64) -> Vec<(u32, u64)> {
    needed(|r| drop(root(r, size)))
}

/// The perfect subtrees that the inclusion proof of leaf `index` in the
/// tree of `size` leaves needs, as (level, index).
///
/// # Examples
///
/// ```
/// assert_eq!(tlog::merkle::needed_for_inclusion(0, 4), [(0, 1), (1, 1)]);
/// ```
pub fn needed_for_inclusion(index: u64, size: u64) -> Vec<(u32, u64)> {
    needed(|r| drop(inclusion_proof(r, index, size)))
}

/// The perfect subtrees that the consistency proof from the tree of
/// `first` leaves to that of `second` needs, as (level, index).
///
/// # Examples
///
/// ```
/// assert_eq!(tlog::merkle::needed_for_consistency(2, 4), [(1, 1)]);
/// ```
pub fn needed_for_consistency(first: u64, second: u64) -> Vec<(u32, u64)> {
    needed(|r| drop(consistency_proof(r, first, second)))
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): whether `proof` leads
/// from the hash of leaf `index` to `root`, the root of a tree of `size`
/// leaves.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// (0u8..3).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let proof = merkle::inclusion_proof(&tree, 2, 3)?;
/// assert!(merkle::verify_inclusion(&merkle::leaf_hash(&[2]), 2, 3, &proof, &tree.root()));
/// assert!(!merkle::verify_inclusion(&merkle::leaf_hash(&[2]), 1, 3, &proof, &tree.root()), "another index");
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2) between the tree of
/// `first` leaves with root `first_root` and that of `second` leaves.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// (0u8..3).for_each(|i| tree.push(merkle::leaf_hash(&[i])));
/// let (old, proof) = (merkle::root(&tree, 1)?, merkle::consistency_proof(&tree, 1, 3)?);
/// assert!(merkle::verify_consistency(1, 3, &proof, &old, &tree.root()));
/// assert!(!merkle::verify_consistency(1, 3, &proof, &tree.root(), &tree.root()));
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
pub fn verify_consistency(first: u64, second: u64, proof: &[Hash], first_root: &Hash, second_root: &Hash) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else { return false };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *first_root && sr == *second_root && s == 0
}

/// Every perfect subtree of a list of leaves, kept in memory: for audits,
/// tests and benchmarks.
///
/// # Examples
///
/// ```
/// use tlog::merkle::{self, MemoryTree};
///
/// let mut tree = MemoryTree::new();
/// assert!(tree.is_empty());
/// tree.push(merkle::leaf_hash(b"first"));
/// tree.push(merkle::leaf_hash(b"second"));
/// assert_eq!(tree.len(), 2);
/// assert_eq!(tree.root(), merkle::root(&tree, 2)?);
/// # Ok::<(), merkle::MissingSubtree>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    /// levels[l][i]: the perfect subtree of level l, index i.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash, completing the subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            let count = self.levels[level].len();
            if count % 2 == 1 {
                break;
            }
            hash = node_hash(&self.levels[level][count - 2], &self.levels[level][count - 1]);
            level += 1;
        }
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        root(self, self.len()).unwrap_or_else(|_| empty_root())
    }
}

impl Subtrees for MemoryTree {
    fn perfect(&self, level: u32, index: u64) -> Option<Hash> {
        self.levels.get(level as usize)?.get(usize::try_from(index).ok()?).copied()
    }
}

impl Subtrees for std::collections::HashMap<(u32, u64), Hash> {
    fn perfect(&self, level: u32, index: u64) -> Option<Hash> {
        self.get(&(level, index)).copied()
    }
}

/// The new perfect subtrees that appending `leaves` to a tree of `size`
/// leaves completes, given that tree's peaks (its perfect subtrees along the
/// right edge: `needed_for_root(size)`). Leaves themselves are level 0.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
///
/// use tlog::merkle::{leaf_hash, node_hash, subtrees_completed_by};
///
/// let peaks = HashMap::from([((0, 0), leaf_hash(b"a"))]);
/// let added = subtrees_completed_by(1, &peaks, &[leaf_hash(b"b")]);
/// assert_eq!(added, [(0, 1, leaf_hash(b"b")), (1, 0, node_hash(&leaf_hash(b"a"), &leaf_hash(b"b")))]);
/// ```
pub fn subtrees_completed_by(
    size: u64,
    peaks: &std::collections::HashMap<(u32, u64), Hash>,
    leaves: &[Hash],
) -> Vec<(u32, u64, Hash)> {
    let mut known = peaks.clone();
    let mut added = Vec::with_capacity(leaves.len() * 2);
    let mut current: Vec<(u64, Hash)> = leaves.iter().enumerate().map(|(i, h)| (size + i as u64, *h)).collect();
    let mut level = 0u32;
    while !current.is_empty() {
        let mut parents = Vec::new();
        for &(index, hash) in &current {
            known.insert((level, index), hash);
            added.push((level, index, hash));
            if index % 2 == 1
                && let Some(left) = known.get(&(level, index - 1))
            {
                parents.push((index / 2, node_hash(left, &hash)));
            }
        }
        current = parents;
        level += 1;
    }
    added
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use ct_merkle::{RootHash, mem_backed_tree::MemoryBackedTree};
    use proptest::prelude::*;

    use super::*;

    fn tree(size: u64) -> (MemoryTree, Vec<Vec<u8>>) {
        let entries: Vec<Vec<u8>> = (0..size).map(|i| format!("entry {i}").into_bytes()).collect();
        let mut tree = MemoryTree::new();
        for entry in &entries {
            tree.push(leaf_hash(entry));
        }
        (tree, entries)
    }

    #[test]
    fn known_roots() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        // RFC 6962 / 9162 test vector: the root of the empty-string leaf.
        assert_eq!(hex::encode(leaf_hash(b"")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }

    #[test]
    fn every_proof_verifies_up_to_a_few_hundred_leaves() {
        let (full, entries) = tree(300);
        let mut roots = vec![empty_root()];
        for size in 1..=300u64 {
            roots.push(root(&full, size).expect("complete"));
        }
        for size in 1..=300u64 {
            for index in 0..size {
                let proof = inclusion_proof(&full, index, size).expect("complete");
                assert!(verify_inclusion(
                    &leaf_hash(&entries[index as usize]),
                    index,
                    size,
                    &proof,
                    &roots[size as usize]
                ));
            }
        }
        for second in 1..=300u64 {
            for first in 1..=second {
                let proof = consistency_proof(&full, first, second).expect("complete");
                assert!(
                    verify_consistency(first, second, &proof, &roots[first as usize], &roots[second as usize]),
                    "{first} → {second}"
                );
            }
        }
    }

    #[test]
    fn roots_and_proofs_agree_with_ct_merkle() {
        let mut reference = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        let (full, entries) = tree(130);
        for (i, entry) in entries.iter().enumerate() {
            reference.push(entry.clone());
            let size = i as u64 + 1;
            let ours = root(&full, size).expect("complete");
            assert_eq!(reference.root().as_bytes().as_slice(), ours.as_slice(), "root of {size}");
            let their_root = reference.root();
            for index in 0..size {
                let proof: Vec<u8> = inclusion_proof(&full, index, size).expect("complete").concat();
                assert_eq!(reference.prove_inclusion(index as usize).as_bytes(), proof.as_slice(), "{index} in {size}");
            }
            for first in 1..size {
                let proof: Vec<u8> = consistency_proof(&full, first, size).expect("complete").concat();
                let theirs = reference.prove_consistency((size - first) as usize);
                assert_eq!(theirs.as_bytes(), proof.as_slice(), "{first} → {size}");
                let old = RootHash::<Sha256>::new(root(&full, first).expect("complete").into(), first);
                assert!(their_root.verify_consistency(&old, &theirs).is_ok());
            }
        }
    }

    #[test]
    fn appending_in_batches_builds_the_same_subtrees() {
        let (full, _) = tree(200);
        let mut stored: HashMap<(u32, u64), Hash> = HashMap::new();
        let mut size = 0u64;
        for batch in [1usize, 2, 3, 5, 8, 13, 21, 34, 55, 58] {
            let leaves: Vec<Hash> = (size..size + batch as u64).map(|i| full.perfect(0, i).expect("leaf")).collect();
            let peaks: HashMap<(u32, u64), Hash> =
                needed_for_root(size).into_iter().map(|key| (key, stored[&key])).collect();
            for (level, index, hash) in subtrees_completed_by(size, &peaks, &leaves) {
                assert_eq!(full.perfect(level, index), Some(hash));
                stored.insert((level, index), hash);
            }
            size += batch as u64;
            assert_eq!(root(&stored, size), Ok(full.root_of(size)));
        }
    }

    #[test]
    fn the_needed_subtrees_are_few_and_sufficient() {
        let (full, _) = tree(1000);
        for (index, size) in [(0u64, 1000u64), (999, 1000), (500, 777), (3, 4)] {
            let needed = needed_for_inclusion(index, size);
            assert!(needed.len() <= 2 * 10, "{needed:?}");
            let subset: HashMap<(u32, u64), Hash> =
                needed.iter().map(|&(l, i)| ((l, i), full.perfect(l, i).expect("present"))).collect();
            assert_eq!(inclusion_proof(&subset, index, size), inclusion_proof(&full, index, size));
        }
        let needed = needed_for_consistency(300, 1000);
        let subset: HashMap<(u32, u64), Hash> =
            needed.iter().map(|&(l, i)| ((l, i), full.perfect(l, i).expect("present"))).collect();
        assert_eq!(consistency_proof(&subset, 300, 1000), consistency_proof(&full, 300, 1000));
    }

    impl MemoryTree {
        fn root_of(&self, size: u64) -> Hash {
            root(self, size).expect("complete")
        }
    }

    proptest! {
        #[test]
        fn altered_inclusion_proofs_fail(size in 2u64..300, index_seed in any::<u64>(), flip in any::<(usize, u8)>()) {
            let (full, entries) = tree(size);
            let index = index_seed % size;
            let leaf = leaf_hash(&entries[index as usize]);
            let root = full.root_of(size);
            let proof = inclusion_proof(&full, index, size).expect("complete");
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root));
            // A flipped bit anywhere in the proof, the leaf or the root fails.
            let mut altered = proof.clone();
            if !altered.is_empty() {
                let (at, bit) = (flip.0 % altered.len(), 1u8 << (flip.1 % 8));
                altered[at][flip.0 % 32] ^= bit;
                prop_assert!(!verify_inclusion(&leaf, index, size, &altered, &root));
            }
            let mut wrong_leaf = leaf;
            wrong_leaf[0] ^= 1;
            prop_assert!(!verify_inclusion(&wrong_leaf, index, size, &proof, &root));
            prop_assert!(!verify_inclusion(&leaf, (index + 1) % size, size, &proof, &root) || size == 1);
            let mut shorter = proof.clone();
            shorter.pop();
            prop_assert!(proof.is_empty() || !verify_inclusion(&leaf, index, size, &shorter, &root));
        }

        #[test]
        fn altered_consistency_proofs_fail(second in 2u64..300, first_seed in any::<u64>(), flip in any::<(usize, u8)>()) {
            let first = 1 + first_seed % (second - 1);
            let (full, _) = tree(second);
            let (a, b) = (full.root_of(first), full.root_of(second));
            let proof = consistency_proof(&full, first, second).expect("complete");
            prop_assert!(verify_consistency(first, second, &proof, &a, &b));
            let mut altered = proof.clone();
            let (at, bit) = (flip.0 % altered.len(), 1u8 << (flip.1 % 8));
            altered[at][flip.0 % 32] ^= bit;
            prop_assert!(!verify_consistency(first, second, &altered, &a, &b));
            let mut wrong = a;
            wrong[31] ^= 1;
            prop_assert!(!verify_consistency(first, second, &proof, &wrong, &b));
            prop_assert!(!verify_consistency(first, second, &proof, &a, &wrong));
            prop_assert!(!verify_consistency(first + 1, second, &proof, &a, &b) || first + 1 == second);
        }
    }
}
