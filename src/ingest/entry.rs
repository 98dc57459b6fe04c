//! One log entry as clients send it: `message` (required), `level`, `timestamp`,
//! `source`, `attributes`. Fields this list does not name are kept, merged into
//! `attributes`, so a structured logger's extra fields are never lost.

use serde_json::{Map, Value};

use crate::{
    domain::{Level, Timestamp, parse_timestamp},
    service::logs::NewLog,
};

/// Longest accepted `source` (the column's width on every backend).
pub const MAX_SOURCE_LEN: usize = 255;

/// Why one entry was refused: the field (if one is to blame), a FastAPI-style kind
/// and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub field: Option<&'static str>,
    pub kind: &'static str,
    pub msg: String,
}

impl EntryError {
    fn field(field: &'static str, kind: &'static str, msg: impl Into<String>) -> Self {
        EntryError {
            field: Some(field),
            kind,
            msg: msg.into(),
        }
    }
}

/// Validates one parsed JSON value as a log entry; `now` fills a missing timestamp.
pub fn parse_entry(value: Value, now: Timestamp) -> Result<NewLog, EntryError> {
    let Value::Object(mut map) = value else {
        return Err(EntryError {
            field: None,
            kind: "model_type",
            msg: format!("each log must be a JSON object, got {}", kind_of(&value)),
        });
    };
    let message = match map.remove("message") {
        Some(Value::String(s)) => super::without_nul(s),
        None | Some(Value::Null) => {
            return Err(EntryError::field("message", "missing", "Field required"));
        }
        Some(other) => {
            return Err(EntryError::field(
                "message",
                "string_type",
                format!("Input should be a valid string, got {}", kind_of(&other)),
            ));
        }
    };
    let level = match map.remove("level") {
        None | Some(Value::Null) => Level::Info,
        Some(Value::String(s)) => s.parse().map_err(|e: crate::domain::UnknownLevel| {
            EntryError::field("level", "enum", e.to_string())
        })?,
        Some(Value::Number(n)) => n.as_i64().and_then(Level::from_syslog).ok_or_else(|| {
            EntryError::field(
                "level",
                "enum",
                format!("syslog severity must be 0-7, got {n}"),
            )
        })?,
        Some(other) => {
            return Err(EntryError::field(
                "level",
                "enum",
                format!(
                    "level must be a string or a syslog number, got {}",
                    kind_of(&other)
                ),
            ));
        }
    };
    let timestamp = match map.remove("timestamp") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => parse_timestamp(&s)
            .map_err(|e| EntryError::field("timestamp", "datetime_parsing", e))?,
        Some(Value::Number(n)) => parse_timestamp(&n.to_string())
            .map_err(|e| EntryError::field("timestamp", "datetime_parsing", e))?,
        Some(other) => {
            return Err(EntryError::field(
                "timestamp",
                "datetime_type",
                format!(
                    "timestamp must be an RFC 3339 string or an epoch number, got {}",
                    kind_of(&other)
                ),
            ));
        }
    };
    let source = match map.remove("source") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() > MAX_SOURCE_LEN => {
            return Err(EntryError::field(
                "source",
                "string_too_long",
                format!("source must be at most {MAX_SOURCE_LEN} bytes"),
            ));
        }
        Some(Value::String(s)) => Some(super::without_nul(s)),
        Some(other) => {
            return Err(EntryError::field(
                "source",
                "string_type",
                format!("Input should be a valid string, got {}", kind_of(&other)),
            ));
        }
    };
    let mut attributes = match map.remove("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(attrs)) => attrs,
        Some(other) => {
            return Err(EntryError::field(
                "attributes",
                "dict_type",
                format!("attributes must be a JSON object, got {}", kind_of(&other)),
            ));
        }
    };
    // Unknown top-level fields join the attributes; explicit attributes win.
    for (key, value) in map {
        attributes.entry(key).or_insert(value);
    }
    Ok(NewLog {
        timestamp,
        level,
        message,
        source,
        attributes: (!attributes.is_empty()).then(|| Value::Object(attributes).to_string()),
    })
}

/// How a JSON value is named in error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: Timestamp = Timestamp(1_700_000_000_000_000);

    #[test]
    fn a_full_entry_keeps_every_field_and_merges_extras_into_attributes() {
        let log = parse_entry(
            json!({"message": "hi", "level": "warn", "timestamp": 1_700_000_001, "source": "api",
                   "attributes": {"a": 1}, "trace_id": "t-1"}),
            NOW,
        )
        .unwrap();
        assert_eq!(log.level, Level::Warning);
        assert_eq!(log.timestamp, Timestamp(1_700_000_001_000_000));
        assert_eq!(log.source.as_deref(), Some("api"));
        let attrs: Value = serde_json::from_str(log.attributes.as_deref().unwrap()).unwrap();
        assert_eq!(attrs, json!({"a": 1, "trace_id": "t-1"}));
    }

    #[test]
    fn defaults_are_info_and_now() {
        let log = parse_entry(json!({"message": "hi"}), NOW).unwrap();
        assert_eq!(
            (log.level, log.timestamp, log.attributes),
            (Level::Info, NOW, None)
        );
        assert_eq!(
            parse_entry(json!({"message": "x", "level": 3}), NOW)
                .unwrap()
                .level,
            Level::Error
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (json!({"level": "INFO"}), Some("message")),
            (json!({"message": 5}), Some("message")),
            (json!({"message": "m", "level": "LOUD"}), Some("level")),
            (json!({"message": "m", "level": 9}), Some("level")),
            (
                json!({"message": "m", "timestamp": "soon"}),
                Some("timestamp"),
            ),
            (
                json!({"message": "m", "timestamp": true}),
                Some("timestamp"),
            ),
            (json!({"message": "m", "source": 1}), Some("source")),
            (
                json!({"message": "m", "source": "x".repeat(256)}),
                Some("source"),
            ),
            (
                json!({"message": "m", "attributes": [1]}),
                Some("attributes"),
            ),
            (json!("just a string"), None),
        ];
        for (value, field) in cases {
            let err = parse_entry(value.clone(), NOW).unwrap_err();
            assert_eq!(err.field, field, "{value}");
            assert!(!err.msg.is_empty());
        }
    }
}
