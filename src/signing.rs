//! The registry's Ed25519 key: it signs certificates (over RFC 8785
//! canonical JSON) and ledger checkpoints. The signatures themselves are
//! [`tlog::signing`]'s; what is the service's is where the key comes from:
//! configuration or a key file (created on first start in development).
//!
//! [`Signer`] wraps [`tlog::signing::Signer`] (and dereferences to it) only
//! so that `Signer::load(&config)` keeps its name; everything else is
//! re-exported as it is.

use std::ops::Deref;

use anyhow::Context;
pub use tlog::signing::{Signature, canonical_json, key_id, verify};

use crate::{
    config::{Config, Environment},
    secrets,
};

/// The registry's key: a [`tlog::signing::Signer`] that can also be loaded
/// from the configuration.
pub struct Signer(tlog::signing::Signer);

impl Signer {
    pub fn from_seed(seed: &[u8]) -> anyhow::Result<Self> {
        tlog::signing::Signer::from_seed(seed).map(Self)
    }

    /// The configured key: `signing.key`, else the key file (by default
    /// in the data directory). Outside production a missing file is created
    /// with a new key.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let signing = &config.signing;
        if !signing.key.is_empty() {
            return tlog::signing::Signer::from_base64(signing.key.expose()).map(Self).context("signing.key");
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
}

impl Deref for Signer {
    type Target = tlog::signing::Signer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl AsRef<tlog::signing::Signer> for Signer {
    fn as_ref(&self) -> &tlog::signing::Signer {
        &self.0
    }
}

impl From<tlog::signing::Signer> for Signer {
    fn from(signer: tlog::signing::Signer) -> Self {
        Self(signer)
    }
}
