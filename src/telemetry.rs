//! Logging: human-readable in development, JSON lines in production.

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber, writing to standard error (standard
/// output is for what commands print). `RUST_LOG`, when set, replaces the
/// configured filter. Safe to call more than once (later calls do nothing).
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(true).with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().with_target(false).with_writer(std::io::stderr)).try_init(),
    };
}
