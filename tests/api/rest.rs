use log_sentinel::{
    domain::{Level, Timestamp},
    service::logs::NewLog,
};
use serde_json::Value;

use crate::{
    common::{JAN_1, sample_logs},
    db_test,
};

fn ids(body: &Value) -> Vec<i64> {
    body.as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

db_test! {
    async fn logs_are_listed_in_time_order_with_every_field(app: TestApp) {
        // Inserted newest first: the listing must still be oldest first.
        let mut logs = sample_logs(5, JAN_1);
        logs.reverse();
        app.insert_logs(logs).await;

        let (code, body) = app.get_json("/logs?limit=3").await;
        assert_eq!(code, 200);
        let rows = body.as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["timestamp"], "2026-01-01T00:00:00.000000Z");
        assert_eq!(rows[0]["message"], "message 0");
        assert_eq!(rows[0]["level"], "INFO");
        assert_eq!(rows[0]["source"], "api");
        assert_eq!(rows[0]["attributes"], serde_json::json!({"i": 0}));
        assert_eq!(rows[2]["message"], "message 2");

        let (_, desc) = app.get_json("/logs?limit=2&order=desc").await;
        let messages: Vec<_> = desc.as_array().unwrap().iter().map(|r| r["message"].clone()).collect();
        assert_eq!(messages, vec!["message 4", "message 3"]);

        let (_, skipped) = app.get_json("/logs?skip=4&limit=10").await;
        assert_eq!(skipped.as_array().unwrap().len(), 1);
        assert_eq!(skipped[0]["message"], "message 4");
    }
}

db_test! {
    async fn log_filters_narrow_the_listing(app: TestApp) {
        app.insert_logs(sample_logs(20, JAN_1)).await;
        let count = |body: &Value| body.as_array().unwrap().len();

        let (_, errors) = app.get_json("/logs?level=ERROR").await;
        assert_eq!(count(&errors), 4);
        assert!(errors.as_array().unwrap().iter().all(|r| r["level"] == "ERROR"));

        let (_, two_levels) = app.get_json("/logs?level=error,critical").await;
        assert_eq!(count(&two_levels), 8);
        let (_, repeated) = app.get_json("/logs?level=ERROR&level=CRITICAL").await;
        assert_eq!(ids(&repeated), ids(&two_levels));

        let (_, min) = app.get_json("/logs?min_level=warn").await;
        assert_eq!(count(&min), 12, "WARNING, ERROR and CRITICAL");

        let (_, source) = app.get_json("/logs?source=db").await;
        assert_eq!(count(&source), 7);

        let (_, search) = app.get_json("/logs?q=MESSAGE%201").await;
        assert_eq!(count(&search), 11, "message 1 and 10-19");

        let (_, window) = app.get_json("/logs?since=2026-01-01T00:00:05Z&until=2026-01-01T00:00:08Z").await;
        let messages: Vec<_> = window.as_array().unwrap().iter().map(|r| r["message"].clone()).collect();
        assert_eq!(messages, vec!["message 5", "message 6", "message 7"]);
    }
}

db_test! {
    async fn sql_looking_filters_are_taken_literally(app: TestApp) {
        let mut logs = sample_logs(3, JAN_1);
        logs.push(NewLog {
            timestamp: Timestamp(JAN_1 + 10_000_000),
            level: Level::Info,
            message: "100% done_ok; DROP TABLE log_entries; --".into(),
            source: Some("x' OR '1'='1".into()),
            attributes: None,
        });
        app.insert_logs(logs).await;
        let (code, body) = app.get_json("/logs?source=x%27%20OR%20%271%27%3D%271").await;
        assert_eq!(code, 200);
        assert_eq!(body.as_array().unwrap().len(), 1);
        let (_, pct) = app.get_json("/logs?q=100%25%20done_ok").await;
        assert_eq!(pct.as_array().unwrap().len(), 1, "% and _ match literally");
        let (_, none) = app.get_json("/logs?q=%25").await;
        assert_eq!(none.as_array().unwrap().len(), 1, "only the row containing a literal %");
        let (_, quote) = app.get_json("/logs?q=%27%3B%20DROP").await;
        assert_eq!(quote.as_array().unwrap().len(), 0);
        assert_eq!(app.count("log_entries").await, 4);
    }
}

db_test! {
    async fn invalid_parameters_get_fastapi_shaped_422s_naming_each_field(app: TestApp) {
        app.insert_logs(sample_logs(3, JAN_1)).await;
        let cases = [
            ("/logs?limit=0", "limit", "greater_than_equal"),
            ("/logs?limit=1001", "limit", "less_than_equal"),
            ("/logs?limit=abc", "limit", "int_parsing"),
            ("/logs?skip=-1", "skip", "greater_than_equal"),
            ("/logs?skip=1e3", "skip", "int_parsing"),
            ("/logs?skip=99999999999999999999999", "skip", "less_than_equal"),
            ("/logs?level=LOUD", "level", "enum"),
            ("/logs?min_level=9", "min_level", "enum"),
            ("/logs?since=yesterday", "since", "datetime_parsing"),
            ("/logs?order=sideways", "order", "enum"),
            ("/alerts?limit=5000", "limit", "less_than_equal"),
            ("/alerts?status=SLEEPING", "status", "enum"),
            ("/alerts?min_severity=x", "min_severity", "enum"),
            ("/report/csv?level=nope", "level", "enum"),
        ];
        for (path, field, kind) in cases {
            let (code, body) = app.get_json(path).await;
            assert_eq!(code, 422, "{path}");
            let detail = &body["detail"][0];
            assert_eq!(detail["loc"], serde_json::json!(["query", field]), "{path}");
            assert_eq!(detail["type"], kind, "{path}");
            assert!(detail["msg"].as_str().is_some_and(|m| !m.is_empty()), "{path}");
        }
        // Several bad parameters are all reported at once.
        let (_, body) = app.get_json("/logs?limit=0&skip=-2").await;
        assert_eq!(body["detail"].as_array().unwrap().len(), 2);
        assert_eq!(app.count("log_entries").await, 3, "nothing changed");
    }
}

db_test! {
    async fn single_log_and_alert_lookups_answer_200_404_or_422(app: TestApp) {
        app.insert_logs(sample_logs(2, JAN_1)).await;
        let (_, list) = app.get_json("/logs").await;
        let id = list[1]["id"].as_i64().unwrap();

        let (code, body) = app.get_json(&format!("/logs/{id}")).await;
        assert_eq!(code, 200);
        assert_eq!(body["message"], "message 1");
        assert_eq!(body["id"], id);

        let (code, body) = app.get_json("/logs/987654321").await;
        assert_eq!(code, 404);
        assert!(body["detail"].as_str().unwrap().contains("987654321"));

        let (code, body) = app.get_json("/logs/abc").await;
        assert_eq!(code, 422);
        assert_eq!(body["detail"][0]["loc"], serde_json::json!(["path", "id"]));

        assert_eq!(app.get_json("/alerts/987654321").await.0, 404);
        assert_eq!(app.get_json("/alerts/x").await.0, 422);
    }
}

db_test! {
    async fn alerts_are_listed_with_their_lifecycle_fields_and_filters(app: TestApp) {
        crate::common::insert_alerts(&app).await;
        let (code, body) = app.get_json("/alerts").await;
        assert_eq!(code, 200);
        let rows = body.as_array().unwrap();
        assert_eq!(rows.len(), 3);
        let first = &rows[0];
        for field in ["id", "timestamp", "severity", "status", "message", "source", "rule_id", "fingerprint",
                      "occurrences", "first_seen", "last_seen", "acknowledged_at", "resolved_at", "log_id"] {
            assert!(first.get(field).is_some(), "alert has {field}");
        }
        assert_eq!(first["timestamp"], first["first_seen"]);
        assert_eq!(first["occurrences"], 3);

        let (_, open) = app.get_json("/alerts?status=OPEN").await;
        assert_eq!(open.as_array().unwrap().len(), 1);
        let (_, unresolved) = app.get_json("/alerts?status=open,acknowledged").await;
        assert_eq!(unresolved.as_array().unwrap().len(), 2);
        let (_, critical) = app.get_json("/alerts?min_severity=CRITICAL").await;
        assert_eq!(critical.as_array().unwrap().len(), 1);
        let (_, db) = app.get_json("/alerts?source=db&order=desc").await;
        assert_eq!(db.as_array().unwrap().len(), 2);
        assert!(db[0]["id"].as_i64() > db[1]["id"].as_i64());
    }
}
