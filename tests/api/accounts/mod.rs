//! Accounts: sign-up and sessions, organizations and members, passwords and addresses, verification, staff, the audit log, throttles.

pub mod addresses;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod disabling;
pub mod member_removal;
pub mod organization;
pub mod party_migration;
pub mod passwords;
pub mod persons;
pub mod tenancy;
pub mod throttling;
pub mod verification;
