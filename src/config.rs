//! Configuration: command-line flags, then environment variables (and `.env`), then
//! defaults. Parsed once into typed fields and passed down; nothing else reads the
//! environment.

use std::net::IpAddr;

use clap::Args;

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

    /// JWT algorithm: HS256, HS384 or HS512.
    #[arg(long, env = "ALGORITHM", default_value = "HS256", global = true)]
    pub algorithm: String,

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

    /// Comma-separated URLs that receive alert notifications.
    #[arg(long, env = "WEBHOOK_URLS", value_delimiter = ',', global = true)]
    pub webhook_urls: Vec<String>,
}

impl Config {
    /// Defaults with the given database, for tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            secret_key: None,
            algorithm: "HS256".into(),
            access_token_expire_minutes: 30,
            retention_days: None,
            max_body_bytes: 10 * 1024 * 1024,
            webhook_urls: Vec::new(),
        }
    }
}
