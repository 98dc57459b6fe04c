//! `log-sentinel demo`: the old `demo.py`, against a running server. Prints status,
//! a page of logs, a page of alerts and the head of the CSV report.

use std::io::Write;

use clap::Args;

use crate::error::AppError;

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Server to talk to.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub base_url: String,
}

const SAMPLES: [&str; 4] = [
    r#"{"level":"INFO","source":"demo","message":"service started"}"#,
    r#"{"level":"WARNING","source":"demo","message":"cache miss ratio at 40%"}"#,
    r#"{"level":"ERROR","source":"demo","message":"payment gateway timeout after 30s"}"#,
    r#"{"level":"INFO","source":"demo","message":"GET /api/orders 200 in 12ms"}"#,
];

/// `println!` that ends the demo quietly once stdout is closed (`demo | head`), as
/// Unix tools do, instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        match writeln!(std::io::stdout(), $($arg)*) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(AppError::Internal(e.into())),
        }
    };
}

pub async fn run(args: DemoArgs) -> Result<(), AppError> {
    let client = crate::http_client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(anyhow::Error::from)?;
    let base = args.base_url.trim_end_matches('/');
    let get = |path: &str| client.get(format!("{base}{path}"));
    let fail = |path: &str, e: reqwest::Error| {
        AppError::Internal(anyhow::anyhow!(
            "cannot reach {base}{path}: {e} (is `log-sentinel serve` running?)"
        ))
    };

    // An empty server gets a few sample logs first, so there is something to show.
    let first: Vec<serde_json::Value> = get("/logs?limit=1")
        .send()
        .await
        .map_err(|e| fail("/logs", e))?
        .json()
        .await
        .map_err(|e| fail("/logs", e))?;
    if first.is_empty() {
        say!(
            "== the server is empty: sending {} sample logs to POST /logs",
            SAMPLES.len()
        );
        let body: String = SAMPLES.iter().map(|line| format!("{line}\n")).collect();
        client
            .post(format!("{base}/logs"))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| fail("/logs", e))?;
    }

    for path in ["/status", "/logs?limit=5", "/alerts?limit=5"] {
        say!("== {path}");
        let body: serde_json::Value = get(path)
            .send()
            .await
            .map_err(|e| fail(path, e))?
            .json()
            .await
            .map_err(|e| fail(path, e))?;
        say!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    }

    say!("== /report/csv (first 5 lines)");
    let csv = get("/report/csv")
        .send()
        .await
        .map_err(|e| fail("/report/csv", e))?
        .text()
        .await
        .map_err(|e| fail("/report/csv", e))?;
    for line in csv.lines().take(5) {
        say!("{line}");
    }
    say!(
        "... {} data rows, {} bytes",
        csv.lines().count().saturating_sub(1),
        csv.len()
    );
    Ok(())
}
