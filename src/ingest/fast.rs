//! The common case of one NDJSON line, parsed without building a JSON tree: only
//! the five known fields, string levels, and `attributes` kept as the client's own
//! JSON text. Anything else (unknown fields, numeric levels, wrong types, bad
//! values) returns `None` and goes through `entry::parse_entry`, which owns the
//! rules and the error messages; this path only accepts what that one would accept
//! and builds the same log.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{entry::MAX_SOURCE_LEN, without_nul};
use crate::{
    domain::{Level, Timestamp, parse_timestamp},
    service::logs::NewLog,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(borrow, default)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
}

/// The log for `text`, or `None` to take the general path.
pub fn parse_line(text: &str, now: Timestamp) -> Option<NewLog> {
    let line: Line<'_> = serde_json::from_str(text).ok()?;
    let level = match line.level {
        None => Level::Info,
        Some(raw) => raw.parse().ok()?,
    };
    let timestamp = match line.timestamp.map(RawValue::get) {
        None | Some("null") => now,
        Some(raw) if raw.starts_with('"') => {
            parse_timestamp(&serde_json::from_str::<Cow<'_, str>>(raw).ok()?).ok()?
        }
        Some(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            parse_timestamp(raw).ok()?
        }
        Some(_) => return None,
    };
    let source = match line.source {
        Some(s) if s.len() > MAX_SOURCE_LEN => return None,
        other => other.map(|s| without_nul(s.into_owned())),
    };
    let attributes = match line.attributes.map(RawValue::get) {
        None | Some("null") => None,
        // An object with at least one member; `{}` is stored as no attributes.
        Some(raw) if raw.starts_with('{') && raw[1..].trim_start() != "}" => Some(raw.to_owned()),
        Some(raw) if raw.starts_with('{') => None,
        Some(_) => return None,
    };
    Some(NewLog {
        timestamp,
        level,
        message: without_nul(line.message.into_owned()),
        source,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::entry::parse_entry;

    const NOW: Timestamp = Timestamp(1_700_000_000_000_000);

    /// Whatever the fast path accepts, the general path accepts as the same log.
    #[test]
    fn agrees_with_the_general_path() {
        let lines = [
            r#"{"message":"a"}"#,
            r#"{"message":"a\u0000b","level":"warn","timestamp":"2026-01-01T00:00:00Z","source":"s","attributes":{"k":[1,2]}}"#,
            r#"{"message":"m","timestamp":1767225601,"level":"ERROR","attributes":{}}"#,
            r#"{"message":"m","timestamp":1767225601.5,"source":null,"attributes":null,"level":null}"#,
            r#"{"message":"m","timestamp":"1767225601000"}"#,
        ];
        for text in lines {
            let fast = parse_line(text, NOW).expect("fast path takes it");
            let general = parse_entry(serde_json::from_str(text).unwrap(), NOW).unwrap();
            assert_eq!(fast.timestamp, general.timestamp, "{text}");
            assert_eq!(
                (fast.level, &fast.message, &fast.source),
                (general.level, &general.message, &general.source),
                "{text}"
            );
            let parse = |a: &Option<String>| {
                a.as_deref()
                    .map(|a| serde_json::from_str::<serde_json::Value>(a).unwrap())
            };
            assert_eq!(
                parse(&fast.attributes),
                parse(&general.attributes),
                "{text}"
            );
        }
    }

    #[test]
    fn everything_unusual_goes_to_the_general_path() {
        for text in [
            r#"{"message":"m","extra":1}"#,
            r#"{"message":"m","level":3}"#,
            r#"{"message":"m","level":"LOUD"}"#,
            r#"{"message":"m","timestamp":"soon"}"#,
            r#"{"message":"m","timestamp":true}"#,
            r#"{"message":"m","attributes":[1]}"#,
            r#"{"message":5}"#,
            r#"{"level":"INFO"}"#,
            r#"[1]"#,
        ] {
            assert!(parse_line(text, NOW).is_none(), "{text}");
        }
        let long = format!(r#"{{"message":"m","source":"{}"}}"#, "x".repeat(256));
        assert!(parse_line(&long, NOW).is_none());
    }
}
