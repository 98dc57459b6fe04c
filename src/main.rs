use std::process::ExitCode;

use clap::Parser;
use log_sentinel::{cli::Cli, commands, telemetry};

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
