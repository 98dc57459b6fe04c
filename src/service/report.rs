//! The CSV report: every matching log, streamed from a database cursor to the client
//! in chunks, so memory stays flat however many rows there are.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sea_orm::{
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::logs::LogFilter;
use crate::{
    db::reads::{self, Bind, Reader, SqliteReads},
    domain::{SortOrder, Timestamp},
    entities::log_entry::{Column, Entity as LogEntry},
};

/// The header row the old service's callers parse.
pub const HEADER: [&str; 4] = ["id", "timestamp", "level", "message"];

/// Bytes gathered before a chunk is handed to the socket.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight between the database reader and the socket: the memory bound
/// per download, and the back-pressure that pauses the reader for a slow client.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Spreadsheets run a cell starting with these as a formula (OWASP: CSV injection).
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Streams the report. A reader task walks the rows with one database cursor and
/// sends CSV chunks through a small channel; if the client goes away the send fails
/// and the reader stops.
pub fn stream(
    db: Reader,
    filter: LogFilter,
    order: SortOrder,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let select = report_select(&filter, order);
    // The error goes through the channel like a chunk (waiting for room), so the
    // client sees the download fail rather than end early as if complete.
    let failed = |err: anyhow::Error| {
        tracing::error!(error = %err, "CSV report stopped early");
        Err(std::io::Error::other("report failed"))
    };
    match db {
        // A blocking thread of its own: one SQLite statement stepped row by row,
        // straight into CSV, with `blocking_send` as the back-pressure.
        Reader::Sqlite(pool) => {
            tokio::task::spawn_blocking(move || {
                if let Err(err) = write_sqlite_rows(&pool, select, &tx) {
                    let _ = tx.blocking_send(failed(err));
                }
            });
        }
        Reader::Orm(db) => {
            tokio::spawn(async move {
                if let Err(err) = write_rows(&db, select, &tx).await {
                    let _ = tx.send(failed(err)).await;
                }
            });
        }
    }
    ReceiverStream::new(rx)
}

type Chunks = mpsc::Sender<Result<Bytes, std::io::Error>>;

fn report_select(filter: &LogFilter, order: SortOrder) -> Select<LogEntry> {
    let select = LogEntry::find()
        .select_only()
        .columns([
            Column::Id,
            Column::Timestamp,
            Column::Level,
            Column::Message,
        ])
        .filter(filter.condition());
    match order {
        SortOrder::Asc => select
            .order_by_asc(Column::Timestamp)
            .order_by_asc(Column::Id),
        SortOrder::Desc => select
            .order_by_desc(Column::Timestamp)
            .order_by_desc(Column::Id),
    }
}

/// CSV records gathered into chunks of about `CHUNK_BYTES`.
struct CsvChunks {
    writer: csv::Writer<Vec<u8>>,
    id: itoa::Buffer,
}

impl CsvChunks {
    fn new() -> anyhow::Result<Self> {
        let mut chunks = CsvChunks {
            writer: Self::writer(),
            id: itoa::Buffer::new(),
        };
        chunks.writer.write_record(HEADER)?;
        Ok(chunks)
    }

    fn writer() -> csv::Writer<Vec<u8>> {
        csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + 8 * 1024))
    }

    /// Adds one row; returns a chunk when one is full.
    fn row(
        &mut self,
        id: i64,
        timestamp: i64,
        level: &str,
        message: &str,
    ) -> anyhow::Result<Option<Bytes>> {
        let ts = Timestamp(timestamp).to_string();
        self.writer.write_record([
            self.id.format(id),
            ts.as_str(),
            neutralise(level).as_ref(),
            neutralise(message).as_ref(),
        ])?;
        if self.writer.get_ref().len() < CHUNK_BYTES {
            return Ok(None);
        }
        let full = std::mem::replace(&mut self.writer, Self::writer());
        Ok(Some(Bytes::from(full.into_inner()?)))
    }

    fn finish(self) -> anyhow::Result<Bytes> {
        Ok(Bytes::from(self.writer.into_inner()?))
    }
}

fn write_sqlite_rows(
    pool: &SqliteReads,
    select: Select<LogEntry>,
    tx: &Chunks,
) -> anyhow::Result<()> {
    let (sql, values) = reads::build(select.into_query());
    let conn = pool.open_for_export()?;
    let mut statement = conn.prepare(&sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(values.iter().map(Bind)))?;
    let mut chunks = CsvChunks::new()?;
    while let Some(row) = rows.next()? {
        let level = row.get_ref(2)?.as_str()?;
        let message = row.get_ref(3)?.as_str()?;
        if let Some(chunk) = chunks.row(row.get(0)?, row.get(1)?, level, message)? {
            if tx.blocking_send(Ok(chunk)).is_err() {
                return Ok(()); // the client left
            }
        }
    }
    let _ = tx.blocking_send(Ok(chunks.finish()?));
    Ok(())
}

async fn write_rows(
    db: &DatabaseConnection,
    select: Select<LogEntry>,
    tx: &Chunks,
) -> anyhow::Result<()> {
    let mut rows = select
        .into_tuple::<(i64, i64, String, String)>()
        .stream(db)
        .await?;
    let mut chunks = CsvChunks::new()?;
    while let Some(row) = rows.next().await {
        let (id, timestamp, level, message) = row?;
        if let Some(chunk) = chunks.row(id, timestamp, &level, &message)? {
            if tx.send(Ok(chunk)).await.is_err() {
                return Ok(()); // the client left
            }
        }
    }
    let _ = tx.send(Ok(chunks.finish()?)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_cells_are_prefixed_and_others_kept() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("plain, text"), "plain, text");
        assert_eq!(neutralise(""), "");
    }
}
