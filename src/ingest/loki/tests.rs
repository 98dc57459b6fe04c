//! The three push formats end to end: bytes in, `NewLog`s (or a named error) out.

use serde_json::{Value, json};

use super::{
    PushError, parse_json_push, parse_protobuf_push,
    proto::{EntryAdapter, PushRequest, StreamAdapter},
};
use crate::{
    domain::{Level, Timestamp},
    service::logs::NewLog,
};

/// 2026-01-01T00:00:00Z.
const JAN_1_S: i64 = 1_767_225_600;
const LIMIT: usize = 1 << 20;

fn attrs(log: &NewLog) -> Value {
    log.attributes
        .as_deref()
        .map_or(Value::Null, |a| serde_json::from_str(a).unwrap())
}

fn stream(labels: &str, entries: Vec<EntryAdapter>) -> StreamAdapter {
    StreamAdapter {
        labels: labels.into(),
        entries,
        hash: 0,
    }
}

#[test]
fn v1_json_maps_labels_metadata_level_source_and_nanoseconds() {
    let body = json!({"streams": [
        {"stream": {"job": "api", "env": "prod", "level": "warn"},
         "values": [
            ["1767225600123456789", "first"],
            ["1767225601000000000", "second", {"trace_id": "t1", "env": "canary"}],
         ]},
        {"stream": {"host": "h1"}, "values": [[1767225602000000000i64, "{\"level\":\"error\",\"msg\":\"boom\"}"]]},
    ]});
    let logs = parse_json_push(body.to_string().as_bytes()).unwrap();
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[0].timestamp, Timestamp(JAN_1_S * 1_000_000 + 123_456));
    assert_eq!(
        (
            logs[0].level,
            logs[0].source.as_deref(),
            logs[0].message.as_str()
        ),
        (Level::Warning, Some("api"), "first")
    );
    assert_eq!(
        attrs(&logs[0]),
        json!({"job": "api", "env": "prod", "level": "warn"})
    );
    assert_eq!(
        attrs(&logs[1]),
        json!({"job": "api", "env": "canary", "level": "warn", "trace_id": "t1"})
    );
    assert_eq!(
        (logs[2].level, logs[2].source.as_deref()),
        (Level::Error, Some("h1"))
    );
    assert_eq!(logs[2].timestamp, Timestamp((JAN_1_S + 2) * 1_000_000));
}

#[test]
fn legacy_json_takes_a_selector_and_rfc3339_or_epoch() {
    let body = json!({"streams": [{
        "labels": "{severity=\"error\", logger=\"root\", app=\"py\", note=\"say \\\"hi\\\"\"}",
        "entries": [
            {"ts": "2026-01-01T00:00:00.123456+00:00", "line": "legacy one"},
            {"ts": "1767225601", "line": "legacy two"},
        ],
    }]});
    let logs = parse_json_push(body.to_string().as_bytes()).unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].timestamp, Timestamp(JAN_1_S * 1_000_000 + 123_456));
    assert_eq!(logs[1].timestamp, Timestamp((JAN_1_S + 1) * 1_000_000));
    assert_eq!(
        (logs[0].level, logs[0].source.as_deref()),
        (Level::Error, Some("py"))
    );
    assert_eq!(
        attrs(&logs[0]),
        json!({"severity": "error", "logger": "root", "app": "py", "note": "say \"hi\""})
    );
}

#[test]
fn protobuf_with_snappy_maps_like_json() {
    let request = PushRequest {
        streams: vec![
            stream(
                "{service_name=\"billing\", level=\"debug\"}",
                vec![
                    EntryAdapter::new(JAN_1_S, 5_000, "one", &[]),
                    EntryAdapter::new(
                        JAN_1_S + 1,
                        0,
                        "two",
                        &[("level", "critical"), ("user", "u1")],
                    ),
                ],
            ),
            stream(
                "{}",
                vec![EntryAdapter::new(JAN_1_S, 0, "ts=1 level=warn msg=x", &[])],
            ),
        ],
    };
    let logs = parse_protobuf_push(&request.to_snappy(), LIMIT).unwrap();
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[0].timestamp, Timestamp(JAN_1_S * 1_000_000 + 5));
    assert_eq!(
        (logs[0].level, logs[0].source.as_deref()),
        (Level::Debug, Some("billing"))
    );
    assert_eq!(
        (logs[1].level, logs[1].message.as_str()),
        (Level::Critical, "two")
    );
    assert_eq!(
        attrs(&logs[1]),
        json!({"service_name": "billing", "level": "critical", "user": "u1"})
    );
    assert_eq!(
        (
            logs[2].level,
            logs[2].source.clone(),
            logs[2].attributes.clone()
        ),
        (Level::Warning, None, None)
    );
}

#[test]
fn empty_pushes_are_no_logs() {
    assert_eq!(parse_json_push(br#"{"streams":[]}"#).unwrap().len(), 0);
    assert_eq!(parse_json_push(br#"{}"#).unwrap().len(), 0);
    assert_eq!(
        parse_json_push(br#"{"streams":[{"stream":{"a":"b"},"values":[]}]}"#)
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        parse_protobuf_push(&PushRequest::default().to_snappy(), LIMIT)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn bad_json_is_named_by_stream_and_entry() {
    let cases: &[(&str, &str)] = &[
        ("{\"streams\": [", "invalid JSON push request at line 1"),
        ("[1]", "invalid JSON push request"),
        (
            r#"{"streams": [{"stream": {"a": "b"}, "values": [["1", "ok"], ["soon", "x"]]}]}"#,
            "error at stream 0 entry 1: invalid timestamp \"soon\"",
        ),
        (
            r#"{"streams": [{"values": []}, {"stream": {"a": 1}, "values": []}]}"#,
            "error at stream 1: `stream` value of \"a\" must be a string",
        ),
        (
            r#"{"streams": [{"stream": {}, "values": [["1"]]}]}"#,
            "error at stream 0 entry 0: an entry must be",
        ),
        (
            r#"{"streams": [{"stream": {}, "values": [["1", 5]]}]}"#,
            "error at stream 0 entry 0: the line must be a string",
        ),
        (
            r#"{"streams": [{"stream": {}, "values": [["1", "l", {"k": 1}]]}]}"#,
            "structured metadata value of \"k\"",
        ),
        (
            r#"{"streams": [{"stream": {}, "values": {}}]}"#,
            "error at stream 0: `values` must be an array",
        ),
        (
            r#"{"streams": [{"foo": 1}]}"#,
            "error at stream 0: expected `stream` and `values`",
        ),
        (
            r#"{"streams": [7]}"#,
            "error at stream 0: a stream must be a JSON object",
        ),
        (
            r#"{"streams": [{"labels": "{a=b}", "entries": []}]}"#,
            "error at stream 0: invalid labels \"{a=b}\"",
        ),
        (
            r#"{"streams": [{"labels": "{}", "entries": [{"ts": "2026-01-01T00:00:00Z", "line": "ok"}, {"line": "x"}]}]}"#,
            "error at stream 0 entry 1: missing `ts`",
        ),
        (
            r#"{"streams": [{"labels": "{}", "entries": [{"ts": "yesterday", "line": "x"}]}]}"#,
            "error at stream 0 entry 0: invalid timestamp",
        ),
    ];
    for (body, expected) in cases {
        let err = parse_json_push(body.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(expected), "{body}\n  gave: {err}");
    }
    assert!(
        matches!(parse_json_push(b"{\"streams\":\"\xff\"}"), Err(PushError::Malformed(m)) if m.contains("UTF-8"))
    );
}

#[test]
fn bad_protobuf_bodies_are_refused() {
    let err = parse_protobuf_push(b"definitely not snappy", LIMIT)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid snappy"), "{err}");
    assert!(
        parse_protobuf_push(b"", LIMIT)
            .unwrap_err()
            .to_string()
            .starts_with("invalid snappy")
    );

    let garbage = snap::raw::Encoder::new()
        .compress_vec(b"\x0a\xff\xff\xff")
        .unwrap();
    let err = parse_protobuf_push(&garbage, LIMIT)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid protobuf push request"), "{err}");

    let bad_labels = PushRequest {
        streams: vec![stream("{a=\"b\"}", vec![]), stream("job=\"x\"", vec![])],
    };
    let err = parse_protobuf_push(&bad_labels.to_snappy(), LIMIT)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("error at stream 1: invalid labels \"job=\\\"x\\\"\": expected '{'"),
        "{err}"
    );

    let bad_nanos = PushRequest {
        streams: vec![stream(
            "{}",
            vec![
                EntryAdapter::new(1, 0, "ok", &[]),
                EntryAdapter::new(1, -1, "bad", &[]),
            ],
        )],
    };
    let err = parse_protobuf_push(&bad_nanos.to_snappy(), LIMIT)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("error at stream 0 entry 1: invalid timestamp"),
        "{err}"
    );

    let huge_seconds = PushRequest {
        streams: vec![stream(
            "{}",
            vec![EntryAdapter::new(i64::MAX / 2, 0, "far", &[])],
        )],
    };
    let err = parse_protobuf_push(&huge_seconds.to_snappy(), LIMIT)
        .unwrap_err()
        .to_string();
    assert!(err.contains("out of range"), "{err}");

    let mut no_ts = EntryAdapter::new(1, 0, "x", &[]);
    no_ts.timestamp = None;
    let err = parse_protobuf_push(
        &PushRequest {
            streams: vec![stream("{}", vec![no_ts])],
        }
        .to_snappy(),
        LIMIT,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error at stream 0 entry 0: the entry has no timestamp"
    );
}

#[test]
fn a_snappy_body_that_would_decompress_past_the_limit_is_too_large() {
    let request = PushRequest {
        streams: vec![stream(
            "{}",
            vec![EntryAdapter::new(1, 0, &"x".repeat(10_000), &[])],
        )],
    };
    let body = request.to_snappy();
    assert!(body.len() < 1_000, "snappy shrinks repetition");
    assert_eq!(
        parse_protobuf_push(&body, 4_096),
        Err(PushError::TooLarge(4_096))
    );
}
