//! GraphQL types of `logStats`: one `LogBucket` per time bucket that holds logs.

use async_graphql::SimpleObject;

use crate::{
    domain::{Level, Timestamp},
    service::stats::Bucket,
};

/// What `logStats` costs in the complexity budget: it reads every log its filter
/// matches, not one page of them, so a request may hold only a few.
pub(super) const LOG_STATS_COST: usize = 10 * super::query::DB_CALL_COST;

/// The logs of one time bucket.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct LogBucket {
    /// The bucket's first instant (a whole minute, hour or day in UTC).
    pub start: Timestamp,
    /// Logs in the bucket.
    pub total: i64,
    /// Logs per level, TRACE first; only levels that occur.
    pub by_level: Vec<LevelCount>,
}

/// How many logs of one level.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct LevelCount {
    pub level: Level,
    pub count: i64,
}

impl From<Bucket> for LogBucket {
    fn from(b: Bucket) -> Self {
        LogBucket {
            start: b.start,
            total: b.total,
            by_level: b
                .by_level
                .into_iter()
                .map(|(level, count)| LevelCount { level, count })
                .collect(),
        }
    }
}
