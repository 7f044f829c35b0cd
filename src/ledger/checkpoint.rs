//! Checkpoints as C2SP tlog-checkpoint signed notes:
//!
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//!
//! — <key name> <base64(key hint ‖ Ed25519 signature)>
//! ```
//!
//! The signature covers the first three lines with their newlines; the key
//! hint is the first 4 bytes of SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key).

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::signing::Signer;

/// Ed25519's signature type byte in signed notes.
const ED25519: u8 = 0x01;

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The signed text: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// The signed note, the key named after the log's origin.
    pub fn sign(&self, signer: &Signer) -> String {
        let body = self.body();
        let mut signature = key_hint(&self.origin, signer.public_key()).to_vec();
        signature.extend(signer.sign_raw(body.as_bytes()));
        format!("{body}\n\u{2014} {} {}\n", self.origin, STANDARD.encode(signature))
    }
}

/// The 4-byte hint that names a key in signature lines.
pub fn key_hint(key_name: &str, public_key: &[u8]) -> [u8; 4] {
    let mut digest = Sha256::new();
    digest.update(key_name.as_bytes());
    digest.update(b"\n");
    digest.update([ED25519]);
    digest.update(public_key);
    let hash = digest.finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The verifier key in the note format: `name+hexhint+base64(0x01 ‖ key)`.
pub fn verifier_key(key_name: &str, public_key: &[u8]) -> String {
    let mut key = vec![ED25519];
    key.extend_from_slice(public_key);
    format!("{key_name}+{}+{}", hex::encode(key_hint(key_name, public_key)), STANDARD.encode(key))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is not a checkpoint: {0}")]
    Form(&'static str),
    #[error("no signature by {0} in the note")]
    Unsigned(String),
    #[error("the note's signature by {0} does not verify")]
    BadSignature(String),
}

/// Parses a signed checkpoint and checks its signature by `key_name` with
/// `public_key`.
pub fn open(note: &str, key_name: &str, public_key: &[u8]) -> Result<Checkpoint, NoteError> {
    let (body, signatures) = note.split_once("\n\n").ok_or(NoteError::Form("no blank line before the signatures"))?;
    let body = format!("{body}\n");
    let mut lines = body.lines();
    let origin = lines.next().filter(|l| !l.is_empty()).ok_or(NoteError::Form("no origin line"))?;
    let size = lines.next().and_then(|l| l.parse().ok()).ok_or(NoteError::Form("no tree size line"))?;
    let root: Hash = lines
        .next()
        .and_then(|l| STANDARD.decode(l).ok())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(NoteError::Form("no root hash line"))?;
    let hint = key_hint(key_name, public_key);
    let mut found = false;
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else { continue };
        let Some((name, encoded)) = rest.split_once(' ') else { continue };
        let Ok(bytes) = STANDARD.decode(encoded) else { continue };
        if name != key_name || bytes.len() != 68 || bytes[..4] != hint {
            continue;
        }
        found = true;
        let key = aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, public_key);
        if key.verify(body.as_bytes(), &bytes[4..]).is_ok() {
            return Ok(Checkpoint { origin: origin.to_owned(), size, root });
        }
    }
    Err(if found { NoteError::BadSignature(key_name.to_owned()) } else { NoteError::Unsigned(key_name.to_owned()) })
}

/// Who signed a note: each signature line's key name and key hint (hex),
/// whether or not it verifies.
pub fn signers(note: &str) -> Vec<(String, String)> {
    let Some((_, signatures)) = note.split_once("\n\n") else { return Vec::new() };
    signatures
        .lines()
        .filter_map(|line| {
            let (name, encoded) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
            let bytes = STANDARD.decode(encoded).ok()?;
            Some((name.to_owned(), hex::encode(bytes.get(..4)?)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_notes_open_and_tampering_fails() {
        let signer = Signer::from_seed(&[3u8; 32]).expect("key");
        let checkpoint = Checkpoint { origin: "example.org/log".into(), size: 42, root: [7u8; 32] };
        let note = checkpoint.sign(&signer);
        let lines: Vec<&str> = note.lines().collect();
        assert_eq!(lines[..4], ["example.org/log", "42", &STANDARD.encode([7u8; 32]), ""]);
        assert!(lines[4].starts_with("\u{2014} example.org/log "));
        assert!(note.ends_with('\n'));
        assert_eq!(open(&note, "example.org/log", signer.public_key()), Ok(checkpoint));

        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(
            open(&forged, "example.org/log", signer.public_key()),
            Err(NoteError::BadSignature("example.org/log".into()))
        );
        let other = Signer::from_seed(&[4u8; 32]).expect("key");
        assert!(matches!(open(&note, "example.org/log", other.public_key()), Err(NoteError::Unsigned(_))));
        assert!(open("garbage", "example.org/log", signer.public_key()).is_err());
        let hint = hex::encode(key_hint("example.org/log", signer.public_key()));
        assert_eq!(signers(&note), [("example.org/log".to_owned(), hint)]);
    }

    #[test]
    fn verifier_keys_follow_the_note_format() {
        let signer = Signer::from_seed(&[3u8; 32]).expect("key");
        let vkey = verifier_key("example.org/log", signer.public_key());
        let parts: Vec<&str> = vkey.split('+').collect();
        assert_eq!(parts[0], "example.org/log");
        assert_eq!(parts[1].len(), 8);
        assert_eq!(STANDARD.decode(parts[2]).map(|k| k.len()).ok(), Some(33));
    }
}
