//! Where the evaluator's statements run: inside the ingest transaction, which is a
//! sea-orm transaction on PostgreSQL and MySQL and the SQLite writer's own sqlx
//! transaction (see `service::ingest`). Statements are built once with sea-query
//! for the backend at hand; this trait only executes them.

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, SqlErr, Statement, TransactionTrait, Value,
};
use sqlx::{Row, SqliteConnection, sqlite::SqliteArguments};

use crate::error::{AppError, Result};

#[async_trait]
pub trait Store: Send {
    fn backend(&self) -> DbBackend;
    /// Rows affected.
    async fn execute(&mut self, stmt: Statement) -> Result<u64>;
    /// An INSERT that may collide with a unique index: `false` when it did, with the
    /// transaction still usable.
    async fn insert_unless_duplicate(&mut self, stmt: Statement) -> Result<bool>;
    /// Rows of nullable integers, `width` columns each.
    async fn int_rows(&mut self, stmt: Statement, width: usize) -> Result<Vec<Vec<Option<i64>>>>;
    /// Rows of `(integer, text)`.
    async fn int_text_rows(&mut self, stmt: Statement) -> Result<Vec<(i64, String)>>;
}

#[async_trait]
impl Store for DatabaseTransaction {
    fn backend(&self) -> DbBackend {
        self.get_database_backend()
    }

    async fn execute(&mut self, stmt: Statement) -> Result<u64> {
        Ok(ConnectionTrait::execute_raw(self, stmt)
            .await?
            .rows_affected())
    }

    async fn insert_unless_duplicate(&mut self, stmt: Statement) -> Result<bool> {
        // A savepoint: on PostgreSQL a failed statement would otherwise abort the
        // whole transaction, logs included.
        let savepoint = self.begin().await?;
        match savepoint.execute_raw(stmt).await {
            Ok(_) => {
                savepoint.commit().await?;
                Ok(true)
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                savepoint.rollback().await?;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn int_rows(&mut self, stmt: Statement, width: usize) -> Result<Vec<Vec<Option<i64>>>> {
        let rows = self.query_all_raw(stmt).await?;
        rows.iter()
            .map(|row| {
                (0..width)
                    .map(|i| {
                        row.try_get_by_index::<Option<i64>>(i)
                            .map_err(AppError::from)
                    })
                    .collect()
            })
            .collect()
    }

    async fn int_text_rows(&mut self, stmt: Statement) -> Result<Vec<(i64, String)>> {
        let rows = self.query_all_raw(stmt).await?;
        rows.iter()
            .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
            .collect()
    }
}

#[async_trait]
impl Store for SqliteConnection {
    fn backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute(&mut self, stmt: Statement) -> Result<u64> {
        let (sql, args) = sqlite_args(stmt)?;
        let done = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(self)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected())
    }

    async fn insert_unless_duplicate(&mut self, stmt: Statement) -> Result<bool> {
        // SQLite undoes only the failed statement; the transaction goes on.
        let (sql, args) = sqlite_args(stmt)?;
        match sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(self)
            .await
        {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(internal(e)),
        }
    }

    async fn int_rows(&mut self, stmt: Statement, width: usize) -> Result<Vec<Vec<Option<i64>>>> {
        let (sql, args) = sqlite_args(stmt)?;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_all(self)
            .await
            .map_err(internal)?;
        rows.iter()
            .map(|row| {
                (0..width)
                    .map(|i| row.try_get::<Option<i64>, _>(i).map_err(internal))
                    .collect()
            })
            .collect()
    }

    async fn int_text_rows(&mut self, stmt: Statement) -> Result<Vec<(i64, String)>> {
        let (sql, args) = sqlite_args(stmt)?;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_all(self)
            .await
            .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0).map_err(internal)?,
                    row.try_get(1).map_err(internal)?,
                ))
            })
            .collect()
    }
}

fn internal(e: sqlx::Error) -> AppError {
    AppError::Internal(e.into())
}

/// sea-query's values as sqlx SQLite arguments; only the kinds the evaluator binds.
fn sqlite_args(stmt: Statement) -> Result<(String, SqliteArguments)> {
    use sqlx::Arguments;
    let mut args = SqliteArguments::default();
    for value in stmt.values.map(|v| v.0).unwrap_or_default() {
        let bound = match value {
            Value::Bool(v) => args.add(v),
            Value::Int(v) => args.add(v),
            Value::BigInt(v) => args.add(v),
            // LIMIT arrives unsigned; SQLite integers are signed 64-bit.
            Value::BigUnsigned(v) => args.add(v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))),
            Value::String(v) => args.add(v),
            other => {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the evaluator cannot bind {other:?}"
                )));
            }
        };
        bound.map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    }
    Ok((stmt.sql, args))
}
