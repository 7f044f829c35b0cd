//! Short-lived access tokens: HS256 JWTs. Expiry is checked against the
//! application's clock rather than the system's, so tests can move time.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{ExactDuration, Role};

const ISSUER: &str = "dataip";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    pub role: Role,
    /// The session (refresh-token family) the token was issued in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The user's credential generation when it was issued: a password
    /// change or reset, or a disabling, moves the user on, and the token is
    /// refused from then on (absent in tokens from before it existed: 0).
    #[serde(default, rename = "gen")]
    pub generation: i32,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: ExactDuration,
}

/// Why an access token was refused. Only a genuine token (one this service
/// signed) can be `Expired`, so the distinction tells a forger nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    Invalid,
    Expired,
}

/// A freshly issued access token.
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: ExactDuration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, ttl }
    }

    pub fn issue(
        &self,
        user: Uuid,
        org: Option<Uuid>,
        role: Role,
        session: Uuid,
        generation: i32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<AccessToken> {
        let expires = self.ttl.written().after(&now).ok_or_else(|| anyhow::anyhow!("token expiry out of range"))?;
        let claims = Claims {
            sub: user,
            org,
            role,
            sid: Some(session),
            generation,
            iss: ISSUER.into(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(AccessToken { token, expires_in: expires.timestamp() - now.timestamp() })
    }

    /// The claims of a genuine, unexpired token. Expiry is judged here, by
    /// the application's clock, after the signature has been checked (the
    /// library's own `ExpiredSignature` would use the system clock).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenRejection> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenRejection::Invalid)?;
        if data.claims.exp > now.timestamp() { Ok(data.claims) } else { Err(TokenRejection::Expired) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", ExactDuration::seconds(900));
        let now = Utc::now();
        let user = Uuid::now_v7();
        let access = keys.issue(user, None, Role::Reviewer, Uuid::now_v7(), 3, now).expect("issue");
        assert_eq!(access.expires_in, 900);
        let claims = keys.verify(&access.token, now).expect("valid");
        assert_eq!((claims.sub, claims.role, claims.generation), (user, Role::Reviewer, 3));
        let later = now + chrono::Duration::seconds(901);
        assert_eq!(keys.verify(&access.token, later).err(), Some(TokenRejection::Expired));
        let other = JwtKeys::new(b"another-key-another-key-another-key", ExactDuration::seconds(900));
        assert_eq!(other.verify(&access.token, now).err(), Some(TokenRejection::Invalid));
        assert_eq!(other.verify(&access.token, later).err(), Some(TokenRejection::Invalid), "forged: never expired");
        assert_eq!(keys.verify("not.a.jwt", now).err(), Some(TokenRejection::Invalid));
    }
}
