//! Root query fields. Each is a thin adapter: validate arguments, call the query
//! layer, convert the result.

use async_graphql::{Context, ID, Object};

use super::{
    connection::{Connection, Counted},
    guard::RequireScope,
    rules::AlertRule,
    types::{Alert, AlertFilterInput, LogEntry, LogFilterInput, Status},
};
use crate::{
    auth::Scope,
    domain::SortOrder,
    error::AppError,
    service::{alerts, logs, logs::LogFilter, page::PageArgs, rules, status},
    state::AppState,
};

/// Parses an `ID!` argument into a row id, naming the argument when it is not one.
pub fn parse_id(id: &ID, name: &str) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| {
        AppError::invalid(
            &[name],
            "int_parsing",
            format!("`{name}` must be an integer id, got {:?}", id.as_str()),
        )
        .into()
    })
}

#[derive(Default)]
pub struct QueryRoot;

// The type's guard covers every field, present and future (see `guard`). Each
// field that goes to the database costs at least `DB_CALL_COST`, so aliases cannot
// turn one request into thousands of queries.
/// Reading. With authentication on, every field needs a token with the `read` scope.
#[Object(guard = "RequireScope(Scope::Read)")]
// Database calls are boxed: async-graphql moves each root field's future into a box
// of its own, sized for the largest of them (sqlx's are kilobytes), and copying that
// was a fifth of a small query's work.
impl QueryRoot {
    /// Health of the service and its database.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<Status> {
        let state = ctx.data::<AppState>()?;
        let health = Box::pin(status::check(&state.db, state.started)).await;
        Ok(Status {
            status: if health.database_ok { "ok" } else { "degraded" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database: if health.database_ok {
                "ok"
            } else {
                "unreachable"
            }
            .into(),
            uptime_seconds: health.uptime.as_secs_f64(),
        })
    }

    /// Logs in `(timestamp, id)` order, paged Relay-style (`first`/`after`,
    /// `last`/`before`, at most 1000) or by offset (`skip`, not with a cursor).
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn logs(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilterInput>,
        #[graphql(default_with = "Some(SortOrder::Asc)")] order: Option<SortOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        skip: Option<i32>,
    ) -> async_graphql::Result<Connection<LogEntry>> {
        let state = ctx.data::<AppState>()?;
        let request = PageArgs {
            first,
            after,
            last,
            before,
            skip,
        }
        .validate()?;
        let filter = LogFilter::from(filter.unwrap_or_default());
        let page = Box::pin(logs::list(
            &state.reader,
            &filter,
            order.unwrap_or_default(),
            &request,
        ))
        .await?;
        Ok(Connection::new(page, Counted::Logs(filter)))
    }

    /// One log by id, or null.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn log(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<LogEntry>> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id")?;
        Ok(Box::pin(logs::get(&state.reader, id))
            .await?
            .map(LogEntry::from))
    }

    /// Alerts in the order they were raised, paged like `logs`.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilterInput>,
        #[graphql(default_with = "Some(SortOrder::Asc)")] order: Option<SortOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        skip: Option<i32>,
    ) -> async_graphql::Result<Connection<Alert>> {
        let state = ctx.data::<AppState>()?;
        let request = PageArgs {
            first,
            after,
            last,
            before,
            skip,
        }
        .validate()?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let page = Box::pin(alerts::list(
            &state.reader,
            &filter,
            order.unwrap_or_default(),
            &request,
        ))
        .await?;
        Ok(Connection::new(page, Counted::Alerts(filter)))
    }

    /// One alert by id, or null.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Alert>> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id")?;
        Ok(Box::pin(alerts::get(&state.db, id)).await?.map(Alert::from))
    }

    /// Log counts per level per time bucket, for charts: ascending by `start`,
    /// buckets without logs left out, at most 10,000 buckets.
    #[graphql(complexity = "super::stats::LOG_STATS_COST + child_complexity")]
    async fn log_stats(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilterInput>,
        interval: crate::service::stats::Interval,
    ) -> async_graphql::Result<Vec<super::stats::LogBucket>> {
        let state = ctx.data::<AppState>()?;
        let filter = LogFilter::from(filter.unwrap_or_default());
        let buckets = Box::pin(crate::service::stats::log_stats(
            &state.db, &filter, interval,
        ))
        .await?;
        Ok(buckets.into_iter().map(Into::into).collect())
    }

    /// A link to `GET /report/csv` that downloads, as CSV, the logs `logs(filter:)`
    /// returns (every one, in the default order). With authentication on, the link
    /// needs a token with the `read` scope, as this query does.
    async fn report_csv_url(
        &self,
        ctx: &Context<'_>,
        filter: Option<LogFilterInput>,
    ) -> async_graphql::Result<String> {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        // Only RFC 3986's unreserved characters go as they are: `+` must not turn
        // into a space, nor `&`, `=` and `%` into syntax.
        const VALUE: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let state = ctx.data::<AppState>()?;
        let filter = LogFilter::from(filter.unwrap_or_default());
        // The REST shim reads an empty value as "no filter", where GraphQL matches
        // nothing (`levels: []`) or only empty sources: a link would return other rows.
        if filter.levels.as_ref().is_some_and(Vec::is_empty) {
            return Err(AppError::invalid(
                &["filter", "levels"],
                "too_short",
                "`filter.levels` is empty, which matches no log; leave it out to match every level",
            )
            .into());
        }
        if filter.source.as_deref() == Some("") {
            return Err(AppError::invalid(
                &["filter", "source"],
                "string_too_short",
                "`filter.source` is empty; the CSV report cannot filter on an empty source",
            )
            .into());
        }
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for level in filter.levels.iter().flatten() {
            pairs.push(("level", level.as_str().to_owned()));
        }
        if let Some(min) = filter.min_level {
            pairs.push(("min_level", min.as_str().to_owned()));
        }
        pairs.extend(filter.source.map(|s| ("source", s)));
        pairs.extend(filter.search.filter(|s| !s.is_empty()).map(|s| ("q", s)));
        pairs.extend(filter.since.map(|t| ("since", t.to_string())));
        pairs.extend(filter.until.map(|t| ("until", t.to_string())));
        let query: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, VALUE)))
            .collect();
        let mut url = format!("{}/report/csv", state.config.external_url());
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        Ok(url)
    }

    /// Every alert rule, enabled or not, in creation order.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn alert_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AlertRule>> {
        let state = ctx.data::<AppState>()?;
        let all = Box::pin(rules::list(&state.db)).await?;
        Ok(all.into_iter().map(AlertRule::from).collect())
    }
}

/// What one root field that queries the database costs at least: with the limit
/// of 50 000 in `graphql::MAX_COMPLEXITY`, at most 100 of them fit in a request.
pub(super) const DB_CALL_COST: usize = 500;

/// A page's cost is one query plus what it selects times how many rows it may
/// return, so one request can ask neither for many full pages nor for many small
/// ones through aliases.
fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .or(last)
        .map(|n| n.clamp(1, crate::service::page::MAX_PAGE_SIZE as i32) as usize)
        .unwrap_or(crate::service::page::DEFAULT_PAGE_SIZE as usize);
    DB_CALL_COST.saturating_add(rows.saturating_mul(child_complexity.max(1)))
}
