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
//!
//! # Examples
//!
//! ```
//! use tlog::{checkpoint::{self, Checkpoint}, merkle, signing::Signer};
//!
//! let signer = Signer::from_seed(&[3u8; 32])?;
//! let checkpoint = Checkpoint { origin: "example.org/log".into(), size: 0, root: merkle::empty_root() };
//! let note = checkpoint.sign(&signer);
//! assert!(note.starts_with("example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u{2014} example.org/log "));
//! assert_eq!(checkpoint::open(&note, "example.org/log", signer.public_key())?, checkpoint);
//!
//! let other = Signer::from_seed(&[4u8; 32])?;
//! assert!(checkpoint::open(&note, "example.org/log", other.public_key()).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::{
    merkle::Hash,
    note::{self, ED25519_TYPE, Note, Signed, VerifierKey},
    signing::Signer,
};

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin: its name, and the name of its key.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root of the tree of `size` leaves.
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
        let signature = note::sign(&body, &self.origin, signer);
        Note { body, signatures: vec![signature] }.to_text()
    }

    /// Reads a note's body as a checkpoint: origin, size and root lines
    /// (extension lines, if any, are signed but not read).
    ///
    /// # Errors
    ///
    /// [`NoteError::Form`] when a line is missing or malformed.
    ///
    /// # Examples
    ///
    /// ```
    /// use tlog::checkpoint::Checkpoint;
    ///
    /// let checkpoint = Checkpoint { origin: "example.org/log".into(), size: 42, root: [7; 32] };
    /// assert_eq!(Checkpoint::parse_body(&checkpoint.body())?, checkpoint);
    /// assert!(Checkpoint::parse_body("example.org/log\n042\n").is_err(), "no leading zeroes");
    /// # Ok::<(), tlog::checkpoint::NoteError>(())
    /// ```
    pub fn parse_body(body: &str) -> Result<Self, NoteError> {
        let mut lines = body.lines();
        let origin = lines.next().filter(|l| !l.is_empty()).ok_or(NoteError::Form("no origin line"))?;
        let size = lines
            .next()
            .filter(|l| l == &"0" || !l.starts_with('0'))
            .and_then(|l| l.parse().ok())
            .ok_or(NoteError::Form("no tree size line"))?;
        let root: Hash = lines
            .next()
            .and_then(|l| STANDARD.decode(l).ok())
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(NoteError::Form("no root hash line"))?;
        Ok(Self { origin: origin.to_owned(), size, root })
    }
}

/// The 4-byte hint that names a key in signature lines (zeroes when the
/// public key is not 32 bytes).
///
/// # Examples
///
/// ```
/// use tlog::{checkpoint, note::{ED25519_TYPE, VerifierKey}, signing::Signer};
///
/// let signer = Signer::from_seed(&[3u8; 32])?;
/// let key = VerifierKey::new("example.org/log", ED25519_TYPE, signer.public_key())?;
/// assert_eq!(checkpoint::key_hint("example.org/log", signer.public_key()), key.key_id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn key_hint(key_name: &str, public_key: &[u8]) -> [u8; 4] {
    log_key(key_name, public_key).map(|key| key.key_id()).unwrap_or_default()
}

/// The verifier key in the note format: `name+hexhint+base64(0x01 ‖ key)`
/// (empty when the public key is not 32 bytes).
///
/// # Examples
///
/// ```
/// use tlog::{checkpoint, note::VerifierKey, signing::Signer};
///
/// let signer = Signer::from_seed(&[3u8; 32])?;
/// let text = checkpoint::verifier_key("example.org/log", signer.public_key());
/// assert_eq!(VerifierKey::parse(&text)?.public_key, signer.public_key());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verifier_key(key_name: &str, public_key: &[u8]) -> String {
    log_key(key_name, public_key).map(|key| key.to_string()).unwrap_or_default()
}

fn log_key(key_name: &str, public_key: &[u8]) -> Option<VerifierKey> {
    let public_key = public_key.try_into().ok()?;
    Some(VerifierKey { name: key_name.to_owned(), kind: ED25519_TYPE, public_key })
}

/// Why a signed checkpoint did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The text is not a signed note of a checkpoint: what is wrong.
    #[error("the note is not a checkpoint: {0}")]
    Form(&'static str),
    /// No signature line names the key (of this name).
    #[error("no signature by {0} in the note")]
    Unsigned(String),
    /// The key's signature line does not verify.
    #[error("the note's signature by {0} does not verify")]
    BadSignature(String),
}

impl From<note::NoteError> for NoteError {
    fn from(note::NoteError::Form(what): note::NoteError) -> Self {
        Self::Form(what)
    }
}

/// Parses a signed checkpoint and checks its signature by `key_name` with
/// `public_key`.
///
/// # Errors
///
/// [`NoteError`]: malformed, unsigned by the key, or a signature that does
/// not verify.
///
/// # Examples
///
/// ```
/// use tlog::{checkpoint::{self, Checkpoint, NoteError}, signing::Signer};
///
/// let signer = Signer::from_seed(&[3u8; 32])?;
/// let note = Checkpoint { origin: "example.org/log".into(), size: 42, root: [7; 32] }.sign(&signer);
/// assert_eq!(checkpoint::open(&note, "example.org/log", signer.public_key())?.size, 42);
/// let forged = note.replacen("\n42\n", "\n43\n", 1);
/// assert_eq!(
///     checkpoint::open(&forged, "example.org/log", signer.public_key()),
///     Err(NoteError::BadSignature("example.org/log".into()))
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(text: &str, key_name: &str, public_key: &[u8]) -> Result<Checkpoint, NoteError> {
    let key = log_key(key_name, public_key).ok_or_else(|| NoteError::Unsigned(key_name.to_owned()))?;
    open_with(text, &key).map(|(checkpoint, _)| checkpoint)
}

/// Parses a signed checkpoint, checks the log's signature by `key`, and
/// returns it with the parsed note (whose other lines, cosignatures
/// included, are left for the caller to check).
///
/// # Errors
///
/// As [`open`].
///
/// # Examples
///
/// ```
/// use tlog::{checkpoint::{self, Checkpoint}, note::{self, ED25519_TYPE}, signing::Signer};
///
/// let signer = Signer::from_seed(&[3u8; 32])?;
/// let text = Checkpoint { origin: "example.org/log".into(), size: 1, root: [7; 32] }.sign(&signer);
/// let key = note::verifier_key("example.org/log", ED25519_TYPE, &signer);
/// let (checkpoint, note) = checkpoint::open_with(&text, &key)?;
/// assert_eq!((checkpoint.size, note.signatures.len()), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_with(text: &str, key: &VerifierKey) -> Result<(Checkpoint, Note), NoteError> {
    let note = Note::parse(text)?;
    let checkpoint = Checkpoint::parse_body(&note.body)?;
    match note.signed_by(key) {
        Signed::Valid { .. } => Ok((checkpoint, note)),
        Signed::Invalid => Err(NoteError::BadSignature(key.name.clone())),
        Signed::Absent => Err(NoteError::Unsigned(key.name.clone())),
    }
}

/// Who signed a note: each signature line's key name and key hint (hex),
/// whether or not it verifies.
///
/// # Examples
///
/// ```
/// use tlog::{checkpoint::{self, Checkpoint}, signing::Signer};
///
/// let signer = Signer::from_seed(&[3u8; 32])?;
/// let note = Checkpoint { origin: "example.org/log".into(), size: 1, root: [7; 32] }.sign(&signer);
/// let hint = hex::encode(checkpoint::key_hint("example.org/log", signer.public_key()));
/// assert_eq!(checkpoint::signers(&note), [("example.org/log".to_owned(), hint)]);
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn signers(text: &str) -> Vec<(String, String)> {
    let Some((_, signatures)) = text.split_once("\n\n") else { return Vec::new() };
    signatures
        .lines()
        .filter_map(note::SignatureLine::parse)
        .map(|line| (line.name, hex::encode(line.key_id)))
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
