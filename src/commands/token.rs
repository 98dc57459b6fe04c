//! `log-sentinel token`: mints an access token signed with SECRET_KEY, for a
//! person, a script or a log shipper. Prints the token alone, so it can be
//! captured with `$(…)`.

use std::time::Duration;

use clap::Args;

use crate::{
    auth::{self, Auth, Scope},
    config::Config,
    error::AppError,
};

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Space-separated scopes: `read` (queries, GET, CSV), `ingest` (POST /logs,
    /// Loki push, ingestLogs), `admin` (alert and rule changes).
    #[arg(long, default_value = "read")]
    pub scope: String,

    /// Lifetime such as `30m`, `12h`, `30d` (default: ACCESS_TOKEN_EXPIRE_MINUTES).
    #[arg(long, value_parser = parse_lifetime)]
    pub expires_in: Option<Duration>,

    /// Who the token is for (the `sub` claim), e.g. `promtail-web-1`.
    #[arg(long)]
    pub subject: Option<String>,
}

pub fn run(config: &Config, args: TokenArgs) -> Result<(), AppError> {
    println!("{}", mint(config, &args)?);
    Ok(())
}

/// The token the arguments ask for.
pub fn mint(config: &Config, args: &TokenArgs) -> Result<String, AppError> {
    let auth = Auth::from_config(config)?;
    let keys = auth.keys().ok_or_else(|| {
        AppError::Config(
            "SECRET_KEY is not set: tokens are signed with it, and the server checks them with the same key. Set SECRET_KEY (the server's value) and run again".into(),
        )
    })?;
    let scopes = Scope::parse_list(&args.scope).map_err(AppError::Config)?;
    let lifetime = args
        .expires_in
        .unwrap_or_else(|| auth::default_lifetime(config));
    keys.mint(&scopes, lifetime, args.subject.clone())
}

/// `humantime` durations (`90s`, `30m`, `12h`, `30d`, `1h 30m`), at least a second.
fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let lifetime = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: write a lifetime such as 30m, 12h or 30d"))?;
    if lifetime < Duration::from_secs(1) {
        return Err("a token must live at least one second".into());
    }
    Ok(lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_people_write_them() {
        assert_eq!(parse_lifetime("30m"), Ok(Duration::from_secs(30 * 60)));
        assert_eq!(parse_lifetime("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_lifetime("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_lifetime("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_lifetime("soon").is_err());
        assert!(parse_lifetime("0s").is_err());
    }
}
