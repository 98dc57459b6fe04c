//! The CSV report: every matching log, streamed from a database cursor to the client
//! in chunks, so memory stays flat however many rows there are.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::logs::LogFilter;
use crate::{
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
    db: DatabaseConnection,
    filter: LogFilter,
    order: SortOrder,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        if let Err(err) = write_rows(&db, &filter, order, &tx).await {
            tracing::error!(error = %err, "CSV report stopped early");
            let _ = tx.send(Err(std::io::Error::other("report failed"))).await;
        }
    });
    ReceiverStream::new(rx)
}

async fn write_rows(
    db: &DatabaseConnection,
    filter: &LogFilter,
    order: SortOrder,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let mut select = LogEntry::find()
        .select_only()
        .columns([
            Column::Id,
            Column::Timestamp,
            Column::Level,
            Column::Message,
        ])
        .filter(filter.condition());
    select = match order {
        SortOrder::Asc => select
            .order_by_asc(Column::Timestamp)
            .order_by_asc(Column::Id),
        SortOrder::Desc => select
            .order_by_desc(Column::Timestamp)
            .order_by_desc(Column::Id),
    };
    let mut rows = select
        .into_tuple::<(i64, i64, String, String)>()
        .stream(db)
        .await?;

    let new_writer = || csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + 8 * 1024));
    let mut writer = new_writer();
    writer.write_record(HEADER)?;
    let mut id_buf = itoa::Buffer::new();
    while let Some(row) = rows.next().await {
        let (id, timestamp, level, message) = row?;
        let ts = Timestamp(timestamp).to_string();
        writer.write_record([
            id_buf.format(id),
            ts.as_str(),
            neutralise(&level).as_ref(),
            neutralise(&message).as_ref(),
        ])?;
        if writer.get_ref().len() >= CHUNK_BYTES {
            let chunk = std::mem::replace(&mut writer, new_writer()).into_inner()?;
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return Ok(()); // the client left
            }
        }
    }
    let rest = writer.into_inner()?;
    if !rest.is_empty() {
        let _ = tx.send(Ok(Bytes::from(rest))).await;
    }
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
