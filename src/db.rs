//! Opening the database: URL forms, per-backend pool settings, migrations.

pub mod reads;

use std::{str::FromStr, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, SqlxSqliteConnector};
use sqlx::{
    ConnectOptions as _,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::error::AppError;

/// Accepts the old service's SQLAlchemy form `sqlite:///./logs.db`. SQLAlchemy reads
/// three slashes as "relative path follows", sqlx as "absolute path follows"; only
/// an explicit `./` or `../` after them is unambiguous, so only that is rewritten
/// (`sqlite:///var/lib/logs.db` stays absolute, as sqlx and most tools read it).
pub fn normalize_url(url: &str) -> String {
    match url.strip_prefix("sqlite:///") {
        Some(rest) if rest.starts_with("./") || rest.starts_with("../") => {
            format!("sqlite://{rest}")
        }
        _ => url.to_owned(),
    }
}

/// The URL with any password replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Connects with settings suited to each backend. SQLite gets WAL (readers never
/// wait for the writer), a busy timeout instead of instant "database is locked", and
/// foreign keys on. `synchronous=NORMAL` in WAL mode keeps every commit across a
/// process crash; only an OS crash or power loss can drop the last commits.
pub async fn connect(database_url: &str) -> Result<DatabaseConnection, AppError> {
    let url = normalize_url(database_url);
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| AppError::Config(format!("DATABASE_URL is not a valid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // A CSV export is one long statement by design; not a "slow query".
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| AppError::Config(format!("cannot open SQLite database: {e}")))?;
        return Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool));
    }
    if !(url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.starts_with("mysql://")
        || url.starts_with("mariadb://"))
    {
        return Err(AppError::Config(format!(
            "DATABASE_URL {} is not supported: use sqlite://, postgres:// or mysql://",
            redact_url(&url)
        )));
    }
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url,
    };
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| {
        AppError::Config(format!(
            "cannot connect to {}: {}",
            redact_url(&url),
            redact_error(&e.to_string(), &url)
        ))
    })
}

/// Error texts from drivers sometimes quote the URL; never let a password through.
fn redact_error(message: &str, url: &str) -> String {
    message.replace(url, &redact_url(url))
}

/// Applies pending migrations; called on every start.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), AppError> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// How many bound parameters one statement may carry on this backend, with room to
/// spare: SQLite's default limit is 32766, PostgreSQL's and MySQL's 65535.
pub fn max_bind_params(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_000,
        _ => 60_000,
    }
}

/// Runs `attempt` again (up to six times in all, with a growing random pause) when the database chose it as a
/// deadlock victim: PostgreSQL's 40P01, and 40001 (serialization failure, which is
/// also how MySQL reports a deadlock). The database rolled it back; a rerun is safe.
pub async fn retry_deadlocks<T, F, Fut>(mut attempt: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    const ATTEMPTS: u32 = 6;
    let mut n = 1;
    loop {
        match attempt().await {
            Err(AppError::Db(e)) if n < ATTEMPTS && is_deadlock(&e) => {
                tracing::debug!(attempt = n, "transaction lost a deadlock; retrying");
                // Retrying at once tends to meet the same transactions again; a
                // random, growing pause lets them finish first.
                let ceiling = 5u64 << n;
                let pause = rand::random_range(ceiling / 2..=ceiling);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                n += 1;
            }
            other => return other,
        }
    }
}

fn is_deadlock(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    match e.as_ref() {
        sqlx::Error::Database(db) => matches!(db.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_sqlalchemy_urls_are_accepted() {
        assert_eq!(normalize_url("sqlite:///./logs.db"), "sqlite://./logs.db");
        assert_eq!(normalize_url("sqlite:///../logs.db"), "sqlite://../logs.db");
        assert_eq!(
            normalize_url("sqlite:///var/lib/logs.db"),
            "sqlite:///var/lib/logs.db"
        );
        assert_eq!(normalize_url("sqlite://logs.db"), "sqlite://logs.db");
        assert_eq!(normalize_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example:5432/logs"),
            "postgres://app:***@db.example:5432/logs"
        );
        assert_eq!(redact_url("sqlite://logs.db"), "sqlite://logs.db");
    }
}
