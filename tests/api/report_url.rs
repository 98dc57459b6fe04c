//! `reportCsvUrl(filter:)`: the link it gives downloads exactly the rows that
//! `logs(filter:)` returns, whatever characters the filter holds.

use serde_json::{Value, json};

use crate::{
    alerts::post_logs,
    common::{Backend, JAN_1, TestApp, spawn_app_with},
    db_test,
};

const QUERY: &str = "query($f: LogFilter) {
    reportCsvUrl(filter: $f)
    logs(filter: $f, first: 1000) { nodes { id } }
}";

/// RFC 3339 text of `JAN_1 + seconds`.
fn at(seconds: i64) -> String {
    log_sentinel::domain::Timestamp(JAN_1 + seconds * 1_000_000).to_string()
}

/// The ids the link downloads, and the ids `logs` returns, for `filter`.
async fn both(app: &TestApp, filter: Value) -> (Vec<i64>, Vec<i64>) {
    let body = app.graphql(QUERY, json!({ "f": filter })).await;
    assert!(body.get("errors").is_none(), "{filter}: {body}");
    let url = body["data"]["reportCsvUrl"].as_str().expect("a URL");
    assert!(
        url.starts_with(&format!("{}/report/csv", app.base)),
        "{url}"
    );
    let listed: Vec<i64> = body["data"]["logs"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let response = app.client.get(url).send().await.expect("GET the link");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let csv = response.bytes().await.expect("CSV body");
    let mut reader = csv::Reader::from_reader(csv.as_ref());
    let downloaded = reader
        .records()
        .map(|r| r.expect("a CSV record")[0].parse().expect("an id"))
        .collect();
    (downloaded, listed)
}

db_test! {
    async fn the_link_downloads_the_rows_the_query_returns(app: TestApp) {
        let sources = ["a b", "a&b=c", "x+y", "naïve 🚀", "100%", "a%20b", "plain"];
        let messages = [
            "disk full & 50% + more",
            "Ünïcode Straße",
            "a+b=c",
            "100% done",
            "literal %41 here",
            "=HYPERLINK(\"x\")",
            "spaces  and, commas",
        ];
        let levels = ["INFO", "WARNING", "ERROR"];
        let mut logs = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            for (j, message) in messages.iter().enumerate() {
                let n = (i * messages.len() + j) as i64;
                logs.push(json!({
                    "source": source,
                    "message": message,
                    "level": levels[(i + j) % levels.len()],
                    "timestamp": at(n),
                }));
            }
        }
        post_logs(&app, Value::Array(logs)).await;

        // (filter, rows it must match: the comparison means little on an empty set)
        let cases = [
            (json!({}), 49),
            (json!({"source": "a&b=c"}), 7),
            (json!({"source": "x+y", "search": "50% + "}), 1),
            (json!({"source": "a%20b"}), 7),
            (json!({"source": "a b"}), 7),
            (json!({"search": "%41"}), 7),
            (json!({"search": "Straße"}), 7),
            (json!({"source": "naïve 🚀", "levels": ["ERROR", "WARNING"]}), 4),
            (json!({"source": "100%", "minLevel": "WARNING", "since": at(28), "until": at(33)}), 4),
            (json!({"search": " & "}), 7),
            (json!({"search": "=hyperlink(", "levels": ["INFO"]}), 2),
        ];
        for (filter, expected) in cases {
            let (downloaded, listed) = both(&app, filter.clone()).await;
            assert_eq!(listed.len(), expected, "{filter}");
            assert_eq!(downloaded, listed, "{filter}");
        }
    }
}

#[tokio::test]
async fn filters_a_link_cannot_express_are_refused() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    for (filter, field) in [
        (json!({"levels": []}), "levels"),
        (json!({"source": ""}), "source"),
    ] {
        let body = app
            .graphql(
                "query($f: LogFilter) { reportCsvUrl(filter: $f) }",
                json!({ "f": filter }),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert!(error["message"].as_str().unwrap().contains(field), "{body}");
    }
}

#[tokio::test]
async fn the_link_uses_the_external_url() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |config| {
        config.external_url = Some("https://logs.example.com/sentinel/".into());
    })
    .await
    else {
        return;
    };
    let body = app
        .graphql(
            "query($f: LogFilter) { all: reportCsvUrl some: reportCsvUrl(filter: $f) }",
            json!({ "f": {"levels": ["ERROR", "CRITICAL"], "source": "a&b c+d/é", "since": "2026-01-01T00:00:00Z"} }),
        )
        .await;
    assert_eq!(
        body["data"]["all"], "https://logs.example.com/sentinel/report/csv",
        "{body}"
    );
    assert_eq!(
        body["data"]["some"],
        "https://logs.example.com/sentinel/report/csv?level=ERROR&level=CRITICAL&source=a%26b%20c%2Bd%2F%C3%A9&since=2026-01-01T00%3A00%3A00.000000Z",
        "{body}"
    );
}
