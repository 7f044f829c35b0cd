//! The workbench's pages: sessions and forms over plain HTTP (`kit`), and
//! an applicant's whole procedure in headless Chromium.

mod account;
mod application_page;
mod applications;
mod certificates;
mod kit;
mod party;
mod procedure;
mod sessions;
