//! Views of users and organizations, and the creation of user accounts
//! shared by signup, members and staff.

pub mod email_confirmations;
pub mod organization;
pub mod password_resets;
pub mod passwords;
pub mod relying_parties;
pub mod sessions;
pub mod staff;
pub mod verification;
pub mod web_sessions;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, Fields, Result};
use crate::{
    db::{self, parties::PartyRow, users::UserRow},
    domain::{DisplayName, Email, Name, PartyKind, Password, Role, Verification, mask_id_number},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The user's organization; null for registry staff.
    pub organization_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the account was disabled; null while it is active. A disabled
    /// user can neither log in nor use tokens issued before.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When the address was proven (the link mailed to it was opened);
    /// null until then. Until then it receives little mail: see
    /// `POST /auth/confirm-email`.
    pub email_confirmed_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            organization_id: row.org_id,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            email_confirmed_at: row.email_confirmed_at,
        }
    }
}

/// A party (an organization or a natural person) as its own users and staff
/// see it. A person's identity number is shown masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub id: Uuid,
    pub kind: PartyKind,
    pub name: String,
    /// An organization's unified social credit code (GB 32100-2015).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// A person's resident identity number, masked (`110***********123X`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "110***********002X")]
    pub id_number_masked: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether registry staff have checked its business licence (a
    /// person's identity document): only a `verified` party may submit
    /// applications.
    pub verification: Verification,
}

impl From<PartyRow> for PartyView {
    fn from(row: PartyRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            name: row.name,
            credit_code: row.credit_code,
            id_number_masked: row.id_number.as_deref().map(mask_id_number),
            created_at: row.created_at,
            verification: row.verification,
        }
    }
}

impl PartyView {
    /// What names it here: the credit code, or the number masked.
    pub fn shown_identity(&self) -> &str {
        self.credit_code.as_deref().or(self.id_number_masked.as_deref()).unwrap_or_default()
    }

    /// The view under its older name, `organization`: only for an
    /// organization.
    pub fn as_organization(row: &PartyRow) -> Option<Self> {
        (row.kind == PartyKind::Organization).then(|| row.clone().into())
    }
}

/// The fields of a new user account, as clients send them.
#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[schema(format = Email, max_length = 254)]
    #[schema(example = "zhang.wei@example.com")]
    pub email: String,
    /// At least 10 characters, at most 1024 bytes.
    #[schema(format = Password, min_length = 10, max_length = 1024)]
    pub password: String,
    pub display_name: DisplayName,
}

/// A new account's fields, parsed.
pub struct AccountFields {
    pub email: Email,
    pub password: Password,
    pub display_name: Name,
}

impl NewAccount {
    /// Parses the fields, recording problems under `prefix` (e.g. `user.`).
    pub fn parse(&self, fields: &mut Fields, prefix: &str) -> Option<AccountFields> {
        let email = fields.check(&format!("{prefix}email"), Email::parse(&self.email));
        let password = fields.check(&format!("{prefix}password"), Password::parse(&self.password));
        let display_name = fields.check(&format!("{prefix}display_name"), self.display_name.parse());
        Some(AccountFields { email: email?, password: password?, display_name: display_name? })
    }
}

/// A new account whose password has been hashed, ready to store.
pub struct HashedAccount {
    email: Email,
    password_hash: String,
    display_name: Name,
}

impl AccountFields {
    /// Hashes the password (slow: do it before opening a transaction).
    /// A taken e-mail address is refused first (409), so that no one can
    /// spend the registry's hashing on accounts that cannot be created.
    pub async fn hash(self, state: &AppState) -> Result<HashedAccount> {
        if db::users::find_by_email(&mut *state.db.acquire().await?, self.email.as_str()).await?.is_some() {
            return Err(email_taken());
        }
        let password_hash = state.passwords.hash(&self.password).await?;
        Ok(HashedAccount { email: self.email, password_hash, display_name: self.display_name })
    }
}

/// How a new account's address counts until its holder proves it.
#[derive(Debug, Clone, Copy)]
pub enum NewAddress {
    /// An operator made the account on the command line and vouches for it.
    Vouched,
    /// A confirmation link is mailed to it; `added_by` names whoever added
    /// the account for someone else (none for a signup).
    ToConfirm { added_by: Option<Uuid> },
}

/// Stores a user, and mails the link that proves its address when it needs
/// one; a taken e-mail address is 409.
pub async fn insert_user(
    conn: &mut PgConnection,
    state: &AppState,
    account: HashedAccount,
    role: Role,
    org_id: Option<Uuid>,
    address: NewAddress,
    now: DateTime<Utc>,
) -> Result<UserRow> {
    let (confirmed_at, added_by) = match address {
        NewAddress::Vouched => (Some(now), None),
        NewAddress::ToConfirm { added_by } => (None, added_by),
    };
    let user = UserRow {
        id: Uuid::now_v7(),
        org_id,
        email: account.email.as_str().to_owned(),
        password_hash: account.password_hash,
        display_name: account.display_name.into_string(),
        role,
        created_at: now,
        disabled_at: None,
        email_confirmed_at: confirmed_at,
        token_generation: 0,
    };
    db::users::insert(conn, &user, added_by).await.map_err(|e| match db::violated_constraint(&e) {
        Some("users_email_key") => email_taken(),
        _ => e.into(),
    })?;
    if user.email_confirmed_at.is_none() {
        crate::services::accounts::email_confirmations::send(conn, state, &user, now).await?;
    }
    Ok(user)
}

fn email_taken() -> Error {
    Error::Conflict("an account with this e-mail address already exists".into())
}
