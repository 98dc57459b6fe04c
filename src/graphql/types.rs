//! GraphQL object and input types, converted from and into the query layer's types.

use async_graphql::{
    ID, InputObject, InputType, InputValueError, InputValueResult, Json, Scalar, ScalarType,
    SimpleObject, Value,
};

use super::rows::{Row, row_output_type};

use crate::{
    domain::{AlertStatus, Level, Timestamp},
    entities::{alert, log_entry},
    ingest::without_nul,
    json,
    service::{alerts::AlertFilter, logs::LogFilter},
};

fn level(stored: &str) -> Level {
    stored.parse().unwrap_or(Level::Info)
}

/// A stored level, read without `FromStr`'s aliases when it is already canonical
/// (as every stored level is).
fn stored_level(stored: &str) -> Level {
    Level::ALL
        .into_iter()
        .find(|l| l.as_str() == stored)
        .unwrap_or_else(|| level(stored))
}

/// A stored level as its GraphQL enum value, built once per level rather than per row.
fn level_value(stored: &str) -> Value {
    static VALUES: std::sync::LazyLock<Vec<Value>> =
        std::sync::LazyLock::new(|| Level::ALL.iter().map(|l| l.to_value()).collect());
    let level = stored_level(stored);
    match Level::ALL.iter().position(|l| *l == level) {
        Some(i) => VALUES[i].clone(),
        None => level.to_value(),
    }
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

// The schema's descriptions of `LogEntry` and `Alert`. Never built: the types that
// are resolved are the row wrappers below (see `rows`), which read each field
// straight from the stored model. A field added here needs its place in `Row::FIELDS`
// and `Row::value`; `every_schema_field_is_resolved` checks the lists agree.

/// One log line.
#[derive(SimpleObject)]
#[graphql(name = "LogEntry")]
#[allow(dead_code)]
struct LogEntryFields {
    id: ID,
    timestamp: Timestamp,
    level: Level,
    message: String,
    /// Service or host that sent it.
    source: Option<String>,
    /// Labels and structured fields, as a JSON object.
    attributes: Option<Json<serde_json::Value>>,
}

/// A deduplicated alert: one per rule and source while it is unresolved.
#[derive(SimpleObject)]
#[graphql(name = "Alert")]
#[allow(dead_code)]
struct AlertFields {
    id: ID,
    severity: Level,
    status: AlertStatus,
    message: String,
    source: Option<String>,
    rule_id: Option<ID>,
    fingerprint: String,
    /// Matching logs folded into this alert.
    occurrences: i64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    acknowledged_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
    /// The latest log that fed it (null once retention removed that log).
    log_id: Option<ID>,
}

/// A stored log as GraphQL serves it.
#[derive(Clone)]
pub struct LogEntry(pub log_entry::Model);

/// A stored alert as GraphQL serves it.
#[derive(Clone)]
pub struct Alert(pub alert::Model);

row_output_type!(LogEntry, LogEntryFields);
row_output_type!(Alert, AlertFields);

impl From<log_entry::Model> for LogEntry {
    fn from(m: log_entry::Model) -> Self {
        LogEntry(m)
    }
}

impl From<alert::Model> for Alert {
    fn from(m: alert::Model) -> Self {
        Alert(m)
    }
}

fn id(id: i64) -> Value {
    Value::String(id.to_string())
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn time(micros: i64) -> Value {
    ScalarType::to_value(&Timestamp(micros))
}

fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

impl Row for LogEntry {
    const TYPE_NAME: &'static str = "LogEntry";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "timestamp",
        "level",
        "message",
        "source",
        "attributes",
    ];

    fn value(&self, field: usize) -> Value {
        let m = &self.0;
        match field {
            0 => id(m.id),
            1 => time(m.timestamp),
            2 => level_value(&m.level),
            3 => text(&m.message),
            4 => or_null(m.source.as_deref(), text),
            // Stored as JSON text; read straight into the response's value.
            5 => or_null(m.attributes.as_deref(), |a| {
                serde_json::from_str(a).unwrap_or(Value::Null)
            }),
            _ => Value::Null,
        }
    }

    // The same values as `value`, written without building them: a page of logs is
    // the bulk of most answers.
    fn write_json(&self, field: usize, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let m = &self.0;
        match field {
            0 => {
                out.push(b'"');
                json::integer(out, m.id);
                out.push(b'"');
            }
            1 => json::timestamp(out, Timestamp(m.timestamp)),
            // GraphQL's enum names are the canonical spellings.
            2 => json::string(out, stored_level(&m.level).as_str()),
            3 => json::string(out, &m.message),
            4 => json::optional_string(out, m.source.as_deref()),
            5 => json::stored(out, m.attributes.as_deref()),
            _ => return serde_json::to_writer(out, &self.value(field)),
        }
        Ok(())
    }
}

impl Row for Alert {
    const TYPE_NAME: &'static str = "Alert";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "severity",
        "status",
        "message",
        "source",
        "ruleId",
        "fingerprint",
        "occurrences",
        "firstSeen",
        "lastSeen",
        "acknowledgedAt",
        "resolvedAt",
        "logId",
    ];

    fn value(&self, field: usize) -> Value {
        let m = &self.0;
        match field {
            0 => id(m.id),
            1 => level_value(&m.severity),
            2 => m.status.parse().unwrap_or(AlertStatus::Open).to_value(),
            3 => text(&m.message),
            4 => or_null(m.source.as_deref(), text),
            5 => or_null(m.rule_id, id),
            6 => text(&m.fingerprint),
            7 => Value::from(m.occurrences),
            8 => time(m.first_seen),
            9 => time(m.last_seen),
            10 => or_null(m.acknowledged_at, time),
            11 => or_null(m.resolved_at, time),
            12 => or_null(m.log_id, id),
            _ => Value::Null,
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn schema_fields(type_name: &str) -> Vec<String> {
        let schema = crate::graphql::build_schema(None, crate::graphql::Flavour::Http);
        let query = format!("{{ __type(name: \"{type_name}\") {{ fields {{ name }} }} }}");
        let response = schema.execute(query).await.into_result().unwrap();
        let json = response.data.into_json().unwrap();
        json["__type"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn every_schema_field_is_resolved() {
        let log = LogEntry(log_entry::Model {
            id: 7,
            timestamp: 1_700_000_000_123_456,
            level: "ERROR".into(),
            message: "m".into(),
            source: None,
            attributes: Some(r#"{"b":1,"a":[true,null]}"#.into()),
        });
        let fields = schema_fields("LogEntry").await;
        assert_eq!(fields.len(), 6, "{fields:?}");
        assert_eq!(
            fields,
            LogEntry::FIELDS,
            "schema fields and row fields differ"
        );
        let field = |name: &str| {
            let i = LogEntry::FIELDS.iter().position(|f| *f == name).unwrap();
            Some(log.value(i))
        };
        assert_eq!(field("id"), Some(Value::String("7".into())));
        assert_eq!(
            field("timestamp"),
            Some(Value::String("2023-11-14T22:13:20.123456Z".into()))
        );
        assert_eq!(
            field("attributes").unwrap().into_json().unwrap(),
            serde_json::json!({"b": 1, "a": [true, null]})
        );
        assert_eq!(field("source"), Some(Value::Null));

        let alert = Alert(alert::Model {
            id: 1,
            severity: "CRITICAL".into(),
            status: "ACKNOWLEDGED".into(),
            message: "m".into(),
            source: Some("api".into()),
            rule_id: Some(3),
            fingerprint: "f".into(),
            active_fingerprint: Some("f".into()),
            occurrences: 4,
            first_seen: 0,
            last_seen: 1,
            acknowledged_at: Some(2),
            resolved_at: None,
            log_id: None,
        });
        let fields = schema_fields("Alert").await;
        assert_eq!(fields.len(), 13, "{fields:?}");
        assert_eq!(fields, Alert::FIELDS, "schema fields and row fields differ");
        let afield = |name: &str| {
            let i = Alert::FIELDS.iter().position(|f| *f == name).unwrap();
            Some(alert.value(i))
        };
        assert_eq!(afield("status").unwrap().to_string(), "ACKNOWLEDGED");
        assert_eq!(afield("ruleId"), Some(Value::String("3".into())));
        assert_eq!(afield("occurrences"), Some(Value::from(4)));
    }
}
