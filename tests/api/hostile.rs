//! Hostile input, as PRODUCT.md's "bad input gets a clear answer and loses
//! nothing" lists it. Each test checks the answer, that it came quickly, that the
//! stored rows did not change and that the server still answers `/status`.
//! (Also elsewhere: depth limits and full-page alias floods in `graphql.rs`,
//! malformed JSON in `ingest.rs`, compression bombs in `loki.rs`, SQL-looking REST
//! filters in `rest.rs`, formula cells written directly in `report_csv.rs`.)

use std::time::{Duration, Instant};

use log_sentinel::ingest::loki::proto::{EntryAdapter, PushRequest, StreamAdapter};
use prost::Message;
use serde_json::{Value, json};

use crate::{
    common::{Backend, JAN_1, TestApp, sample_logs, spawn_app_with},
    db_test,
};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code, got {body}"))
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

db_test! {
    async fn graphql_bombs_are_refused_quickly_and_change_nothing(app: TestApp) {
        app.insert_logs(sample_logs(5, JAN_1)).await;
        let aliases = |n: usize, field: &str| -> String {
            (0..n).map(|i| format!("a{i}: {field} ")).collect()
        };
        let bombs: Vec<(&str, String, &str)> = vec![
            ("many small pages through aliases",
             format!("{{ {} }}", aliases(200, "logs(first: 1) { totalCount }")), "complex"),
            ("many lookups through aliases",
             format!("{{ {} }}", aliases(150, "log(id: \"1\") { id }")), "complex"),
            ("many ingest mutations through aliases",
             format!("mutation {{ {} }}", aliases(200, "ingestLogs(entries: [{message: \"x\"}]) { accepted }")), "complex"),
            ("a fragment cycle",
             "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }".into(), "recursion"),
            ("nesting the parser cannot finish", "{".repeat(100_000), ""),
            ("a selection nested ten thousand deep", format!("{{ logs {}", "{ nodes ".repeat(10_000)), ""),
            ("nested lists in an argument",
             format!("{{ logs(filter: {{levels: {}{}}}) {{ totalCount }} }}", "[".repeat(10_000), "]".repeat(10_000)), ""),
            ("a page over the maximum", "{ logs(first: 1000000) { totalCount } }".into(), "at most 1000"),
            ("a page size beyond Int", "{ logs(first: 99999999999) { totalCount } }".into(), "int"),
            ("a huge `last`", "{ alerts(last: 2147483647) { totalCount } }".into(), "at most 1000"),
            ("a directive flood", format!("{{ status {} {{ status }} }}", "@skip(if: false) ".repeat(2000)), "directive"),
        ];
        for (name, query, fragment) in &bombs {
            let started = Instant::now();
            let body = app.graphql(query, json!({})).await;
            assert!(started.elapsed() < Duration::from_secs(3), "{name}: took {:?}", started.elapsed());
            assert_eq!(code(&body), "BAD_USER_INPUT", "{name}");
            assert!(body["data"].is_null(), "{name}");
            assert!(message(&body).contains(fragment), "{name}: {}", message(&body));
            // Parse errors quote the query; the answer stays small all the same.
            assert!(body.to_string().len() < 300_000, "{name}: answer of {} bytes", body.to_string().len());
        }

        // Variables nested beyond what the JSON reader accepts: a 400, not a crash.
        let variables = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        let body = format!(r#"{{"query": "query($f: LogFilter) {{ logs(filter: $f) {{ totalCount }} }}", "variables": {{"f": {variables}}}}}"#);
        let response = app.client.post(app.url("/graphql")).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);

        // Batches: at most 16 operations, each within the limits on its own.
        let batch = |n: usize| -> Vec<Value> { (0..n).map(|_| json!({ "query": "{ logs(first: 1000) { nodes { id message } } }" })).collect() };
        let response = app.client.post(app.url("/graphql")).json(&batch(16)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let answers: Vec<Value> = response.json().await.unwrap();
        assert!(answers.iter().all(|a| a["data"]["logs"]["nodes"].as_array().map(Vec::len) == Some(5)));
        let started = Instant::now();
        let response = app.client.post(app.url("/graphql")).json(&batch(10_000)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let detail: Value = response.json().await.unwrap();
        assert!(detail["detail"].as_str().unwrap().contains("at most 16"), "{detail}");
        assert!(started.elapsed() < Duration::from_secs(3));

        // Many cheap fields with no database work are fine.
        let body = app.graphql(&format!("{{ {} }}", aliases(99, "status { status }")), json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        app.assert_unchanged(5, 0).await;
    }
}

/// A server whose limits are small enough to reach in a test.
async fn spawn_limited() -> TestApp {
    spawn_app_with(Backend::Sqlite, |config| {
        config.max_body_bytes = 4096;
        config.request_timeout_secs = 1;
    })
    .await
    .expect("sqlite always runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_headers_are_refused_and_change_nothing() {
    let app = spawn_limited().await;
    let big_query = format!("{{ status {{ status }} }} # {}", "x".repeat(10_000));
    // With a Content-Length, and streamed without one.
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": big_query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let chunks: Vec<Result<String, std::io::Error>> = vec![
        Ok(r#"{"query": ""#.into()),
        Ok(big_query.clone()),
        Ok(r#""}"#.into()),
    ];
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("4096"), "{body}");
    let response = app
        .client
        .post(app.url("/api/prom/push"))
        .header("content-type", "application/json")
        .body("x".repeat(10_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);

    // Headers: hyper's limits answer 431 at once, whether one header is huge or
    // there are very many.
    let huge = format!(
        "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let started = Instant::now();
    let answer = app.raw(huge.as_bytes(), Duration::from_secs(5)).await;
    assert!(
        status_line(&answer).starts_with("HTTP/1.1 431"),
        "{}",
        status_line(&answer)
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let many: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    let answer = app
        .raw(
            format!("GET /status HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n")
                .as_bytes(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        status_line(&answer).starts_with("HTTP/1.1 431"),
        "{}",
        status_line(&answer)
    );
    // Headers of a sane size are fine.
    let fine = format!(
        "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(16_000)
    );
    assert!(
        status_line(&app.raw(fine.as_bytes(), Duration::from_secs(5)).await)
            .starts_with("HTTP/1.1 200")
    );
    app.assert_unchanged(0, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_get_408_or_a_closed_connection_and_store_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_limited().await;

    // A body that stops arriving.
    let stalled = "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"message\":";
    let started = Instant::now();
    let answer = app.raw(stalled.as_bytes(), Duration::from_secs(5)).await;
    assert!(status_line(&answer).starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("within 1 seconds"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A body that trickles in, a byte every 200 ms: never idle for a second, but the
    // deadline is for the whole body, so it is refused all the same.
    for (path, content_type) in [
        ("/logs", "application/x-ndjson"),
        ("/graphql", "application/json"),
        ("/loki/api/v1/push", "application/json"),
    ] {
        let address = app.base.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            for _ in 0..40 {
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(6), reader.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            status_line(&answer).starts_with("HTTP/1.1 408"),
            "{path}: {answer}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path}: {:?}",
            started.elapsed()
        );
        trickle.abort();
    }

    // Headers that never finish: the connection is closed, no request is made.
    let started = Instant::now();
    let answer = app
        .raw(
            b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: appl",
            Duration::from_secs(6),
        )
        .await;
    assert!(!answer.contains("201"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed after {:?}",
        started.elapsed()
    );

    // Prompt clients are unaffected.
    let response = app
        .client
        .post(app.url("/logs"))
        .json(&json!({"message": "prompt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    app.assert_unchanged(1, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_still_gets_the_whole_csv_after_the_request_timeout() {
    let app = spawn_limited().await;
    // About 25 MB: more than socket buffers hold, so the server is still writing
    // long after the one-second request timeout.
    let rows = 25_000;
    let mut logs = sample_logs(rows, JAN_1);
    for log in &mut logs {
        log.message = format!("{} {}", log.message, "x".repeat(1000));
    }
    app.insert_logs(logs).await;

    let mut response = app.get("/report/csv").await;
    assert_eq!(response.status().as_u16(), 200);
    let mut text = response.chunk().await.unwrap().unwrap().to_vec();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    while let Some(chunk) = response.chunk().await.expect("the stream is not cut") {
        text.extend_from_slice(&chunk);
    }
    let count = csv::Reader::from_reader(text.as_slice())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("complete rows")
        .len();
    assert_eq!(count, rows);
    app.assert_unchanged(rows as i64, 0).await;
}

db_test! {
    async fn sql_looking_graphql_filters_are_taken_literally(app: TestApp) {
        let mut logs = sample_logs(3, JAN_1);
        logs[0].message = "it's 100% done_ok'; DROP TABLE log_entries; --".into();
        logs[1].source = Some("x' OR '1'='1".into());
        app.insert_logs(logs).await;
        let query = "query($f: LogFilter) { logs(filter: $f) { totalCount nodes { message source } } }";
        let cases = [
            (json!({ "source": "x' OR '1'='1" }), 1),
            (json!({ "source": "' OR 1=1 --" }), 0),
            (json!({ "search": "'; DROP TABLE log_entries; --" }), 1),
            (json!({ "search": "100% done_ok" }), 1),
            (json!({ "search": "%" }), 1),
            (json!({ "search": "_" }), 1),
            (json!({ "search": "\\" }), 0),
            (json!({ "search": "\u{0}" }), 0),
            (json!({ "source": "api\"); DELETE FROM alerts; --" }), 0),
        ];
        for (filter, expected) in cases {
            let body = app.graphql(query, json!({ "f": filter })).await;
            assert!(body["errors"].is_null(), "{filter}: {body}");
            assert_eq!(body["data"]["logs"]["totalCount"], expected, "{filter}: {body}");
        }
        let alert = app.graphql("{ alerts(filter: { source: \"1' OR '1'='1\" }) { totalCount } }", json!({})).await;
        assert_eq!(alert["data"]["alerts"]["totalCount"], 0, "{alert}");
        app.assert_unchanged(3, 0).await;
    }
}

db_test! {
    async fn invalid_utf8_anywhere_gets_a_clear_4xx_and_changes_nothing(app: TestApp) {
        app.insert_logs(sample_logs(2, JAN_1)).await;
        for path in ["/logs?source=%FF", "/report/csv?q=%C3%28", "/alerts?source=%ED%A0%80"] {
            let (code, body) = app.get_json(path).await;
            assert_eq!(code, 400, "{path}");
            assert!(body["detail"].as_str().unwrap().contains("UTF-8"), "{path}: {body}");
        }
        for path in ["/logs/%FF", "/alerts/%C0%AF"] {
            let (code, body) = app.get_json(path).await;
            assert_eq!(code, 422, "{path}: {body}");
            assert_eq!(body["detail"][0]["loc"], json!(["path", "id"]), "{path}");
        }
        let response = app.client.post(app.url("/graphql")).header("content-type", "application/json")
            .body(b"{\"query\": \"{ logs(filter: {search: \\\"\xff\\\"}) { totalCount } }\"}".to_vec()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let response = app.client.post(app.url("/loki/api/v1/push")).header("content-type", "application/json")
            .body(b"{\"streams\": [{\"stream\": {}, \"values\": [[\"1\", \"\xfe\"]]}]}".to_vec()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert!(response.text().await.unwrap().contains("UTF-8"));
        // Protobuf strings must be UTF-8 too.
        let mut raw = PushRequest {
            streams: vec![StreamAdapter {
                labels: "{job=\"a\"}".into(),
                entries: vec![EntryAdapter { timestamp: None, line: "LINE".into(), structured_metadata: vec![] }],
                hash: 0,
            }],
        }
        .encode_to_vec();
        let at = raw.windows(4).position(|w| w == b"LINE").unwrap();
        raw[at] = 0xff;
        let body = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
        let response = app.client.post(app.url("/loki/api/v1/push")).header("content-type", "application/x-protobuf")
            .body(body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        app.assert_unchanged(2, 0).await;
    }
}

db_test! {
    async fn formula_looking_messages_sent_through_ingest_are_neutralised_in_csv(app: TestApp) {
        let messages = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1", "\r=1", "=HYPERLINK(\"http://evil\",\"x\")", "plain = fine"];
        let ndjson: String = messages.iter().map(|m| format!("{}\n", json!({ "message": m, "level": "error" }))).collect();
        let response = app.client.post(app.url("/logs")).header("content-type", "application/x-ndjson").body(ndjson).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let text = app.get("/report/csv").await.text().await.unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect();
        let cells: Vec<&str> = rows.iter().map(|r| &r[3]).collect();
        let expected: Vec<String> = messages.iter().map(|m| if m.starts_with("plain") { (*m).to_owned() } else { format!("'{m}") }).collect();
        assert_eq!(cells, expected);
        assert!(rows.iter().all(|r| r[0].parse::<i64>().is_ok()), "ids untouched");
        // The stored messages are the originals; only the CSV cell is defused.
        let (_, stored) = app.get_json("/logs").await;
        assert_eq!(stored[0]["message"], "=1+1");
        // All stored, and (ERROR, no source) one alert from the `errors` rule.
        app.assert_unchanged(messages.len() as i64, 1).await;
    }
}

db_test! {
    async fn path_traversal_never_reaches_a_file(app: TestApp) {
        app.insert_logs(sample_logs(1, JAN_1)).await;
        let targets = [
            ("GET", "/logs/..%2F..%2Fetc%2Fpasswd"),
            ("GET", "/alerts/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
            ("GET", "/logs/../../etc/passwd"),
            ("GET", "/../../etc/passwd"),
            ("GET", "/%2e%2e/%2e%2e/etc/passwd"),
            ("GET", "/report/csv/..%2F..%2Fetc%2Fpasswd"),
            ("GET", "/graphql/../../../etc/passwd"),
            ("GET", "/logs/..\\..\\etc\\passwd"),
            ("GET", "/logs/%00"),
            ("POST", "/loki/api/v1/push/../../../../etc/passwd"),
            ("GET", "../../etc/passwd"),
        ];
        for (method, target) in targets {
            let request = format!("{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let answer = app.raw(request.as_bytes(), Duration::from_secs(5)).await;
            let status = status_line(&answer);
            assert!(
                ["400", "404", "422"].iter().any(|code| status.starts_with(&format!("HTTP/1.1 {code}"))),
                "{method} {target}: {status}"
            );
            assert!(!answer.contains("root:"), "{method} {target}: {answer}");
        }
        app.assert_unchanged(1, 0).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_can_be_switched_off() {
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.graphql_introspection = false
    })
    .await
    .expect("sqlite always runs");
    // async-graphql answers as if the schema had nothing to tell.
    let body = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(body, json!({ "data": { "__schema": null } }));
    let body = app
        .graphql(
            "{ __type(name: \"LogEntry\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(body, json!({ "data": { "__type": null } }));
    let body = app
        .graphql("{ __typename logs { totalCount } }", json!({}))
        .await;
    assert_eq!(body["data"]["logs"]["totalCount"], 0, "{body}");

    let on = crate::common::spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let body = on
        .graphql(
            "{ __type(name: \"LogEntry\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert!(
        body.to_string().contains("attributes"),
        "on by default: {body}"
    );
}

db_test! {
    async fn nul_characters_are_stored_and_matched_as_replacement_characters(app: TestApp) {
        // PostgreSQL text cannot hold U+0000, and SQLite's LIKE stops at it; every
        // backend must store these and find them again, never answer 500.
        app.insert_logs(sample_logs(3, JAN_1)).await;
        let response = app.client.post(app.url("/logs")).json(&json!({ "message": "rest\u{0}msg", "source": "s\u{0}" })).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let body = app.graphql("mutation { ingestLogs(entries: [{message: \"gql\\u0000msg\", source: \"s\\u0000\"}]) { accepted } }", json!({})).await;
        assert_eq!(body["data"]["ingestLogs"]["accepted"], 1, "{body}");
        let response = app.client.post(app.url("/loki/api/v1/push"))
            .json(&json!({ "streams": [{ "stream": { "job": "s\u{0}" }, "values": [["1767225600000000000", "loki\u{0}msg"]] }] }))
            .send().await.unwrap();
        assert_eq!(response.status().as_u16(), 204);

        let (code, found) = app.get_json("/logs?q=%00").await;
        assert_eq!(code, 200);
        let mut messages: Vec<&str> = found.as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
        messages.sort_unstable();
        assert_eq!(messages, ["gql\u{FFFD}msg", "loki\u{FFFD}msg", "rest\u{FFFD}msg"]);
        let (_, by_source) = app.get_json("/logs?source=s%00").await;
        assert_eq!(by_source.as_array().unwrap().len(), 3);
        let body = app.graphql("{ logs(filter: {search: \"\\u0000\"}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["logs"]["totalCount"], 3, "{body}");
        let body = app.graphql("{ alerts(filter: {source: \"\\u0000\"}) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["alerts"]["totalCount"], 0, "{body}");
        app.assert_unchanged(6, 0).await;
    }
}
