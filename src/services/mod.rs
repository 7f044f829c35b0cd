//! The use-cases. Each takes the application state and parsed input, owns
//! its transaction, and answers a view or an `Error`.

pub mod accounts;
pub mod acts;
pub mod anchoring;
pub mod announcements;
pub mod application_views;
pub mod applications;
pub mod audit;
pub mod certificate_check;
pub mod certificates;
pub mod closing;
pub mod email_confirmations;
mod error;
pub mod files;
pub mod idempotency;
mod lease;
pub mod ledger;
pub mod materials;
pub mod notifications;
pub mod objection_evidence;
pub mod objections;
pub mod organization;
pub mod password_resets;
pub mod passwords;
pub mod procedure;
pub mod refiling;
pub mod review;
mod search;
pub mod sessions;
pub mod staff;
pub mod throttle;
pub mod tlog;
pub mod verification;
pub mod watches;
pub mod webhook_delivery;
pub mod webhooks;
pub mod witnessing;

pub use error::{Error, FieldError, Fields, Result};
