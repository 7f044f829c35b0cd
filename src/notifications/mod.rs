//! Telling people what happened: one catalogue of event kinds, their words
//! in each language, and e-mail through the operator's SMTP server. Every
//! notification is written to the outbox in the transaction of its event
//! (`services::notifications`) and delivered by the worker with retries.

pub mod catalogue;
pub mod mail;
pub mod messages;
pub mod webhook_client;

pub use catalogue::EventKind;
