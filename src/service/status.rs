//! Health: is the database answering?

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

/// The service's health, as `/status` and the `status` query report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub database_ok: bool,
    pub uptime: Duration,
}

/// Pings the database with a bounded wait, so a hung database reads as degraded
/// rather than hanging the health check.
pub async fn check(db: &DatabaseConnection, started: Instant) -> Health {
    let ping = tokio::time::timeout(Duration::from_secs(3), db.ping()).await;
    Health {
        database_ok: matches!(ping, Ok(Ok(()))),
        uptime: started.elapsed(),
    }
}
