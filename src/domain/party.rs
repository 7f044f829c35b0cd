//! Who applies for and holds registrations: a party, which is an
//! organization (a legal person or an unincorporated organization, named by
//! its credit code) or a natural person (named by a resident identity
//! number that stays private). Agencies and co-holders, when they come, are
//! capabilities of parties, not further kinds.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocabulary::vocabulary;

vocabulary! {
    /// The kind of a party. Stored as text in `organizations.kind` (the
    /// table keeps its name: a party's id is the organization id every
    /// foreign key and public identifier already uses).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum PartyKind {
        /// A legal person or unincorporated organization.
        Organization = "organization",
        /// A natural person.
        Person = "person",
    }
}

impl PartyKind {
    /// For serde's `skip_serializing_if`: shapes recorded before persons
    /// existed name organizations without saying so, and still do.
    pub fn is_organization(&self) -> bool {
        *self == Self::Organization
    }
}

impl Default for PartyKind {
    /// What a shape recorded without a kind names.
    fn default() -> Self {
        Self::Organization
    }
}
