//! The service's own logs, through `tracing`: readable on a terminal, JSON with
//! `LOG_FORMAT=json`; `RUST_LOG` sets the filter.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("log_sentinel=info,tower_http=info,sea_orm_migration=warn")
    });
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests may call this more than once.
    let _ = if json {
        registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()
    } else {
        // Colours only for a person at a terminal, not for files and log shippers.
        let ansi = std::io::stderr().is_terminal();
        registry
            .with(fmt::layer().with_ansi(ansi).with_writer(std::io::stderr))
            .try_init()
    };
}
