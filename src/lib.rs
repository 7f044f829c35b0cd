//! dataip: a registry service for data-product intellectual property.

pub mod api;
pub mod auth;
pub mod change_feed;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod input;
pub mod jobs;
pub mod ledger;
pub mod notifications;
pub mod pagination;
pub mod pdf;
pub mod portal;
pub mod secrets;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod witness;
pub mod workbench;
