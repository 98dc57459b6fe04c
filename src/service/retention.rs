//! Retention: logs older than `RETENTION_DAYS` are deleted in the background.
//!
//! Deleting millions of rows in one statement would hold locks (on SQLite: the one
//! write lock) for as long as it runs and stall ingest. So rows go in bounded
//! batches, each DELETE its own short transaction, oldest first. Alerts keep their
//! history: `alerts.log_id` is `ON DELETE SET NULL`, so an alert whose latest log
//! expired stays, with no log.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    db,
    domain::Timestamp,
    entities::log_entry::{Column, Entity as LogEntry},
    error::Result,
    startup::ShutdownListener,
};

/// Rows per DELETE in the background job: short enough that ingest waits at most a
/// few milliseconds behind one.
pub const BATCH: u64 = 5_000;
/// How often the background job runs; it also runs once at start.
const EVERY: Duration = Duration::from_secs(60 * 60);
/// SQLite only: a pause between batches so that the ingest writer, waiting in
/// SQLite's busy handler (which retries on a timer), gets the write lock in between.
const SQLITE_PAUSE: Duration = Duration::from_millis(10);

/// Deletes every log with `timestamp < cutoff`, `batch` rows per statement (and
/// transaction), oldest first; returns how many went. This is also the entry point
/// for running retention by hand.
pub async fn purge_older_than(
    db: &DatabaseConnection,
    cutoff: Timestamp,
    batch: u64,
) -> Result<u64> {
    let batch = Ord::max(batch, 1);
    let backend = db.get_database_backend();
    let statement = backend.build(&delete_batch(backend, cutoff, batch));
    let mut total = 0;
    loop {
        // Several servers on one PostgreSQL may purge at once, and a purge's
        // `SET NULL` on alerts can cross an ingest feeding those alerts.
        let deleted = db::retry_deadlocks(|| async {
            Ok(db.execute_raw(statement.clone()).await?.rows_affected())
        })
        .await?;
        total += deleted;
        if deleted < batch {
            return Ok(total);
        }
        if backend == DbBackend::Sqlite {
            tokio::time::sleep(SQLITE_PAUSE).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// One batch: the `batch` oldest rows before `cutoff`. MySQL refuses `LIMIT` in an
/// `IN (subquery)` but has `DELETE … ORDER BY … LIMIT`; SQLite (as usually built)
/// and PostgreSQL are the other way round.
fn delete_batch(
    backend: DbBackend,
    cutoff: Timestamp,
    batch: u64,
) -> sea_orm::sea_query::DeleteStatement {
    let old = Expr::col(Column::Timestamp).lt(cutoff.0);
    let mut delete = Query::delete();
    delete.from_table(LogEntry);
    if backend == DbBackend::MySql {
        delete
            .and_where(old)
            .order_by(Column::Timestamp, Order::Asc)
            .limit(batch);
    } else {
        let oldest = Query::select()
            .column(Column::Id)
            .from(LogEntry)
            .and_where(old)
            .order_by(Column::Timestamp, Order::Asc)
            .limit(batch)
            .to_owned();
        delete.and_where(Expr::col(Column::Id).in_subquery(oldest));
    }
    delete.to_owned()
}

/// The cutoff for "older than `days` days", from now.
pub fn cutoff_for(days: u32) -> Timestamp {
    const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;
    Timestamp(
        Timestamp::now()
            .0
            .saturating_sub(i64::from(days).saturating_mul(MICROS_PER_DAY)),
    )
}

/// Runs retention once now and then every hour until the server stops.
pub fn spawn(db: DatabaseConnection, days: u32, mut stopping: ShutdownListener) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stopping.requested() => return,
            }
            let cutoff = cutoff_for(days);
            // Stopping mid-purge is safe: each batch is its own transaction.
            let run = tokio::select! {
                run = purge_older_than(&db, cutoff, BATCH) => run,
                () = stopping.requested() => return,
            };
            match run {
                Ok(0) => tracing::debug!(%cutoff, "retention: no logs to delete"),
                Ok(deleted) => {
                    tracing::info!(deleted, %cutoff, retention_days = days, "retention: deleted old logs");
                }
                // The next run tries again; nothing is lost by waiting.
                Err(err) => tracing::error!(error = %err, "retention: cannot delete old logs"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_gets_a_delete_it_accepts() {
        let sql = |backend: DbBackend| {
            backend
                .build(&delete_batch(backend, Timestamp(42), 7))
                .to_string()
        };
        let mysql = sql(DbBackend::MySql);
        assert!(
            mysql.ends_with("WHERE `timestamp` < 42 ORDER BY `timestamp` ASC LIMIT 7"),
            "{mysql}"
        );
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let sql = sql(backend);
            assert!(sql.contains("IN (SELECT"), "{sql}");
            assert!(sql.contains("LIMIT 7"), "{sql}");
        }
    }

    #[test]
    fn cutoff_is_days_before_now() {
        let before = Timestamp::now().0;
        let cutoff = cutoff_for(2).0;
        let after = Timestamp::now().0;
        let two_days = 2 * 86_400 * 1_000_000;
        assert!(cutoff >= before - two_days && cutoff <= after - two_days);
    }
}
