//! JSON bodies of the REST shim: snake_case, ids as numbers, RFC 3339 timestamps.
//! The same types give `/openapi.json` its schemas, so the document describes what
//! is actually serialised.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::{
    domain::{AlertStatus, Level, Timestamp},
    entities::{alert, log_entry},
    error::AppError,
    json,
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

impl LogView<'_> {
    /// What the derived `Serialize` writes, written by hand (see `crate::json`): a
    /// page of logs is the service's most requested answer.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        json::integer(out, self.id);
        out.extend_from_slice(b",\"timestamp\":");
        json::timestamp(out, self.timestamp);
        out.extend_from_slice(b",\"level\":");
        json::string(out, self.level);
        out.extend_from_slice(b",\"message\":");
        json::string(out, self.message);
        out.extend_from_slice(b",\"source\":");
        json::optional_string(out, self.source);
        out.extend_from_slice(b",\"attributes\":");
        match self.attributes {
            Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}

/// A page of logs as a JSON array.
pub fn log_page(rows: &[log_entry::Model]) -> Response {
    let mut body = Vec::with_capacity(2 + rows.len() * BYTES_PER_ROW);
    body.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        LogView::from(row).write_json(&mut body);
    }
    body.push(b']');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// About one stored log with a few attributes (or one alert), as JSON.
const BYTES_PER_ROW: usize = 256;

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

/// A page of rows as a JSON array. axum's `Json` starts from a 128-byte buffer and
/// grows it by copying, eight times for a 100-row page; this sizes it up front.
pub fn json_page<'a, M, V>(rows: &'a [M]) -> Response
where
    V: Serialize + From<&'a M>,
{
    let mut body = Vec::with_capacity(2 + rows.len() * BYTES_PER_ROW);
    let mut serializer = serde_json::Serializer::new(&mut body);
    match serializer.collect_seq(rows.iter().map(V::from)) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => AppError::Internal(err.into()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_logs_are_what_serde_writes() {
        let model =
            |id, message: &str, source: Option<&str>, attributes: Option<&str>| log_entry::Model {
                id,
                timestamp: 1_767_225_600_123_456 * id.signum(),
                level: "WARNING".into(),
                message: message.into(),
                source: source.map(Into::into),
                attributes: attributes.map(Into::into),
            };
        let rows = [
            model(1, "plain", Some("api"), Some(r#"{"a": [1, 2.5, "x\n"]}"#)),
            model(-7, "quote \" back\\ nl\n \u{1} é 😀", None, None),
            model(i64::MAX, "", Some("\u{7f}"), Some("not json")),
        ];
        let views: Vec<LogView> = rows.iter().map(LogView::from).collect();
        let response = log_page(&rows);
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 1 << 20));
        assert_eq!(body.unwrap(), serde_json::to_vec(&views).unwrap());
    }
}
