//! One Loki entry to one `NewLog`. Stream labels and structured metadata become the
//! attributes (metadata wins on a clash); the level comes from a `level`,
//! `detected_level` or `severity` label, else from the line itself when it is JSON or
//! logfmt, else INFO; the source from `service_name`, `job`, `app` or `host`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{
    domain::{Level, Timestamp},
    ingest::entry::MAX_SOURCE_LEN,
    service::logs::NewLog,
};

/// Label (or metadata) names that carry the level, in order of preference.
pub const LEVEL_KEYS: [&str; 3] = ["level", "detected_level", "severity"];
/// Label names that name the source, in order of preference.
pub const SOURCE_KEYS: [&str; 4] = ["service_name", "job", "app", "host"];

pub type Labels = BTreeMap<String, String>;

/// What a stream's labels alone say, worked out once for all its entries.
#[derive(Debug)]
pub struct Stream {
    labels: Labels,
    level: Option<Level>,
    source: Option<String>,
    attributes: Option<String>,
}

impl Stream {
    pub fn new(labels: Labels) -> Self {
        Stream {
            level: level_of(&labels),
            source: source_of(&labels),
            attributes: attributes_of(&labels),
            labels,
        }
    }

    /// The log for one entry of this stream.
    pub fn log(&self, timestamp: Timestamp, line: String, metadata: Labels) -> NewLog {
        let (level, source, attributes) = if metadata.is_empty() {
            (self.level, self.source.clone(), self.attributes.clone())
        } else {
            let mut merged = self.labels.clone();
            merged.extend(metadata);
            (
                level_of(&merged),
                source_of(&merged),
                attributes_of(&merged),
            )
        };
        NewLog {
            timestamp,
            // An unknown level label (Loki's own `detected_level="unknown"`, say) is
            // not an error: the line may still say, and INFO is the fallback.
            level: level
                .or_else(|| level_in_line(&line))
                .unwrap_or(Level::Info),
            message: crate::ingest::without_nul(line),
            source,
            attributes,
        }
    }
}

fn level_of(labels: &Labels) -> Option<Level> {
    LEVEL_KEYS
        .iter()
        .find_map(|key| labels.get(*key)?.parse().ok())
}

fn source_of(labels: &Labels) -> Option<String> {
    let value = SOURCE_KEYS
        .iter()
        .find_map(|key| labels.get(*key).filter(|v| !v.is_empty()))?;
    let mut end = value.len().min(MAX_SOURCE_LEN);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Some(crate::ingest::without_nul(value[..end].to_owned()))
}

fn attributes_of(labels: &Labels) -> Option<String> {
    (!labels.is_empty()).then(|| {
        let map = labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(map).to_string()
    })
}

/// A level written in the line: `"level"` of a JSON object, or `level=` in logfmt.
/// Only lines that look like either are examined, so plain text costs a scan.
pub fn level_in_line(line: &str) -> Option<Level> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        #[derive(serde::Deserialize)]
        struct Probe {
            level: Option<Value>,
        }
        return match serde_json::from_str::<Probe>(trimmed).ok()?.level? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => numeric_level(n.as_i64()?),
            _ => None,
        };
    }
    logfmt_level(line)
}

/// pino's 10..60 or a syslog severity 0..7.
fn numeric_level(n: i64) -> Option<Level> {
    match n {
        10 => Some(Level::Trace),
        20 => Some(Level::Debug),
        30 => Some(Level::Info),
        40 => Some(Level::Warning),
        50 => Some(Level::Error),
        60 => Some(Level::Critical),
        _ => Level::from_syslog(n),
    }
}

fn logfmt_level(line: &str) -> Option<Level> {
    let mut from = 0;
    while let Some(found) = line[from..].find("level=") {
        let at = from + found;
        from = at + "level=".len();
        // `level=` must start a key: `loglevel=` or `x_level=` are other keys.
        if at > 0 && !line.as_bytes()[at - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &line[from..];
        let value = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or_default(),
            None => rest
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or_default(),
        };
        return value.parse().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const T: Timestamp = Timestamp(1);

    #[test]
    fn labels_give_level_source_and_attributes_and_metadata_wins() {
        let stream = Stream::new(labels(&[
            ("job", "api"),
            ("host", "h1"),
            ("level", "warn"),
            ("env", "prod"),
        ]));
        let log = stream.log(T, "hello".into(), Labels::new());
        assert_eq!(
            (log.level, log.source.as_deref(), log.message.as_str()),
            (Level::Warning, Some("api"), "hello")
        );
        let attrs: Value = serde_json::from_str(log.attributes.as_deref().unwrap()).unwrap();
        assert_eq!(
            attrs,
            serde_json::json!({"job": "api", "host": "h1", "level": "warn", "env": "prod"})
        );

        let log = stream.log(
            T,
            "x".into(),
            labels(&[
                ("env", "dev"),
                ("trace_id", "t1"),
                ("level", "error"),
                ("service_name", "svc"),
            ]),
        );
        assert_eq!(
            (log.level, log.source.as_deref()),
            (Level::Error, Some("svc"))
        );
        let attrs: Value = serde_json::from_str(log.attributes.as_deref().unwrap()).unwrap();
        assert_eq!(attrs["env"], "dev");
        assert_eq!(attrs["trace_id"], "t1");
    }

    #[test]
    fn level_keys_and_source_keys_in_order() {
        let log = Stream::new(labels(&[
            ("severity", "critical"),
            ("detected_level", "debug"),
        ]))
        .log(T, "m".into(), Labels::new());
        assert_eq!(log.level, Level::Debug);
        let log =
            Stream::new(labels(&[("host", "h"), ("app", "a")])).log(T, "m".into(), Labels::new());
        assert_eq!(log.source.as_deref(), Some("a"));
        let log =
            Stream::new(labels(&[("job", ""), ("host", "h")])).log(T, "m".into(), Labels::new());
        assert_eq!(log.source.as_deref(), Some("h"));
        let log = Stream::new(Labels::new()).log(T, "m".into(), Labels::new());
        assert_eq!(
            (log.level, log.source, log.attributes),
            (Level::Info, None, None)
        );
    }

    #[test]
    fn an_unknown_level_label_is_kept_and_falls_back() {
        let stream = Stream::new(labels(&[("level", "loud")]));
        let log = stream.log(T, "plain".into(), Labels::new());
        assert_eq!(log.level, Level::Info);
        assert!(log.attributes.unwrap().contains("loud"));
        assert_eq!(
            stream
                .log(T, "level=error boom".into(), Labels::new())
                .level,
            Level::Error
        );
    }

    #[test]
    fn the_line_may_carry_the_level() {
        let cases = [
            (r#"{"level":"warn","msg":"m"}"#, Some(Level::Warning)),
            (r#"  {"msg":"m","level":50}"#, Some(Level::Error)),
            (r#"{"level":3}"#, Some(Level::Error)),
            (r#"{"level":"nope"}"#, None),
            (r#"{"level": broken"#, None),
            ("ts=1 level=debug msg=hi", Some(Level::Debug)),
            ("level=\"fatal\" msg=x", Some(Level::Critical)),
            ("loglevel=error msg=x", None),
            ("loglevel=error level=warn", Some(Level::Warning)),
            ("just an error happened", None),
            ("level=", None),
        ];
        for (line, expected) in cases {
            assert_eq!(level_in_line(line), expected, "{line}");
        }
    }

    #[test]
    fn a_long_source_is_cut_at_a_character_boundary() {
        let long = "é".repeat(200); // 400 bytes
        let log = Stream::new(labels(&[("app", &long)])).log(T, "m".into(), Labels::new());
        let source = log.source.unwrap();
        assert!(source.len() <= MAX_SOURCE_LEN && source.len() >= MAX_SOURCE_LEN - 1);
        assert!(long.starts_with(&source));
    }
}
