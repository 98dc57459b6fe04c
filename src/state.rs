//! What every handler and resolver shares.

use std::{sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;

use crate::{
    auth::Auth,
    config::Config,
    db::reads::Reader,
    sentinel::{Events, Notifier, Sentinel, WebhookSettings},
    service::ingest::Ingestor,
    startup::Shutdown,
};

/// Cloned for every request (axum's `State`), so one shared allocation.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: DatabaseConnection,
    /// Where queries go (on SQLite, a rusqlite pool beside `db`).
    pub reader: Reader,
    pub config: Arc<Config>,
    /// The one way logs get written.
    pub ingestor: Ingestor,
    /// When the server started, for `uptime_seconds`.
    pub started: Instant,
    /// Token checking; open mode when SECRET_KEY is unset.
    pub auth: Auth,
    /// Committed logs and alert changes, for subscriptions.
    pub events: Events,
    /// Rules, alert lifecycle, notifications.
    pub sentinel: Sentinel,
    /// Set when the server stops, so WebSockets can say goodbye.
    pub shutdown: Shutdown,
}

impl AppState {
    pub fn new(db: DatabaseConnection, reader: Reader, config: Config, auth: Auth) -> Self {
        let events = Events::new(config.live_tail_buffer as usize);
        let notifier = Notifier::start(WebhookSettings::from_config(&config));
        let sentinel = Sentinel::new(db.clone(), events.clone(), notifier);
        AppState(Arc::new(Shared {
            auth,
            ingestor: Ingestor::new(db.clone(), sentinel.clone()),
            events,
            sentinel,
            db,
            reader,
            config: Arc::new(config),
            started: Instant::now(),
            shutdown: Shutdown::default(),
        }))
    }
}
