//! Black-box tests over HTTP against a real PostgreSQL, one fresh database
//! per test (DATABASE_URL names the server; default 127.0.0.1:5432).

mod accounts;
mod browser_kit;
mod certificates;
// One `dataip serve` child process, shared with the HTTP benchmark.
#[path = "../../bench/workloads/child.rs"]
mod child;
mod edge;
mod helpers;
mod notifications;
mod objections;
mod operations;
mod registration;
mod transparency;
mod workbench;
