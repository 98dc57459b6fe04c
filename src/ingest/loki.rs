//! Loki push bodies, so real shippers can send here unchanged: protobuf + snappy
//! (Promtail, Alloy, Vector, winston-loki), JSON in the v1 shape
//! (`streams[].stream` + `values`) and in the legacy `/api/prom/push` shape
//! (`streams[].labels` selector + `entries[{ts, line}]`). Pure parsing: HTTP
//! (content types, gzip) is the REST layer's business. A request is all-or-nothing:
//! the first bad stream or entry refuses it, named by its 0-based indexes.

mod mapping;
pub mod proto;

use prost::Message;
use serde_json::{Map, Value};

use self::mapping::Stream;
pub use self::mapping::{LEVEL_KEYS, Labels, SOURCE_KEYS};
use super::{entry::kind_of, json::check_utf8, labels::parse_selector};
use crate::{
    domain::{Timestamp, parse_timestamp},
    service::logs::NewLog,
};

/// Why a push was refused; the `Display` text is what the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The body as a whole: not JSON, not snappy, not protobuf.
    #[error("{0}")]
    Malformed(String),
    #[error("error at stream {stream}: {reason}")]
    Stream { stream: usize, reason: String },
    #[error("error at stream {stream} entry {entry}: {reason}")]
    Entry {
        stream: usize,
        entry: usize,
        reason: String,
    },
    /// The body would decompress to more than this many bytes.
    #[error("decompressed body is larger than {0} bytes")]
    TooLarge(usize),
}

/// A JSON push: `{"streams": [...]}`, each stream in the v1 or the legacy shape
/// (told apart by its keys, so either path takes either; no `streams` is no logs).
pub fn parse_json_push(body: &[u8]) -> Result<Vec<NewLog>, PushError> {
    #[derive(serde::Deserialize)]
    struct PushRequest {
        streams: Option<Vec<Value>>,
    }
    let text = check_utf8(body).map_err(PushError::Malformed)?;
    let body: PushRequest = serde_json::from_str(text).map_err(|e| {
        PushError::Malformed(format!(
            "invalid JSON push request at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let mut logs = Vec::new();
    for (s, stream) in body.streams.unwrap_or_default().into_iter().enumerate() {
        json_stream(s, stream, &mut logs)?;
    }
    Ok(logs)
}

/// A protobuf push, snappy block-compressed; `max_len` caps the decompressed size.
pub fn parse_protobuf_push(body: &[u8], max_len: usize) -> Result<Vec<NewLog>, PushError> {
    let snappy = |e: snap::Error| {
        PushError::Malformed(format!(
            "invalid snappy-compressed body (Loki expects the snappy block format): {e}"
        ))
    };
    // The block header declares the decompressed length: refuse a bomb before
    // allocating for it.
    if snap::raw::decompress_len(body).map_err(snappy)? > max_len {
        return Err(PushError::TooLarge(max_len));
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(snappy)?;
    let request = proto::PushRequest::decode(raw.as_slice())
        .map_err(|e| PushError::Malformed(format!("invalid protobuf push request: {e}")))?;
    let mut logs = Vec::with_capacity(request.streams.iter().map(|s| s.entries.len()).sum());
    for (s, stream) in request.streams.into_iter().enumerate() {
        let labels =
            selector(&stream.labels).map_err(|reason| PushError::Stream { stream: s, reason })?;
        let mapped = Stream::new(labels);
        for (i, entry) in stream.entries.into_iter().enumerate() {
            let timestamp =
                proto_timestamp(entry.timestamp).map_err(|reason| PushError::Entry {
                    stream: s,
                    entry: i,
                    reason,
                })?;
            let metadata = entry
                .structured_metadata
                .into_iter()
                .map(|p| (p.name, p.value))
                .collect();
            logs.push(mapped.log(timestamp, entry.line, metadata));
        }
    }
    Ok(logs)
}

fn json_stream(s: usize, stream: Value, logs: &mut Vec<NewLog>) -> Result<(), PushError> {
    let stream_err = |reason: String| PushError::Stream { stream: s, reason };
    let Value::Object(mut obj) = stream else {
        return Err(stream_err(format!(
            "a stream must be a JSON object, got {}",
            kind_of(&stream)
        )));
    };
    let (labels, entries, v1) = if obj.contains_key("stream") || obj.contains_key("values") {
        let labels = match obj.remove("stream") {
            None | Some(Value::Null) => Labels::new(),
            Some(Value::Object(map)) => {
                string_map(map).map_err(|e| stream_err(format!("`stream` {e}")))?
            }
            Some(other) => {
                return Err(stream_err(format!(
                    "`stream` must be an object of label values, got {}",
                    kind_of(&other)
                )));
            }
        };
        (
            labels,
            array(obj.remove("values"), "values").map_err(stream_err)?,
            true,
        )
    } else if obj.contains_key("labels") || obj.contains_key("entries") {
        let labels = match obj.remove("labels") {
            None | Some(Value::Null) => Labels::new(),
            Some(Value::String(text)) => selector(&text).map_err(stream_err)?,
            Some(other) => {
                return Err(stream_err(format!(
                    "`labels` must be a selector string like {{job=\"api\"}}, got {}",
                    kind_of(&other)
                )));
            }
        };
        (
            labels,
            array(obj.remove("entries"), "entries").map_err(stream_err)?,
            false,
        )
    } else {
        return Err(stream_err(
            "expected `stream` and `values` (or the legacy `labels` and `entries`)".into(),
        ));
    };
    let mapped = Stream::new(labels);
    for (i, entry) in entries.into_iter().enumerate() {
        let log = if v1 {
            v1_entry(&mapped, entry)
        } else {
            legacy_entry(&mapped, entry)
        };
        logs.push(log.map_err(|reason| PushError::Entry {
            stream: s,
            entry: i,
            reason,
        })?);
    }
    Ok(())
}

/// `["<ns>", "<line>"]` or `["<ns>", "<line>", {metadata}]`.
fn v1_entry(stream: &Stream, entry: Value) -> Result<NewLog, String> {
    let items = match entry {
        Value::Array(items) if (2..=3).contains(&items.len()) => items,
        Value::Array(items) => {
            return Err(format!(
                "an entry must be [timestamp, line] or [timestamp, line, metadata], got {} elements",
                items.len()
            ));
        }
        other => {
            return Err(format!(
                "an entry must be an array [timestamp, line], got {}",
                kind_of(&other)
            ));
        }
    };
    let mut items = items.into_iter();
    let timestamp = match items.next() {
        Some(Value::String(s)) => ns_timestamp(&s)?,
        Some(Value::Number(n)) => ns_timestamp(&n.to_string())?,
        other => {
            return Err(format!(
                "the timestamp must be a string of nanoseconds, got {}",
                kind_of(&other.unwrap_or_default())
            ));
        }
    };
    let line = match items.next() {
        Some(Value::String(line)) => line,
        other => {
            return Err(format!(
                "the line must be a string, got {}",
                kind_of(&other.unwrap_or_default())
            ));
        }
    };
    let metadata = match items.next() {
        None | Some(Value::Null) => Labels::new(),
        Some(Value::Object(map)) => {
            string_map(map).map_err(|e| format!("structured metadata {e}"))?
        }
        Some(other) => {
            return Err(format!(
                "structured metadata must be an object of strings, got {}",
                kind_of(&other)
            ));
        }
    };
    Ok(stream.log(timestamp, line, metadata))
}

/// `{"ts": "<RFC 3339 or epoch>", "line": "..."}`.
fn legacy_entry(stream: &Stream, entry: Value) -> Result<NewLog, String> {
    let Value::Object(mut obj) = entry else {
        return Err(format!(
            "an entry must be an object {{\"ts\", \"line\"}}, got {}",
            kind_of(&entry)
        ));
    };
    let timestamp = match obj.remove("ts") {
        Some(Value::String(s)) => parse_timestamp(&s)?,
        Some(Value::Number(n)) => parse_timestamp(&n.to_string())?,
        None | Some(Value::Null) => return Err("missing `ts`".into()),
        Some(other) => {
            return Err(format!(
                "`ts` must be an RFC 3339 string, got {}",
                kind_of(&other)
            ));
        }
    };
    let line = match obj.remove("line") {
        Some(Value::String(line)) => line,
        None | Some(Value::Null) => return Err("missing `line`".into()),
        Some(other) => return Err(format!("`line` must be a string, got {}", kind_of(&other))),
    };
    Ok(stream.log(timestamp, line, Labels::new()))
}

fn selector(text: &str) -> Result<Labels, String> {
    parse_selector(text).map_err(|e| format!("invalid labels {text:?}: {e}"))
}

/// Nanoseconds since the epoch, as Loki's v1 JSON sends them.
fn ns_timestamp(text: &str) -> Result<Timestamp, String> {
    let ns: i64 = text
        .parse()
        .map_err(|_| format!("invalid timestamp {text:?}: expected nanoseconds since the Unix epoch as a string of digits"))?;
    // Every i64 of nanoseconds (1677..2262) is a valid timestamp in microseconds.
    Ok(Timestamp(ns.div_euclid(1_000)))
}

fn proto_timestamp(ts: Option<proto::ProtoTimestamp>) -> Result<Timestamp, String> {
    let ts = ts.ok_or("the entry has no timestamp")?;
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(format!(
            "invalid timestamp: nanos {} is outside 0..=999999999",
            ts.nanos
        ));
    }
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|micros| micros.checked_add(i64::from(ts.nanos / 1_000)))
        .filter(|micros| chrono::DateTime::from_timestamp_micros(*micros).is_some())
        .map(Timestamp)
        .ok_or_else(|| format!("invalid timestamp: {} seconds is out of range", ts.seconds))
}

fn string_map(map: Map<String, Value>) -> Result<Labels, String> {
    map.into_iter()
        .map(|(key, value)| match value {
            Value::String(v) => Ok((key, v)),
            other => Err(format!(
                "value of {key:?} must be a string, got {}",
                kind_of(&other)
            )),
        })
        .collect()
}

fn array(value: Option<Value>, name: &str) -> Result<Vec<Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!(
            "`{name}` must be an array, got {}",
            kind_of(&other)
        )),
    }
}

#[cfg(test)]
mod tests;
