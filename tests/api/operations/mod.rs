//! Operating the registry: the command line, containers, probes, faults, benchmarks, the guide and the walk-through.

pub mod benchmarks;
pub mod cli;
pub mod faults;
pub mod guide;
pub mod operators;
pub mod ops;
pub mod walkthrough;
