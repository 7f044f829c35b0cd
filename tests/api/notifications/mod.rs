//! Mail, webhooks, watches and their deliveries.

pub mod certificate_watches;
pub mod deliveries;
pub mod mail;
pub mod relay;
pub mod watches;
pub mod webhooks;
