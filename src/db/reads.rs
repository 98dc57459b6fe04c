//! Where reads go. On PostgreSQL and MySQL, through sea-orm. On a SQLite file, through
//! a small pool of rusqlite connections instead: sqlx's SQLite driver runs each
//! connection on its own thread and hands every row to the async side through a
//! channel, and on two cores those handoffs cost more than the query (perf on
//! `/logs?limit=100`: a third of the time in context switches). Here one page is one
//! blocking call with a cached prepared statement. The SQL is still built by
//! sea-query from the same `Select`, so each filter and keyset is written once.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, ToSql, config::DbConfig, types::ToSqlOutput};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryTrait,
    Select, Statement,
    sea_query::{self, Value},
};
use tokio::sync::Semaphore;

use crate::{
    entities::{alert, log_entry},
    error::{AppError, Result},
};

/// Connections for pages, counts and single rows: one per async worker for the
/// quick reads, as many again for slow ones moved to blocking threads, and two spare.
fn pool_size() -> usize {
    2 * std::thread::available_parallelism().map_or(2, |n| n.get()) + 2
}

/// How often SQLite calls the budget check, in VM steps, and how many checks a read
/// may take on an async worker: about a millisecond of work.
const STEPS_PER_CHECK: std::ffi::c_int = 1000;
const INLINE_CHECKS: u32 = 100;

/// How reads reach the database. Cheap to clone.
#[derive(Clone)]
pub enum Reader {
    Orm(DatabaseConnection),
    Sqlite(Arc<SqliteReads>),
}

impl Reader {
    /// Picks the path for `db`: SQLite files get the rusqlite pool; an in-memory
    /// SQLite database (only the sqlx pool can see it) and the servers use sea-orm.
    pub async fn open(db: &DatabaseConnection) -> Result<Reader> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(Reader::Orm(db.clone()));
        }
        let file = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
            ))
            .await?
            .and_then(|row| row.try_get::<String>("", "file").ok())
            .unwrap_or_default();
        if file.is_empty() {
            return Ok(Reader::Orm(db.clone()));
        }
        Ok(Reader::Sqlite(Arc::new(SqliteReads::new(file.into()))))
    }

    /// Every row `select` yields.
    pub async fn all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>>
    where
        E: EntityTrait,
        E::Model: FromSqliteRow + Send + 'static,
    {
        match self {
            Reader::Orm(db) => Ok(select.all(db).await?),
            Reader::Sqlite(pool) => {
                let (sql, values) = build(select.into_query());
                pool.with(move |conn| {
                    let mut statement = conn.prepare_cached(&sql)?;
                    let rows = statement.query_map(
                        rusqlite::params_from_iter(values.iter().map(Bind)),
                        E::Model::from_row,
                    )?;
                    rows.collect()
                })
                .await
            }
        }
    }

    /// How many rows `select` yields.
    pub async fn count<E>(&self, select: Select<E>) -> Result<u64>
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        match self {
            Reader::Orm(db) => Ok(select.count(db).await?),
            Reader::Sqlite(pool) => {
                let mut query = select.into_query();
                query
                    .clear_selects()
                    .expr(sea_query::Expr::cust("COUNT(*)"));
                let (sql, values) = build(query);
                pool.with(move |conn| {
                    conn.prepare_cached(&sql)?
                        .query_row(rusqlite::params_from_iter(values.iter().map(Bind)), |row| {
                            row.get::<_, i64>(0)
                        })
                })
                .await
                .map(|n| n as u64)
            }
        }
    }
}

/// The SQLite text of `query` and its bound values.
pub fn build(query: sea_query::SelectStatement) -> (String, Vec<Value>) {
    let (sql, values) = query.build(sea_query::SqliteQueryBuilder);
    (sql, values.0)
}

/// The SQLite read pool: idle connections and a cap on concurrent queries.
pub struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl SqliteReads {
    fn new(path: PathBuf) -> Self {
        let size = pool_size();
        SqliteReads {
            path,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size),
        }
    }

    /// Runs `f` on a pooled connection. Most reads (a page, one row) take tens of
    /// microseconds, less than handing them to another thread costs, so they run
    /// right here on the async worker. A budget of SQLite VM steps interrupts any
    /// read that goes on longer (a deep `skip`, a search through a million rows, a
    /// count), and it runs again on a blocking thread: a slow query never holds up
    /// the workers for more than the budget.
    pub async fn with<T, F>(&self, f: F) -> Result<T>
    where
        F: Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let idle = self.idle.lock().map(|mut idle| idle.pop()).ok().flatten();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, CACHE_KIB_PAGES).map_err(sqlite_error)?,
        };
        let mut checks = 0u32;
        conn.progress_handler(
            STEPS_PER_CHECK,
            Some(move || {
                checks += 1;
                checks > INLINE_CHECKS
            }),
        )
        .map_err(sqlite_error)?;
        let inline = f(&conn);
        conn.progress_handler(0, None::<fn() -> bool>)
            .map_err(sqlite_error)?;
        let (conn, out) = match inline {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                tokio::task::spawn_blocking(move || {
                    let out = f(&conn);
                    (conn, out)
                })
                .await
                .map_err(|e| AppError::Internal(e.into()))?
            }
            done => (conn, done),
        };
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        out.map_err(sqlite_error)
    }

    /// A connection of its own for one long read (a CSV export), with a small page
    /// cache: a sequential walk gains nothing from a large one, and ten exports at
    /// once should not hold ten large caches.
    pub fn open_for_export(&self) -> rusqlite::Result<Connection> {
        open(&self.path, EXPORT_CACHE_KIB)
    }
}

/// SQLite's default page cache, 2 MiB, for the pooled connections.
const CACHE_KIB_PAGES: i64 = 2048;
const EXPORT_CACHE_KIB: i64 = 256;

fn open(path: &Path, cache_kib: i64) -> rusqlite::Result<Connection> {
    // Read-write open with `query_only`: a read-only open cannot recover a WAL
    // index left by a crashed writer, and this one never writes anyway.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    // A plan per statement, not per bound value: with the bundled SQLite's STAT4,
    // a statement whose plan might depend on a parameter is compiled again after
    // every new binding, which undid the prepared-statement cache.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn sqlite_error(err: rusqlite::Error) -> AppError {
    AppError::Internal(anyhow::Error::new(err).context("SQLite read failed"))
}

/// Binds a sea-query value as rusqlite wants it.
pub struct Bind<'a>(pub &'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::{Null, ValueRef};
        fn or_null<'a, T: Into<ToSqlOutput<'a>>>(v: Option<T>) -> ToSqlOutput<'a> {
            v.map_or(ToSqlOutput::from(Null), Into::into)
        }
        Ok(match self.0 {
            Value::Bool(v) => or_null(*v),
            Value::TinyInt(v) => or_null(*v),
            Value::SmallInt(v) => or_null(*v),
            Value::Int(v) => or_null(*v),
            Value::BigInt(v) => or_null(*v),
            Value::TinyUnsigned(v) => or_null(*v),
            Value::SmallUnsigned(v) => or_null(*v),
            Value::Unsigned(v) => or_null(*v),
            Value::BigUnsigned(v) => or_null(v.and_then(|n| i64::try_from(n).ok())),
            Value::Float(v) => or_null(v.map(f64::from)),
            Value::Double(v) => or_null(*v),
            Value::String(v) => or_null(
                v.as_deref()
                    .map(|s| ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))),
            ),
            Value::Bytes(v) => or_null(
                v.as_deref()
                    .map(|b| ToSqlOutput::Borrowed(ValueRef::Blob(b))),
            ),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("no SQLite binding for {other:?}").into(),
                ));
            }
        })
    }
}

/// A model read from a rusqlite row, columns in the entity's declared order (the
/// order sea-orm selects them in).
pub trait FromSqliteRow: Sized {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

impl FromSqliteRow for log_entry::Model {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(log_entry::Model {
            id: row.get(0)?,
            timestamp: row.get(1)?,
            level: row.get(2)?,
            message: row.get(3)?,
            source: row.get(4)?,
            attributes: row.get(5)?,
        })
    }
}

impl FromSqliteRow for alert::Model {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(alert::Model {
            id: row.get(0)?,
            severity: row.get(1)?,
            status: row.get(2)?,
            message: row.get(3)?,
            source: row.get(4)?,
            rule_id: row.get(5)?,
            fingerprint: row.get(6)?,
            active_fingerprint: row.get(7)?,
            occurrences: row.get(8)?,
            first_seen: row.get(9)?,
            last_seen: row.get(10)?,
            acknowledged_at: row.get(11)?,
            resolved_at: row.get(12)?,
            log_id: row.get(13)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder};

    use super::*;
    use crate::entities::log_entry::{Column, Entity as LogEntry};

    /// The rusqlite path must read exactly what sea-orm reads: same rows, same
    /// column mapping, same bound values, same count.
    #[tokio::test]
    async fn sqlite_pool_reads_what_sea_orm_reads() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("reads.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let rows = (0..50).map(|i| log_entry::ActiveModel {
            timestamp: Set(1_700_000_000_000_000 + i * 1_000_000),
            level: Set(["INFO", "ERROR"][i as usize % 2].into()),
            message: Set(format!("message {i} 'quoted' ünïcode")),
            source: Set((i % 3 != 0).then(|| format!("svc-{}", i % 3))),
            attributes: Set((i % 5 == 0).then(|| format!("{{\"n\":{i}}}"))),
            ..Default::default()
        });
        LogEntry::insert_many(rows).exec(&db).await.unwrap();

        let sqlite = Reader::open(&db).await.unwrap();
        assert!(matches!(sqlite, Reader::Sqlite(_)), "a file gets the pool");
        let orm = Reader::Orm(db.clone());
        let select = || {
            LogEntry::find()
                .filter(Column::Level.eq("ERROR"))
                .filter(Column::Source.eq("svc-1"))
                .filter(Column::Timestamp.gte(1_700_000_010_000_000i64))
                .order_by_desc(Column::Timestamp)
        };
        let from_pool = sqlite.all(select()).await.unwrap();
        assert_eq!(from_pool, orm.all(select()).await.unwrap());
        assert_eq!(from_pool.len(), 7, "{from_pool:#?}");
        assert_eq!(sqlite.count(select()).await.unwrap(), 7);
        let all = sqlite.all(LogEntry::find()).await.unwrap();
        assert_eq!(all, orm.all(LogEntry::find()).await.unwrap());
        assert_eq!(all.len(), 50);
        assert_eq!(all[10].attributes.as_deref(), Some("{\"n\":10}"));
        assert_eq!(all[3].source, None);

        // Far past the inline step budget: interrupted on the worker, then run again
        // on a blocking thread, with the right answer.
        let Reader::Sqlite(pool) = &sqlite else {
            unreachable!()
        };
        let long = pool
            .with(|conn| {
                conn.query_row(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000)
                     SELECT count(*) FROM n",
                    [],
                    |row| row.get::<_, i64>(0),
                )
            })
            .await
            .unwrap();
        assert_eq!(long, 300_000);

        let memory = crate::db::connect("sqlite::memory:").await.unwrap();
        assert!(matches!(
            Reader::open(&memory).await.unwrap(),
            Reader::Orm(_)
        ));
    }
}
