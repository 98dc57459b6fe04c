use std::process::ExitCode;

use clap::Parser;
use log_sentinel::{cli::Cli, commands, telemetry};

// Pages are many small short-lived allocations (rows, strings, JSON buffers) made
// and freed on different threads; glibc's allocator spent a fifth of /logs in
// malloc and free, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
