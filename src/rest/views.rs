//! JSON bodies of the REST shim: snake_case, ids as numbers, RFC 3339 timestamps.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::{
    domain::Timestamp,
    entities::{alert, log_entry},
};

#[derive(Serialize)]
pub struct LogView<'a> {
    pub id: i64,
    pub timestamp: Timestamp,
    pub level: &'a str,
    pub message: &'a str,
    pub source: Option<&'a str>,
    /// Stored as JSON text; passed through without re-parsing into a tree.
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

#[derive(Serialize)]
pub struct AlertView<'a> {
    pub id: i64,
    /// When it was first raised (the old service's field).
    pub timestamp: Timestamp,
    pub severity: &'a str,
    pub status: &'a str,
    pub message: &'a str,
    pub source: Option<&'a str>,
    pub rule_id: Option<i64>,
    pub fingerprint: &'a str,
    pub occurrences: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
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
