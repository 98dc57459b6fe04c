//! JSON bodies of the REST shim: snake_case, ids as numbers, RFC 3339 timestamps.
//! The same types give `/openapi.json` its schemas, so the document describes what
//! is actually serialised.

use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::{
    domain::{AlertStatus, Level, Timestamp},
    entities::{alert, log_entry},
};

/// A stored log.
#[derive(Serialize, ToSchema)]
#[schema(as = LogEntry)]
pub struct LogView<'a> {
    #[schema(example = 42)]
    pub id: i64,
    pub timestamp: Timestamp,
    #[schema(value_type = Level)]
    pub level: &'a str,
    #[schema(example = "payment service timed out")]
    pub message: &'a str,
    /// The service or host that sent it.
    #[schema(required = true, example = "api")]
    pub source: Option<&'a str>,
    /// Labels and structured fields, as sent.
    // Stored as JSON text; passed through without re-parsing into a tree.
    #[schema(value_type = Option<Object>, required = true, example = json!({"request_id": "r-17"}))]
    pub attributes: Option<&'a RawValue>,
}

impl<'a> From<&'a log_entry::Model> for LogView<'a> {
    fn from(m: &'a log_entry::Model) -> Self {
        LogView {
            id: m.id,
            timestamp: Timestamp(m.timestamp),
            level: &m.level,
            message: &m.message,
            source: m.source.as_deref(),
            attributes: m
                .attributes
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok()),
        }
    }
}

/// An alert raised by a rule; repeated matches feed the same alert until it is
/// resolved.
#[derive(Serialize, ToSchema)]
#[schema(as = Alert)]
pub struct AlertView<'a> {
    #[schema(example = 7)]
    pub id: i64,
    /// When it was first raised (the old service's field; same as `first_seen`).
    pub timestamp: Timestamp,
    #[schema(value_type = Level)]
    pub severity: &'a str,
    #[schema(value_type = AlertStatus)]
    pub status: &'a str,
    #[schema(example = "payment service timed out")]
    pub message: &'a str,
    #[schema(required = true, example = "api")]
    pub source: Option<&'a str>,
    /// The rule that raised it; null once the rule is deleted.
    #[schema(required = true, example = 1)]
    pub rule_id: Option<i64>,
    /// Rule and source: one fingerprint never has two unresolved alerts.
    pub fingerprint: &'a str,
    /// Matching logs so far.
    #[schema(minimum = 1, example = 3)]
    pub occurrences: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    #[schema(required = true)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(required = true)]
    pub resolved_at: Option<Timestamp>,
    /// The latest log that fed it.
    #[schema(required = true, example = 42)]
    pub log_id: Option<i64>,
}

impl<'a> From<&'a alert::Model> for AlertView<'a> {
    fn from(m: &'a alert::Model) -> Self {
        AlertView {
            id: m.id,
            timestamp: Timestamp(m.first_seen),
            severity: &m.severity,
            status: &m.status,
            message: &m.message,
            source: m.source.as_deref(),
            rule_id: m.rule_id,
            fingerprint: &m.fingerprint,
            occurrences: m.occurrences,
            first_seen: Timestamp(m.first_seen),
            last_seen: Timestamp(m.last_seen),
            acknowledged_at: m.acknowledged_at.map(Timestamp),
            resolved_at: m.resolved_at.map(Timestamp),
            log_id: m.log_id,
        }
    }
}

/// The service's health.
#[derive(Serialize, ToSchema)]
#[schema(as = Status)]
pub struct StatusView {
    pub status: Health,
    /// The server's version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    pub database: DatabaseHealth,
    #[schema(example = 3600.5)]
    pub uptime_seconds: f64,
    /// The old service's field, kept for its callers.
    #[schema(example = "Log Sentinel")]
    pub service: &'static str,
    /// The server's clock (the old service's field).
    pub timestamp: Timestamp,
}

/// `ok`, or `degraded` (with status 503) when the database does not answer.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Degraded,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseHealth {
    Ok,
    Unreachable,
}

/// How many logs a `POST /logs` stored; sent only once they are committed.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(example = 2)]
    pub accepted: u64,
}
