//! GraphQL object and input types, converted from and into the query layer's types.

use async_graphql::{
    ID, InputObject, InputValueError, InputValueResult, Json, Scalar, ScalarType, SimpleObject,
    Value,
};

use crate::{
    domain::{AlertStatus, Level, Timestamp},
    entities::{alert, log_entry},
    ingest::without_nul,
    service::{alerts::AlertFilter, logs::LogFilter},
};

fn level(stored: &str) -> Level {
    stored.parse().unwrap_or(Level::Info)
}

/// `DateTime`: RFC 3339 in UTC with microseconds (`2026-11-27T10:00:00.000000Z`), the
/// same text the REST shim returns. On input it also takes offsets and Unix epochs.
#[Scalar(name = "DateTime")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = match &value {
            Value::String(s) => crate::domain::parse_timestamp(s),
            Value::Number(n) => crate::domain::parse_timestamp(&n.to_string()),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parsed.map_err(InputValueError::custom)
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

fn datetime(micros: i64) -> Timestamp {
    Timestamp(micros)
}

/// One log line.
#[derive(SimpleObject, Clone)]
#[graphql(name = "LogEntry")]
pub struct LogEntry {
    pub id: ID,
    pub timestamp: Timestamp,
    pub level: Level,
    pub message: String,
    /// Service or host that sent it.
    pub source: Option<String>,
    /// Labels and structured fields, as a JSON object.
    pub attributes: Option<Json<serde_json::Value>>,
}

impl From<log_entry::Model> for LogEntry {
    fn from(m: log_entry::Model) -> Self {
        LogEntry {
            id: ID(m.id.to_string()),
            timestamp: datetime(m.timestamp),
            level: level(&m.level),
            message: m.message,
            source: m.source,
            attributes: m
                .attributes
                .and_then(|a| serde_json::from_str(&a).ok())
                .map(Json),
        }
    }
}

/// A deduplicated alert: one per rule and source while it is unresolved.
#[derive(SimpleObject, Clone)]
pub struct Alert {
    pub id: ID,
    pub severity: Level,
    pub status: AlertStatus,
    pub message: String,
    pub source: Option<String>,
    pub rule_id: Option<ID>,
    pub fingerprint: String,
    /// Matching logs folded into this alert.
    pub occurrences: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    /// The latest log that fed it (null once retention removed that log).
    pub log_id: Option<ID>,
}

impl From<alert::Model> for Alert {
    fn from(m: alert::Model) -> Self {
        Alert {
            id: ID(m.id.to_string()),
            severity: level(&m.severity),
            status: m.status.parse().unwrap_or(AlertStatus::Open),
            message: m.message,
            source: m.source,
            rule_id: m.rule_id.map(|id| ID(id.to_string())),
            fingerprint: m.fingerprint,
            occurrences: m.occurrences,
            first_seen: datetime(m.first_seen),
            last_seen: datetime(m.last_seen),
            acknowledged_at: m.acknowledged_at.map(datetime),
            resolved_at: m.resolved_at.map(datetime),
            log_id: m.log_id.map(|id| ID(id.to_string())),
        }
    }
}

/// Which logs to return. Every field narrows the result.
#[derive(InputObject, Clone, Default)]
#[graphql(name = "LogFilter")]
pub struct LogFilterInput {
    /// Only these levels.
    pub levels: Option<Vec<Level>>,
    /// Only this level and above.
    pub min_level: Option<Level>,
    /// Exact source.
    pub source: Option<String>,
    /// Case-insensitive substring of the message.
    pub search: Option<String>,
    /// Inclusive lower bound.
    pub since: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
}

impl From<LogFilterInput> for LogFilter {
    fn from(f: LogFilterInput) -> Self {
        LogFilter {
            levels: f.levels,
            min_level: f.min_level,
            // As stored: see `ingest::without_nul`.
            source: f.source.map(without_nul),
            search: f.search.map(without_nul),
            since: f.since,
            until: f.until,
        }
    }
}

/// Which alerts to return. Every field narrows the result.
#[derive(InputObject, Clone, Default)]
#[graphql(name = "AlertFilter")]
pub struct AlertFilterInput {
    /// Any of these states.
    pub status: Option<Vec<AlertStatus>>,
    /// Only this severity and above.
    pub min_severity: Option<Level>,
    /// Exact source.
    pub source: Option<String>,
    pub rule_id: Option<ID>,
}

impl AlertFilterInput {
    pub fn into_filter(self) -> async_graphql::Result<AlertFilter> {
        let rule_id = match self.rule_id {
            Some(id) => Some(crate::graphql::query::parse_id(&id, "filter.ruleId")?),
            None => None,
        };
        Ok(AlertFilter {
            status: self.status,
            min_severity: self.min_severity,
            source: self.source.map(without_nul),
            rule_id,
        })
    }
}

/// The service's health.
#[derive(SimpleObject)]
pub struct Status {
    /// `ok`, or `degraded` when the database cannot be reached.
    pub status: String,
    pub version: String,
    /// `ok` or `unreachable`.
    pub database: String,
    pub uptime_seconds: f64,
}
