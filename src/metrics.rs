//! Prometheus metrics at `GET /metrics`, and the one line logged per request.
//!
//! Two sources make up a scrape:
//! - process-wide counters and histograms (requests, latency, logs ingested, alert
//!   changes), kept by the `metrics` crate's global recorder. It is installed once per
//!   process; every server in the process (tests start many) adds to the same series.
//! - this server's own state (database pool, live-tail subscribers, webhook outcomes,
//!   uptime), read at scrape time from the `AppState` that serves the scrape, so one
//!   server never reports another's pool or queue.

use std::{
    fmt::Write as _,
    sync::OnceLock,
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};
use tracing::Instrument;

use crate::{sentinel::Change, state::AppState};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const LOGS_INGESTED: &str = "log_sentinel_logs_ingested_total";
pub const ALERTS_RAISED: &str = "log_sentinel_alerts_raised_total";
pub const ALERT_CHANGES: &str = "log_sentinel_alert_changes_total";

/// Latency buckets in seconds: from a cached lookup (1 ms) to a large CSV export or a
/// slow database (30 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Histogram samples wait in the recorder until drained; a scrape drains them too,
/// this bounds their memory when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The route label of requests that matched no route: the raw path would let any
/// client create series without bound.
pub const UNMATCHED: &str = "unmatched";

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder, once; later calls (more servers in the same
/// process) reuse it. `None` when another recorder was installed first: the counters
/// then go there, and scrapes show only the per-server part.
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER.get_or_init(build_recorder).as_ref()
}

fn build_recorder() -> Option<PrometheusHandle> {
    let builder = match PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), BUCKETS)
    {
        Ok(builder) => builder,
        Err(e) => {
            tracing::error!(error = %e, "cannot configure the metrics recorder");
            return None;
        }
    };
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if let Err(e) = metrics::set_global_recorder(recorder) {
        tracing::warn!(error = %e, "another metrics recorder is installed; /metrics shows only this server's state");
        return None;
    }
    describe();
    let upkeep = handle.clone();
    // A thread rather than a task: it must outlive whichever runtime installed the
    // recorder (each test has its own).
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start metrics upkeep; histograms are drained by scrapes only");
    }
    Some(handle)
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "HTTP requests answered, by method, route template and status."
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time until the response headers were sent, by method and route template."
    );
    metrics::describe_counter!(
        LOGS_INGESTED,
        Unit::Count,
        "Log entries committed to the database."
    );
    metrics::describe_counter!(ALERTS_RAISED, Unit::Count, "Alerts raised.");
    metrics::describe_counter!(
        ALERT_CHANGES,
        Unit::Count,
        "Alert changes: raised, fed (a matching log added to an open alert), acknowledged, resolved."
    );
}

/// After a commit: `n` logs were stored.
pub fn logs_ingested(n: u64) {
    metrics::counter!(LOGS_INGESTED).increment(n);
}

/// After a commit: what the ingest transaction did to alerts.
pub fn alerts_changed(changes: &[Change]) {
    let raised = changes.iter().filter(|c| c.raised).count() as u64;
    let fed = changes.len() as u64 - raised;
    if raised > 0 {
        metrics::counter!(ALERTS_RAISED).increment(raised);
        metrics::counter!(ALERT_CHANGES, "change" => "raised").increment(raised);
    }
    if fed > 0 {
        metrics::counter!(ALERT_CHANGES, "change" => "fed").increment(fed);
    }
}

/// An alert was acknowledged or resolved by a user.
pub fn alert_acknowledged() {
    metrics::counter!(ALERT_CHANGES, "change" => "acknowledged").increment(1);
}

pub fn alert_resolved() {
    metrics::counter!(ALERT_CHANGES, "change" => "resolved").increment(1);
}

/// The middleware over every route: counts and times each request by its route
/// template, and logs one line for it. Only method, route, status and latency are
/// logged: never the query string (it may carry a token) nor bodies.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    // Whatever the handlers log carries the request's method and route.
    let span = tracing::info_span!("request", method = %method, route = %route);
    let response = next.run(request).instrument(span).await;
    // Until the headers: a streamed body (a CSV export, a WebSocket) is not timed.
    let latency = started.elapsed();
    let status = response.status().as_u16();
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route.clone())
        .record(latency.as_secs_f64());
    tracing::info!(
        target: "log_sentinel::http",
        method = %method,
        route = %route,
        status,
        latency_ms = latency.as_micros() as f64 / 1000.0,
        "request"
    );
    response
}

/// Methods outside the standard set are one label value, so made-up methods cannot
/// create series without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// `GET /metrics`: the Prometheus text exposition format (version 0.0.4).
pub async fn scrape(State(state): State<AppState>) -> Response {
    let mut body = install().map(PrometheusHandle::render).unwrap_or_default();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    render_server(&state, &mut body);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// This server's state, sampled now.
fn render_server(state: &AppState, out: &mut String) {
    let mut family = Family { out };
    if let Some(pool) = pool_stats(&state.db) {
        let backend = [("backend", pool.backend)];
        family.gauge(
            "log_sentinel_db_pool_connections",
            "Open database connections (in use and idle).",
            &[(&backend, f64::from(pool.size))],
        );
        family.gauge(
            "log_sentinel_db_pool_idle_connections",
            "Open database connections not in use.",
            &[(&backend, pool.idle as f64)],
        );
        family.gauge(
            "log_sentinel_db_pool_max_connections",
            "The most connections the pool opens.",
            &[(&backend, f64::from(pool.max))],
        );
    }
    let (logs, alerts) = state.events.subscribers();
    family.gauge(
        "log_sentinel_live_tail_subscribers",
        "Subscribers to live logs (logAdded) and alert changes (alertChanged).",
        &[
            (&[("feed", "logs")], logs as f64),
            (&[("feed", "alerts")], alerts as f64),
        ],
    );
    let notifier = &state.sentinel.notifier;
    family.counter(
        "log_sentinel_webhook_notifications_total",
        "Webhook notifications by outcome: delivered, failed (given up after retries), dropped (queue full).",
        &[
            (&[("outcome", "delivered")], notifier.delivered() as f64),
            (&[("outcome", "failed")], notifier.failed() as f64),
            (&[("outcome", "dropped")], notifier.dropped() as f64),
        ],
    );
    family.gauge(
        "log_sentinel_uptime_seconds",
        "Seconds since this server started.",
        &[(&[], state.started.elapsed().as_secs_f64())],
    );
}

struct PoolStats {
    backend: &'static str,
    size: u32,
    idle: usize,
    max: u32,
}

fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    // Matching the variant first: the pool getters panic on the wrong backend.
    macro_rules! stats {
        ($backend:literal, $pool:expr) => {{
            let pool = $pool;
            Some(PoolStats {
                backend: $backend,
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            })
        }};
    }
    match &db.inner {
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            stats!("sqlite", db.get_sqlite_connection_pool())
        }
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            stats!("postgres", db.get_postgres_connection_pool())
        }
        DatabaseConnectionType::SqlxMySqlPoolConnection(_) => {
            stats!("mysql", db.get_mysql_connection_pool())
        }
        _ => None,
    }
}

type Series<'a> = (&'a [(&'a str, &'a str)], f64);

/// Writes metric families by hand; label values here are fixed words, never user
/// input, so they need no escaping.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn gauge(&mut self, name: &str, help: &str, series: &[Series<'_>]) {
        self.write(name, "gauge", help, series);
    }

    fn counter(&mut self, name: &str, help: &str, series: &[Series<'_>]) {
        self.write(name, "counter", help, series);
    }

    fn write(&mut self, name: &str, kind: &str, help: &str, series: &[Series<'_>]) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in series {
            self.out.push_str(name);
            if !labels.is_empty() {
                self.out.push('{');
                for (i, (key, value)) in labels.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let _ = write!(self.out, "{key}=\"{value}\"");
                }
                self.out.push('}');
            }
            let _ = writeln!(self.out, " {value}");
        }
        self.out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
    }

    #[test]
    fn families_are_written_in_the_text_format() {
        let mut out = String::new();
        Family { out: &mut out }.gauge(
            "x_connections",
            "Open connections.",
            &[(&[("backend", "sqlite"), ("kind", "a")], 2.0), (&[], 0.5)],
        );
        assert_eq!(
            out,
            "# HELP x_connections Open connections.\n# TYPE x_connections gauge\n\
             x_connections{backend=\"sqlite\",kind=\"a\"} 2\nx_connections 0.5\n\n"
        );
    }
}
