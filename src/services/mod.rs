//! The use-cases. Each takes the application state and parsed input, owns
//! its transaction, and answers a view or an `Error`. Grouped by what they
//! act on; the pieces every group shares sit at the top.
//!
//! - `registration`: applications, their materials, review, announcements
//!   and the closing of announcement windows;
//! - `objections`: objections to an announced application and their evidence;
//! - `certificates`: certificates, their checks, and the acts recorded on
//!   them (licences, pledges, transfers, ...);
//! - `accounts`: people, organizations, sessions, passwords, addresses,
//!   staff and the verification of organizations;
//! - `notifications`: in-app notifications and mail, watches and webhooks;
//! - `transparency`: the ledger, its tiles, anchoring and witnesses.

pub mod accounts;
pub mod audit;
pub mod certificates;
mod error;
pub mod files;
pub mod idempotency;
mod lease;
pub mod notifications;
pub mod objections;
pub mod procedure;
pub mod registration;
mod search;
mod tenancy;
pub mod throttle;
pub mod transparency;

pub use error::{Error, FieldError, Fields, Result};
pub use tenancy::{Held, theirs};
