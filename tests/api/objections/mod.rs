//! Objections to an announced application, and their cases.

pub mod objection_cases;
pub mod procedure;
