//! What every handler and resolver shares.

use std::{sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;

use crate::{auth::Auth, config::Config, service::ingest::Ingestor};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// The one way logs get written.
    pub ingestor: Ingestor,
    /// When the server started, for `uptime_seconds`.
    pub started: Instant,
    /// Token checking; open mode when SECRET_KEY is unset.
    pub auth: Auth,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, auth: Auth) -> Self {
        AppState {
            auth,
            ingestor: Ingestor::new(db.clone()),
            db,
            config: Arc::new(config),
            started: Instant::now(),
        }
    }
}
