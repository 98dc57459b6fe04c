//! `GET /metrics` (Prometheus text format) and the one log line per request.
//!
//! The request and ingest counters are process-wide, and this test binary runs many
//! servers at once: in-process tests assert presence, labels and lower bounds; exact
//! counts come from the real binary in a process of its own.
//!
//! The exposition is checked by `Exposition::parse` below, a strict parser of the
//! text format: any line it does not understand fails the test. (The
//! `prometheus-parse` crate silently skips lines it cannot match, and its sample
//! regex stops labels at the first `}`, so every `route="/logs/{id}"` series would
//! vanish from its result.)

use std::{
    collections::{BTreeMap, HashMap},
    process::Stdio,
    time::Duration,
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
};

use crate::{
    common::{Backend, TestApp, spawn_protected},
    db_test,
};

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug)]
struct Exposition {
    /// Family name → declared type.
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    /// Parses the whole text or panics naming the offending line.
    fn parse(text: &str) -> Exposition {
        let mut types: HashMap<String, String> = HashMap::new();
        let mut samples = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let fail = |why: &str| -> ! { panic!("line {}: {why}: {line:?}\n{text}", n + 1) };
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, _help) = rest.split_once(' ').unwrap_or((rest, ""));
                if !valid_name(name) {
                    fail("bad metric name in HELP");
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let Some((name, kind)) = rest.split_once(' ') else {
                    fail("TYPE without a type")
                };
                if !valid_name(name)
                    || !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind)
                {
                    fail("bad TYPE line");
                }
                if samples
                    .iter()
                    .any(|s: &Sample| family(&s.name, &types) == name)
                {
                    fail("TYPE after the family's samples");
                }
                if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                    fail("second TYPE for one family");
                }
                continue;
            }
            if line.starts_with('#') {
                continue; // other comments are allowed
            }
            let sample = parse_sample(line).unwrap_or_else(|why| fail(why));
            let fam = family(&sample.name, &types);
            let Some(kind) = types.get(fam) else {
                fail("sample of a family without TYPE")
            };
            let suffix = &sample.name[fam.len()..];
            let allowed: &[&str] = match kind.as_str() {
                "histogram" => &["_bucket", "_sum", "_count"],
                "summary" => &["", "_sum", "_count"],
                _ => &[""],
            };
            if !allowed.contains(&suffix) {
                fail("sample name does not fit its family's type");
            }
            if suffix == "_bucket" && !sample.labels.contains_key("le") {
                fail("bucket without le");
            }
            if !seen.insert((sample.name.clone(), sample.labels.clone())) {
                fail("duplicate series");
            }
            samples.push(sample);
        }
        let exposition = Exposition { types, samples };
        exposition.check_histograms();
        exposition
    }

    /// Buckets are cumulative, end in `+Inf`, and `+Inf` equals `_count`.
    fn check_histograms(&self) {
        for (name, kind) in &self.types {
            if kind != "histogram" {
                continue;
            }
            let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
            for s in self.named(&format!("{name}_bucket")) {
                let mut labels = s.labels.clone();
                let le = labels.remove("le").unwrap_or_default();
                let le = parse_value(&le).unwrap_or_else(|| panic!("bad le {le:?}"));
                series.entry(labels).or_default().push((le, s.value));
            }
            for (labels, mut buckets) in series {
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                assert!(
                    buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                    "{name}{labels:?}: buckets not cumulative: {buckets:?}"
                );
                let inf = buckets.last().filter(|b| b.0 == f64::INFINITY);
                let count = self.value(&format!("{name}_count"), &labels);
                assert!(
                    inf.is_some() && count == inf.map(|b| b.1),
                    "{name}{labels:?}: +Inf bucket {inf:?}, _count {count:?}"
                );
                assert!(
                    self.value(&format!("{name}_sum"), &labels).is_some(),
                    "{name}{labels:?}: no _sum"
                );
            }
        }
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| s.name == name)
    }

    /// The value of the series with exactly these labels.
    fn value(&self, name: &str, labels: &BTreeMap<String, String>) -> Option<f64> {
        self.named(name)
            .find(|s| &s.labels == labels)
            .map(|s| s.value)
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.value(name, &label_map(labels))
    }

    /// The sum over every series of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.named(name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

fn label_map(labels: &[(&str, &str)]) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The family a sample belongs to: its own name, or for histograms and summaries
/// the name without `_bucket`/`_sum`/`_count`.
fn family<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if matches!(
                types.get(base).map(String::as_str),
                Some("histogram" | "summary")
            ) {
                return base;
            }
        }
    }
    name
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(v: &str) -> Option<f64> {
    match v {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => v.parse().ok(),
    }
}

/// `name{label="value",...} value [timestamp]`, label values with `\\`, `\"`, `\n`.
fn parse_sample(line: &str) -> Result<Sample, &'static str> {
    let end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..end];
    if !valid_name(name) {
        return Err("bad metric name");
    }
    let mut rest = &line[end..];
    let mut labels = BTreeMap::new();
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = inner.find('=').ok_or("label without =")?;
            let key = &inner[..eq];
            if !valid_name(key) || key.contains(':') {
                return Err("bad label name");
            }
            let mut chars = inner[eq + 1..]
                .strip_prefix('"')
                .ok_or("unquoted label value")?
                .char_indices();
            let mut value = String::new();
            let close = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        _ => return Err("bad escape"),
                    },
                    (_, c) => value.push(c),
                }
            };
            if labels.insert(key.to_owned(), value).is_some() {
                return Err("repeated label");
            }
            inner = &inner[eq + 1 + 1 + close + 1..];
            inner = inner.strip_prefix(',').unwrap_or(inner);
        }
    }
    let mut fields = rest
        .strip_prefix(' ')
        .ok_or("no space before the value")?
        .split(' ');
    let value = fields
        .next()
        .and_then(parse_value)
        .ok_or("bad sample value")?;
    if let Some(ts) = fields.next() {
        ts.parse::<i64>().map_err(|_| "bad timestamp")?;
    }
    if fields.next().is_some() {
        return Err("trailing fields");
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

#[test]
fn the_parser_is_strict() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{route=\"/logs/{id}\",q=\"x\\\"y\"} 2\n\n\
              # TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_sum 0.5\nh_count 3\n";
    let parsed = Exposition::parse(ok);
    assert_eq!(
        parsed.get("a_total", &[("route", "/logs/{id}"), ("q", "x\"y")]),
        Some(2.0)
    );
    assert_eq!(parsed.get("h_count", &[]), Some(3.0));
    for bad in [
        "a_total 1\n",                                                       // no TYPE
        "# TYPE a counter\na{b=c} 1\n",                                      // unquoted
        "# TYPE a counter\na 1 2 3\n",                                       // trailing
        "# TYPE a counter\na{b=\"c\"} x\n",                                  // value
        "# TYPE a counter\na 1\na 2\n",                                      // duplicate
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 3\nh_count 2\nh_sum 1\n", // inconsistent
        "garbage\n",
    ] {
        let result = std::panic::catch_unwind(|| Exposition::parse(bad));
        assert!(result.is_err(), "accepted {bad:?}");
    }
}

async fn scrape(app: &TestApp, token: Option<&str>) -> Exposition {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("GET /metrics");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Exposition::parse(&response.text().await.unwrap())
}

const REQUESTS: &str = "http_requests_total";
const INGESTED: &str = "log_sentinel_logs_ingested_total";
const RAISED: &str = "log_sentinel_alerts_raised_total";

fn three_errors() -> Value {
    json!([
        {"message": "disk full", "level": "ERROR", "source": "metrics-test"},
        {"message": "disk still full", "level": "ERROR", "source": "metrics-test"},
        {"message": "disk very full", "level": "ERROR", "source": "metrics-test"},
    ])
}

db_test! {
    async fn metrics_count_requests_by_route_and_sample_this_server(app: TestApp) {
        let before = scrape(&app, None).await;
        assert_eq!(app.get("/logs").await.status().as_u16(), 200);
        assert_eq!(app.get("/logs/123").await.status().as_u16(), 404);
        assert_eq!(app.get("/no/such/path").await.status().as_u16(), 404);
        let posted = app.client.post(app.url("/logs")).json(&three_errors()).send().await.unwrap();
        assert_eq!(posted.status().as_u16(), 201);
        let tail = app.state.events.subscribe_logs();
        let after = scrape(&app, None).await;

        // By route template and status; other servers in this process add to the same
        // series, so the delta is at least what this test did.
        let by_id = [("method", "GET"), ("route", "/logs/{id}"), ("status", "404")];
        let delta = |m: &str, labels: &[(&str, &str)]| after.sum(m, labels) - before.sum(m, labels);
        assert!(delta(REQUESTS, &by_id) >= 1.0, "{:?}", after.named(REQUESTS).collect::<Vec<_>>());
        assert!(delta(REQUESTS, &[("route", "/logs"), ("method", "POST"), ("status", "201")]) >= 1.0);
        assert!(delta(REQUESTS, &[("route", "unmatched"), ("status", "404")]) >= 1.0);
        for s in after.named(REQUESTS) {
            let route = &s.labels["route"];
            assert!(
                route == "unmatched" || route.starts_with('/'),
                "{s:?}"
            );
            assert!(
                !["/logs/123", "/no/such/path"].contains(&route.as_str()),
                "a raw path became a label: {s:?}"
            );
            assert_eq!(s.labels.keys().collect::<Vec<_>>(), ["method", "route", "status"]);
        }

        // A real histogram (buckets, not a summary) for GET /logs; `parse` checked that
        // its buckets are cumulative and end in +Inf = _count.
        assert_eq!(after.types["http_request_duration_seconds"], "histogram");
        let logs = [("method", "GET"), ("route", "/logs")];
        let buckets: Vec<_> = after
            .named("http_request_duration_seconds_bucket")
            .filter(|s| s.labels["route"] == "/logs" && s.labels["method"] == "GET")
            .collect();
        assert!(buckets.len() > 5, "{buckets:?}");
        assert!(delta("http_request_duration_seconds_count", &logs) >= 1.0);
        assert!(after.get("http_request_duration_seconds_sum", &logs).is_some_and(|s| s > 0.0));

        assert!(delta(INGESTED, &[]) >= 3.0);
        assert!(delta(RAISED, &[]) >= 1.0);
        assert!(delta("log_sentinel_alert_changes_total", &[("change", "raised")]) >= 1.0);

        // Sampled from this server: exact.
        let backend = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        };
        let pool = |m: &str| {
            after
                .get(m, &[("backend", backend)])
                .unwrap_or_else(|| panic!("no {m} for {backend}"))
        };
        let (size, idle, max) = (
            pool("log_sentinel_db_pool_connections"),
            pool("log_sentinel_db_pool_idle_connections"),
            pool("log_sentinel_db_pool_max_connections"),
        );
        assert!(size >= 1.0 && idle <= size && size <= max, "size {size} idle {idle} max {max}");
        assert_eq!(after.types["log_sentinel_db_pool_connections"], "gauge");
        assert_eq!(after.get("log_sentinel_live_tail_subscribers", &[("feed", "logs")]), Some(1.0));
        assert_eq!(after.get("log_sentinel_live_tail_subscribers", &[("feed", "alerts")]), Some(0.0));
        assert_eq!(before.get("log_sentinel_live_tail_subscribers", &[("feed", "logs")]), Some(0.0));
        drop(tail);
        for outcome in ["delivered", "failed", "dropped"] {
            assert_eq!(
                after.get("log_sentinel_webhook_notifications_total", &[("outcome", outcome)]),
                Some(0.0),
                "no webhooks are configured"
            );
        }
        let uptime = after.get("log_sentinel_uptime_seconds", &[]).unwrap();
        assert!(uptime > 0.0 && uptime < 600.0, "{uptime}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_read_scope() {
    let Some(app) = spawn_protected(Backend::Sqlite).await else {
        return;
    };
    let status = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    let url = app.url("/metrics");
    assert_eq!(status(app.client.get(&url)).await, 401);
    assert_eq!(
        status(app.client.get(&url).bearer_auth(app.token("ingest"))).await,
        403
    );
    let scraped = scrape(&app, Some(&app.token("read"))).await;
    assert!(scraped.get("log_sentinel_uptime_seconds", &[]).is_some());
    // The refusals were counted under the route, before any handler ran.
    assert!(scraped.sum(REQUESTS, &[("route", "/metrics"), ("status", "401")]) >= 1.0);
}

/// The real binary, with its stderr lines arriving on a channel.
struct Server {
    _child: Child,
    base: String,
    lines: mpsc::UnboundedReceiver<String>,
    _db: tempfile::TempDir,
}

impl Server {
    async fn start(log_format: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
            .args(["serve", "--port", "0"])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("m.db").display()),
            )
            .env("LOG_FORMAT", log_format)
            .env("RUST_LOG", "log_sentinel=info")
            .env("NO_COLOR", "1")
            .env_remove("SECRET_KEY")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server");
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let (tx, mut lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let listening = next_line_where(&mut lines, |l| l.contains("http://127.0.0.1:")).await;
        let at = listening.find("http://127.0.0.1:").unwrap() + 17;
        let port: String = listening[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Server {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
            lines,
            _db: dir,
        }
    }
}

/// The next stderr line matching `wanted`; fails if the server exits or stays silent.
async fn next_line_where(
    lines: &mut mpsc::UnboundedReceiver<String>,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.recv().await {
            if wanted(&line) {
                return Some(line);
            }
            seen.push(line);
        }
        None
    })
    .await;
    match found {
        Ok(Some(line)) => line,
        _ => panic!("no such line; the server wrote:\n{}", seen.join("\n")),
    }
}

async fn scrape_binary(client: &reqwest::Client, base: &str) -> Exposition {
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    Exposition::parse(&response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_each_request_as_json_and_counts_exactly() {
    let mut server = Server::start("json").await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/logs/42?token=query-secret-123", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let line = next_line_where(&mut server.lines, |l| l.contains("/logs/{id}")).await;
    let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let fields = &entry["fields"];
    assert_eq!(fields["message"], "request", "{line}");
    assert_eq!(fields["method"], "GET", "{line}");
    assert_eq!(fields["route"], "/logs/{id}", "{line}");
    assert_eq!(fields["status"], 404, "{line}");
    let latency = fields["latency_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("latency: {line}"));
    assert!((0.0..30_000.0).contains(&latency), "{line}");
    assert_eq!(entry["level"], "INFO", "{line}");
    assert!(
        !line.contains("query-secret-123") && !line.contains("/logs/42"),
        "{line}"
    );

    // A process with one server: every count is this test's own.
    let before = scrape_binary(&client, &server.base).await;
    let posted = client
        .post(format!("{}/logs", server.base))
        .json(&three_errors())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 201);
    let after = scrape_binary(&client, &server.base).await;
    let get =
        |e: &Exposition, name: &str, labels: &[(&str, &str)]| e.get(name, labels).unwrap_or(0.0);
    assert_eq!(
        get(&after, INGESTED, &[]) - get(&before, INGESTED, &[]),
        3.0
    );
    assert_eq!(get(&after, RAISED, &[]) - get(&before, RAISED, &[]), 1.0);
    let raised = [("change", "raised")];
    assert_eq!(
        get(&after, "log_sentinel_alert_changes_total", &raised)
            - get(&before, "log_sentinel_alert_changes_total", &raised),
        1.0
    );
    let by_id = [
        ("method", "GET"),
        ("route", "/logs/{id}"),
        ("status", "404"),
    ];
    assert_eq!(after.get(REQUESTS, &by_id), Some(1.0));
    let posts = [("method", "POST"), ("route", "/logs"), ("status", "201")];
    assert_eq!(after.get(REQUESTS, &posts), Some(1.0));
    assert_eq!(
        after.get(
            "http_request_duration_seconds_count",
            &[("method", "POST"), ("route", "/logs")]
        ),
        Some(1.0)
    );
    // The first scrape is counted by the second.
    let scrapes = [("method", "GET"), ("route", "/metrics"), ("status", "200")];
    assert_eq!(after.get(REQUESTS, &scrapes), Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_each_request_as_text_by_default() {
    let mut server = Server::start("text").await;
    let response = reqwest::get(format!("{}/logs/42", server.base))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let line = next_line_where(&mut server.lines, |l| l.contains("/logs/{id}")).await;
    assert!(line.contains("INFO"), "{line}");
    assert!(
        line.contains("request method=GET route=/logs/{id} status=404 latency_ms="),
        "{line}"
    );
    assert!(!line.trim_start().starts_with('{'), "{line}");
}
