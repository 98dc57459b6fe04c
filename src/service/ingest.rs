//! Storing batches of logs, all-or-nothing, acknowledged only after the commit.
//!
//! SQLite allows one writer at a time; many concurrent writers there end in "database
//! is locked" or in busy-waiting. So on SQLite every batch goes through one writer
//! task, which gathers whatever batches are waiting into one transaction (group
//! commit: one fsync for many requests) and answers each request after the commit.
//! Should that shared transaction fail, each batch is retried in a transaction of its
//! own, so one bad batch never takes others down with it. PostgreSQL and MySQL take
//! concurrent writers natively: each request commits its own transaction.

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};

use super::logs::{self, NewLog};
use crate::error::{AppError, Result};

/// Batches waiting for the SQLite writer; beyond this, requests wait to enqueue
/// (back-pressure instead of unbounded memory).
const QUEUE_DEPTH: usize = 64;
/// Rows gathered into one SQLite transaction at most.
const GROUP_ROWS: usize = 50_000;

struct Job {
    logs: Vec<NewLog>,
    done: oneshot::Sender<Result<u64>>,
}

#[derive(Clone)]
pub struct Ingestor {
    db: DatabaseConnection,
    funnel: Option<mpsc::Sender<Job>>,
}

impl Ingestor {
    /// Starts the SQLite writer task when the database is SQLite.
    pub fn new(db: DatabaseConnection) -> Self {
        let funnel = (db.get_database_backend() == DbBackend::Sqlite).then(|| {
            let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
            tokio::spawn(write_loop(db.get_sqlite_connection_pool().clone(), rx));
            tx
        });
        Ingestor { db, funnel }
    }

    /// Stores `logs` in one transaction; returns once they are committed.
    pub async fn write(&self, logs: Vec<NewLog>) -> Result<u64> {
        if logs.is_empty() {
            return Ok(0);
        }
        let Some(funnel) = &self.funnel else {
            let txn = self.db.begin().await?;
            let n = logs::insert_many(&txn, &logs).await?;
            txn.commit().await?;
            return Ok(n);
        };
        let (done, answer) = oneshot::channel();
        let stopped = || AppError::Unavailable("the writer has stopped".into());
        funnel
            .send(Job { logs, done })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The SQLite writer: one transaction per group of waiting batches, always on the
/// same connection so the pages it just wrote stay in that connection's cache.
async fn write_loop(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut conn: Option<PoolConnection<Sqlite>> = None;
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        let mut rows = group[0].logs.len();
        while rows < GROUP_ROWS {
            match jobs.try_recv() {
                Ok(job) => {
                    rows += job.logs.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let result = match held(&pool, &mut conn).await {
            Ok(c) => write_group(c, group.iter().map(|job| job.logs.as_slice())).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            conn = None; // start the next group on a fresh connection
        }
        match result {
            Ok(()) => {
                for job in group {
                    let n = job.logs.len() as u64;
                    let _ = job.done.send(Ok(n));
                }
            }
            Err(err) if group.len() > 1 => {
                tracing::warn!(error = %err, batches = group.len(), "group commit failed; retrying batches one by one");
                for job in group {
                    let n = job.logs.len() as u64;
                    let result = match held(&pool, &mut conn).await {
                        Ok(c) => write_group(c, std::iter::once(job.logs.as_slice())).await,
                        Err(e) => Err(e),
                    };
                    if result.is_err() {
                        conn = None;
                    }
                    let _ = job.done.send(result.map(|()| n));
                }
            }
            Err(err) => {
                if let Some(job) = group.pop() {
                    let _ = job.done.send(Err(err));
                }
            }
        }
    }
}

/// The writer's connection, acquired once and kept.
async fn held<'c>(
    pool: &SqlitePool,
    conn: &'c mut Option<PoolConnection<Sqlite>>,
) -> Result<&'c mut SqliteConnection> {
    if conn.is_none() {
        *conn = Some(pool.acquire().await.map_err(internal)?);
    }
    conn.as_deref_mut()
        .ok_or_else(|| AppError::Unavailable("no database connection".into()))
}

fn internal(e: sqlx::Error) -> AppError {
    AppError::Internal(e.into())
}

async fn write_group<'a>(
    conn: &mut SqliteConnection,
    batches: impl Iterator<Item = &'a [NewLog]>,
) -> Result<()> {
    let mut txn = sqlx::Connection::begin(conn).await.map_err(internal)?;
    for batch in batches {
        logs::insert_many_sqlite(&mut txn, batch).await?;
    }
    txn.commit().await.map_err(internal)
}
