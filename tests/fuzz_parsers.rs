//! Property tests standing in for fuzzing (`cargo fuzz` needs a nightly toolchain):
//! every parser that reads bytes from the network gets arbitrary and
//! almost-valid input and must answer `Ok` or `Err`, never panic. Where a parser
//! has an inverse, the round trip is checked too.
//!
//! `cargo test` runs 256 cases per property (proptest's default). Run long with
//! `PROPTEST_CASES=2000000 cargo test --release --test fuzz_parsers`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use log_sentinel::{
    domain::{Level, Timestamp, parse_timestamp},
    ingest::{
        json::{BodyError, NdjsonParser, parse_json},
        labels::parse_selector,
        loki::{
            parse_json_push, parse_protobuf_push,
            proto::{EntryAdapter, LabelPairAdapter, ProtoTimestamp, PushRequest, StreamAdapter},
        },
    },
    service::page::CursorKey,
};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Map, Value};

const NOW: Timestamp = Timestamp(1_767_225_600_000_000);
const MAX_LEN: usize = 1 << 20;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1024)
}

/// Text made of JSON's own characters, so the parser gets past the first byte.
fn json_ish() -> impl Strategy<Value = String> {
    "[\\[\\]{}\":,0-9a-z .eE+\\-\\\\\n\tu]{0,300}"
}

/// Keys the parsers look for, and some they do not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "message",
            "level",
            "timestamp",
            "source",
            "attributes",
            "streams",
            "stream",
            "values",
            "labels",
            "entries",
            "ts",
            "line",
            "detected_level",
            "severity",
            "service_name",
            "job",
            "app",
            "host",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// Strings shaped like the values those keys take: levels, timestamps, epochs.
fn scalar_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        prop::sample::select(vec![
            "info",
            "WARN",
            "err",
            "crit",
            "fatal",
            "7",
            "-1",
            "99999999999999999999",
            "2026-01-01T00:00:00Z",
            "2026-13-45T99:99:99Z",
            "1767225600",
            "1767225600000",
            "1767225600000000000",
            "1e400",
            "NaN",
            "-0",
            "{job=\"a\"}",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        scalar_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Objects shaped like a log entry: usually the right kind in each field (so many
/// are valid and reach the deeper checks), sometimes any JSON at all.
fn log_object() -> impl Strategy<Value = Value> {
    let text_or_any = || {
        prop_oneof![
            3 => scalar_text().prop_map(Value::from),
            1 => json_value(),
        ]
    };
    (
        prop::option::weighted(0.9, text_or_any()),
        prop::option::of(text_or_any()),
        prop::option::of(prop_oneof![
            text_or_any(),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
        ]),
        prop::option::of(text_or_any()),
        prop::option::of(json_value()),
    )
        .prop_map(|(message, level, timestamp, source, attributes)| {
            let mut map = Map::new();
            let fields = [
                ("message", message),
                ("level", level),
                ("timestamp", timestamp),
                ("source", source),
                ("attributes", attributes),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    map.insert(name.into(), value);
                }
            }
            Value::Object(map)
        })
}

/// Loki JSON pushes, v1 and legacy, with any kind of value in each slot.
fn loki_json() -> impl Strategy<Value = Value> {
    let label_map = || {
        prop::collection::btree_map("[a-z_]{1,6}", scalar_text(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect()))
    };
    let v1_value = prop_oneof![
        (scalar_text(), scalar_text()).prop_map(|(ts, line)| Value::from(vec![ts, line])),
        (scalar_text(), scalar_text(), label_map())
            .prop_map(|(ts, line, meta)| Value::Array(vec![ts.into(), line.into(), meta])),
        json_value(),
    ];
    let v1 = (label_map(), prop::collection::vec(v1_value, 0..4))
        .prop_map(|(stream, values)| serde_json::json!({ "stream": stream, "values": values }));
    let legacy_entry = prop_oneof![
        (scalar_text(), scalar_text())
            .prop_map(|(ts, line)| serde_json::json!({"ts": ts, "line": line})),
        json_value(),
    ];
    let legacy = (scalar_text(), prop::collection::vec(legacy_entry, 0..4))
        .prop_map(|(labels, entries)| serde_json::json!({ "labels": labels, "entries": entries }));
    prop::collection::vec(prop_oneof![v1, legacy, json_value()], 0..4)
        .prop_map(|streams| serde_json::json!({ "streams": streams }))
}

fn proto_push() -> impl Strategy<Value = PushRequest> {
    let pair = (".{0,12}", ".{0,12}").prop_map(|(name, value)| LabelPairAdapter { name, value });
    let entry = (
        prop::option::of((any::<i64>(), any::<i32>())),
        ".{0,40}",
        prop::collection::vec(pair, 0..3),
    )
        .prop_map(|(ts, line, structured_metadata)| EntryAdapter {
            timestamp: ts.map(|(seconds, nanos)| ProtoTimestamp { seconds, nanos }),
            line,
            structured_metadata,
        });
    let stream = (
        prop_oneof![selector_ish(), valid_selector().prop_map(|(text, _)| text)],
        prop::collection::vec(entry, 0..4),
        any::<u64>(),
    )
        .prop_map(|(labels, entries, hash)| StreamAdapter {
            labels,
            entries,
            hash,
        });
    prop::collection::vec(stream, 0..4).prop_map(|streams| PushRequest { streams })
}

fn snappy(raw: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(raw)
        .expect("snappy compresses anything")
}

/// Text made of a selector's own characters.
fn selector_ish() -> impl Strategy<Value = String> {
    "[{}=,!~\"`\\\\a-z_0-9 xuU\n]{0,80}"
}

/// A selector and the labels it spells, values escaped as Go writes them.
fn valid_selector() -> impl Strategy<Value = (String, std::collections::BTreeMap<String, String>)> {
    prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,8}", ".{0,16}", 0..5).prop_map(|labels| {
        let body: Vec<String> = labels
            .iter()
            .map(|(name, value)| format!("{name}={}", go_quote(value)))
            .collect();
        (format!("{{{}}}", body.join(", ")), labels)
    })
}

fn go_quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits `body` at the given fractions, as chunks arrive off the network.
fn split_at_fractions(body: &[u8], cuts: &[f64]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|f| ((body.len() as f64) * f) as usize)
        .collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for point in points {
        let point = point.min(body.len());
        chunks.push(body[start..point].to_vec());
        start = point;
    }
    chunks.push(body[start..].to_vec());
    chunks
}

proptest! {
    #[test]
    fn parse_json_never_panics(body in bytes()) {
        let _ = parse_json(&body, NOW);
    }

    #[test]
    fn parse_json_never_panics_on_json_like_text(text in json_ish()) {
        let _ = parse_json(text.as_bytes(), NOW);
    }

    #[test]
    fn parse_json_keeps_every_entry_of_an_array_or_refuses_it(
        entries in prop::collection::vec(log_object(), 0..6)
    ) {
        let body = serde_json::to_vec(&entries).unwrap();
        match parse_json(&body, NOW) {
            Ok(logs) => prop_assert_eq!(logs.len(), entries.len()),
            // The error names an entry that exists.
            Err(BodyError::Entry { position, .. }) => prop_assert!(position < entries.len()),
            Err(BodyError::Malformed(msg)) => prop_assert!(false, "valid JSON called malformed: {msg}"),
        }
    }

    #[test]
    fn ndjson_gives_the_same_answer_however_the_body_is_chunked(
        lines in prop::collection::vec(prop_oneof![
            log_object().prop_map(|v| v.to_string()),
            json_ish(),
        ], 0..6),
        noise in bytes(),
        cuts in prop::collection::vec(0.0f64..1.0, 0..6),
    ) {
        let mut body = lines.join("\n").into_bytes();
        if noise.len() % 3 == 0 {
            body.extend_from_slice(&noise);
        }
        let mut whole = NdjsonParser::new(NOW);
        let whole = whole.push(&body).and_then(|()| whole.finish());
        let mut chunked = NdjsonParser::new(NOW);
        let mut result = Ok(());
        for chunk in split_at_fractions(&body, &cuts) {
            result = result.and_then(|()| chunked.push(&chunk));
        }
        let chunked = result.and_then(|()| chunked.finish());
        prop_assert_eq!(whole, chunked);
    }

    #[test]
    fn loki_json_never_panics(body in bytes()) {
        let _ = parse_json_push(&body);
    }

    #[test]
    fn loki_json_never_panics_on_push_shaped_values(push in loki_json()) {
        let _ = parse_json_push(push.to_string().as_bytes());
    }

    #[test]
    fn loki_protobuf_never_panics_on_arbitrary_bytes(body in bytes()) {
        let _ = parse_protobuf_push(&body, MAX_LEN);
        let _ = parse_protobuf_push(&snappy(&body), MAX_LEN);
    }

    #[test]
    fn loki_protobuf_never_panics_on_valid_or_damaged_messages(
        push in proto_push(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let raw = push.encode_to_vec();
        let entries: usize = push.streams.iter().map(|s| s.entries.len()).sum();
        if let Ok(logs) = parse_protobuf_push(&snappy(&raw), MAX_LEN) {
            prop_assert_eq!(logs.len(), entries);
        }
        let mut damaged = raw.clone();
        if !damaged.is_empty() {
            for (at, byte) in &flips {
                let i = at.index(damaged.len());
                damaged[i] ^= byte;
            }
            damaged.truncate(cut.index(damaged.len() + 1));
        }
        let _ = parse_protobuf_push(&snappy(&damaged), MAX_LEN);
        let mut compressed = snappy(&raw);
        if let Some((at, byte)) = flips.first() {
            let i = at.index(compressed.len());
            compressed[i] ^= byte;
        }
        let _ = parse_protobuf_push(&compressed, MAX_LEN);
        // Never more output than the limit allows.
        let _ = parse_protobuf_push(&snappy(&raw), 16);
    }

    #[test]
    fn selectors_never_panic(text in prop_oneof![".{0,80}", selector_ish()]) {
        let _ = parse_selector(&text);
    }

    #[test]
    fn selectors_never_panic_on_raw_bytes_read_lossily(body in bytes()) {
        let _ = parse_selector(&String::from_utf8_lossy(&body));
    }

    #[test]
    fn go_quoted_selectors_round_trip((text, labels) in valid_selector()) {
        prop_assert_eq!(parse_selector(&text), Ok(labels));
    }

    #[test]
    fn timestamps_never_panic(text in prop_oneof![scalar_text(), "[0-9:TZz+. \\-]{0,40}", ".{0,40}"]) {
        let _ = parse_timestamp(&text);
    }

    #[test]
    fn printed_timestamps_parse_back(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
        let ts = Timestamp(micros);
        prop_assert_eq!(parse_timestamp(&ts.to_string()), Ok(ts));
    }

    #[test]
    fn levels_never_panic(text in prop_oneof![".{0,20}", scalar_text()]) {
        let _ = text.parse::<Level>();
    }

    #[test]
    fn cursors_never_panic(text in prop_oneof![".{0,60}", "[A-Za-z0-9_=-]{0,60}"]) {
        let _ = CursorKey::decode(&text, "log");
        let _ = CursorKey::decode(&text, "alert");
    }

    #[test]
    fn cursor_shaped_garbage_is_refused_or_decoded_exactly(raw in "(log|alert|x)?(:[0-9a-z+-]{0,20}){0,4}") {
        let cursor = URL_SAFE_NO_PAD.encode(&raw);
        for kind in ["log", "alert"] {
            if let Some(key) = CursorKey::decode(&cursor, kind) {
                prop_assert_eq!(CursorKey::decode(&key.encode(), kind), Some(key));
            }
        }
    }

    #[test]
    fn cursors_round_trip(timestamp in any::<i64>(), id in any::<i64>()) {
        let log = CursorKey::Log { timestamp, id };
        prop_assert_eq!(CursorKey::decode(&log.encode(), "log"), Some(log));
        prop_assert_eq!(CursorKey::decode(&log.encode(), "alert"), None);
        let alert = CursorKey::Alert { id };
        prop_assert_eq!(CursorKey::decode(&alert.encode(), "alert"), Some(alert));
    }
}

#[test]
fn every_level_name_parses_back() {
    for level in Level::ALL {
        assert_eq!(level.as_str().parse::<Level>(), Ok(level));
        assert_eq!(level.as_str().to_lowercase().parse::<Level>(), Ok(level));
    }
}

/// The generators must reach the parsers' success paths, or the properties above
/// would only ever exercise the first few bytes of error handling.
#[test]
fn generated_entries_are_often_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = log_object();
    let valid = (0..500)
        .filter(|_| {
            let value = strategy.new_tree(&mut runner).unwrap().current();
            parse_json(value.to_string().as_bytes(), NOW).is_ok()
        })
        .count();
    assert!(
        valid > 50,
        "only {valid} of 500 generated entries were valid"
    );
}
