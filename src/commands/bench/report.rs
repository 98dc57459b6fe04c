//! What one endpoint's run measured, and its two printed forms: the old
//! `benchmark.py` line (same fields, widths, units and rounding, plus `latency_p99`
//! and an always-present `errors=`), and one JSON object.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are kept in microseconds to 3 significant digits (at most 0.1% off),
/// up to an hour; a slower request is recorded as an hour rather than lost.
const HIGHEST_MICROS: u64 = 3_600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// One worker's share of a run: every request's latency, failed or not (as
/// `benchmark.py` counts them), and the failures.
pub struct Tally {
    latencies: Histogram<u64>,
    /// The exact sum, so the mean is not rounded to histogram buckets.
    total: Duration,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    pub fn new() -> anyhow::Result<Tally> {
        Ok(Tally {
            latencies: Histogram::new_with_bounds(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS)?,
            total: Duration::ZERO,
            errors: 0,
            first_error: None,
        })
    }

    pub fn record(&mut self, latency: Duration) {
        self.total += latency;
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latencies.saturating_record(micros.max(1));
    }

    /// Counts a failed request; `why` is only built for the first one.
    pub fn fail(&mut self, why: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(why());
        }
    }

    pub fn merge(&mut self, other: Tally) -> anyhow::Result<()> {
        self.latencies.add(&other.latencies)?;
        self.total += other.total;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        Ok(())
    }
}

/// One endpoint's figures. Serialized as is for `--json`: unrounded milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub endpoint: String,
    /// Requests sent, failed ones included.
    pub count: u64,
    pub concurrency: u32,
    /// Transport failures, timeouts, non-2xx answers and GraphQL `errors`.
    pub errors: u64,
    pub latency_mean_ms: f64,
    /// Nearest-rank percentiles over every request.
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
    /// Requests per second of wall time, from the first request sent to the last
    /// answer read.
    pub throughput_rps: f64,
    pub elapsed_s: f64,
    /// Logs per ingest request (`ingest` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u64>,
    /// Logs stored per second: successful requests times `batch_size` (`ingest` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs_per_s: Option<f64>,
    /// What went wrong with the first failed request, if any did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl Report {
    pub fn new(
        endpoint: &str,
        concurrency: u32,
        tally: Tally,
        elapsed: Duration,
        batch_size: Option<u64>,
    ) -> Report {
        let count = tally.latencies.len();
        let seconds = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        let ms = |micros: u64| micros as f64 / 1000.0;
        Report {
            endpoint: endpoint.to_owned(),
            count,
            concurrency,
            errors: tally.errors,
            latency_mean_ms: tally.total.as_secs_f64() * 1000.0 / count.max(1) as f64,
            latency_p95_ms: ms(tally.latencies.value_at_quantile(0.95)),
            latency_p99_ms: ms(tally.latencies.value_at_quantile(0.99)),
            throughput_rps: count as f64 / seconds,
            elapsed_s: elapsed.as_secs_f64(),
            batch_size,
            logs_per_s: batch_size
                .map(|batch| (count - tally.errors.min(count)) as f64 * batch as f64 / seconds),
            first_error: tally.first_error,
        }
    }

    /// `benchmark.py`'s line. Its format, for reference:
    /// `f"{path:<12} count={count:>3} conc={concurrency:>2} latency_mean={mean_ms:.2f}ms
    /// latency_p95={p95_ms:.2f}ms throughput={rps:.1f} req/s{err}"`, where `err` is
    /// ` errors=N` only when N > 0. Rust's `{:.2}` rounds as Python's `.2f` does.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{:<12} count={:>3} conc={:>2} latency_mean={:.2}ms latency_p95={:.2}ms \
             latency_p99={:.2}ms throughput={:.1} req/s",
            self.endpoint,
            self.count,
            self.concurrency,
            self.latency_mean_ms,
            self.latency_p95_ms,
            self.latency_p99_ms,
            self.throughput_rps,
        );
        if let Some(logs_per_s) = self.logs_per_s {
            line += &format!(" log_throughput={logs_per_s:.1} logs/s");
        }
        // Always present (the old tool printed it only when non-zero), so scripts
        // need not special-case its absence.
        line += &format!(" errors={}", self.errors);
        line
    }

    pub fn json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(endpoint: &str, count: u64, conc: u32, errors: u64) -> Report {
        Report {
            endpoint: endpoint.into(),
            count,
            concurrency: conc,
            errors,
            latency_mean_ms: 0.0,
            latency_p95_ms: 0.0,
            latency_p99_ms: 0.0,
            throughput_rps: 0.0,
            elapsed_s: 1.0,
            batch_size: None,
            logs_per_s: None,
            first_error: None,
        }
    }

    /// Our line without what it adds to the old one.
    fn without_additions(line: &str, p99: &str, errors: &str) -> String {
        line.replacen(&format!(" latency_p99={p99}"), "", 1)
            .replacen(errors, "", 1)
    }

    #[test]
    fn the_line_is_benchmark_py_s_line_plus_p99_and_errors() {
        // Printed by benchmark.py's own format code (Python 3.11) for these values.
        let python = "/logs        count= 50 conc= 5 latency_mean=12.35ms latency_p95=20.00ms throughput=123.5 req/s";
        let ours = Report {
            latency_mean_ms: 12.345678,
            latency_p95_ms: 20.004999,
            latency_p99_ms: 31.0,
            throughput_rps: 123.456,
            ..report("/logs", 50, 5, 0)
        }
        .line();
        assert_eq!(
            ours,
            "/logs        count= 50 conc= 5 latency_mean=12.35ms latency_p95=20.00ms latency_p99=31.00ms throughput=123.5 req/s errors=0"
        );
        assert_eq!(without_additions(&ours, "31.00ms", " errors=0"), python);
    }

    #[test]
    fn long_paths_wide_counts_ties_and_errors_format_as_python_does() {
        // benchmark.py: errors > 0 go at the end, as ours always do; no truncation
        // past the widths; 0.125 and 0.25 round half to even.
        let python = "/logs?limit=100 count=2000 conc=64 latency_mean=0.12ms latency_p95=1234.50ms throughput=0.2 req/s errors=3";
        let ours = Report {
            latency_mean_ms: 0.125,
            latency_p95_ms: 1234.5,
            latency_p99_ms: 2000.004,
            throughput_rps: 0.25,
            ..report("/logs?limit=100", 2000, 64, 3)
        }
        .line();
        assert_eq!(without_additions(&ours, "2000.00ms", ""), python);
    }

    #[test]
    fn ingest_adds_logs_per_second_before_errors() {
        let line = Report {
            batch_size: Some(100),
            logs_per_s: Some(12_345.67),
            throughput_rps: 123.4567,
            ..report("ingest", 40, 4, 0)
        }
        .line();
        assert!(
            line.ends_with("throughput=123.5 req/s log_throughput=12345.7 logs/s errors=0"),
            "{line}"
        );
    }

    #[test]
    fn figures_come_from_every_request_of_every_worker() {
        // 1..=100 ms over two workers; requests 91..=100 failed.
        let (mut a, mut b) = (Tally::new().unwrap(), Tally::new().unwrap());
        for ms in 1..=100u64 {
            let tally = if ms % 2 == 0 { &mut a } else { &mut b };
            tally.record(Duration::from_millis(ms));
            if ms > 90 {
                tally.fail(|| format!("HTTP 500 on request {ms}"));
            }
        }
        a.merge(b).unwrap();
        let r = Report::new("ingest", 2, a, Duration::from_secs(4), Some(10));
        assert_eq!(r.count, 100);
        assert_eq!(r.errors, 10);
        assert_eq!(r.latency_mean_ms, 50.5, "exact, not from buckets");
        // Nearest rank: the 95th and 99th of 100, within the histogram's 0.1%.
        assert!(
            (r.latency_p95_ms - 95.0).abs() <= 0.095,
            "{}",
            r.latency_p95_ms
        );
        assert!(
            (r.latency_p99_ms - 99.0).abs() <= 0.099,
            "{}",
            r.latency_p99_ms
        );
        assert_eq!(r.throughput_rps, 25.0);
        assert_eq!(r.logs_per_s, Some(90.0 * 10.0 / 4.0), "only stored logs");
        assert_eq!(r.first_error.as_deref(), Some("HTTP 500 on request 92"));
        assert!(r.line().contains("latency_mean=50.50ms latency_p95=95.")); // 95.0x
    }

    #[test]
    fn json_has_the_line_s_fields_unrounded() {
        let r = Report {
            latency_mean_ms: 1.23456,
            latency_p95_ms: 2.5,
            latency_p99_ms: 3.5,
            throughput_rps: 99.99,
            ..report("graphql:logs", 40, 4, 1)
        };
        let value: serde_json::Value = serde_json::from_str(&r.json().unwrap()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "endpoint": "graphql:logs", "count": 40, "concurrency": 4, "errors": 1,
                "latency_mean_ms": 1.23456, "latency_p95_ms": 2.5, "latency_p99_ms": 3.5,
                "throughput_rps": 99.99, "elapsed_s": 1.0,
            })
        );
    }
}
