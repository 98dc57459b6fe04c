//! Pagination shared by every listing: opaque keyset cursors (Relay) and the offset
//! form the REST shim uses.
//!
//! A cursor names the last row seen by its sort key, so the next page is an index
//! range scan starting there: a page a million rows deep costs what the first costs,
//! and rows inserted meanwhile never shift or repeat what a client has already seen.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, IntoColumnRef},
};

use crate::{
    db::reads::{FromSqliteRow, Reader},
    domain::SortOrder,
    error::{AppError, Result},
};

/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u64 = 1000;
/// Page size when a caller gives none.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// The sort key of one row: what a cursor encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorKey {
    /// Logs are ordered by `(timestamp, id)`.
    Log { timestamp: i64, id: i64 },
    /// Alerts are ordered by `id`.
    Alert { id: i64 },
}

impl CursorKey {
    pub fn encode(self) -> String {
        let raw = match self {
            CursorKey::Log { timestamp, id } => format!("log:{timestamp}:{id}"),
            CursorKey::Alert { id } => format!("alert:{id}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a cursor, refusing anything this server did not hand out for `kind`.
    pub fn decode(cursor: &str, kind: &str) -> Option<CursorKey> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
        let raw = std::str::from_utf8(&bytes).ok()?;
        let mut parts = raw.split(':');
        let key = match (parts.next()?, kind) {
            ("log", "log") => CursorKey::Log {
                timestamp: parts.next()?.parse().ok()?,
                id: parts.next()?.parse().ok()?,
            },
            ("alert", "alert") => CursorKey::Alert {
                id: parts.next()?.parse().ok()?,
            },
            _ => return None,
        };
        parts.next().is_none().then_some(key)
    }
}

/// What a caller asked for, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageRequest {
    /// Relay: `first`/`last` rows after/before the given cursors.
    Cursor {
        first: Option<u64>,
        last: Option<u64>,
        after: Option<String>,
        before: Option<String>,
    },
    /// The REST shim's `skip`/`limit`.
    Offset { skip: u64, limit: u64 },
}

/// Raw Relay arguments as a GraphQL client sends them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub skip: Option<i32>,
}

impl PageArgs {
    /// Checks the combination and bounds; every refusal names the argument.
    pub fn validate(self) -> Result<PageRequest> {
        let size = |name: &str, v: Option<i32>| -> Result<Option<u64>> {
            match v {
                None => Ok(None),
                Some(n) if n < 0 => Err(AppError::invalid(
                    &[name],
                    "greater_than_equal",
                    format!("`{name}` must not be negative (got {n})"),
                )),
                Some(n) if n as u64 > MAX_PAGE_SIZE => Err(AppError::invalid(
                    &[name],
                    "less_than_equal",
                    format!("`{name}` must be at most {MAX_PAGE_SIZE} (got {n})"),
                )),
                Some(n) => Ok(Some(n as u64)),
            }
        };
        let first = size("first", self.first)?;
        let last = size("last", self.last)?;
        if first.is_some() && last.is_some() {
            return Err(AppError::invalid(
                &["last"],
                "value_error",
                "pass either `first` or `last`, not both",
            ));
        }
        if let Some(skip) = self.skip {
            if self.after.is_some() || self.before.is_some() {
                return Err(AppError::invalid(
                    &["skip"],
                    "value_error",
                    "`skip` cannot be combined with `after` or `before`: use the cursor alone",
                ));
            }
            if last.is_some() {
                return Err(AppError::invalid(
                    &["skip"],
                    "value_error",
                    "`skip` cannot be combined with `last`",
                ));
            }
            if skip < 0 {
                return Err(AppError::invalid(
                    &["skip"],
                    "greater_than_equal",
                    format!("`skip` must not be negative (got {skip})"),
                ));
            }
            return Ok(PageRequest::Offset {
                skip: skip as u64,
                limit: first.unwrap_or(DEFAULT_PAGE_SIZE),
            });
        }
        Ok(PageRequest::Cursor {
            first,
            last,
            after: self.after,
            before: self.before,
        })
    }
}

/// One page of rows, each with its cursor.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<(CursorKey, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    pub fn into_items(self) -> Vec<T> {
        self.rows.into_iter().map(|(_, row)| row).collect()
    }
}

/// How one entity is ordered: its key columns and how to read a row's key.
pub trait Keyset: EntityTrait {
    const KIND: &'static str;
    /// Sort columns, most significant first.
    fn key_columns() -> Vec<Self::Column>;
    /// The key's values, in the order of `key_columns`.
    fn key_values(key: CursorKey) -> Option<Vec<i64>>;
    fn key_of(model: &Self::Model) -> CursorKey;
}

/// Rows strictly beyond `values` in ascending (`greater`) or descending key order.
/// Written as `a >= x AND (a > x OR b > y)` rather than a row-value comparison so
/// every backend's planner turns the first term into an index range.
fn beyond<C: IntoColumnRef + Copy>(columns: &[C], values: &[i64], greater: bool) -> Condition {
    let cmp = |c: C, v: i64, strict: bool| -> Expr {
        match (greater, strict) {
            (true, true) => Expr::col(c).gt(v),
            (true, false) => Expr::col(c).gte(v),
            (false, true) => Expr::col(c).lt(v),
            (false, false) => Expr::col(c).lte(v),
        }
    };
    match (columns, values) {
        ([a], [x]) => Condition::all().add(cmp(*a, *x, true)),
        ([a, b], [x, y]) => Condition::all().add(cmp(*a, *x, false)).add(
            Condition::any()
                .add(cmp(*a, *x, true))
                .add(cmp(*b, *y, true)),
        ),
        _ => Condition::all(),
    }
}

fn decode<E: Keyset>(cursor: &str, name: &str) -> Result<Vec<i64>> {
    CursorKey::decode(cursor, E::KIND)
        .and_then(E::key_values)
        .ok_or_else(|| {
            AppError::invalid(
                &[name],
                "value_error",
                format!("`{name}` is not a valid cursor (cursors come from a previous page's edges or pageInfo)"),
            )
        })
}

/// Runs `select` (already filtered) as one page. One query: it fetches a row more
/// than asked to learn whether another page follows.
pub async fn fetch<E>(
    db: &Reader,
    select: Select<E>,
    order: SortOrder,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: Keyset,
    E::Column: IntoColumnRef + Copy,
    E::Model: FromSqliteRow + Send + 'static,
{
    let columns = E::key_columns();
    let ascending = order == SortOrder::Asc;
    let ordered = |select: Select<E>, asc: bool| {
        columns.iter().fold(select, |s, c| {
            if asc {
                s.order_by_asc(*c)
            } else {
                s.order_by_desc(*c)
            }
        })
    };
    match request {
        PageRequest::Offset { skip, limit } => {
            let mut rows = db
                .all(ordered(select, ascending).offset(*skip).limit(limit + 1))
                .await?;
            let has_next_page = rows.len() as u64 > *limit;
            rows.truncate(*limit as usize);
            Ok(Page {
                rows: rows.into_iter().map(|m| (E::key_of(&m), m)).collect(),
                has_next_page,
                has_previous_page: *skip > 0,
            })
        }
        PageRequest::Cursor {
            first,
            last,
            after,
            before,
        } => {
            let mut select = select;
            if let Some(after) = after {
                let key = decode::<E>(after, "after")?;
                select = select.filter(beyond(&columns, &key, ascending));
            }
            if let Some(before) = before {
                let key = decode::<E>(before, "before")?;
                select = select.filter(beyond(&columns, &key, !ascending));
            }
            let backward = last.is_some();
            let size = last.or(*first).unwrap_or(DEFAULT_PAGE_SIZE);
            let mut rows = db
                .all(ordered(select, ascending != backward).limit(size + 1))
                .await?;
            let more = rows.len() as u64 > size;
            rows.truncate(size as usize);
            if backward {
                rows.reverse();
            }
            let (has_next_page, has_previous_page) = if backward {
                (before.is_some(), more)
            } else {
                (more, after.is_some())
            };
            Ok(Page {
                rows: rows.into_iter().map(|m| (E::key_of(&m), m)).collect(),
                has_next_page,
                has_previous_page,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_kind_checked() {
        let key = CursorKey::Log {
            timestamp: 1_700_000_000_000_000,
            id: 42,
        };
        let encoded = key.encode();
        assert_eq!(CursorKey::decode(&encoded, "log"), Some(key));
        assert_eq!(CursorKey::decode(&encoded, "alert"), None);
        assert_eq!(CursorKey::decode("not a cursor", "log"), None);
        assert_eq!(
            CursorKey::decode(&URL_SAFE_NO_PAD.encode("log:1:2:3"), "log"),
            None
        );
    }

    #[test]
    fn page_arguments_are_bounded() {
        let bad = [
            PageArgs {
                first: Some(1001),
                ..Default::default()
            },
            PageArgs {
                last: Some(-1),
                ..Default::default()
            },
            PageArgs {
                skip: Some(10),
                after: Some("x".into()),
                ..Default::default()
            },
            PageArgs {
                skip: Some(-5),
                ..Default::default()
            },
            PageArgs {
                first: Some(1),
                last: Some(1),
                ..Default::default()
            },
        ];
        for args in bad {
            assert!(args.clone().validate().is_err(), "{args:?}");
        }
        assert_eq!(
            PageArgs {
                first: Some(10),
                skip: Some(20),
                ..Default::default()
            }
            .validate()
            .unwrap(),
            PageRequest::Offset {
                skip: 20,
                limit: 10
            }
        );
    }
}
