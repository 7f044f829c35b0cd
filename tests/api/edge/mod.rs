//! What every endpoint and page shares: conventions, the contract, input and errors, limits, hostile input, the portal, the public cache, and the floor plan.

pub mod architecture;
pub mod browser;
pub mod contract;
pub mod conventions;
pub mod error_details;
pub mod fuzzing;
pub mod hostile;
pub mod input;
pub mod limits;
pub mod portal;
pub mod public_cache;
pub mod vocabularies;
