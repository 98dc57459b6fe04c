//! Ingest throughput: NDJSON batches POSTed to `/logs` by concurrent clients.
//!
//! Run with: cargo run --release --example ingest_bench -- --base-url http://127.0.0.1:8000
//! Bodies are built before the clock starts, so the figure is the server's.

use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    base_url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Lines per request.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Requests per client.
    #[arg(long, default_value_t = 50)]
    requests: usize,
}

/// One NDJSON body of `lines` realistic log lines.
fn body(client: usize, request: usize, lines: usize) -> String {
    let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR"];
    (0..lines)
        .map(|i| {
            format!(
                "{{\"timestamp\":\"2026-11-27T12:{:02}:{:02}.{:06}Z\",\"level\":\"{}\",\"source\":\"svc-{}\",\"message\":\"GET /api/v1/orders/{} 200 in {}ms\",\"attributes\":{{\"request_id\":\"{:x}\"}}}}\n",
                (request / 60) % 60,
                request % 60,
                i,
                levels[i % levels.len()],
                client,
                i * 7919 % 100_000,
                i % 250,
                client * 1_000_000 + request * 1000 + i
            )
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = log_sentinel::http_client::builder().build()?;
    let url = format!("{}/logs", args.base_url.trim_end_matches('/'));
    let bodies: Vec<Vec<String>> = (0..args.clients)
        .map(|c| (0..args.requests).map(|r| body(c, r, args.batch)).collect())
        .collect();

    let started = Instant::now();
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|bodies| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut errors = 0usize;
                for body in bodies {
                    let ok = client
                        .post(&url)
                        .header("content-type", "application/x-ndjson")
                        .body(body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().as_u16() == 201);
                    errors += usize::from(!ok);
                }
                errors
            })
        })
        .collect();
    let mut errors = 0;
    for task in tasks {
        errors += task.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let rows = (args.clients * args.requests * args.batch) as f64;
    println!(
        "ingest: {} clients x {} requests x {} lines: {:.2} s, {:.0} logs/s, {} errors",
        args.clients,
        args.requests,
        args.batch,
        secs,
        rows / secs,
        errors
    );
    Ok(())
}
