//! Log counts per level per time bucket, for charts. The database does the counting
//! (`GROUP BY bucket, level`), so the cost in memory is the number of buckets, never
//! the number of logs.

use sea_orm::{
    ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::logs::LogFilter;
use crate::{
    domain::{Level, Timestamp},
    entities::log_entry::{Column, Entity as LogEntry},
    error::{AppError, Result},
};

/// The most buckets one answer may hold: far more than a chart can draw, and a
/// bound on the rows the database sends back.
pub const MAX_BUCKETS: usize = 10_000;

/// The width of a bucket. Buckets start on whole minutes, hours or days in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Interval {
    Minute,
    Hour,
    Day,
}

impl Interval {
    /// The width in microseconds, the unit timestamps are stored in.
    pub fn micros(self) -> i64 {
        const MINUTE: i64 = 60 * 1_000_000;
        match self {
            Interval::Minute => MINUTE,
            Interval::Hour => 60 * MINUTE,
            Interval::Day => 24 * 60 * MINUTE,
        }
    }
}

/// The logs of one bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's first instant.
    pub start: Timestamp,
    pub total: i64,
    /// In level order, TRACE first; only levels that occur.
    pub by_level: Vec<(Level, i64)>,
}

/// Counts the logs `filter` matches per `interval` and level, in ascending bucket
/// order; buckets without logs are left out. More than `MAX_BUCKETS` buckets is a
/// validation error on `interval`.
#[tracing::instrument(skip(db), level = "debug")]
pub async fn log_stats<C: ConnectionTrait>(
    db: &C,
    filter: &LogFilter,
    interval: Interval,
) -> Result<Vec<Bucket>> {
    let bucket = bucket_start(interval);
    let rows = LogEntry::find()
        .select_only()
        .expr_as(bucket.clone(), "bucket")
        .column(Column::Level)
        .expr_as(Expr::col(Column::Id).count(), "n")
        .filter(filter.condition())
        // The same literal-only expression as selected, so every backend (PostgreSQL
        // included) sees the GROUP BY and the select list agree.
        .group_by(bucket.clone())
        .group_by(Column::Level)
        .order_by_asc(bucket)
        // One more row than a full answer can have, so an oversized one is detected
        // without reading all of it.
        .limit((max_rows(MAX_BUCKETS) + 1) as u64)
        .into_tuple::<(i64, String, i64)>()
        .all(db)
        .await?;
    fold(rows, MAX_BUCKETS)
}

/// A bucket holds one grouped row per level at most.
fn max_rows(max_buckets: usize) -> usize {
    max_buckets * Level::ALL.len()
}

/// `timestamp - ((timestamp % w) + w) % w`: floor to a multiple of `w`, also before
/// 1970, where integer division would round toward zero. `%` keeps the dividend's
/// sign on SQLite, PostgreSQL and MySQL alike, so one expression serves all three and
/// stays BIGINT (MySQL's `/` would give a DECIMAL). The width is a constant of the
/// enum, written inline rather than bound, so the expression is the same text in
/// SELECT, GROUP BY and ORDER BY.
fn bucket_start(interval: Interval) -> Expr {
    let width = || Expr::Constant(interval.micros().into());
    let ts = || Expr::col(Column::Timestamp);
    ts().sub(ts().modulo(width()).add(width()).modulo(width()))
}

/// Turns `(bucket start, level, count)` rows, ordered by bucket, into buckets.
fn fold(
    rows: impl IntoIterator<Item = (i64, String, i64)>,
    max_buckets: usize,
) -> Result<Vec<Bucket>> {
    let mut buckets: Vec<(i64, [i64; Level::ALL.len()])> = Vec::new();
    for (row, (start, level, count)) in rows.into_iter().enumerate() {
        if row >= max_rows(max_buckets) {
            return Err(too_many_buckets(max_buckets));
        }
        // Shown as INFO if ever unreadable, as the log listing shows such a row.
        let level = level.parse::<Level>().unwrap_or(Level::Info);
        if buckets.last().is_none_or(|(last, _)| *last != start) {
            if buckets.len() == max_buckets {
                return Err(too_many_buckets(max_buckets));
            }
            buckets.push((start, [0; Level::ALL.len()]));
        }
        if let Some((_, counts)) = buckets.last_mut() {
            // `Level::ALL` lists the variants in declaration order.
            counts[level as usize] += count;
        }
    }
    Ok(buckets
        .into_iter()
        .map(|(start, counts)| Bucket {
            start: Timestamp(start),
            total: counts.iter().sum(),
            by_level: Level::ALL
                .into_iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .collect(),
        })
        .collect())
}

fn too_many_buckets(max_buckets: usize) -> AppError {
    AppError::invalid(
        &["interval"],
        "too_many_buckets",
        format!(
            "the answer would have more than {max_buckets} buckets: narrow `since`/`until` in the filter or pick a wider interval"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000_000;

    fn row(start: i64, level: &str, n: i64) -> (i64, String, i64) {
        (start, level.to_owned(), n)
    }

    #[test]
    fn rows_fold_into_buckets_with_levels_in_level_order() {
        let rows = vec![
            row(0, "ERROR", 2),
            row(0, "TRACE", 1),
            row(0, "WARNING", 3),
            row(M, "CRITICAL", 4),
        ];
        let buckets = fold(rows, 10).unwrap();
        assert_eq!(
            buckets,
            vec![
                Bucket {
                    start: Timestamp(0),
                    total: 6,
                    by_level: vec![(Level::Trace, 1), (Level::Warning, 3), (Level::Error, 2)],
                },
                Bucket {
                    start: Timestamp(M),
                    total: 4,
                    by_level: vec![(Level::Critical, 4)],
                },
            ]
        );
    }

    #[test]
    fn more_buckets_than_the_cap_is_a_validation_error_on_interval() {
        let rows = |n: i64| (0..n).map(|i| row(i * M, "INFO", 1)).collect::<Vec<_>>();
        assert_eq!(fold(rows(3), 3).unwrap().len(), 3);
        let err = fold(rows(4), 3).unwrap_err();
        let AppError::Validation(fields) = &err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(fields[0].path(), "interval");
        assert_eq!(fields[0].kind, "too_many_buckets");
        assert!(err.to_string().contains("more than 3 buckets"), "{err}");
    }

    #[test]
    fn more_rows_than_the_cap_allows_is_refused_even_within_the_bucket_cap() {
        // Only possible with unreadable levels, but a truncated answer must never
        // pass for a whole one.
        let rows: Vec<_> = (0..7).map(|i| row(0, &format!("X{i}"), 1)).collect();
        assert!(fold(rows.clone(), 2).is_ok());
        assert!(matches!(fold(rows, 1), Err(AppError::Validation(_))));
    }

    #[test]
    fn widths_are_whole_minutes_hours_and_days_in_micros() {
        assert_eq!(Interval::Minute.micros(), 60_000_000);
        assert_eq!(Interval::Hour.micros(), 3_600_000_000);
        assert_eq!(Interval::Day.micros(), 86_400_000_000);
    }

    #[test]
    fn bucket_expression_floors_with_inline_integer_widths() {
        use sea_orm::sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, Query};
        let sql = |interval| {
            Query::select()
                .expr(bucket_start(interval))
                .to_string(PostgresQueryBuilder)
        };
        assert_eq!(
            sql(Interval::Hour),
            r#"SELECT "timestamp" - ((("timestamp" % 3600000000) + 3600000000) % 3600000000)"#
        );
        let mysql = Query::select()
            .expr(bucket_start(Interval::Minute))
            .to_string(MysqlQueryBuilder);
        assert_eq!(
            mysql,
            "SELECT `timestamp` - (((`timestamp` % 60000000) + 60000000) % 60000000)"
        );
    }
}
