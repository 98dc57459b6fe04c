//! Storing batches of logs, all-or-nothing, acknowledged only after the commit.
//!
//! SQLite allows one writer at a time; many concurrent writers there end in "database
//! is locked" or in busy-waiting. So on SQLite every batch goes through one writer
//! task, which gathers whatever batches are waiting into one transaction (group
//! commit: one fsync for many requests) and answers each request after the commit.
//! Should that shared transaction fail, each batch is retried in a transaction of its
//! own, so one bad batch never takes others down with it. PostgreSQL and MySQL take
//! concurrent writers natively: each request commits its own transaction.
//!
//! Alert rules are evaluated inside the same transaction (see `sentinel::evaluate`),
//! so a stored log's match is never lost; subscribers and webhooks hear of it after
//! the commit.

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};

use super::logs::{self, NewLog};
use crate::{
    db,
    entities::log_entry,
    error::{AppError, Result},
    sentinel::{Change, Group, Sentinel, evaluate},
};

/// Batches waiting for the SQLite writer; beyond this, requests wait to enqueue
/// (back-pressure instead of unbounded memory).
const QUEUE_DEPTH: usize = 64;
/// Rows gathered into one SQLite transaction at most.
const GROUP_ROWS: usize = 50_000;

struct Job {
    logs: Vec<NewLog>,
    /// The batch's rule matches, found before it was queued.
    matches: Vec<Group>,
    /// The logs come back with their ids once committed.
    done: oneshot::Sender<Result<(Vec<NewLog>, Vec<i64>)>>,
}

#[derive(Clone)]
pub struct Ingestor {
    db: DatabaseConnection,
    funnel: Option<mpsc::Sender<Job>>,
    sentinel: Sentinel,
}

impl Ingestor {
    /// Starts the SQLite writer task when the database is SQLite.
    pub fn new(db: DatabaseConnection, sentinel: Sentinel) -> Self {
        let funnel = (db.get_database_backend() == DbBackend::Sqlite).then(|| {
            let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
            let pool = db.get_sqlite_connection_pool().clone();
            tokio::spawn(write_loop(pool, sentinel.clone(), rx));
            tx
        });
        Ingestor {
            db,
            funnel,
            sentinel,
        }
    }

    /// Stores `logs` in one transaction; returns once they are committed.
    pub async fn write(&self, logs: Vec<NewLog>) -> Result<u64> {
        if logs.is_empty() {
            return Ok(0);
        }
        let n = logs.len() as u64;
        let matches = self.sentinel.match_batch(&logs);
        let (logs, ids) = match &self.funnel {
            None => {
                let (ids, changes) = self.write_direct(&logs, matches).await?;
                self.sentinel.announce(changes).await;
                (logs, ids)
            }
            Some(funnel) => {
                let (done, answer) = oneshot::channel();
                let stopped = || AppError::Unavailable("the writer has stopped".into());
                funnel
                    .send(Job {
                        logs,
                        matches,
                        done,
                    })
                    .await
                    .map_err(|_| stopped())?;
                answer.await.map_err(|_| stopped())??
            }
        };
        crate::metrics::logs_ingested(n);
        self.publish(logs, &ids);
        Ok(n)
    }

    /// PostgreSQL and MySQL: one transaction per request, retried when the database
    /// picked it as a deadlock victim (two batches feeding the same alerts).
    async fn write_direct(
        &self,
        logs: &[NewLog],
        matches: Vec<Group>,
    ) -> Result<(Vec<i64>, Vec<Change>)> {
        db::retry_deadlocks(|| async {
            let mut txn = self.db.begin().await?;
            let ids = logs::insert_many(&txn, logs).await?;
            let mut matches = matches.clone();
            evaluate::resolve_ids(&mut matches, &ids);
            let changes = evaluate::apply(&mut txn, matches).await?;
            txn.commit().await?;
            Ok((ids, changes))
        })
        .await
    }

    /// Hands committed logs to live-tail subscribers, if there are any.
    fn publish(&self, logs: Vec<NewLog>, ids: &[i64]) {
        let events = &self.sentinel.events;
        if !events.wants_logs() {
            return;
        }
        for (log, &id) in logs.into_iter().zip(ids) {
            events.publish_log(log_entry::Model {
                id,
                timestamp: log.timestamp.0,
                level: log.level.as_str().to_owned(),
                message: log.message,
                source: log.source,
                attributes: log.attributes,
            });
        }
    }
}

/// The SQLite writer: one transaction per group of waiting batches, always on the
/// same connection so the pages it just wrote stay in that connection's cache.
async fn write_loop(pool: SqlitePool, sentinel: Sentinel, mut jobs: mpsc::Receiver<Job>) {
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
            Ok(c) => write_group(c, &group).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            conn = None; // start the next group on a fresh connection
        }
        match result {
            Ok((ids, changes)) => {
                sentinel.announce(changes).await;
                for (job, ids) in group.into_iter().zip(ids) {
                    let _ = job.done.send(Ok((job.logs, ids)));
                }
            }
            Err(err) if group.len() > 1 => {
                tracing::warn!(error = %err, batches = group.len(), "group commit failed; retrying batches one by one");
                for job in group {
                    let result = match held(&pool, &mut conn).await {
                        Ok(c) => write_group(c, std::slice::from_ref(&job)).await,
                        Err(e) => Err(e),
                    };
                    if result.is_err() {
                        conn = None;
                    }
                    let result = match result {
                        Ok((mut ids, changes)) => {
                            sentinel.announce(changes).await;
                            Ok(ids.pop().unwrap_or_default())
                        }
                        Err(e) => Err(e),
                    };
                    let answer = result.map(|ids| (job.logs, ids));
                    let _ = job.done.send(answer);
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

/// One transaction over the jobs' batches and their alerts; each batch's new ids,
/// in order, and what happened to alerts.
async fn write_group(
    conn: &mut SqliteConnection,
    jobs: &[Job],
) -> Result<(Vec<Vec<i64>>, Vec<Change>)> {
    let mut txn = sqlx::Connection::begin(conn).await.map_err(internal)?;
    let mut ids = Vec::with_capacity(jobs.len());
    let mut matches = Vec::new();
    for job in jobs {
        let batch_ids = logs::insert_many_sqlite(&mut txn, &job.logs).await?;
        if !job.matches.is_empty() {
            let mut found = job.matches.clone();
            evaluate::resolve_ids(&mut found, &batch_ids);
            matches.extend(found);
        }
        ids.push(batch_ids);
    }
    let changes = if matches.is_empty() {
        Vec::new()
    } else {
        evaluate::apply(&mut *txn, evaluate::merge(matches)).await?
    };
    txn.commit().await.map_err(internal)?;
    Ok((ids, changes))
}
