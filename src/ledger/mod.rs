//! The tamper-evident ledger: an append-only RFC 9162 Merkle log of every
//! act of public consequence, with signed checkpoints.

pub mod merkle;
