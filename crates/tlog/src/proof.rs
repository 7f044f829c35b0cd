//! Offline proofs as C2SP tlog-proof files: an entry's index, its
//! inclusion proof and the checkpoint (with cosignatures) it leads to, plus
//! the entry's exact bytes in the `extra` line, so that one file and a
//! policy check a certificate's issuance with no network.
//!
//! # Examples
//!
//! ```
//! use tlog::{checkpoint::Checkpoint, merkle, proof::Proof, signing::Signer};
//!
//! let mut tree = merkle::MemoryTree::new();
//! for entry in [&b"zero"[..], b"one", b"two"] {
//!     tree.push(merkle::leaf_hash(entry));
//! }
//! let signer = Signer::from_seed(&[3u8; 32])?;
//! let checkpoint = Checkpoint { origin: "example.org/log".into(), size: 3, root: tree.root() }.sign(&signer);
//! let proof = Proof { extra: Some(b"one".to_vec()), index: 1, inclusion: merkle::inclusion_proof(&tree, 1, 3)?, checkpoint };
//! let text = proof.to_text();
//! assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra b25l\nindex 1\n"));
//! assert_eq!(Proof::parse(&text)?, proof);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::merkle::Hash;

const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A tlog-proof: an entry's inclusion in a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Unauthenticated context: here the entry's bytes, which the verifier
    /// hashes itself.
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof, deepest sibling first.
    pub inclusion: Vec<Hash>,
    /// The checkpoint note, verbatim.
    pub checkpoint: String,
}

impl Proof {
    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            text.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.inclusion {
            text.push_str(&STANDARD.encode(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        text
    }

    /// Parses a file's text (the checkpoint is kept as it is, unchecked).
    ///
    /// # Errors
    ///
    /// What is wrong with the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (head, checkpoint) = text.split_once("\n\n").ok_or("no blank line before the checkpoint")?;
        let mut lines = head.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!("the first line is not {HEADER}"));
        }
        let mut line = lines.next().ok_or("no index line")?;
        let extra = match line.strip_prefix("extra ") {
            Some(encoded) => {
                let bytes = STANDARD.decode(encoded).map_err(|_| "the extra line is not base64")?;
                line = lines.next().ok_or("no index line")?;
                Some(bytes)
            }
            None => None,
        };
        let index = line
            .strip_prefix("index ")
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse().ok())
            .ok_or("no index line")?;
        let inclusion = lines
            .enumerate()
            .map(|(i, line)| {
                STANDARD
                    .decode(line)
                    .ok()
                    .and_then(|bytes| Hash::try_from(bytes).ok())
                    .ok_or_else(|| format!("inclusion proof line {} is not a base64 SHA-256 hash", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if inclusion.len() > 63 {
            return Err("the inclusion proof has more than 63 hashes".into());
        }
        Ok(Self { extra, index, inclusion, checkpoint: checkpoint.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_round_trip_and_malformed_ones_are_refused() {
        let proof = Proof {
            extra: Some(b"{\"type\":\"x\"}".to_vec()),
            index: 7,
            inclusion: vec![[1u8; 32], [2u8; 32]],
            checkpoint: "example.org/log\n9\nAAAA\n\n\u{2014} example.org/log AAAAAAAA\n".into(),
        };
        let text = proof.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra eyJ0eXBlIjoieCJ9\nindex 7\n"));
        assert_eq!(Proof::parse(&text), Ok(proof.clone()));
        let bare = Proof { extra: None, inclusion: vec![], ..proof };
        assert_eq!(Proof::parse(&bare.to_text()), Ok(bare));
        assert!(Proof::parse("c2sp.org/tlog-proof@v2\nindex 1\n\nx").is_err());
        assert!(Proof::parse("c2sp.org/tlog-proof@v1\nindex 01\n\nx").is_err());
        assert!(Proof::parse("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx").is_err());
    }
}
