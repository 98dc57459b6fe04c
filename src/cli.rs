//! The command line: one binary, several subcommands; `serve` is the default.

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "log-sentinel",
    version,
    about = "Collects logs, raises alerts, serves both over GraphQL, REST and CSV."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Print a new access token signed with SECRET_KEY.
    Token(crate::commands::token::TokenArgs),
    /// Add realistic sample logs and alerts to the database.
    Seed(crate::commands::seed::SeedArgs),
    /// Print status, logs, alerts and the CSV head from a running server.
    Demo(crate::commands::demo::DemoArgs),
    /// Measure a running server: latency and throughput per endpoint (the old
    /// benchmark.py, plus GraphQL and ingest).
    Bench(crate::commands::bench::BenchArgs),
}

#[derive(Subcommand, Debug, Clone, Copy)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migration (or `-n` of them).
    Down {
        #[arg(short = 'n', long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
