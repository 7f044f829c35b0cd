//! Black-box tests over HTTP against a real PostgreSQL, one fresh database
//! per test (DATABASE_URL names the server; default 127.0.0.1:5432).

mod acts;
mod admin;
mod anchoring;
mod announcements;
mod applications;
mod auth;
mod benchmarks;
mod certificates;
mod chain;
mod cli;
mod contract;
mod conventions;
mod disabling;
mod error_details;
mod faults;
mod fuzzing;
mod guide;
mod helpers;
mod input;
mod ledger;
mod limits;
mod materials;
mod member_removal;
mod objections;
mod openings;
mod operators;
mod ops;
mod organization;
mod passwords;
mod quotas;
mod refiling;
mod review;
mod throttling;
mod validity;
mod walkthrough;
