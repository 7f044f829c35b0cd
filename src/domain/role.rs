//! Who may do what: applicant roles inside an organization and registry staff.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "user_role", rename_all = "snake_case")]
pub enum Role {
    /// Manages the organization: members, API keys, and everything a member does.
    Owner,
    /// Prepares and files the organization's applications.
    Member,
    /// Registry staff who examine applications.
    Reviewer,
    /// Registry staff who also manage staff.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Role::Reviewer | Role::Admin)
    }
}

/// The roles an owner may give a new member of the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Owner,
    Member,
}

impl From<OrgRole> for Role {
    fn from(role: OrgRole) -> Self {
        match role {
            OrgRole::Owner => Role::Owner,
            OrgRole::Member => Role::Member,
        }
    }
}

/// The roles staff may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Reviewer,
    Admin,
}

impl From<StaffRole> for Role {
    fn from(role: StaffRole) -> Self {
        match role {
            StaffRole::Reviewer => Role::Reviewer,
            StaffRole::Admin => Role::Admin,
        }
    }
}
