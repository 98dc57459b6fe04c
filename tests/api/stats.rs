//! `logStats`: counts per level per time bucket, grouped by the database.

use log_sentinel::{
    domain::{Level, Timestamp, parse_timestamp},
    service::logs::NewLog,
};
use serde_json::{Value, json};

use crate::{
    common::{JAN_1, TestApp},
    db_test,
};

const STATS: &str = "query($filter: LogFilter, $interval: Interval!) {
    logStats(filter: $filter, interval: $interval) { start total byLevel { level count } } }";

fn log(at: &str, level: Level, source: &str, message: &str) -> NewLog {
    NewLog {
        timestamp: parse_timestamp(at).expect("test timestamp"),
        level,
        message: message.to_owned(),
        source: Some(source.to_owned()),
        attributes: None,
    }
}

/// Logs over three minutes (one of them empty), two hours and two days, one of them
/// before 1970, inserted out of order.
async fn insert_chart_logs(app: &TestApp) {
    use Level::*;
    app.insert_logs(vec![
        log("2026-01-01T02:15:30Z", Error, "api", "timeout"),
        log("2026-01-01T00:00:05Z", Info, "api", "started"),
        log(
            "2026-01-01T00:01:59.999999Z",
            Warning,
            "api",
            "disk almost full",
        ),
        log("1969-12-31T23:59:30Z", Info, "legacy", "before the epoch"),
        log("2026-01-01T00:00:50Z", Error, "db", "disk full"),
        log("2026-01-02T10:00:00Z", Trace, "db", "tick"),
        log("2026-01-01T00:01:10Z", Info, "api", "request"),
        log("2026-01-01T00:03:00Z", Debug, "worker", "job"),
        log("2026-01-01T02:15:00Z", Critical, "api", "down"),
    ])
    .await;
}

async fn stats(app: &TestApp, interval: &str, filter: Value) -> Value {
    let body = app
        .graphql(STATS, json!({ "interval": interval, "filter": filter }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["logStats"].clone()
}

fn bucket(start: &str, total: i64, by_level: &[(&str, i64)]) -> Value {
    let by_level: Vec<Value> = by_level
        .iter()
        .map(|(level, count)| json!({ "level": level, "count": count }))
        .collect();
    json!({ "start": start, "total": total, "byLevel": by_level })
}

db_test! {
    async fn buckets_count_each_level_per_minute_hour_and_day(app: TestApp) {
        insert_chart_logs(&app).await;

        // 00:02 holds no log and is left out.
        assert_eq!(
            stats(&app, "MINUTE", Value::Null).await,
            json!([
                bucket("1969-12-31T23:59:00.000000Z", 1, &[("INFO", 1)]),
                bucket("2026-01-01T00:00:00.000000Z", 2, &[("INFO", 1), ("ERROR", 1)]),
                bucket("2026-01-01T00:01:00.000000Z", 2, &[("INFO", 1), ("WARNING", 1)]),
                bucket("2026-01-01T00:03:00.000000Z", 1, &[("DEBUG", 1)]),
                bucket("2026-01-01T02:15:00.000000Z", 2, &[("ERROR", 1), ("CRITICAL", 1)]),
                bucket("2026-01-02T10:00:00.000000Z", 1, &[("TRACE", 1)]),
            ])
        );
        assert_eq!(
            stats(&app, "HOUR", json!({})).await,
            json!([
                bucket("1969-12-31T23:00:00.000000Z", 1, &[("INFO", 1)]),
                bucket(
                    "2026-01-01T00:00:00.000000Z",
                    5,
                    &[("DEBUG", 1), ("INFO", 2), ("WARNING", 1), ("ERROR", 1)],
                ),
                bucket("2026-01-01T02:00:00.000000Z", 2, &[("ERROR", 1), ("CRITICAL", 1)]),
                bucket("2026-01-02T10:00:00.000000Z", 1, &[("TRACE", 1)]),
            ])
        );
        assert_eq!(
            stats(&app, "DAY", json!({})).await,
            json!([
                bucket("1969-12-31T00:00:00.000000Z", 1, &[("INFO", 1)]),
                bucket(
                    "2026-01-01T00:00:00.000000Z",
                    7,
                    &[("DEBUG", 1), ("INFO", 2), ("WARNING", 1), ("ERROR", 2), ("CRITICAL", 1)],
                ),
                bucket("2026-01-02T00:00:00.000000Z", 1, &[("TRACE", 1)]),
            ])
        );
    }
}

db_test! {
    async fn the_log_filter_narrows_the_counts(app: TestApp) {
        insert_chart_logs(&app).await;

        // `until` is exclusive: the ERROR at 02:15:30 is out.
        let filter = json!({
            "source": "api",
            "minLevel": "WARNING",
            "since": "2026-01-01T00:01:00Z",
            "until": "2026-01-01T02:15:30Z",
        });
        assert_eq!(
            stats(&app, "HOUR", filter).await,
            json!([
                bucket("2026-01-01T00:00:00.000000Z", 1, &[("WARNING", 1)]),
                bucket("2026-01-01T02:00:00.000000Z", 1, &[("CRITICAL", 1)]),
            ])
        );

        let filter = json!({ "search": "DISK", "levels": ["ERROR", "WARNING"] });
        assert_eq!(
            stats(&app, "MINUTE", filter).await,
            json!([
                bucket("2026-01-01T00:00:00.000000Z", 1, &[("ERROR", 1)]),
                bucket("2026-01-01T00:01:00.000000Z", 1, &[("WARNING", 1)]),
            ])
        );

        assert_eq!(stats(&app, "DAY", json!({ "source": "nobody" })).await, json!([]));
    }
}

db_test! {
    async fn more_than_ten_thousand_buckets_is_bad_user_input_naming_interval(app: TestApp) {
        // One log a minute for 10,001 minutes (just under a week).
        const MINUTE: i64 = 60_000_000;
        let logs = (0..10_001)
            .map(|i| NewLog {
                timestamp: Timestamp(JAN_1 + i * MINUTE),
                level: if i % 2 == 0 { Level::Info } else { Level::Error },
                message: format!("tick {i}"),
                source: None,
                attributes: None,
            })
            .collect();
        app.insert_logs(logs).await;

        let body = app
            .graphql(STATS, json!({ "interval": "MINUTE" }))
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(error["extensions"]["fields"], json!(["interval"]), "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("10000 buckets") && message.contains("wider interval"), "{message}");

        // Exactly 10,000 buckets is still an answer.
        let until = Timestamp(JAN_1 + 10_000 * MINUTE).to_string();
        let minutes = stats(&app, "MINUTE", json!({ "until": until })).await;
        let minutes = minutes.as_array().unwrap();
        assert_eq!(minutes.len(), 10_000);
        assert_eq!(minutes[0], bucket("2026-01-01T00:00:00.000000Z", 1, &[("INFO", 1)]));
        assert_eq!(minutes[9_999], bucket("2026-01-07T22:39:00.000000Z", 1, &[("ERROR", 1)]));

        // A wider interval over the same logs: 10,001 minutes span 167 hours.
        let hours = stats(&app, "HOUR", json!({})).await;
        let hours = hours.as_array().unwrap();
        assert_eq!(hours.len(), 167);
        assert_eq!(hours[0], bucket("2026-01-01T00:00:00.000000Z", 60, &[("INFO", 30), ("ERROR", 30)]));
        assert_eq!(hours[166], bucket("2026-01-07T22:00:00.000000Z", 41, &[("INFO", 21), ("ERROR", 20)]));
        let total: i64 = hours.iter().map(|h| h["total"].as_i64().unwrap()).sum();
        assert_eq!(total, 10_001);
    }
}

db_test! {
    async fn a_few_charts_fit_in_one_request_and_an_alias_flood_does_not(app: TestApp) {
        insert_chart_logs(&app).await;
        let charts = |n: usize| -> String {
            let fields: String = (0..n)
                .map(|i| format!("c{i}: logStats(interval: DAY) {{ start total byLevel {{ level count }} }} "))
                .collect();
            format!("{{ {fields} }}")
        };
        let body = app.graphql(&charts(4), json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["c3"][1]["total"], 7);

        let body = app.graphql(&charts(50), json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");
    }
}
