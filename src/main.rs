use std::process::ExitCode;

use clap::Parser;
use log_sentinel::{cli::Cli, commands, telemetry};

// jemalloc: a page of rows allocates a few strings per row, and glibc's malloc spent
// a fifth of a `/logs` request on them (merging its fast bins on every large buffer).
// Idle RSS stays near the system allocator's (22 vs 21 MB); see README, Performance.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // `.env` fills in what the environment lacks; real variables and flags win.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // After parsing, so LOG_FORMAT given as a flag, variable or `.env` line all count.
    telemetry::init_with(cli.config.log_format);
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
