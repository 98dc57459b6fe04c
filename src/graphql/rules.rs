//! Alert rule types: the object, and the inputs that create and change rules.

use async_graphql::{ID, InputObject, MaybeUndefined, SimpleObject};

use crate::{domain::Level, entities::alert_rule, service::rules::RuleChanges};

/// A rule: logs at or above `minLevel` (from `source`, whose message matches
/// `pattern`, when given) raise or feed an alert once `threshold` of them arrive
/// within `windowSeconds`.
#[derive(SimpleObject, Clone)]
pub struct AlertRule {
    pub id: ID,
    pub name: String,
    pub enabled: bool,
    pub min_level: Level,
    /// Exact source to watch; null watches every source (one alert per source).
    pub source: Option<String>,
    /// Regular expression the message must match (Rust `regex` syntax).
    pub pattern: Option<String>,
    pub threshold: i32,
    pub window_seconds: i32,
    /// Severity of the alerts this rule raises.
    pub severity: Level,
    /// Receives this rule's notifications, besides WEBHOOK_URLS.
    pub webhook: Option<String>,
}

impl From<alert_rule::Model> for AlertRule {
    fn from(m: alert_rule::Model) -> Self {
        let level = |s: &str| s.parse().unwrap_or(Level::Error);
        AlertRule {
            id: ID(m.id.to_string()),
            min_level: level(&m.min_level),
            severity: level(&m.severity),
            name: m.name,
            enabled: m.enabled,
            source: m.source,
            pattern: m.pattern,
            threshold: m.threshold,
            window_seconds: m.window_seconds,
            webhook: m.webhook,
        }
    }
}

/// A new rule. Levels take the same names and aliases as log levels (`warn`,
/// `err`…). Defaults: enabled, `minLevel` ERROR, threshold 1 within 60 seconds,
/// `severity` = `minLevel`.
#[derive(InputObject)]
pub struct AlertRuleInput {
    pub name: String,
    pub enabled: Option<bool>,
    pub min_level: Option<String>,
    pub source: Option<String>,
    pub pattern: Option<String>,
    pub threshold: Option<i32>,
    pub window_seconds: Option<i32>,
    pub severity: Option<String>,
    pub webhook: Option<String>,
}

impl From<AlertRuleInput> for RuleChanges {
    fn from(i: AlertRuleInput) -> Self {
        RuleChanges {
            name: Some(i.name),
            enabled: i.enabled,
            min_level: i.min_level,
            source: i.source.map(Some),
            pattern: i.pattern.map(Some),
            threshold: i.threshold,
            window_seconds: i.window_seconds,
            severity: i.severity,
            webhook: i.webhook.map(Some),
        }
    }
}

/// Changes to a rule: fields left out stay as they are; `source`, `pattern` and
/// `webhook` set to null are cleared.
#[derive(InputObject)]
pub struct AlertRulePatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub min_level: Option<String>,
    pub source: MaybeUndefined<String>,
    pub pattern: MaybeUndefined<String>,
    pub threshold: Option<i32>,
    pub window_seconds: Option<i32>,
    pub severity: Option<String>,
    pub webhook: MaybeUndefined<String>,
}

impl From<AlertRulePatch> for RuleChanges {
    fn from(p: AlertRulePatch) -> Self {
        RuleChanges {
            name: p.name,
            enabled: p.enabled,
            min_level: p.min_level,
            source: p.source.into(),
            pattern: p.pattern.into(),
            threshold: p.threshold,
            window_seconds: p.window_seconds,
            severity: p.severity,
            webhook: p.webhook.into(),
        }
    }
}

/// What `deleteAlertRule` removed. Its alerts stay, with `ruleId` null.
#[derive(SimpleObject)]
pub struct DeletedRule {
    pub id: ID,
}
