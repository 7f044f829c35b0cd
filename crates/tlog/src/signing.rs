//! The registry's Ed25519 key: it signs certificates (over RFC 8785
//! canonical JSON) and ledger checkpoints. The key comes from configuration or a key file
//! (created on first start in development); its id names it so that keys can
//! rotate.

use anyhow::Context;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{
    config::{Config, Environment},
    secrets,
};

pub struct Signer {
    key_pair: Ed25519KeyPair,
    key_id: String,
}

/// A detached signature as certificates carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signature {
    #[schema(example = "Ed25519")]
    pub alg: String,
    /// Names the signing key: hex of the first 8 bytes of SHA-256 of its public key.
    pub key_id: String,
    /// Base64 of the 64-byte signature.
    pub value: String,
}

/// The RFC 8785 (JCS) bytes of a value: what is signed and hashed.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<Vec<u8>> {
    serde_jcs::to_vec(value).context("could not canonicalize JSON")
}

/// The key id of a public key.
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
    pub fn from_seed(seed: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(seed.len() == 32, "an Ed25519 key is a 32-byte seed (base64: 44 characters)");
        let key_pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| anyhow::anyhow!("bad Ed25519 seed: {e}"))?;
        let key_id = key_id(key_pair.public_key().as_ref());
        Ok(Self { key_pair, key_id })
    }

    /// The configured key: `signing.key`, else the key file (by default
    /// in the data directory). Outside production a missing file is created
    /// with a new key.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let signing = &config.signing;
        if !signing.key.is_empty() {
            return Self::from_base64(signing.key.expose()).context("signing.key");
        }
        let path = config.signing_key_file();
        if config.environment == Environment::Production {
            return match secrets::read(&path) {
                Ok(seed) => Self::from_seed(&seed),
                Err(error) if secrets::is_missing(&error) => {
                    anyhow::bail!("no signing key: set DATAIP__SIGNING__KEY or provide {}", path.display())
                }
                Err(error) => Err(error),
            };
        }
        let (seed, created) = secrets::read_or_create(&path)?;
        let signer = Self::from_seed(&seed)?;
        if created {
            tracing::warn!(
                path = %path.display(), key_id = signer.key_id(),
                "!!! generated a new signing key; keep this file: certificates and checkpoints signed with it verify only with it !!!"
            );
        }
        Ok(signer)
    }

    fn from_base64(text: &str) -> anyhow::Result<Self> {
        Self::from_seed(&STANDARD.decode(text.trim()).context("not base64")?)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public_key(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }

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
