//! `log-sentinel bench`: the old `benchmark.py` against a running server, with its
//! flags and its output line (plus `latency_p99` and `errors=`), GraphQL operations,
//! an ingest mode, a progress bar on a terminal and `--json`.
//!
//! For each endpoint in turn, `--concurrency` workers share one connection pool and
//! take requests from a common counter until `--runs` have been sent. A failure
//! (no answer, timeout, non-2xx, GraphQL `errors`) is counted, never fatal.

mod report;

use std::{
    fmt,
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::{
    Client, Method, StatusCode, Url,
    header::{self, HeaderMap, HeaderValue},
};
use serde::Deserialize;

use crate::error::AppError;
use report::{Report, Tally};

/// `benchmark.py`'s default endpoints.
const DEFAULT_ENDPOINTS: [&str; 4] = ["/status", "/logs", "/alerts", "/report/csv"];

/// The named GraphQL operations, `graphql:<name>`.
const GRAPHQL_OPERATIONS: [(&str, &str); 3] = [
    (
        "logs",
        "{ logs(first: 100) { nodes { id timestamp level message source } } }",
    ),
    (
        "alerts",
        "{ alerts(first: 100) { nodes { id severity status message source occurrences lastSeen } } }",
    ),
    (
        "status",
        "{ status { status version database uptimeSeconds } }",
    ),
];

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Server to measure.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub base_url: String,

    /// Requests per endpoint.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,

    /// Requests in flight at once: one worker each, over one shared connection pool.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,

    /// What to measure, in order: a path for GET (`/logs?limit=100`); `graphql:logs`,
    /// `graphql:alerts` or `graphql:status` (POST /graphql, 100 rows for lists); or
    /// `ingest` (POST /logs, NDJSON batches of --batch-size INFO and DEBUG logs).
    #[arg(long, num_args = 1.., default_values = DEFAULT_ENDPOINTS)]
    pub endpoints: Vec<String>,

    /// Seconds one request may take before it counts as an error.
    #[arg(long, default_value = "60", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Logs per `ingest` request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_size: u64,

    /// Access token for a server with SECRET_KEY set, sent as `Authorization: Bearer`
    /// (`ingest` needs the `ingest` scope, the rest `read`).
    #[arg(long, env = "LOG_SENTINEL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Print one JSON object per endpoint, one per line, instead of text lines.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: BenchArgs) -> Result<(), AppError> {
    let base = base_url(&args.base_url)?;
    let targets = args
        .endpoints
        .iter()
        .map(|entry| Target::resolve(entry, &base, args.batch_size))
        .collect::<Result<Vec<_>, _>>()?;
    let client = client(&args)?;
    // The bar is for a person watching: never in a pipe, a file or JSON output.
    let show_progress = !args.json && std::io::stderr().is_terminal();

    for target in targets {
        let progress = progress_bar(&target.label, args.runs, show_progress);
        let report = measure(&client, Arc::new(target), &args, &progress).await?;
        progress.finish_and_clear();
        let text = if args.json {
            report.json().map_err(anyhow::Error::from)?
        } else {
            if let Some(first) = &report.first_error {
                eprintln!(
                    "{}: {} of {} requests failed; the first: {first}",
                    report.endpoint, report.errors, report.count
                );
            }
            report.line()
        };
        // Not println!: a closed pipe (`| head -1`) ends the run with an error, not a panic.
        writeln!(std::io::stdout().lock(), "{text}")
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write the results: {e}")))?;
    }
    Ok(())
}

/// Runs one endpoint to completion.
async fn measure(
    client: &Client,
    target: Arc<Target>,
    args: &BenchArgs,
    progress: &ProgressBar,
) -> Result<Report, AppError> {
    let runs = args.runs;
    let claimed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..u64::from(args.concurrency).min(runs) {
        let (client, target, claimed, progress) = (
            client.clone(),
            target.clone(),
            claimed.clone(),
            progress.clone(),
        );
        // Spawned, not joined in place, so the workers spread over every core.
        workers.spawn(async move {
            let mut tally = Tally::new()?;
            // Claiming request numbers (rather than splitting runs up front) sends
            // exactly `runs` requests however unevenly the workers progress.
            while claimed.fetch_add(1, Ordering::Relaxed) < runs {
                let sent = Instant::now();
                let outcome = target.send(&client).await;
                tally.record(sent.elapsed());
                if let Err(failure) = outcome {
                    tally.fail(|| failure.to_string());
                }
                progress.inc(1);
            }
            anyhow::Ok(tally)
        });
    }
    let mut tallies = Vec::with_capacity(workers.len());
    while let Some(joined) = workers.join_next().await {
        tallies.push(joined.map_err(anyhow::Error::from)??);
    }
    let elapsed = started.elapsed();

    let mut total = Tally::new()?;
    for tally in tallies {
        total.merge(tally)?;
    }
    Ok(Report::new(
        &target.label,
        args.concurrency,
        total,
        elapsed,
        target.batch_size,
    ))
}

/// One `--endpoints` entry, ready to send over and over.
#[derive(Debug)]
struct Target {
    label: String,
    method: Method,
    url: Url,
    /// Content type and body, built once: the bench measures the server, not
    /// the client's serialisation.
    body: Option<(&'static str, Bytes)>,
    graphql: bool,
    batch_size: Option<u64>,
}

impl Target {
    fn resolve(entry: &str, base: &str, batch_size: u64) -> Result<Target, AppError> {
        let url = |path: &str| {
            Url::parse(&format!("{base}{path}")).map_err(|e| {
                AppError::Config(format!(
                    "endpoint {entry:?}: {base}{path} is not a URL ({e})"
                ))
            })
        };
        if entry.starts_with('/') {
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::GET,
                url: url(entry)?,
                body: None,
                graphql: false,
                batch_size: None,
            });
        }
        if entry == "ingest" {
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::POST,
                url: url("/logs")?,
                body: Some(("application/x-ndjson", ingest_body(batch_size))),
                graphql: false,
                batch_size: Some(batch_size),
            });
        }
        if let Some(name) = entry.strip_prefix("graphql:") {
            let query = GRAPHQL_OPERATIONS
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, query)| *query)
                .ok_or_else(|| {
                    AppError::Config(format!(
                        "unknown GraphQL operation {entry:?}: use one of {}",
                        operation_names()
                    ))
                })?;
            let body = serde_json::to_vec(&serde_json::json!({ "query": query }))
                .map_err(anyhow::Error::from)?;
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::POST,
                url: url("/graphql")?,
                body: Some(("application/json", Bytes::from(body))),
                graphql: true,
                batch_size: None,
            });
        }
        Err(AppError::Config(format!(
            "unknown endpoint {entry:?}: use a path starting with `/` (GET), {} or `ingest`",
            operation_names()
        )))
    }

    /// One request, its whole answer read: the latency is to the last byte, as
    /// `benchmark.py`'s `aread()` measured it.
    async fn send(&self, client: &Client) -> Result<(), Failure> {
        let mut request = client.request(self.method.clone(), self.url.clone());
        if let Some((content_type, body)) = &self.body {
            request = request
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let mut response = request.send().await.map_err(Failure::Transport)?;
        let status = response.status();
        if self.graphql && status.is_success() {
            let body = response.bytes().await.map_err(Failure::Transport)?;
            return graphql_outcome(&body);
        }
        // Chunk by chunk, so a large CSV report is not held whole per worker.
        while response
            .chunk()
            .await
            .map_err(Failure::Transport)?
            .is_some()
        {}
        if status.is_success() {
            Ok(())
        } else {
            Err(Failure::Status(status))
        }
    }
}

fn operation_names() -> String {
    GRAPHQL_OPERATIONS
        .iter()
        .map(|(name, _)| format!("`graphql:{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `batch` NDJSON lines without timestamps (the server stamps them). INFO and DEBUG
/// only, so the default `errors` rule raises no alert and sends no webhook.
fn ingest_body(batch: u64) -> Bytes {
    use std::fmt::Write as _;
    let mut body = String::new();
    for i in 1..=batch {
        let level = if i % 5 == 0 { "DEBUG" } else { "INFO" };
        // Writing to a String cannot fail.
        let _ = writeln!(
            body,
            r#"{{"level":"{level}","source":"bench","message":"bench log {i} of {batch}: GET /api/v1/orders 200 in 23ms","attributes":{{"env":"bench"}}}}"#
        );
    }
    Bytes::from(body)
}

/// Why a request counted as an error.
enum Failure {
    Transport(reqwest::Error),
    Status(StatusCode),
    GraphQl(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transport(e) => {
                // reqwest's own message is generic ("error sending request"); the
                // cause (refused, timed out, reset) is further down the chain.
                write!(f, "{e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Failure::Status(status) => write!(f, "HTTP {status}"),
            Failure::GraphQl(message) => write!(f, "GraphQL error: {message}"),
        }
    }
}

/// A 200 from GraphQL can still be a failure: `errors` set, or no `data`.
fn graphql_outcome(body: &[u8]) -> Result<(), Failure> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(default)]
        data: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        errors: Vec<ReplyError>,
    }
    #[derive(Deserialize)]
    struct ReplyError {
        #[serde(default)]
        message: String,
    }
    let reply: Reply = serde_json::from_slice(body)
        .map_err(|e| Failure::GraphQl(format!("the answer is not GraphQL JSON ({e})")))?;
    if let Some(first) = reply.errors.into_iter().next() {
        return Err(Failure::GraphQl(first.message));
    }
    if reply.data.is_none() {
        return Err(Failure::GraphQl("the answer has no data".into()));
    }
    Ok(())
}

/// The base URL without its trailing slash, refused unless it is http(s) with a host.
fn base_url(text: &str) -> Result<String, AppError> {
    let bad = |why: String| {
        AppError::Config(format!(
            "--base-url {text:?} {why}; write it as http://host:port"
        ))
    };
    let url = Url::parse(text).map_err(|e| bad(format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("is not an http or https address".into()));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn client(args: &BenchArgs) -> Result<Client, AppError> {
    let mut headers = HeaderMap::new();
    if let Some(token) = &args.token {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
                AppError::Config("--token holds characters an HTTP header cannot carry".into())
            })?;
        // Kept out of reqwest's debug output.
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
    }
    crate::http_client::builder()
        .timeout(args.timeout)
        // Keep every worker's connection open between requests, as benchmark.py's
        // httpx pool (max_keepalive_connections = concurrency) did.
        .pool_max_idle_per_host(args.concurrency as usize)
        .default_headers(headers)
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot build the HTTP client: {e}")))
}

fn progress_bar(label: &str, runs: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{prefix:<12} [{bar:30}] {pos}/{len} {per_sec:>12} {elapsed_precise}",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(label.to_owned())
}

/// `benchmark.py`'s `--timeout`: seconds, fractions allowed.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "the timeout must be a positive number of seconds".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8000";

    #[test]
    fn endpoints_resolve_to_requests() {
        let get = Target::resolve("/logs?limit=100", BASE, 7).unwrap();
        assert_eq!(get.method, Method::GET);
        assert_eq!(get.url.as_str(), "http://127.0.0.1:8000/logs?limit=100");
        assert!(get.body.is_none());

        let graphql = Target::resolve("graphql:logs", BASE, 7).unwrap();
        assert_eq!(graphql.method, Method::POST);
        assert_eq!(graphql.url.path(), "/graphql");
        let (content_type, body) = graphql.body.unwrap();
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["query"],
            "{ logs(first: 100) { nodes { id timestamp level message source } } }"
        );

        let ingest = Target::resolve("ingest", BASE, 7).unwrap();
        assert_eq!(
            (ingest.method.clone(), ingest.url.path()),
            (Method::POST, "/logs")
        );
        assert_eq!(ingest.batch_size, Some(7));
        let (content_type, body) = ingest.body.unwrap();
        assert_eq!(content_type, "application/x-ndjson");
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&body)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 7);
        assert!(
            lines
                .iter()
                .all(|l| l["level"] == "INFO" || l["level"] == "DEBUG")
        );
    }

    #[test]
    fn unknown_endpoints_and_bad_urls_are_refused_with_the_choices() {
        let err = Target::resolve("graphql:nope", BASE, 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`graphql:logs`, `graphql:alerts`, `graphql:status`"),
            "{err}"
        );
        let err = Target::resolve("logs", BASE, 1).unwrap_err().to_string();
        assert!(err.contains("starting with `/`"), "{err}");

        assert_eq!(base_url("http://h:1/").unwrap(), "http://h:1");
        assert_eq!(base_url("https://h/api/").unwrap(), "https://h/api");
        for bad in ["127.0.0.1:8000", "not a url", "ftp://h", ""] {
            let err = base_url(bad).unwrap_err().to_string();
            assert!(err.contains("--base-url"), "{bad}: {err}");
        }
    }

    #[test]
    fn graphql_errors_count_even_with_status_200() {
        assert!(graphql_outcome(br#"{"data":{"status":{}}}"#).is_ok());
        let failure = graphql_outcome(br#"{"data":null,"errors":[{"message":"boom"}]}"#);
        assert_eq!(failure.err().unwrap().to_string(), "GraphQL error: boom");
        assert!(graphql_outcome(br#"{"data":null}"#).is_err());
        assert!(graphql_outcome(b"<html>").is_err());
    }

    #[test]
    fn timeouts_read_like_benchmark_py_s() {
        assert_eq!(parse_timeout("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "soon", "inf"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
