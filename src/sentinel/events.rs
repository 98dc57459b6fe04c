//! The live feed behind the GraphQL subscriptions: every committed log and every
//! alert change, fanned out to whoever is listening in this process.
//!
//! Broadcast channels with a fixed capacity: a subscriber that falls further behind
//! than that loses the oldest events and is told how many (`RecvError::Lagged`),
//! so one slow client never grows the server's memory.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::entities::{alert, log_entry};

#[derive(Clone)]
pub struct Events {
    logs: broadcast::Sender<Arc<log_entry::Model>>,
    alerts: broadcast::Sender<Arc<alert::Model>>,
}

impl Events {
    /// `capacity`: events kept for the slowest subscriber before it starts skipping.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Events {
            logs: broadcast::channel(capacity).0,
            alerts: broadcast::channel(capacity).0,
        }
    }

    /// Whether anyone tails logs: the writer skips building events otherwise.
    pub fn wants_logs(&self) -> bool {
        self.logs.receiver_count() > 0
    }

    /// Live subscribers to logs and to alert changes, for `/metrics`.
    pub fn subscribers(&self) -> (usize, usize) {
        (self.logs.receiver_count(), self.alerts.receiver_count())
    }

    pub fn publish_log(&self, log: log_entry::Model) {
        // An error only means nobody is listening right now.
        let _ = self.logs.send(Arc::new(log));
    }

    pub fn publish_alert(&self, alert: alert::Model) {
        let _ = self.alerts.send(Arc::new(alert));
    }

    pub fn subscribe_logs(&self) -> broadcast::Receiver<Arc<log_entry::Model>> {
        self.logs.subscribe()
    }

    pub fn subscribe_alerts(&self) -> broadcast::Receiver<Arc<alert::Model>> {
        self.alerts.subscribe()
    }
}
