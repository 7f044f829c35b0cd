//! C2SP signed notes in general: verifier keys (vkeys) of the two types the
//! ledger meets, a note split into its body and signature lines, and
//! witness cosignatures (C2SP tlog-cosignature, `cosignature/v1` over
//! Ed25519).
//!
//! A checkpoint is a note whose body is three lines; the log signs it with
//! type 0x01 (plain Ed25519 over the body) and witnesses add type 0x04
//! lines (Ed25519 over `cosignature/v1`, a `time` line and the body).
//!
//! # Examples
//!
//! A log signs a note, a witness cosigns it, and a verifier checks both:
//!
//! ```
//! use tlog::{note::{self, COSIGNATURE_V1_TYPE, ED25519_TYPE, Note, Signed}, signing::Signer};
//!
//! let (log, witness) = (Signer::from_seed(&[1u8; 32])?, Signer::from_seed(&[2u8; 32])?);
//! let body = "example.org/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
//! let mut signed = Note { body: body.into(), signatures: vec![note::sign(body, "example.org/log", &log)] };
//! signed.add([note::cosign(body, "witness.example/w", &witness, 1_700_000_000)]);
//! let text = signed.to_text();
//!
//! let parsed = Note::parse(&text)?;
//! let log_key = note::verifier_key("example.org/log", ED25519_TYPE, &log);
//! let witness_key = note::verifier_key("witness.example/w", COSIGNATURE_V1_TYPE, &witness);
//! assert_eq!(parsed.signed_by(&log_key), Signed::Valid { timestamp: None });
//! assert_eq!(parsed.signed_by(&witness_key), Signed::Valid { timestamp: Some(1_700_000_000) });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use crate::signing::Signer;

/// The signature type of a log's own Ed25519 signature.
pub const ED25519_TYPE: u8 = 0x01;
/// The signature type of an Ed25519 `cosignature/v1`.
pub const COSIGNATURE_V1_TYPE: u8 = 0x04;

/// A verifier key: a name, a signature type and an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// Its text form (`Display`, [`VerifierKey::parse`]) is
/// `<name>+<hex key id>+<base64(type ‖ key)>`.
///
/// # Examples
///
/// ```
/// use tlog::{note::{COSIGNATURE_V1_TYPE, VerifierKey}, signing::Signer};
///
/// let signer = Signer::from_seed(&[2u8; 32])?;
/// let key = VerifierKey::new("witness.example/w", COSIGNATURE_V1_TYPE, signer.public_key())?;
/// let text = key.to_string();
/// assert!(text.starts_with("witness.example/w+"));
/// assert_eq!(VerifierKey::parse(&text)?, key);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct VerifierKey {
    /// The key's name (for a log, its origin).
    pub name: String,
    /// The signature type: [`ED25519_TYPE`] or [`COSIGNATURE_V1_TYPE`].
    pub kind: u8,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
}

impl VerifierKey {
    /// A key of `name` and signature type `kind`.
    ///
    /// # Errors
    ///
    /// When the public key is not 32 bytes, or the name is empty or has
    /// spaces or `+`.
    pub fn new(name: &str, kind: u8, public_key: &[u8]) -> Result<Self, String> {
        let public_key = public_key.try_into().map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
        check_key_name(name)?;
        Ok(Self { name: name.to_owned(), kind, public_key })
    }

    /// Parses `<name>+<hex key id>+<base64(type ‖ key)>`.
    ///
    /// # Errors
    ///
    /// What is wrong with the text: its form, an unknown signature type, or
    /// a key id that does not match the key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // Names have no `+`; the base64 key may.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("`{text}` is not a verifier key (name+id+key)"));
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| format!("the key of `{name}` is not base64"))?;
        let (&kind, key) = bytes.split_first().ok_or_else(|| format!("the key of `{name}` is empty"))?;
        if kind != ED25519_TYPE && kind != COSIGNATURE_V1_TYPE {
            return Err(format!("the key of `{name}` has signature type {kind:#04x}; only 0x01 and 0x04 are known"));
        }
        let parsed = Self::new(name, kind, key)?;
        if hex::encode(parsed.key_id()) != id {
            return Err(format!("the key id of `{name}` does not match its key"));
        }
        Ok(parsed)
    }

    /// SHA-256(name ‖ "\n" ‖ type ‖ key)\[:4\]: how signature lines name the key.
    pub fn key_id(&self) -> [u8; 4] {
        let mut digest = Sha256::new();
        digest.update(self.name.as_bytes());
        digest.update(b"\n");
        digest.update([self.kind]);
        digest.update(self.public_key);
        let hash = digest.finalize();
        [hash[0], hash[1], hash[2], hash[3]]
    }

    /// Whether two keys wrap the same public key (tlog-policy's duplicates).
    pub fn same_key(&self, other: &Self) -> bool {
        self.public_key == other.public_key
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = vec![self.kind];
        key.extend_from_slice(&self.public_key);
        write!(f, "{}+{}+{}", self.name, hex::encode(self.key_id()), STANDARD.encode(key))
    }
}

/// Key names are non-empty, without spaces or `+`.
fn check_key_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '+') {
        return Err(format!("`{name}` is not a key name (no spaces or `+`)"));
    }
    Ok(())
}

/// One signature line: `— <name> base64(key id ‖ signature)`.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// # Examples
///
/// ```
/// use tlog::{note::{self, SignatureLine}, signing::Signer};
///
/// let line = note::sign("body\n", "example.org/log", &Signer::from_seed(&[1u8; 32])?);
/// let text = line.to_line();
/// assert!(text.starts_with("\u{2014} example.org/log "));
/// assert_eq!(SignatureLine::parse(text.trim_end()), Some(line));
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct SignatureLine {
    /// The name of the key that signed.
    pub name: String,
    /// The key id of the key that signed ([`VerifierKey::key_id`]).
    pub key_id: [u8; 4],
    /// What follows the key id.
    pub signature: Vec<u8>,
}

impl SignatureLine {
    /// Parses one line (without its newline); `None` if it is not a
    /// signature line.
    pub fn parse(line: &str) -> Option<Self> {
        let (name, encoded) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
        let bytes = STANDARD.decode(encoded).ok()?;
        if bytes.len() < 5 || name.is_empty() {
            return None;
        }
        Some(Self { name: name.to_owned(), key_id: bytes[..4].try_into().ok()?, signature: bytes[4..].to_vec() })
    }

    /// The line, with its newline.
    pub fn to_line(&self) -> String {
        let mut bytes = self.key_id.to_vec();
        bytes.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}\n", self.name, STANDARD.encode(bytes))
    }

    /// Whether the line names `key` (by name and key id; not whether it verifies).
    pub fn is_by(&self, key: &VerifierKey) -> bool {
        self.name == key.name && self.key_id == key.key_id()
    }
}

/// A text is not a signed note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// What is wrong with its form.
    #[error("not a signed note: {0}")]
    Form(&'static str),
}

/// A note: its body (the signed text, ending in a newline) and its
/// signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub body: String,
    /// The signature lines, in their order.
    pub signatures: Vec<SignatureLine>,
}

/// What a note says about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// No line names the key.
    Absent,
    /// A line names the key but its signature does not verify.
    Invalid,
    /// Verified; cosignatures carry their time (POSIX seconds).
    Valid {
        /// The cosignature's time; `None` for a log's own signature.
        timestamp: Option<u64>,
    },
}

impl Note {
    /// Parses a note: body, blank line, signature lines (at least one).
    /// Nothing is verified; see [`Note::signed_by`].
    ///
    /// # Errors
    ///
    /// [`NoteError::Form`] saying what is wrong with the text.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (body, rest) = text.split_once("\n\n").ok_or(NoteError::Form("no blank line before the signatures"))?;
        if body.is_empty() {
            return Err(NoteError::Form("the text is empty"));
        }
        if !rest.ends_with('\n') {
            return Err(NoteError::Form("the last signature line does not end in a newline"));
        }
        let signatures = rest
            .lines()
            .map(|line| SignatureLine::parse(line).ok_or(NoteError::Form("a signature line is malformed")))
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.is_empty() {
            return Err(NoteError::Form("no signature lines"));
        }
        Ok(Self { body: format!("{body}\n"), signatures })
    }

    /// The note as text: body, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n", self.body);
        for line in &self.signatures {
            text.push_str(&line.to_line());
        }
        text
    }

    /// Checks the signature lines that name `key`.
    pub fn signed_by(&self, key: &VerifierKey) -> Signed {
        let mut outcome = Signed::Absent;
        for line in self.signatures.iter().filter(|line| line.is_by(key)) {
            let verified = match key.kind {
                ED25519_TYPE => verify(&key.public_key, self.body.as_bytes(), &line.signature).then_some(None),
                _ => line.signature.get(..8).and_then(|time| {
                    let timestamp = u64::from_be_bytes(time.try_into().ok()?);
                    let message = cosigned_message(&self.body, timestamp);
                    verify(&key.public_key, message.as_bytes(), &line.signature[8..]).then_some(Some(timestamp))
                }),
            };
            match verified {
                Some(timestamp) => return Signed::Valid { timestamp },
                None => outcome = Signed::Invalid,
            }
        }
        outcome
    }

    /// Adds signature lines not already present (same name and key id).
    pub fn add(&mut self, lines: impl IntoIterator<Item = SignatureLine>) {
        for line in lines {
            if !self.signatures.iter().any(|known| known.name == line.name && known.key_id == line.key_id) {
                self.signatures.push(line);
            }
        }
    }
}

fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    signature.len() == 64 && UnparsedPublicKey::new(&ED25519, public_key).verify(message, signature).is_ok()
}

/// What a `cosignature/v1` signs.
fn cosigned_message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A witness's `cosignature/v1` line on a note body, as of `timestamp`
/// (POSIX seconds).
///
/// # Examples
///
/// ```
/// use tlog::{note::{self, COSIGNATURE_V1_TYPE, Note, Signed}, signing::Signer};
///
/// let witness = Signer::from_seed(&[2u8; 32])?;
/// let body = "example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
/// let line = note::cosign(body, "w.example", &witness, 1_700_000_000);
/// let signed = Note { body: body.into(), signatures: vec![line] };
/// let key = note::verifier_key("w.example", COSIGNATURE_V1_TYPE, &witness);
/// assert_eq!(signed.signed_by(&key), Signed::Valid { timestamp: Some(1_700_000_000) });
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn cosign(body: &str, key_name: &str, signer: &Signer, timestamp: u64) -> SignatureLine {
    let key = VerifierKey { name: key_name.to_owned(), kind: COSIGNATURE_V1_TYPE, public_key: public_key(signer) };
    let mut signature = timestamp.to_be_bytes().to_vec();
    signature.extend(signer.sign_raw(cosigned_message(body, timestamp).as_bytes()));
    SignatureLine { name: key_name.to_owned(), key_id: key.key_id(), signature }
}

/// A log's own Ed25519 signature line on a note body.
///
/// # Examples
///
/// ```
/// use tlog::{note::{self, ED25519_TYPE, Note, Signed}, signing::Signer};
///
/// let log = Signer::from_seed(&[1u8; 32])?;
/// let signed = Note { body: "hello\n".into(), signatures: vec![note::sign("hello\n", "example.org/log", &log)] };
/// let key = note::verifier_key("example.org/log", ED25519_TYPE, &log);
/// assert_eq!(signed.signed_by(&key), Signed::Valid { timestamp: None });
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn sign(body: &str, key_name: &str, signer: &Signer) -> SignatureLine {
    let key = VerifierKey { name: key_name.to_owned(), kind: ED25519_TYPE, public_key: public_key(signer) };
    SignatureLine { name: key_name.to_owned(), key_id: key.key_id(), signature: signer.sign_raw(body.as_bytes()) }
}

fn public_key(signer: &Signer) -> [u8; 32] {
    signer.public_key().try_into().unwrap_or([0; 32])
}

/// The verifier key of `signer` under `name` for signatures of `kind`.
pub fn verifier_key(name: &str, kind: u8, signer: &Signer) -> VerifierKey {
    VerifierKey { name: name.to_owned(), kind, public_key: public_key(signer) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosignatures_verify_and_name_their_time() {
        let log = Signer::from_seed(&[1u8; 32]).expect("key");
        let witness = Signer::from_seed(&[2u8; 32]).expect("key");
        let body = "example.org/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let mut note = Note { body: body.into(), signatures: vec![sign(body, "example.org/log", &log)] };
        note.add([cosign(body, "witness.example/w1", &witness, 1_700_000_000)]);
        let text = note.to_text();
        let parsed = Note::parse(&text).expect("parses");
        assert_eq!(parsed, note);

        let log_key = verifier_key("example.org/log", ED25519_TYPE, &log);
        let witness_key = verifier_key("witness.example/w1", COSIGNATURE_V1_TYPE, &witness);
        assert_eq!(VerifierKey::parse(&witness_key.to_string()), Ok(witness_key.clone()));
        assert_eq!(parsed.signed_by(&log_key), Signed::Valid { timestamp: None });
        assert_eq!(parsed.signed_by(&witness_key), Signed::Valid { timestamp: Some(1_700_000_000) });
        // The same key under the log's type is another key.
        let wrong_type = verifier_key("witness.example/w1", ED25519_TYPE, &witness);
        assert_eq!(parsed.signed_by(&wrong_type), Signed::Absent);

        let forged = Note::parse(&text.replacen("\n3\n", "\n4\n", 1)).expect("parses");
        assert_eq!(forged.signed_by(&log_key), Signed::Invalid);
        assert_eq!(forged.signed_by(&witness_key), Signed::Invalid);
    }

    #[test]
    fn malformed_keys_and_notes_are_refused() {
        // Base64 keys may hold `+`: every key reads back.
        for seed in 0..64u8 {
            let key = verifier_key("w.example/w", COSIGNATURE_V1_TYPE, &Signer::from_seed(&[seed; 32]).expect("key"));
            assert_eq!(VerifierKey::parse(&key.to_string()), Ok(key));
        }
        assert!(VerifierKey::parse("nothing").is_err());
        assert!(VerifierKey::parse("a+00000000+AQ==").is_err());
        let key = verifier_key("a.example", ED25519_TYPE, &Signer::from_seed(&[1u8; 32]).expect("key")).to_string();
        assert!(VerifierKey::parse(&key.replacen("a.example", "b.example", 1)).is_err());
        assert!(Note::parse("body only\n").is_err());
        assert!(Note::parse("body\n\n\u{2014} x !!\n").is_err());
        assert!(Note::parse("body\n\n").is_err());
    }
}
