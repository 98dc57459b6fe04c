//! The ceiling for SQLite ingest on this machine: a bare rusqlite loop inserting the
//! same rows as `ingest_bench` into the same schema (our migrations, same indexes),
//! one prepared statement, 1,000-row transactions, WAL and synchronous=NORMAL as the
//! server uses.
//!
//! Run with: cargo run --release --example rusqlite_baseline -- --rows 400000

use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 400_000)]
    rows: usize,
    /// Database file (created; must not exist).
    #[arg(long, default_value = "baseline.db")]
    path: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The server's own migrations give the identical table and indexes.
    let db = log_sentinel::db::connect(&format!("sqlite://{}", args.path)).await?;
    log_sentinel::db::migrate(&db).await?;
    db.close().await?;

    let mut conn = rusqlite::Connection::open(&args.path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR"];
    let base: i64 = 1_795_780_800_000_000;
    let started = Instant::now();
    for chunk_start in (0..args.rows).step_by(1000) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO log_entries (timestamp, level, message, source, attributes) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for i in chunk_start..(chunk_start + 1000).min(args.rows) {
                insert.execute(rusqlite::params![
                    base + i as i64,
                    levels[i % levels.len()],
                    format!(
                        "GET /api/v1/orders/{} 200 in {}ms",
                        i * 7919 % 100_000,
                        i % 250
                    ),
                    format!("svc-{}", i % 8),
                    format!("{{\"request_id\":\"{i:x}\"}}"),
                ])?;
            }
        }
        tx.commit()?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rusqlite baseline: {} rows in {:.2} s, {:.0} rows/s",
        args.rows,
        secs,
        args.rows as f64 / secs
    );
    Ok(())
}
