//! Commitments to the private fields of ledger entries. A commitment binds
//! the registry to a value without showing it:
//!
//! ```text
//! hex(SHA-256("dataip-commit/v1\n" ‖ field_path ‖ "\n" ‖ salt ‖ JCS(value)))
//! ```
//!
//! where `field_path` is the field's dotted path in the act (`secured_amount`,
//! `licensee.credit_code`), `salt` 32 random bytes the registry keeps, and
//! JCS the RFC 8785 bytes of the value. The salt makes guessing impossible
//! (a credit code or an amount has few enough values to try them all); the
//! path keeps a value committed for one field from passing for another.
//! Whoever holds an [`Opening`] (the value and its salt) can show that the
//! value is the one the ledger committed to.
//!
//! # Examples
//!
//! ```
//! use tlog::commitment::{self, Opening, Openings};
//!
//! // The registry seals a private value and publishes only its commitment.
//! let opening = Opening::seal(&serde_json::json!({"amount": "98765432.10", "currency": "CNY"}))?;
//! let openings = Openings::from([("secured_amount".to_owned(), opening.clone())]);
//! let published = commitment::commitments(&openings)?;
//!
//! // Whoever is shown the opening checks it against the ledger.
//! assert_eq!(opening.commitment("secured_amount")?, published["secured_amount"]);
//! assert_ne!(opening.commitment("scope")?, published["secured_amount"], "another field");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::signing::canonical_json;

/// Separates this use of SHA-256 from every other.
pub const DOMAIN: &[u8] = b"dataip-commit/v1\n";
/// The length of a salt.
pub const SALT_BYTES: usize = 32;

/// Field path → commitment (lowercase hex), as an entry carries them.
pub type Commitments = BTreeMap<String, String>;
/// Field path → opening, as the registry keeps them.
pub type Openings = BTreeMap<String, Opening>;

/// A private value and the salt of its commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The value, as JSON (JCS-canonicalized when committed).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: serde_json::Value,
    /// Lowercase hex of the 32-byte salt.
    pub salt: String,
}

/// An opening that commits to nothing.
#[derive(Debug, thiserror::Error)]
pub enum OpeningError {
    /// The salt is not 32 bytes in lowercase hex.
    #[error("the salt must be {SALT_BYTES} bytes in lowercase hex")]
    Salt,
    /// The value has no RFC 8785 form.
    #[error(transparent)]
    Value(#[from] anyhow::Error),
}

/// The commitment to `value` at `field_path` under `salt`.
///
/// # Errors
///
/// When the value has no RFC 8785 form.
///
/// # Examples
///
/// The worked example of the registry's documentation (salt 00 01 … 1f):
///
/// ```
/// let salt: [u8; 32] = std::array::from_fn(|i| i as u8);
/// let value = serde_json::json!({"currency": "CNY", "amount": "98765432.10"});
/// assert_eq!(
///     tlog::commitment::commit("secured_amount", &salt, &value)?,
///     "7ce566c3e768e36c5409e4b889ab5c6c410518eade249e2cc7066c74049a928f"
/// );
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn commit(field_path: &str, salt: &[u8; SALT_BYTES], value: &serde_json::Value) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(field_path.as_bytes());
    hasher.update(b"\n");
    hasher.update(salt);
    hasher.update(canonical_json(value)?);
    Ok(hex::encode(hasher.finalize()))
}

impl Opening {
    /// Seals a value under a fresh random salt.
    ///
    /// # Errors
    ///
    /// When the value does not serialize to JSON or there is no randomness.
    pub fn seal(value: &impl Serialize) -> anyhow::Result<Self> {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(Self { value: serde_json::to_value(value)?, salt: hex::encode(salt) })
    }

    /// The commitment this opening opens at `field_path`.
    ///
    /// # Errors
    ///
    /// [`OpeningError::Salt`] for a malformed salt.
    pub fn commitment(&self, field_path: &str) -> Result<String, OpeningError> {
        let salt: [u8; SALT_BYTES] = hex::decode(&self.salt)
            .ok()
            .filter(|_| self.salt.bytes().all(|b| !b.is_ascii_uppercase()))
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(OpeningError::Salt)?;
        Ok(commit(field_path, &salt, &self.value)?)
    }
}

/// The commitments of a set of openings.
///
/// # Errors
///
/// The first opening's error, if any.
pub fn commitments(openings: &Openings) -> Result<Commitments, OpeningError> {
    openings.iter().map(|(path, opening)| Ok((path.clone(), opening.commitment(path)?))).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The worked example of the README: salt 00 01 02 … 1f.
    fn example() -> Opening {
        let salt: Vec<u8> = (0u8..32).collect();
        Opening { value: json!({"currency": "CNY", "amount": "98765432.10"}), salt: hex::encode(salt) }
    }

    #[test]
    fn the_worked_example_is_pinned() {
        let opening = example();
        assert_eq!(opening.salt, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        assert_eq!(
            canonical_json(&opening.value).expect("jcs"),
            br#"{"amount":"98765432.10","currency":"CNY"}"#.to_vec(),
            "JCS sorts the keys"
        );
        assert_eq!(
            opening.commitment("secured_amount").expect("commits"),
            "7ce566c3e768e36c5409e4b889ab5c6c410518eade249e2cc7066c74049a928f"
        );
        let code = Opening { value: json!("91310000MA1FL4B24G"), ..example() };
        assert_eq!(
            code.commitment("pledgee.credit_code").expect("commits"),
            "43c07db9dafca3184ceac28f95a227de650f2ec985d1330d3d7b3adae8d4915f"
        );
    }

    #[test]
    fn path_salt_and_value_each_change_the_commitment() {
        let opening = example();
        let base = opening.commitment("secured_amount").expect("commits");
        assert_ne!(opening.commitment("secured_amount.amount").expect("commits"), base);
        let other_value = Opening { value: json!({"amount": "98765432.11", "currency": "CNY"}), ..example() };
        assert_ne!(other_value.commitment("secured_amount").expect("commits"), base);
        let other_salt = Opening { salt: format!("ff{}", &opening.salt[2..]), ..example() };
        assert_ne!(other_salt.commitment("secured_amount").expect("commits"), base);
    }

    #[test]
    fn sealed_values_get_fresh_salts_and_bad_salts_are_refused() {
        let (a, b) = (Opening::seal(&"scope").expect("sealed"), Opening::seal(&"scope").expect("sealed"));
        assert_ne!(a.salt, b.salt);
        assert_eq!(a.salt.len(), 64);
        for salt in ["", "00", &"0".repeat(66), &"A".repeat(64), &"zz".repeat(32)] {
            let bad = Opening { salt: salt.to_owned(), ..example() };
            assert!(matches!(bad.commitment("x"), Err(OpeningError::Salt)), "{salt}");
        }
    }
}
