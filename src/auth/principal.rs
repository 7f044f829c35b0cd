//! Who is calling. The extractors that demand a kind of caller live in
//! `http::credentials`.

use uuid::Uuid;

use crate::domain::Role;

/// An authenticated caller.
#[derive(Debug, Clone, Copy)]
pub enum Principal {
    /// A person, logged in with an access token.
    User { id: Uuid, org_id: Option<Uuid>, role: Role },
    /// An organization's API key; it acts with a member's rights.
    ApiKey { id: Uuid, org_id: Uuid },
}

/// Who did something, as recorded in histories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    ApiKey(Uuid),
}

/// A caller acting for an applicant organization: an owner, a member, or an
/// API key. Staff are refused (403).
#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub org_id: Uuid,
    pub actor: Actor,
}

/// An owner of an applicant organization (a person, not an API key).
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub user_id: Uuid,
    pub org_id: Uuid,
}

/// Registry staff: a reviewer or an admin.
#[derive(Debug, Clone, Copy)]
pub struct Staff {
    pub user_id: Uuid,
    pub role: Role,
}

/// A registry admin.
#[derive(Debug, Clone, Copy)]
pub struct Admin {
    pub user_id: Uuid,
}
