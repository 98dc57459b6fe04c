//! Relay connections (`edges`, `nodes`, `pageInfo`, `totalCount`) over the query
//! layer's pages. `totalCount` runs its COUNT only when a client selects it.

use async_graphql::{Context, Object, OutputType, SimpleObject};

use super::{
    rows::{Row, Rows},
    types::{Alert, LogEntry},
};
use crate::{
    service::{
        alerts,
        alerts::AlertFilter,
        logs,
        logs::LogFilter,
        page::{CursorKey, Page},
    },
    state::AppState,
};

#[derive(SimpleObject, Clone)]
#[graphql(concrete(name = "LogEdge", params(LogEntry)))]
#[graphql(concrete(name = "AlertEdge", params(Alert)))]
pub struct Edge<N: OutputType> {
    /// Pass as `after` or `before` to page from this row.
    pub cursor: String,
    pub node: N,
}

/// Relay's page information.
#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// What `totalCount` counts.
pub enum Counted {
    Logs(LogFilter),
    Alerts(AlertFilter),
}

pub struct Connection<N: OutputType> {
    keys: Vec<CursorKey>,
    nodes: Vec<N>,
    has_next_page: bool,
    has_previous_page: bool,
    counted: Counted,
}

impl<N: OutputType + Clone> Connection<N> {
    pub fn new<M>(page: Page<M>, counted: Counted) -> Self
    where
        N: From<M>,
    {
        let (keys, nodes) = page
            .rows
            .into_iter()
            .map(|(key, row)| (key, N::from(row)))
            .unzip();
        Connection {
            keys,
            nodes,
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            counted,
        }
    }
}

#[Object(
    concrete(name = "LogConnection", params(LogEntry)),
    concrete(name = "AlertConnection", params(Alert))
)]
impl<N: OutputType + Row + Clone> Connection<N>
where
    Edge<N>: OutputType,
{
    // Cursors are encoded only when a client asks for them.
    async fn edges(&self) -> Vec<Edge<N>> {
        self.keys
            .iter()
            .zip(&self.nodes)
            .map(|(key, node)| Edge {
                cursor: key.encode(),
                node: node.clone(),
            })
            .collect()
    }

    /// The rows of `edges`, without cursors.
    async fn nodes(&self) -> Rows<'_, N> {
        Rows(&self.nodes)
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.keys.first().map(|k| k.encode()),
            end_cursor: self.keys.last().map(|k| k.encode()),
        }
    }

    /// Rows matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let state = ctx.data::<AppState>()?;
        let n = match &self.counted {
            // Boxed for the reason given in `query.rs`.
            Counted::Logs(filter) => Box::pin(logs::count(&state.reader, filter)).await?,
            Counted::Alerts(filter) => Box::pin(alerts::count(&state.reader, filter)).await?,
        };
        Ok(n as i64)
    }
}
