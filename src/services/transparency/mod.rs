//! Transparency: the ledger's writer and readers, its tiles, the anchoring
//! of its checkpoints to a chain and the witnesses' cosignatures.

pub mod anchoring;
pub mod ledger;
pub mod log_files;
pub mod status;
pub mod witnessing;
