//! The sentinel: rule evaluation as logs arrive, deduplicated alerts, notifications
//! and the live feed of logs and alert changes.

pub mod evaluate;
pub mod events;
pub mod rules;
pub mod store;
pub mod webhook;

use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use evaluate::{Change, Group};
pub use events::Events;
pub use rules::RuleCache;
pub use webhook::{Notifier, WebhookSettings};

use crate::{
    db,
    entities::{alert, alert_rule},
    error::{AppError, Result},
    service::{alerts, logs::NewLog, rules as rule_store},
};

/// How often rules are re-read, so that changes made through another process on the
/// same database take effect here too.
const RULE_REFRESH: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Sentinel {
    db: DatabaseConnection,
    pub rules: RuleCache,
    pub events: Events,
    pub notifier: Notifier,
}

impl Sentinel {
    pub fn new(db: DatabaseConnection, events: Events, notifier: Notifier) -> Self {
        Sentinel {
            db,
            rules: RuleCache::default(),
            events,
            notifier,
        }
    }

    /// Loads the rules and keeps them fresh; called once the server starts.
    pub async fn start(&self) -> Result<()> {
        self.rules.reload(&self.db).await?;
        self.rules.refresh_every(self.db.clone(), RULE_REFRESH);
        Ok(())
    }

    /// After a rule was created, changed or deleted here.
    pub async fn rules_changed(&self) -> Result<()> {
        self.rules.reload(&self.db).await
    }

    /// A batch against the current rules (before it is written).
    pub fn match_batch(&self, logs: &[NewLog]) -> Vec<Group> {
        let rules = self.rules.snapshot();
        if rules.is_empty() {
            return Vec::new();
        }
        evaluate::match_batch(&rules, logs)
    }

    /// After the commit: tells subscribers about every alert the transaction touched
    /// and notifies receivers of the ones it raised.
    pub async fn announce(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        crate::metrics::alerts_changed(&changes);
        let fingerprints: Vec<&str> = changes.iter().map(|c| c.fingerprint.as_str()).collect();
        let touched = alert::Entity::find()
            .filter(alert::Column::ActiveFingerprint.is_in(fingerprints))
            .all(&self.db)
            .await;
        let touched = match touched {
            Ok(touched) => touched,
            Err(e) => {
                tracing::warn!(error = %e, "could not load changed alerts to announce");
                return;
            }
        };
        for alert in touched {
            let raised = changes
                .iter()
                .any(|c| c.raised && alert.active_fingerprint.as_deref() == Some(&c.fingerprint));
            if raised {
                self.notify(&alert).await;
            }
            self.events.publish_alert(alert);
        }
    }

    /// Queues the webhook notification of a raised or resolved alert.
    async fn notify(&self, alert: &alert::Model) {
        let rule = match alert.rule_id {
            None => None,
            Some(id) => self.rule(id).await,
        };
        self.notifier.notify(alert, rule.as_ref());
    }

    /// A rule by id: from the snapshot, else (disabled, or just deleted) the database.
    async fn rule(&self, id: i64) -> Option<alert_rule::Model> {
        if let Some(r) = self.rules.snapshot().iter().find(|r| r.id() == id) {
            return Some(r.model.clone());
        }
        rule_store::get(&self.db, id).await.ok().flatten()
    }

    /// OPEN → ACKNOWLEDGED; anything else stays as it is.
    pub async fn acknowledge(&self, id: i64) -> Result<alert::Model> {
        let acknowledged = db::retry_deadlocks(|| alerts::acknowledge(&self.db, id)).await?;
        let (alert, changed) = acknowledged.ok_or_else(|| missing(id))?;
        if changed {
            crate::metrics::alert_acknowledged();
            self.events.publish_alert(alert.clone());
        }
        Ok(alert)
    }

    /// Any status → RESOLVED; the fingerprint is free for a new alert.
    pub async fn resolve(&self, id: i64) -> Result<alert::Model> {
        let resolved = db::retry_deadlocks(|| alerts::resolve(&self.db, id)).await?;
        let (alert, changed) = resolved.ok_or_else(|| missing(id))?;
        if changed {
            crate::metrics::alert_resolved();
            self.notify(&alert).await;
            self.events.publish_alert(alert.clone());
        }
        Ok(alert)
    }
}

fn missing(id: i64) -> AppError {
    AppError::NotFound(format!("alert {id} not found"))
}
