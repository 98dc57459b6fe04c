//! Configuration: command-line flags, then environment variables (and `.env`), then
//! defaults. Parsed once into typed fields and passed down; nothing else reads the
//! environment.

use std::{net::IpAddr, time::Duration};

use clap::Args;

use crate::auth::Algorithm;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Settings shared by every subcommand that talks to the database or serves.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Database to use: `sqlite://logs.db` (also the old `sqlite:///./logs.db`),
    /// `postgres://user@host/db` or `mysql://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://logs.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address to listen on. Without SECRET_KEY only loopback addresses are allowed.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000, global = true)]
    pub port: u16,

    /// Signing key for access tokens; when set, every call needs a token.
    #[arg(long, env = "SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// JWT algorithm: HS256, HS384 or HS512; tokens signed otherwise are refused.
    #[arg(
        long,
        env = "ALGORITHM",
        value_enum,
        default_value = "HS256",
        global = true
    )]
    pub algorithm: Algorithm,

    /// Default lifetime of minted tokens, in minutes.
    #[arg(
        long,
        env = "ACCESS_TOKEN_EXPIRE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub access_token_expire_minutes: u64,

    /// Logs older than this many days are deleted in the background (unset: keep all).
    #[arg(long, env = "RETENTION_DAYS", global = true)]
    pub retention_days: Option<u32>,

    /// Largest accepted request body; larger requests get 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Seconds a client has to send a request's headers, and again its body; slower
    /// clients get 408 (or, mid-headers, a closed connection). Responses, such as a
    /// long CSV download, are not limited.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,

    /// Whether GraphQL answers introspection (`__schema`, `__type`); `false` hides
    /// the schema from clients (`log-sentinel schema` still prints it).
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value_t = true, global = true,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub graphql_introspection: bool,

    /// Comma-separated URLs that receive alert notifications.
    #[arg(long, env = "WEBHOOK_URLS", value_delimiter = ',', global = true)]
    pub webhook_urls: Vec<String>,

    /// Seconds one webhook delivery attempt may take.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECS", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout_secs: u64,

    /// Attempts per webhook delivery before it is given up (and logged).
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 6, global = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_max_attempts: u32,

    /// Wait before the first retry, in milliseconds; doubled for each further one.
    #[arg(long, env = "WEBHOOK_BACKOFF_MS", default_value_t = 500, global = true)]
    pub webhook_backoff_ms: u64,

    /// Notifications waiting for delivery at most; beyond that new ones are dropped
    /// (and counted), so a dead receiver cannot grow memory.
    #[arg(long, env = "WEBHOOK_QUEUE", default_value_t = 10_000, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_queue: u64,

    /// The address users reach this server at, for links in notifications
    /// (`externalURL`, `generatorURL`). Default: http://HOST:PORT.
    #[arg(long, env = "EXTERNAL_URL", global = true)]
    pub external_url: Option<String>,

    /// The server's own log lines: `text` (human-readable) or `json` (one object a
    /// line, for log shippers).
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Serve GraphiQL's scripts and styles from this directory (at
    /// `/graphiql-assets/`) instead of a CDN, for machines without internet access.
    #[arg(long, env = "PLAYGROUND_ASSETS_DIR", global = true)]
    pub playground_assets_dir: Option<std::path::PathBuf>,

    /// Events kept for a live-tail subscriber that reads slower than logs arrive;
    /// past that it skips ahead and is told how many it missed.
    #[arg(long, env = "LIVE_TAIL_BUFFER", default_value_t = 4096, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub live_tail_buffer: u64,
}

impl Config {
    /// Defaults with the given database, for tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            secret_key: None,
            algorithm: Algorithm::Hs256,
            access_token_expire_minutes: 30,
            retention_days: None,
            max_body_bytes: 10 * 1024 * 1024,
            webhook_urls: Vec::new(),
            webhook_timeout_secs: 10,
            webhook_max_attempts: 6,
            webhook_backoff_ms: 500,
            webhook_queue: 10_000,
            external_url: None,
            live_tail_buffer: 4096,
            log_format: LogFormat::Text,
            playground_assets_dir: None,
            request_timeout_secs: 30,
            graphql_introspection: true,
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// Where clients reach this server, for links sent elsewhere.
    pub fn external_url(&self) -> String {
        match &self.external_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}:{}", self.host, self.port),
        }
    }
}
