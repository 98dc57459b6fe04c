//! One module per subcommand; `run` dispatches.

pub mod bench;
pub mod demo;
pub mod migrate;
pub mod seed;
pub mod token;

use crate::{
    cli::{Cli, Command},
    db,
    error::AppError,
    startup::{Application, shutdown_signal},
};

pub async fn run(cli: Cli) -> Result<(), AppError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                address = %format!("http://{}:{}", config.host, app.port()),
                database = %db::redact_url(&config.database_url),
                "listening; GraphiQL at /graphql"
            );
            app.run_until_stopped(shutdown_signal())
                .await
                .map_err(|e| AppError::Internal(e.into()))
        }
        Command::Migrate { action } => migrate::run(&config, action).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Token(args) => token::run(&config, args),
        Command::Seed(args) => seed::run(&config, args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}
