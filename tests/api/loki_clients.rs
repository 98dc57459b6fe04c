//! Real Loki shippers from npm and PyPI (installed by `tests/loki-clients/setup.sh`)
//! push to a running server; what they sent must show up in `/logs` with labels in
//! the attributes and level and source mapped. Hand-made bodies cannot prove
//! compatibility with what these clients actually put on the wire.

use std::{
    io::{Read, Seek},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, spawn_app};

const SETUP: &str = "bash tests/loki-clients/setup.sh";

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/loki-clients")
}

/// Whether `needed` (relative to the clients dir) is installed; if not, says how to
/// install it, and the test returns (tests never install anything themselves).
fn installed(needed: &str) -> bool {
    let present = clients_dir().join(needed).exists();
    if !present {
        eprintln!("skipped: {needed} is not installed under tests/loki-clients; run `{SETUP}`");
    }
    present
}

/// Runs a client script against `app`, bounded in time; panics with its output if
/// it fails. Returns what it printed.
async fn run_client(app: &TestApp, program: PathBuf, script: &str) -> String {
    let (dir, base, script) = (clients_dir(), app.base.clone(), script.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut output = tempfile::tempfile().unwrap();
        let mut child = Command::new(&program)
            .arg(&script)
            .arg(&base)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output.try_clone().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program:?}: {e}"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().ok();
                child.wait().ok();
                panic!("{script} did not finish within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut printed = String::new();
        output.rewind().unwrap();
        output.read_to_string(&mut printed).unwrap();
        assert!(status.success(), "{script} failed ({status}):\n{printed}");
        printed
    })
    .await
    .unwrap()
}

/// Every stored log whose source is `source`, in order.
async fn logs_from(app: &TestApp, source: &str) -> Vec<Value> {
    let (code, body) = app
        .get_json(&format!("/logs?limit=1000&source={source}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// `(message, level)` pairs, sorted, for order-independent comparison (a client may
/// send its pushes concurrently).
fn summary(logs: &[Value]) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = logs
        .iter()
        .map(|l| {
            (
                l["message"].as_str().unwrap().to_owned(),
                l["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winston_loki_ships_protobuf_and_json() {
    if !installed("node_modules/winston-loki") {
        return;
    }
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let printed = run_client(&app, "node".into(), "winston.js").await;
    // Proves the protobuf + snappy path was really exercised, not JSON fallback.
    assert!(
        printed.contains("winston-proto sends application/x-protobuf"),
        "{printed}"
    );
    assert!(
        printed.contains("winston-json sends application/json"),
        "{printed}"
    );

    for app_label in ["winston-proto", "winston-json"] {
        let logs = logs_from(&app, app_label).await;
        // winston-loki appends the remaining metadata (here `level`, `user`) as JSON.
        let expected = [
            (
                format!("{app_label} error {{\"user\":\"u1\",\"level\":\"error\"}}"),
                "ERROR",
            ),
            (format!("{app_label} info {{\"level\":\"info\"}}"), "INFO"),
            (
                format!("{app_label} warn {{\"level\":\"warn\"}}"),
                "WARNING",
            ),
        ];
        assert_eq!(
            summary(&logs),
            expected.map(|(m, l)| (m, l.to_owned())).to_vec(),
            "{app_label}"
        );
        for log in &logs {
            assert_eq!(log["attributes"]["app"], app_label);
            assert!(log["attributes"]["level"].is_string(), "{log}");
        }
    }
    // JSON mode sends the metadata as Loki structured metadata too.
    let json_error = logs_from(&app, "winston-json")
        .await
        .into_iter()
        .find(|l| l["level"] == "ERROR")
        .unwrap();
    assert_eq!(
        json_error["attributes"],
        json!({"app": "winston-json", "level": "error", "user": "u1"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pino_loki_ships_json_with_structured_metadata() {
    if !installed("node_modules/pino-loki") {
        return;
    }
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    run_client(&app, "node".into(), "pino.mjs").await;

    let logs = logs_from(&app, "pino-json").await;
    assert_eq!(logs.len(), 3, "{logs:?}");
    for (msg, level) in [
        ("pino info", "INFO"),
        ("pino warn", "WARNING"),
        ("pino error", "ERROR"),
    ] {
        let log = logs
            .iter()
            .find(|l| {
                l["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("\"msg\":\"{msg}\""))
            })
            .unwrap();
        assert_eq!(log["level"], level, "{log}");
        assert_eq!(log["attributes"]["app"], "pino-json");
        assert!(log["attributes"]["hostname"].is_string(), "{log}");
    }
    let info = logs.iter().find(|l| l["level"] == "INFO").unwrap();
    assert_eq!(
        info["attributes"]["trace_id"], "trace-1",
        "structured metadata lands in attributes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_logging_loki_ships_both_versions_to_both_paths() {
    if !installed(".venv/.installed") {
        return;
    }
    let python = clients_dir().join(".venv/bin/python");
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    run_client(&app, python, "python_client.py").await;

    for name in [
        "python-v0-loki-api-v1-push",
        "python-v0-api-prom-push",
        "python-v1-loki-api-v1-push",
        "python-v1-api-prom-push",
    ] {
        let logs = logs_from(&app, name).await;
        assert_eq!(
            summary(&logs),
            vec![
                (format!("{name} error"), "ERROR".to_owned()),
                (format!("{name} warning"), "WARNING".to_owned())
            ],
            "{name}"
        );
        let error = logs.iter().find(|l| l["level"] == "ERROR").unwrap();
        assert_eq!(
            error["attributes"],
            json!({"app": name, "logger": name, "severity": "error", "request_id": "r-1"})
        );
        // Sent moments ago, whichever timestamp format the version uses.
        let ts =
            chrono::DateTime::parse_from_rfc3339(error["timestamp"].as_str().unwrap()).unwrap();
        assert!(
            (chrono::Utc::now() - ts.to_utc()).num_seconds().abs() < 120,
            "{ts}"
        );
    }
}
