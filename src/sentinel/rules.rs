//! The rules as the evaluator uses them: enabled ones only, regexes compiled once,
//! held in a snapshot that ingest reads without waiting.
//!
//! The snapshot is rebuilt after every rule change made through this process and
//! every few seconds from the database, so several processes on one database agree
//! within that interval. A rebuild reuses the compiled regex of an unchanged pattern.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use regex::Regex;
use sea_orm::DatabaseConnection;

use crate::{
    domain::Level,
    entities::alert_rule,
    error::Result,
    service::{logs::NewLog, rules},
};

/// A rule ready to run against logs.
#[derive(Debug)]
pub struct CompiledRule {
    pub model: alert_rule::Model,
    pub min_level: Level,
    pub severity: Level,
    pattern: Option<Regex>,
}

impl CompiledRule {
    /// `None` for a rule that cannot run (a stored level or pattern this version
    /// refuses); it is logged and skipped rather than stopping ingest.
    fn compile(model: alert_rule::Model, known: &HashMap<String, Regex>) -> Option<Self> {
        let levels = (model.min_level.parse(), model.severity.parse());
        let (Ok(min_level), Ok(severity)) = levels else {
            tracing::warn!(rule = %model.name, "rule has an unknown level; skipped");
            return None;
        };
        let pattern = match model.pattern.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match known.get(p) {
                Some(re) => Some(re.clone()),
                None => match rules::compile_pattern(p) {
                    Ok(re) => Some(re),
                    Err(e) => {
                        tracing::warn!(rule = %model.name, error = %e, "rule pattern does not compile; skipped");
                        return None;
                    }
                },
            },
        };
        Some(CompiledRule {
            model,
            min_level,
            severity,
            pattern,
        })
    }

    pub fn id(&self) -> i64 {
        self.model.id
    }

    pub fn threshold(&self) -> i64 {
        i64::from(self.model.threshold.max(1))
    }

    /// The window in microseconds, the unit timestamps are stored in.
    pub fn window_micros(&self) -> i64 {
        i64::from(self.model.window_seconds.max(1)) * 1_000_000
    }

    pub fn pattern(&self) -> Option<&Regex> {
        self.pattern.as_ref()
    }

    /// Cheapest test first: level, then source, then the regex.
    pub fn matches(&self, log: &NewLog) -> bool {
        log.level >= self.min_level
            && self
                .model
                .source
                .as_deref()
                .is_none_or(|s| log.source.as_deref() == Some(s))
            && self
                .pattern
                .as_ref()
                .is_none_or(|re| re.is_match(&log.message))
    }
}

pub type RuleSet = Arc<Vec<Arc<CompiledRule>>>;

/// The shared, swappable snapshot.
#[derive(Clone, Default)]
pub struct RuleCache {
    current: Arc<RwLock<RuleSet>>,
}

impl RuleCache {
    /// The rules in force now. Cheap: one `Arc` clone.
    pub fn snapshot(&self) -> RuleSet {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds the snapshot from the database.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<()> {
        let models = rules::list(db).await?;
        let known: HashMap<String, Regex> = self
            .snapshot()
            .iter()
            .filter_map(|r| Some((r.model.pattern.clone()?, r.pattern.clone()?)))
            .collect();
        let compiled: Vec<Arc<CompiledRule>> = models
            .into_iter()
            .filter(|m| m.enabled)
            .filter_map(|m| CompiledRule::compile(m, &known))
            .map(Arc::new)
            .collect();
        let fresh = Arc::new(compiled);
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Keeps the snapshot in step with rule changes made by other processes.
    pub fn refresh_every(&self, db: DatabaseConnection, every: Duration) {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = cache.reload(&db).await {
                    tracing::warn!(error = %e, "could not reload alert rules; keeping the last ones");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn rule(min_level: &str, source: Option<&str>, pattern: Option<&str>) -> CompiledRule {
        let model = alert_rule::Model {
            id: 1,
            name: "r".into(),
            enabled: true,
            min_level: min_level.into(),
            source: source.map(Into::into),
            pattern: pattern.map(Into::into),
            threshold: 1,
            window_seconds: 60,
            severity: "ERROR".into(),
            webhook: None,
            created_at: 0,
        };
        CompiledRule::compile(model, &HashMap::new()).expect("compiles")
    }

    fn log(level: Level, source: Option<&str>, message: &str) -> NewLog {
        NewLog {
            timestamp: Timestamp(0),
            level,
            message: message.into(),
            source: source.map(Into::into),
            attributes: None,
        }
    }

    #[test]
    fn level_source_and_pattern_all_have_to_match() {
        let r = rule("WARNING", Some("api"), Some("time(d )?out"));
        assert!(r.matches(&log(Level::Error, Some("api"), "request timed out")));
        assert!(r.matches(&log(Level::Warning, Some("api"), "timeout")));
        assert!(!r.matches(&log(Level::Info, Some("api"), "timeout")));
        assert!(!r.matches(&log(Level::Error, Some("db"), "timeout")));
        assert!(!r.matches(&log(Level::Error, None, "timeout")));
        assert!(!r.matches(&log(Level::Error, Some("api"), "refused")));
    }

    #[test]
    fn a_rule_without_source_or_pattern_matches_on_level_alone() {
        let r = rule("ERROR", None, None);
        assert!(r.matches(&log(Level::Critical, None, "x")));
        assert!(!r.matches(&log(Level::Warning, Some("a"), "x")));
    }

    #[test]
    fn an_unknown_stored_level_skips_the_rule() {
        let mut model = rule("ERROR", None, None).model;
        model.min_level = "LOUD".into();
        assert!(CompiledRule::compile(model, &HashMap::new()).is_none());
    }
}
