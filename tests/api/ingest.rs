use serde_json::{Value, json};

use crate::{common::TestApp, db_test};

async fn post(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/logs"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST /logs");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

db_test! {
    async fn one_object_an_array_and_ndjson_are_stored_with_every_field(app: TestApp) {
        let (code, body) = post(&app, "application/json", r#"{"message":"one","level":"warn","timestamp":"2026-01-01T00:00:00Z","source":"api","attributes":{"k":"v"},"trace":"t1"}"#).await;
        assert_eq!((code, body), (201, json!({"accepted": 1})));

        let array = json!([
            {"message": "two", "level": "err", "timestamp": 1767225601},
            {"message": "three", "level": 2, "timestamp": 1767225602000i64},
            {"message": "four", "timestamp": 1767225603000000000i64},
        ]);
        let (code, body) = post(&app, "application/json", array.to_string()).await;
        assert_eq!((code, body), (201, json!({"accepted": 3})));

        let ndjson = "{\"message\":\"five\",\"level\":\"DEBUG\",\"timestamp\":\"2026-01-01T00:00:04Z\"}\n\n{\"message\":\"six\",\"level\":\"fatal\",\"timestamp\":\"2026-01-01T00:00:05Z\"}\n";
        let (code, body) = post(&app, "application/x-ndjson", ndjson).await;
        assert_eq!((code, body), (201, json!({"accepted": 2})));

        let (_, rows) = app.get_json("/logs").await;
        let rows = rows.as_array().unwrap();
        let summary: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r["message"].as_str().unwrap().into(), r["level"].as_str().unwrap().into(), r["timestamp"].as_str().unwrap().into()))
            .collect();
        assert_eq!(summary, vec![
            ("one".into(), "WARNING".into(), "2026-01-01T00:00:00.000000Z".into()),
            ("two".into(), "ERROR".into(), "2026-01-01T00:00:01.000000Z".into()),
            ("three".into(), "CRITICAL".into(), "2026-01-01T00:00:02.000000Z".into()),
            ("four".into(), "INFO".into(), "2026-01-01T00:00:03.000000Z".into()),
            ("five".into(), "DEBUG".into(), "2026-01-01T00:00:04.000000Z".into()),
            ("six".into(), "CRITICAL".into(), "2026-01-01T00:00:05.000000Z".into()),
        ]);
        assert_eq!(rows[0]["source"], "api");
        assert_eq!(rows[0]["attributes"], json!({"k": "v", "trace": "t1"}));
    }
}

db_test! {
    async fn a_bad_entry_rejects_the_whole_request_and_names_it(app: TestApp) {
        post(&app, "application/json", r#"{"message":"already here"}"#).await;
        let cases: [(&str, String, Value, &str); 5] = [
            ("application/json", json!([{"message": "ok"}, {"message": "ok"}, {"message": "bad", "level": "LOUD"}]).to_string(), json!(["body", 2, "level"]), "entry 2"),
            ("application/json", json!([{"message": "ok"}, {"level": "INFO"}]).to_string(), json!(["body", 1, "message"]), "entry 1"),
            ("application/json", json!({"message": "m", "timestamp": "next tuesday"}).to_string(), json!(["body", 0, "timestamp"]), "entry 0"),
            ("application/x-ndjson", "{\"message\":\"ok\"}\n{\"message\":\"ok\"}\n{\"message\":\"m\",\"attributes\":[1]}\n".into(), json!(["body", 3, "attributes"]), "line 3"),
            ("application/x-ndjson", "{\"message\":\"ok\"}\n\"just text\"\n".into(), json!(["body", 2]), "line 2"),
        ];
        for (content_type, body, loc, place) in cases {
            let (code, answer) = post(&app, content_type, body.clone()).await;
            assert_eq!(code, 422, "{body}");
            assert_eq!(answer["detail"][0]["loc"], loc, "{body}");
            assert!(answer["detail"][0]["msg"].as_str().unwrap().starts_with(place), "{answer}");
        }
        assert_eq!(app.count("log_entries").await, 1, "nothing of a rejected request is stored");
    }
}

db_test! {
    async fn malformed_json_invalid_utf8_and_oversized_bodies_store_nothing(app: TestApp) {
        post(&app, "application/json", r#"{"message":"already here"}"#).await;
        let (code, body) = post(&app, "application/json", "[{\"message\": \"a\"},\n {\"message\": }]").await;
        assert_eq!(code, 400);
        assert!(body["detail"].as_str().unwrap().contains("line 2"), "{body}");

        let (code, body) = post(&app, "application/x-ndjson", "{\"message\":\"a\"}\n{\"message\": nope}\n").await;
        assert_eq!(code, 400);
        assert!(body["detail"].as_str().unwrap().contains("line 2"), "{body}");

        let (code, body) = post(&app, "application/json", b"{\"message\":\"caf\xe9\"}".to_vec()).await;
        assert_eq!(code, 400);
        assert!(body["detail"].as_str().unwrap().contains("UTF-8"), "{body}");

        let (code, body) = post(&app, "application/x-ndjson", b"{\"message\":\"ok\"}\n{\"message\":\"\xff\"}\n".to_vec()).await;
        assert_eq!(code, 400);
        assert!(body["detail"].as_str().unwrap().contains("line 2"), "{body}");

        let (code, _) = post(&app, "application/json", "[1, 2").await;
        assert_eq!(code, 400);
        let (code, _) = post(&app, "application/json", "42").await;
        assert_eq!(code, 400);
        assert_eq!(app.count("log_entries").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_max_body_bytes_get_413_and_store_nothing() {
    let app =
        crate::common::spawn_app_with(crate::common::Backend::Sqlite, |c| c.max_body_bytes = 4096)
            .await
            .expect("sqlite always runs");
    let line = format!("{{\"message\":\"{}\"}}\n", "x".repeat(100));
    let big = line.repeat(100); // ~10 KB
    let (code, _) = post(&app, "application/x-ndjson", big.clone()).await;
    assert_eq!(code, 413);
    let array = format!("[{}]", big.trim_end().replace('\n', ","));
    let (code, _) = post(&app, "application/json", array).await;
    assert_eq!(code, 413);
    // Streamed without a Content-Length, the limit still holds.
    let chunks: Vec<Result<String, std::io::Error>> = (0..100).map(|_| Ok(line.clone())).collect();
    let streamed = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let (code, _) = post(&app, "application/x-ndjson", streamed).await;
    assert_eq!(code, 413);
    assert_eq!(app.count("log_entries").await, 0);
    assert_eq!(app.get("/status").await.status().as_u16(), 200);
}

db_test! {
    async fn graphql_ingest_logs_stores_a_batch_or_names_the_bad_entry(app: TestApp) {
        let mutation = "mutation($e: [LogInput!]!) { ingestLogs(entries: $e) { accepted } }";
        let body = app.graphql(mutation, json!({"e": [
            {"message": "g1", "level": "warn", "source": "gql", "attributes": {"a": 1}},
            {"message": "g2", "timestamp": "2026-01-01T00:00:00Z"},
        ]})).await;
        assert_eq!(body["data"]["ingestLogs"]["accepted"], 2, "{body}");

        let body = app.graphql(mutation, json!({"e": [{"message": "ok"}, {"message": "bad", "level": "LOUD"}]})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["fields"], json!(["entries.1.level"]));
        assert_eq!(app.count("log_entries").await, 2);

        let (_, rows) = app.get_json("/logs?source=gql").await;
        assert_eq!(rows[0]["level"], "WARNING");
        assert_eq!(rows[0]["attributes"], json!({"a": 1}));

        // GET must not mutate.
        let response = app.client.get(app.url("/graphql")).query(&[("query", "mutation { ingestLogs(entries: [{message: \"x\"}]) { accepted } }")]).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405);
        assert_eq!(app.count("log_entries").await, 2);
    }
}

db_test! {
    async fn many_concurrent_writers_all_succeed(app: TestApp) {
        let tasks: Vec<_> = (0..16)
            .map(|client| {
                let (http, url) = (app.client.clone(), app.url("/logs"));
                tokio::spawn(async move {
                    let mut statuses = Vec::new();
                    for batch in 0..5 {
                        let body: String = (0..200).map(|i| format!("{{\"message\":\"c{client} b{batch} {i}\"}}\n")).collect();
                        let r = http.post(&url).header("content-type", "application/x-ndjson").body(body).send().await.unwrap();
                        statuses.push(r.status().as_u16());
                    }
                    statuses
                })
            })
            .collect();
        // Reads carry on meanwhile.
        for _ in 0..10 {
            assert_eq!(app.get("/logs?limit=50").await.status().as_u16(), 200);
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), vec![201; 5]);
        }
        assert_eq!(app.count("log_entries").await, 16 * 5 * 200);
    }
}
