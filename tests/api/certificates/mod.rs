//! Certificates, the acts on them, disclosures of their terms, and their validity.

pub mod acts;
pub mod confirmations;
pub mod issuance;
pub mod measures;
pub mod openings;
pub mod persons_in_acts;
pub mod validity;
