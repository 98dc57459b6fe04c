//! Retention: old logs go in batches, newer ones stay, and alerts outlive the logs
//! that fed them (their `logId` turns null) and keep being fed. Also the background
//! job of the real binary with `--retention-days`.

use std::{process::Stdio, time::Duration};

use log_sentinel::{domain::Timestamp, service::retention::purge_older_than};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use crate::{
    alerts::{alerts, post_logs},
    common::{Backend, JAN_1, TestApp, TestDb, sample_logs},
    db_test,
};

const DAY: i64 = 86_400 * 1_000_000;

/// Ids and timestamps of every stored log, via the REST shim.
async fn stored(app: &TestApp) -> Vec<(i64, i64)> {
    let (status, logs) = app.get_json("/logs?limit=1000").await;
    assert_eq!(status, 200, "{logs}");
    logs.as_array()
        .expect("an array")
        .iter()
        .map(|log| {
            let id = log["id"].as_i64().expect("id");
            let at = log_sentinel::domain::parse_timestamp(log["timestamp"].as_str().unwrap())
                .expect("timestamp");
            (id, at.0)
        })
        .collect()
}

db_test! {
    async fn old_logs_go_in_batches_and_alerts_outlive_them(app: TestApp) {
        let cutoff = JAN_1 + DAY;
        app.insert_logs(sample_logs(40, JAN_1)).await;
        // The first of these sits exactly on the cutoff: "older than" spares it.
        app.insert_logs(sample_logs(15, cutoff)).await;
        // Through ingest, so the `errors` rule raises an alert pointing at this log.
        let old_error = Timestamp(JAN_1 + DAY / 2).to_string();
        post_logs(&app, json!({"level": "ERROR", "source": "legacy", "message": "disk on fire", "timestamp": old_error})).await;
        let before = stored(&app).await;
        assert_eq!(before.len(), 56);
        let old_error_id = before.iter().find(|(_, at)| *at == JAN_1 + DAY / 2).expect("the old error").0;
        let raised = alerts(&app, json!({})).await;
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0]["logId"], old_error_id.to_string());
        assert_eq!(raised[0]["occurrences"], 1);

        // 41 old rows, 7 a batch: six DELETEs, the last one short.
        let deleted = purge_older_than(&app.state.db, Timestamp(cutoff), 7).await.unwrap();
        assert_eq!(deleted, 41);
        assert_eq!(app.count("log_entries").await, 15);
        let kept: Vec<(i64, i64)> = before.iter().copied().filter(|(_, at)| *at >= cutoff).collect();
        assert_eq!(kept.len(), 15);
        assert_eq!(stored(&app).await, kept);

        // The alert stays, without its log, in GraphQL and in REST.
        let orphaned = alerts(&app, json!({})).await;
        assert_eq!(orphaned.len(), 1);
        assert_eq!(orphaned[0]["id"], raised[0]["id"]);
        assert_eq!(orphaned[0]["logId"], Value::Null);
        assert_eq!(orphaned[0]["occurrences"], 1);
        assert_eq!(orphaned[0]["status"], "OPEN");
        let (status, rest) = app.get_json("/alerts").await;
        assert_eq!(status, 200);
        assert_eq!(rest.as_array().map(Vec::len), Some(1), "{rest}");
        assert_eq!(rest[0]["log_id"], Value::Null, "{rest}");

        // A new error from the same source feeds that alert and becomes its log.
        post_logs(&app, json!({"level": "ERROR", "source": "legacy", "message": "disk on fire again"})).await;
        let newest = stored(&app).await.last().copied().expect("a log").0;
        let fed = alerts(&app, json!({})).await;
        assert_eq!(fed.len(), 1, "{fed:?}");
        assert_eq!(fed[0]["id"], raised[0]["id"]);
        assert_eq!(fed[0]["occurrences"], 2);
        assert_eq!(fed[0]["logId"], newest.to_string());

        // Nothing older is left: a second run deletes nothing.
        assert_eq!(purge_older_than(&app.state.db, Timestamp(cutoff), 7).await.unwrap(), 0);
        assert_eq!(app.count("log_entries").await, 16);
        assert_eq!(app.count("alerts").await, 1);
    }
}

/// The real binary with `--retention-days 1` purges at start and says how many went.
async fn background_job_purges_at_start(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let conn = log_sentinel::db::connect(&db.url).await.unwrap();
    log_sentinel::db::migrate(&conn).await.unwrap();
    let now = Timestamp::now().0;
    let old = sample_logs(1_203, now - 3 * DAY);
    let recent = sample_logs(25, now - DAY / 2);
    for logs in [old, recent] {
        log_sentinel::service::logs::insert_many(&conn, &logs)
            .await
            .unwrap();
    }

    let mut server = Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
        .args(["serve", "--port", "0", "--retention-days", "1"])
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "log_sentinel=info")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let report = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("retention: deleted old logs") {
                return line;
            }
        }
        panic!("the server exited without purging");
    })
    .await
    .expect("a retention report within 60 s");
    assert!(report.contains("deleted=1203"), "{report}");
    assert!(report.contains("retention_days=1"), "{report}");
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n, MIN(timestamp) AS oldest FROM log_entries".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 25);
    assert_eq!(row.try_get::<i64>("", "oldest").unwrap(), now - DAY / 2);
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    conn.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_job_purges_at_start_sqlite() {
    background_job_purges_at_start(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_job_purges_at_start_postgres() {
    background_job_purges_at_start(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_job_purges_at_start_mysql() {
    background_job_purges_at_start(Backend::Mysql).await;
}

#[tokio::test]
async fn retention_days_zero_is_refused() {
    let config = log_sentinel::config::Config {
        retention_days: Some(0),
        ..log_sentinel::config::Config::for_database("sqlite::memory:")
    };
    let Err(err) = log_sentinel::startup::Application::build(config).await else {
        panic!("RETENTION_DAYS=0 was accepted");
    };
    assert!(err.to_string().contains("RETENTION_DAYS"), "{err}");
}
