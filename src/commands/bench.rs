//! `log-sentinel bench`: the old `benchmark.py` against a running server, with its
//! flags and its output line (plus `latency_p99` and `errors=`), GraphQL operations,
//! an ingest mode, a progress bar on a terminal and `--json`.
//!
//! For each endpoint in turn, `--concurrency` workers share one connection pool and
//! take requests from a common counter until `--runs` have been sent. A failure
//! (no answer, timeout, non-2xx, GraphQL `errors`) is counted, never fatal.

mod report;
mod target;

use std::{
    io::{IsTerminal, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::{
    Client,
    header::{self, HeaderMap, HeaderValue},
};

use crate::error::AppError;
use report::{Report, Tally};
use target::{Target, base_url};

/// `benchmark.py`'s default endpoints.
const DEFAULT_ENDPOINTS: [&str; 4] = ["/status", "/logs", "/alerts", "/report/csv"];

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
    let style =
        ProgressStyle::with_template("{prefix:<12} [{bar:30}] {pos}/{len} {rate} {elapsed}")
            .map(|style| {
                // indicatif's own `{per_sec}` prints every decimal of the rate.
                style.progress_chars("=> ").with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} req/s", state.per_sec());
                    },
                )
            })
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

    #[test]
    fn timeouts_read_like_benchmark_py_s() {
        assert_eq!(parse_timeout("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "soon", "inf"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
