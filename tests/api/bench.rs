//! `log-sentinel bench`, the binary, against a server running in this process.

use regex::Regex;

use crate::common::{self, Backend, JAN_1, TestApp};

/// The old `benchmark.py` line, with `latency_p99`, ingest's `log_throughput` and
/// `errors` added. Widths: endpoint 12 (left), count 3, conc 2 (right).
const LINE: &str = r"^(?P<endpoint>\S+) +count=(?P<count> *\d{1,}) conc=(?P<conc> *\d+) latency_mean=(?P<mean>\d+\.\d{2})ms latency_p95=(?P<p95>\d+\.\d{2})ms latency_p99=(?P<p99>\d+\.\d{2})ms throughput=(?P<rps>\d+\.\d) req/s(?: log_throughput=(?P<lps>\d+\.\d) logs/s)? errors=(?P<errors>\d+)$";

/// One parsed line.
#[derive(Debug)]
struct Line {
    endpoint: String,
    count: u64,
    conc: u64,
    mean: f64,
    p95: f64,
    p99: f64,
    rps: f64,
    lps: Option<f64>,
    errors: u64,
}

fn parse(text: &str) -> Vec<Line> {
    let re = Regex::new(LINE).unwrap();
    text.lines()
        .map(|line| {
            let c = re
                .captures(line)
                .unwrap_or_else(|| panic!("not the bench format: {line:?}"));
            let endpoint = c["endpoint"].to_owned();
            // benchmark.py's `{path:<12} count={count:>3} conc={concurrency:>2}`.
            assert!(
                line.starts_with(&format!("{endpoint:<12} count=")),
                "{line:?}"
            );
            assert_eq!(c["count"].len().max(3), c["count"].len(), "{line:?}");
            assert_eq!(c["conc"].len().max(2), c["conc"].len(), "{line:?}");
            Line {
                endpoint,
                count: c["count"].trim().parse().unwrap(),
                conc: c["conc"].trim().parse().unwrap(),
                mean: c["mean"].parse().unwrap(),
                p95: c["p95"].parse().unwrap(),
                p99: c["p99"].parse().unwrap(),
                rps: c["rps"].parse().unwrap(),
                lps: c.name("lps").map(|m| m.as_str().parse().unwrap()),
                errors: c["errors"].parse().unwrap(),
            }
        })
        .collect()
}

/// Runs the binary; (success, stdout, stderr). Async so this process keeps serving.
async fn bench(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
        .arg("bench")
        .args(args)
        .env_remove("LOG_SENTINEL_TOKEN")
        .output()
        .await
        .expect("run bench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn app_with_data() -> TestApp {
    let app = common::spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    app.insert_logs(common::sample_logs(150, JAN_1)).await;
    common::insert_alerts(&app).await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_prints_the_old_line_per_endpoint_and_ingest_stores_every_batch() {
    let app = app_with_data().await;

    let (ok, out, err) = bench(&[
        "--base-url",
        &app.base,
        "--runs",
        "40",
        "--concurrency",
        "4",
        "--batch-size",
        "25",
        "--endpoints",
        "/logs",
        "/alerts",
        "graphql:logs",
        "ingest",
    ])
    .await;
    assert!(ok, "{out}{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no progress bar in a pipe: {err:?}"
    );

    let lines = parse(&out);
    let endpoints: Vec<&str> = lines.iter().map(|l| l.endpoint.as_str()).collect();
    assert_eq!(endpoints, ["/logs", "/alerts", "graphql:logs", "ingest"]);
    for line in &lines {
        assert_eq!((line.count, line.conc, line.errors), (40, 4, 0), "{line:?}");
        assert!(line.p99 >= line.p95 && line.p95 >= 0.0, "{line:?}");
        assert!(line.mean > 0.0 && line.rps > 0.0, "{line:?}");
        assert_eq!(line.lps.is_some(), line.endpoint == "ingest", "{line:?}");
    }
    // Every request stored its 25 logs; logs/s is requests/s times the batch, up
    // to the rounding of each to one decimal.
    assert_eq!(app.count("log_entries").await, 150 + 40 * 25);
    let ingest = &lines[3];
    let lps = ingest.lps.unwrap();
    assert!(
        (lps - ingest.rps * 25.0).abs() <= 0.05 * 25.0 + 0.05,
        "{ingest:?}"
    );
    assert_eq!(app.count("alerts").await, 3, "INFO and DEBUG raise nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_the_same_fields_and_a_404_counts_every_run_as_an_error() {
    let app = app_with_data().await;

    let (ok, out, err) = bench(&[
        "--base-url",
        &app.base,
        "--runs",
        "40",
        "--concurrency",
        "4",
        "--json",
        "--endpoints",
        "/status",
        "graphql:status",
        "graphql:alerts",
        "/no-such-page",
        "ingest",
    ])
    .await;
    assert!(ok, "{out}{err}");
    let reports: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    assert_eq!(reports.len(), 5, "{out}");
    for (report, endpoint) in reports.iter().zip([
        "/status",
        "graphql:status",
        "graphql:alerts",
        "/no-such-page",
        "ingest",
    ]) {
        assert_eq!(report["endpoint"], endpoint);
        assert_eq!(report["count"], 40);
        assert_eq!(report["concurrency"], 4);
        let (mean, p95, p99) = (
            report["latency_mean_ms"].as_f64().unwrap(),
            report["latency_p95_ms"].as_f64().unwrap(),
            report["latency_p99_ms"].as_f64().unwrap(),
        );
        assert!(mean > 0.0 && p99 >= p95 && p95 > 0.0, "{report}");
        assert!(report["throughput_rps"].as_f64().unwrap() > 0.0, "{report}");
        assert!(report["elapsed_s"].as_f64().unwrap() > 0.0, "{report}");
        let expected_errors = if endpoint == "/no-such-page" { 40 } else { 0 };
        assert_eq!(report["errors"], expected_errors, "{report}");
    }
    assert!(
        reports[3]["first_error"].as_str().unwrap().contains("404"),
        "{}",
        reports[3]
    );
    assert!(reports[0].get("first_error").is_none());
    assert_eq!(reports[4]["batch_size"], 100, "the default batch");
    assert!(reports[4]["logs_per_s"].as_f64().unwrap() > 0.0);
    assert!(reports[0].get("logs_per_s").is_none());
    assert_eq!(app.count("log_entries").await, 150 + 40 * 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_server_needs_the_token_and_failures_are_counted_not_fatal() {
    let app = common::spawn_protected(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "--base-url".to_owned(),
            app.base.clone(),
            "--runs".into(),
            "12".into(),
            "--concurrency".into(),
            "3".into(),
            "--batch-size".into(),
            "5".into(),
            "--endpoints".into(),
            "/logs".into(),
            "graphql:logs".into(),
            "ingest".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let without: Vec<String> = args(&[]);
    let without: Vec<&str> = without.iter().map(String::as_str).collect();
    let (ok, out, err) = bench(&without).await;
    assert!(ok, "failures are counted, not fatal: {out}{err}");
    assert!(parse(&out).iter().all(|l| l.errors == 12), "{out}");
    assert!(
        err.contains("HTTP 401"),
        "the first failure is named: {err}"
    );
    assert_eq!(app.count("log_entries").await, 0);

    let token = app.token("read ingest");
    let with: Vec<String> = args(&["--token", &token]);
    let with: Vec<&str> = with.iter().map(String::as_str).collect();
    let (ok, out, err) = bench(&with).await;
    assert!(ok, "{out}{err}");
    assert!(parse(&out).iter().all(|l| l.errors == 0), "{out}{err}");
    assert_eq!(app.count("log_entries").await, 12 * 5);
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_an_unreachable_server_only_errors() {
    for (args, expected) in [
        (&["--base-url", "127.0.0.1:8000"][..], "--base-url"),
        (&["--base-url", "ftp://example.com"][..], "--base-url"),
        (&["--endpoints", "graphql:nope"][..], "graphql:logs"),
        (&["--endpoints", "logs"][..], "starting with `/`"),
        (&["--runs", "0"][..], "--runs"),
        (&["--timeout=-1"][..], "--timeout"),
        (&["--timeout", "0"][..], "--timeout"),
    ] {
        let (ok, out, err) = bench(args).await;
        assert!(!ok, "{args:?}: {out}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }

    // A port nothing listens on: every request fails, the run still reports.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (ok, out, err) = bench(&[
        "--base-url",
        &base,
        "--runs",
        "6",
        "--concurrency",
        "2",
        "--endpoints",
        "/status",
    ])
    .await;
    assert!(ok, "{out}{err}");
    let lines = parse(&out);
    assert_eq!((lines.len(), lines[0].count, lines[0].errors), (1, 6, 6));
    assert!(err.contains("6 of 6 requests failed"), "{err}");
}
