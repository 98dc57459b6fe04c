//! Loki's push API over HTTP with hand-made bodies: JSON (plain and gzip),
//! protobuf + snappy, the legacy shape; every refusal stores nothing.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use log_sentinel::ingest::loki::proto::{EntryAdapter, PushRequest, StreamAdapter};
use serde_json::{Value, json};

use crate::{
    common::{Backend, TestApp, spawn_app_with},
    db_test,
};

/// 2026-01-01T00:00:00Z in seconds.
const JAN_1_S: i64 = 1_767_225_600;

async fn push(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let mut request = app.client.post(app.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn push_json(app: &TestApp, path: &str, body: Value) -> (u16, String) {
    push(
        app,
        path,
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `(message, level, source, timestamp, attributes)` of every stored log, in order.
async fn rows(app: &TestApp) -> Vec<(String, String, Value, String, Value)> {
    let (code, body) = app.get_json("/logs?limit=1000").await;
    assert_eq!(code, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_owned();
            (
                text("message"),
                text("level"),
                r["source"].clone(),
                text("timestamp"),
                r["attributes"].clone(),
            )
        })
        .collect()
}

db_test! {
    async fn json_push_plain_and_gzip_are_stored_with_labels_level_and_source(app: TestApp) {
        let body = json!({"streams": [
            {"stream": {"job": "api", "env": "prod", "level": "warn"},
             "values": [["1767225600123456789", "plain one"],
                        ["1767225601000000000", "plain two", {"trace_id": "t-1", "env": "canary"}]]},
            {"stream": {"host": "web-1"}, "values": [["1767225602000000000", "{\"level\":\"error\",\"msg\":\"boom\"}"]]},
        ]});
        let (code, text) = push_json(&app, "/loki/api/v1/push", body).await;
        assert_eq!((code, text.as_str()), (204, ""));

        let zipped = json!({"streams": [{"stream": {"service_name": "billing", "detected_level": "debug"},
                                         "values": [["1767225603000000000", "zipped"]]}]});
        let headers = [("content-type", "application/json"), ("content-encoding", "gzip")];
        let (code, text) = push(&app, "/loki/api/v1/push", &headers, gzip(zipped.to_string().as_bytes())).await;
        assert_eq!((code, text.as_str()), (204, ""));

        assert_eq!(rows(&app).await, vec![
            ("plain one".into(), "WARNING".into(), json!("api"), "2026-01-01T00:00:00.123456Z".into(),
             json!({"job": "api", "env": "prod", "level": "warn"})),
            ("plain two".into(), "WARNING".into(), json!("api"), "2026-01-01T00:00:01.000000Z".into(),
             json!({"job": "api", "env": "canary", "level": "warn", "trace_id": "t-1"})),
            ("{\"level\":\"error\",\"msg\":\"boom\"}".into(), "ERROR".into(), json!("web-1"), "2026-01-01T00:00:02.000000Z".into(),
             json!({"host": "web-1"})),
            ("zipped".into(), "DEBUG".into(), json!("billing"), "2026-01-01T00:00:03.000000Z".into(),
             json!({"service_name": "billing", "detected_level": "debug"})),
        ]);
    }
}

db_test! {
    async fn protobuf_snappy_push_is_stored_on_both_paths(app: TestApp) {
        let request = PushRequest { streams: vec![
            StreamAdapter {
                labels: r#"{app="shop", level="error", note="say \"hi\"\n"}"#.into(),
                entries: vec![EntryAdapter::new(JAN_1_S, 250_000_000, "proto one", &[]), EntryAdapter::new(JAN_1_S + 1, 0, "proto two", &[("level", "info"), ("user", "u-7")])],
                hash: 42,
            },
            StreamAdapter { labels: "{}".into(), entries: vec![EntryAdapter::new(JAN_1_S + 2, 0, "ts=1 level=warn msg=logfmt", &[])], hash: 0 },
        ]};
        let headers = [("content-type", "application/x-protobuf")];
        let (code, text) = push(&app, "/loki/api/v1/push", &headers, request.to_snappy()).await;
        assert_eq!((code, text.as_str()), (204, ""));

        // Older Promtail sent protobuf to the legacy path.
        let legacy = PushRequest { streams: vec![StreamAdapter { labels: r#"{job="old-promtail"}"#.into(), entries: vec![EntryAdapter::new(JAN_1_S + 3, 0, "via prom push", &[])], hash: 0 }] };
        let (code, _) = push(&app, "/api/prom/push", &headers, legacy.to_snappy()).await;
        assert_eq!(code, 204);

        assert_eq!(rows(&app).await, vec![
            ("proto one".into(), "ERROR".into(), json!("shop"), "2026-01-01T00:00:00.250000Z".into(),
             json!({"app": "shop", "level": "error", "note": "say \"hi\"\n"})),
            ("proto two".into(), "INFO".into(), json!("shop"), "2026-01-01T00:00:01.000000Z".into(),
             json!({"app": "shop", "level": "info", "note": "say \"hi\"\n", "user": "u-7"})),
            ("ts=1 level=warn msg=logfmt".into(), "WARNING".into(), Value::Null, "2026-01-01T00:00:02.000000Z".into(), Value::Null),
            ("via prom push".into(), "INFO".into(), json!("old-promtail"), "2026-01-01T00:00:03.000000Z".into(),
             json!({"job": "old-promtail"})),
        ]);
    }
}

db_test! {
    async fn legacy_json_push_is_stored(app: TestApp) {
        let body = json!({"streams": [{
            "labels": "{severity=\"critical\", logger=\"root\", job=\"py\"}",
            "entries": [
                {"ts": "2026-01-01T00:00:00.5+00:00", "line": "legacy one"},
                {"ts": "1767225601", "line": "legacy two"},
            ],
        }]});
        let (code, text) = push_json(&app, "/api/prom/push", body).await;
        assert_eq!((code, text.as_str()), (204, ""));
        let attrs = json!({"severity": "critical", "logger": "root", "job": "py"});
        assert_eq!(rows(&app).await, vec![
            ("legacy one".into(), "CRITICAL".into(), json!("py"), "2026-01-01T00:00:00.500000Z".into(), attrs.clone()),
            ("legacy two".into(), "CRITICAL".into(), json!("py"), "2026-01-01T00:00:01.000000Z".into(), attrs),
        ]);
    }
}

db_test! {
    async fn every_refusal_is_plain_text_and_stores_nothing(app: TestApp) {
        let ok = json!({"streams": [{"stream": {"job": "x"}, "values": [["1767225600000000000", "already here"]]}]});
        assert_eq!(push_json(&app, "/loki/api/v1/push", ok).await.0, 204);
        let before = app.count("log_entries").await;

        let protobuf = [("content-type", "application/x-protobuf")];
        let json_ct = [("content-type", "application/json")];
        let bad_timestamp = json!({"streams": [{"stream": {"job": "x"}, "values": [
            ["1767225600000000000", "fine"], ["1767225600000000000", "fine"], ["yesterday", "bad"]]}]});
        let bad_labels = PushRequest { streams: vec![StreamAdapter { labels: "{job=unquoted}".into(), entries: vec![EntryAdapter::new(JAN_1_S, 0, "x", &[])], hash: 0 }] };
        let cases: Vec<Refusal> = vec![
            ("/loki/api/v1/push", &json_ct, b"{\"streams\": [".to_vec(), 400, "invalid JSON push request at line 1"),
            ("/loki/api/v1/push", &json_ct, bad_timestamp.to_string().into_bytes(), 400, "error at stream 0 entry 2: invalid timestamp \"yesterday\""),
            ("/loki/api/v1/push", &protobuf, b"not snappy at all".to_vec(), 400, "invalid snappy"),
            ("/loki/api/v1/push", &protobuf, snap::raw::Encoder::new().compress_vec(b"\x0a\xff\xff").unwrap(), 400, "invalid protobuf push request"),
            ("/loki/api/v1/push", &protobuf, bad_labels.to_snappy(), 400, "error at stream 0: invalid labels \"{job=unquoted}\""),
            ("/api/prom/push", &json_ct, json!({"streams": [{"labels": "{a=\"b\"}", "entries": [{"line": "no ts"}]}]}).to_string().into_bytes(), 400, "error at stream 0 entry 0: missing `ts`"),
            ("/loki/api/v1/push", &[("content-type", "application/json"), ("content-encoding", "gzip")], b"not gzip".to_vec(), 400, "invalid gzip body"),
            ("/loki/api/v1/push", &[("content-type", "application/json"), ("content-encoding", "br")], b"{}".to_vec(), 415, "unsupported Content-Encoding \"br\""),
        ];
        for (path, headers, body, status, expected) in cases {
            let response = app.client.post(app.url(path)).headers(header_map(headers)).body(body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{expected}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
            let text = response.text().await.unwrap();
            assert!(text.contains(expected), "expected {expected:?} in {text:?}");
        }
        assert_eq!(app.count("log_entries").await, before, "nothing of a refused push is stored");
    }
}

/// `(path, headers, body, expected status, expected text in the answer)`.
type Refusal<'a> = (&'a str, &'a [(&'a str, &'a str)], Vec<u8>, u16, &'a str);

fn header_map(headers: &[(&str, &str)]) -> reqwest::header::HeaderMap {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.parse::<reqwest::header::HeaderName>().unwrap(),
                v.parse().unwrap(),
            )
        })
        .collect()
}

db_test! {
    async fn an_empty_push_is_204_and_ready_answers(app: TestApp) {
        assert_eq!(push_json(&app, "/loki/api/v1/push", json!({"streams": []})).await.0, 204);
        let headers = [("content-type", "application/x-protobuf")];
        assert_eq!(push(&app, "/loki/api/v1/push", &headers, PushRequest::default().to_snappy()).await.0, 204);
        assert_eq!(app.count("log_entries").await, 0);

        let response = app.get("/ready").await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.text().await.unwrap().trim(), "ready");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_bombs_get_413_and_store_nothing() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.max_body_bytes = 64 * 1024)
        .await
        .expect("sqlite always runs");
    // ~1 MiB of JSON that gzip squeezes to about 1 KiB: under the body limit on
    // the wire, sixteen times over it once inflated.
    let line = "x".repeat(1 << 20);
    let body = json!({"streams": [{"stream": {"job": "bomb"}, "values": [["1767225600000000000", line]]}]}).to_string();
    let zipped = gzip(body.as_bytes());
    assert!(zipped.len() < 64 * 1024);
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let (code, text) = push(&app, "/loki/api/v1/push", &headers, zipped).await;
    assert_eq!(code, 413, "{text}");
    assert!(
        text.contains("decompressed body is larger than 65536 bytes"),
        "{text}"
    );

    let request = PushRequest {
        streams: vec![StreamAdapter {
            labels: "{}".into(),
            entries: vec![EntryAdapter::new(JAN_1_S, 0, &line, &[])],
            hash: 0,
        }],
    };
    let snappy = request.to_snappy();
    assert!(snappy.len() < 64 * 1024);
    let (code, _) = push(
        &app,
        "/loki/api/v1/push",
        &[("content-type", "application/x-protobuf")],
        snappy,
    )
    .await;
    assert_eq!(code, 413);

    // And the plain limit still holds for what arrives on the wire.
    let (code, _) = push(
        &app,
        "/loki/api/v1/push",
        &[("content-type", "application/json")],
        body,
    )
    .await;
    assert_eq!(code, 413);
    assert_eq!(app.count("log_entries").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deflate_bodies_zlib_wrapped_or_raw_are_accepted() {
    use flate2::write::{DeflateEncoder, ZlibEncoder};
    let app = spawn_app_with(Backend::Sqlite, |_| {})
        .await
        .expect("sqlite always runs");
    let body = |line: &str| {
        json!({"streams": [{"stream": {"job": "deflate"}, "values": [["1767225600000000000", line]]}]})
            .to_string()
    };
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(body("zlib").as_bytes()).unwrap();
    let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
    raw.write_all(body("raw").as_bytes()).unwrap();
    for compressed in [zlib.finish().unwrap(), raw.finish().unwrap()] {
        let headers = [
            ("content-type", "application/json"),
            ("content-encoding", "deflate"),
        ];
        let (code, text) = push(&app, "/loki/api/v1/push", &headers, compressed).await;
        assert_eq!(code, 204, "{text}");
    }
    let messages: Vec<String> = rows(&app).await.into_iter().map(|r| r.0).collect();
    assert_eq!(messages, ["zlib", "raw"]);
}
