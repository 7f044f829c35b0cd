//! The registry's Ed25519 signatures: certificates are signed over their
//! RFC 8785 (JCS) canonical JSON, ledger checkpoints as signed notes (see
//! [`crate::note`]). A key's id names it so that keys can rotate.
//!
//! Where the key comes from (configuration, a key file) is the service's
//! business; here a [`Signer`] is made from its 32-byte seed.
//!
//! # Examples
//!
//! ```
//! use tlog::signing::{Signer, canonical_json, verify};
//!
//! let signer = Signer::from_seed(&[7u8; 32])?;
//! let bytes = canonical_json(&serde_json::json!({"b": 2, "a": 1}))?;
//! assert_eq!(bytes, br#"{"a":1,"b":2}"#);
//! let signature = signer.sign(&bytes);
//! assert_eq!(signature.key_id, signer.key_id());
//! assert!(verify(signer.public_key(), &bytes, &signature));
//! assert!(!verify(signer.public_key(), br#"{"a":1,"b":3}"#, &signature));
//! # Ok::<(), anyhow::Error>(())
//! ```

use anyhow::Context;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An Ed25519 key pair and its key id: what signs certificates and
/// checkpoints.
pub struct Signer {
    key_pair: Ed25519KeyPair,
    key_id: String,
}

/// A detached signature as certificates carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    /// The algorithm: always `Ed25519`.
    #[cfg_attr(feature = "openapi", schema(example = "Ed25519"))]
    pub alg: String,
    /// Names the signing key: hex of the first 8 bytes of SHA-256 of its public key.
    pub key_id: String,
    /// Base64 of the 64-byte signature.
    pub value: String,
}

/// The RFC 8785 (JCS) bytes of a value: what is signed and hashed.
///
/// # Errors
///
/// When the value does not serialize to JSON (e.g. a map with non-string keys).
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<Vec<u8>> {
    serde_jcs::to_vec(value).context("could not canonicalize JSON")
}

/// The key id of a public key.
///
/// # Examples
///
/// ```
/// let signer = tlog::signing::Signer::from_seed(&[7u8; 32])?;
/// assert_eq!(tlog::signing::key_id(signer.public_key()), signer.key_id());
/// assert_eq!(signer.key_id().len(), 16);
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

/// Whether `signature` is a valid Ed25519 signature of `message` by
/// `public_key`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &Signature) -> bool {
    let Ok(bytes) = STANDARD.decode(&signature.value) else { return false };
    signature.alg == "Ed25519" && UnparsedPublicKey::new(&ED25519, public_key).verify(message, &bytes).is_ok()
}

impl Signer {
    /// The key of a 32-byte Ed25519 seed.
    ///
    /// # Errors
    ///
    /// When the seed is not 32 bytes.
    pub fn from_seed(seed: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(seed.len() == 32, "an Ed25519 key is a 32-byte seed (base64: 44 characters)");
        let key_pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| anyhow::anyhow!("bad Ed25519 seed: {e}"))?;
        let key_id = key_id(key_pair.public_key().as_ref());
        Ok(Self { key_pair, key_id })
    }

    /// The key of a seed in base64 (surrounding white space ignored), as
    /// configuration and key files hold it.
    ///
    /// # Errors
    ///
    /// When the text is not base64 of a 32-byte seed.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        Self::from_seed(&STANDARD.decode(text.trim()).context("not base64")?)
    }

    /// The key id: hex of the first 8 bytes of SHA-256 of the public key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }

    /// A detached signature of `message`, as certificates carry it.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature { alg: "Ed25519".into(), key_id: self.key_id.clone(), value: STANDARD.encode(self.sign_raw(message)) }
    }

    /// The 64 bytes of an Ed25519 signature.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        self.key_pair.sign(message).as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let signer = Signer::from_seed(&[7u8; 32]).expect("key");
        let document = serde_json::json!({"b": "数据", "a": [1, 2]});
        let bytes = canonical_json(&document).expect("jcs");
        assert_eq!(bytes, r#"{"a":[1,2],"b":"数据"}"#.as_bytes());
        let signature = signer.sign(&bytes);
        assert_eq!(signature.key_id.len(), 16);
        assert!(verify(signer.public_key(), &bytes, &signature));
        assert!(!verify(signer.public_key(), r#"{"a":[1,2],"b":"数据!"}"#.as_bytes(), &signature));
        let other = Signer::from_seed(&[8u8; 32]).expect("key");
        assert!(!verify(other.public_key(), &bytes, &signature));
        assert!(Signer::from_seed(&[1u8; 31]).is_err());
    }
}
