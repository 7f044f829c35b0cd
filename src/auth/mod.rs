//! Credentials: password hashing, access tokens, opaque secrets (refresh
//! tokens and API keys), and the extractors that authenticate callers.

mod jwt;
mod password;
mod principal;
mod token;

pub use jwt::{AccessToken, Claims, JwtKeys, TokenRejection};
pub use password::{HashingError, PasswordHasher};
pub use principal::{Actor, Admin, Owner, Principal, Staff, Tenant};
pub use token::{API_KEY_PREFIX, EMAIL_CONFIRMATION_PREFIX, OpaqueToken, PASSWORD_RESET_PREFIX, REFRESH_TOKEN_PREFIX};
