//! What every handler and resolver shares.

use std::{sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// When the server started, for `uptime_seconds`.
    pub started: Instant,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            started: Instant::now(),
        }
    }
}
