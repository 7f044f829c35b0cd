//! Opaque secrets handed to clients (refresh tokens, API keys, password
//! resets): an id to find the row and a random secret of which only the
//! SHA-256 is stored.
//! Rendered as `{prefix}{id as 32 hex}_{secret as base64url}`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const REFRESH_TOKEN_PREFIX: &str = "dipr_";
pub const API_KEY_PREFIX: &str = "dipk_";
/// A one-time password reset ("w" for the word that is reset).
pub const PASSWORD_RESET_PREFIX: &str = "dipw_";
/// A one-time proof of an e-mail address ("m" for mail).
pub const EMAIL_CONFIRMATION_PREFIX: &str = "dipm_";

pub struct OpaqueToken {
    pub id: Uuid,
    secret: [u8; 32],
}

impl OpaqueToken {
    pub fn generate() -> anyhow::Result<Self> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(Self { id: Uuid::now_v7(), secret })
    }

    /// Parses a token with the given prefix; `None` for anything malformed.
    pub fn parse(prefix: &str, text: &str) -> Option<Self> {
        let (id, secret) = text.strip_prefix(prefix)?.split_once('_')?;
        if id.len() != 32 {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        let bytes = URL_SAFE_NO_PAD.decode(secret).ok()?;
        Some(Self { id, secret: bytes.try_into().ok()? })
    }

    pub fn render(&self, prefix: &str) -> String {
        format!("{prefix}{}_{}", self.id.simple(), URL_SAFE_NO_PAD.encode(self.secret))
    }

    pub fn secret_hash(&self) -> Vec<u8> {
        Sha256::digest(self.secret).to_vec()
    }

    /// Compares in constant time with a stored hash.
    pub fn matches(&self, stored_hash: &[u8]) -> bool {
        self.secret_hash().ct_eq(stored_hash).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_back() {
        let token = OpaqueToken::generate().expect("random");
        let text = token.render(API_KEY_PREFIX);
        assert!(text.starts_with("dipk_"));
        let parsed = OpaqueToken::parse(API_KEY_PREFIX, &text).expect("parses");
        assert_eq!(parsed.id, token.id);
        assert!(parsed.matches(&token.secret_hash()));
        assert!(OpaqueToken::parse(REFRESH_TOKEN_PREFIX, &text).is_none(), "wrong prefix");
    }

    #[test]
    fn rejects_malformed_and_altered_tokens() {
        let token = OpaqueToken::generate().expect("random");
        let text = token.render(REFRESH_TOKEN_PREFIX);
        assert!(OpaqueToken::parse(REFRESH_TOKEN_PREFIX, "dipr_").is_none());
        assert!(OpaqueToken::parse(REFRESH_TOKEN_PREFIX, "dipr_abc_def").is_none());
        assert!(OpaqueToken::parse(REFRESH_TOKEN_PREFIX, &text[..text.len() - 2]).is_none());
        let mut altered = text.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = OpaqueToken::parse(REFRESH_TOKEN_PREFIX, &String::from_utf8(altered).expect("ascii"))
            .expect("still well-formed");
        assert!(!altered.matches(&token.secret_hash()));
    }
}
