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
            tokio::spawn(write_loop(db.clone(), rx));
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
            return write_batch(&self.db, &logs).await;
        };
        let (done, answer) = oneshot::channel();
        funnel
            .send(Job { logs, done })
            .await
            .map_err(|_| AppError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Unavailable("the writer has stopped".into()))?
    }
}

async fn write_batch(db: &DatabaseConnection, logs: &[NewLog]) -> Result<u64> {
    let txn = db.begin().await?;
    let n = logs::insert_many(&txn, logs).await?;
    txn.commit().await?;
    Ok(n)
}

async fn write_loop(db: DatabaseConnection, mut jobs: mpsc::Receiver<Job>) {
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
        if group.len() == 1 {
            let job = group.remove(0);
            let result = write_batch(&db, &job.logs).await;
            let _ = job.done.send(result);
            continue;
        }
        match write_group(&db, &group).await {
            Ok(()) => {
                for job in group {
                    let n = job.logs.len() as u64;
                    let _ = job.done.send(Ok(n));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, batches = group.len(), "group commit failed; retrying batches one by one");
                for job in group {
                    let result = write_batch(&db, &job.logs).await;
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

async fn write_group(db: &DatabaseConnection, group: &[Job]) -> Result<()> {
    let txn = db.begin().await?;
    for job in group {
        logs::insert_many(&txn, &job.logs).await?;
    }
    txn.commit().await?;
    Ok(())
}
