//! The service's own logs, through `tracing`: readable on a terminal, JSON with
//! `LOG_FORMAT=json` (`Config::log_format`); `RUST_LOG` sets the filter.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Human-readable logs, for tests (`TEST_LOG=1`) and tools that have no `Config`.
pub fn init() {
    init_with(LogFormat::Text);
}

/// Installs the global subscriber; does nothing if one is installed already.
pub fn init_with(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("log_sentinel=info,sea_orm_migration=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests may call this more than once.
    let _ = match format {
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Text => {
            // Colours only for a person at a terminal, not for files and log shippers.
            let ansi = std::io::stderr().is_terminal();
            registry
                .with(fmt::layer().with_ansi(ansi).with_writer(std::io::stderr))
                .try_init()
        }
    };
}
