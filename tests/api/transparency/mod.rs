//! The ledger, its tiles and proofs, anchoring to a chain, witnesses, and interoperation with other implementations.

pub mod anchoring;
pub mod chain;
pub mod interop;
pub mod ledger;
pub mod status;
pub mod status_replay;
pub mod tlog;
