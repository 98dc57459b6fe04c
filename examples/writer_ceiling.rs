//! The writer's own ceiling: `service::logs::insert_many` in 1,000-row transactions,
//! and the SQLite writer's `insert_many_sqlite`, no HTTP and no parsing. Compare with
//! `rusqlite_baseline` to see each path's cost.
//!
//! Run with: cargo run --release --example writer_ceiling -- --rows 400000

use std::time::Instant;

use clap::Parser;
use log_sentinel::{
    domain::{Level, Timestamp},
    service::logs::{NewLog, insert_many, insert_many_sqlite},
};
use sea_orm::TransactionTrait;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 400_000)]
    rows: usize,
    /// Database file (created; must not exist).
    #[arg(long, default_value = "ceiling.db")]
    path: String,
    /// Run only one path: `sea-orm` or `sqlx`.
    #[arg(long)]
    only: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = log_sentinel::db::connect(&format!("sqlite://{}", args.path)).await?;
    log_sentinel::db::migrate(&db).await?;
    let levels = [
        Level::Info,
        Level::Info,
        Level::Info,
        Level::Debug,
        Level::Warning,
        Level::Error,
    ];
    let rows: Vec<NewLog> = (0..args.rows)
        .map(|i| NewLog {
            timestamp: Timestamp(1_795_780_800_000_000 + i as i64),
            level: levels[i % levels.len()],
            message: format!(
                "GET /api/v1/orders/{} 200 in {}ms",
                i * 7919 % 100_000,
                i % 250
            ),
            source: Some(format!("svc-{}", i % 8)),
            attributes: Some(format!("{{\"request_id\":\"{i:x}\"}}")),
        })
        .collect();
    let report = |what: &str, started: Instant| {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{what}: {} rows in {:.2} s, {:.0} rows/s",
            args.rows,
            secs,
            args.rows as f64 / secs
        );
    };

    let run = |path: &str| args.only.as_deref().is_none_or(|only| only == path);
    // The portable path (PostgreSQL, MySQL): sea-orm's InsertMany.
    if run("sea-orm") {
        let started = Instant::now();
        for chunk in rows.chunks(1000) {
            let txn = db.begin().await?;
            insert_many(&txn, chunk).await?;
            txn.commit().await?;
        }
        report("sea-orm insert_many", started);
    }
    // The SQLite writer's path: sqlx with borrowed values, on one held connection.
    if run("sqlx") {
        let mut conn = db.get_sqlite_connection_pool().acquire().await?;
        let started = Instant::now();
        for chunk in rows.chunks(1000) {
            let mut txn = sqlx::Connection::begin(&mut *conn).await?;
            insert_many_sqlite(&mut txn, chunk).await?;
            txn.commit().await?;
        }
        report("sqlite insert_many_sqlite", started);
    }
    Ok(())
}
