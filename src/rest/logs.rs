//! `GET /logs`, `GET /logs/{id}`.

use axum::{
    Json,
    extract::{Path, RawQuery, State, rejection::PathRejection},
    response::{IntoResponse, Response},
};

use super::{
    openapi::{ErrorDetail, ValidationError},
    params::{LogFilterQuery, OrderQuery, PageQuery, Params},
    views::{LogView, log_page},
};
use crate::{
    error::{AppError, Result},
    service::logs::{self, LogFilter},
    state::AppState,
};

/// The `/logs` filters, shared with `/report/csv`.
pub(super) fn log_filter(params: &mut Params) -> LogFilter {
    LogFilter {
        levels: params.levels("level"),
        min_level: params.level("min_level"),
        source: params.string("source"),
        search: params.string("q"),
        since: params.timestamp("since"),
        until: params.timestamp("until"),
    }
}

/// List logs
///
/// Ordered by `(timestamp, id)`; the old service's `skip`/`limit` paging.
#[utoipa::path(
    get,
    path = "/logs",
    tag = "logs",
    params(PageQuery, OrderQuery, LogFilterQuery),
    responses(
        (status = 200, description = "The page of logs, possibly empty.", body = [LogView]),
        (status = 400, description = "The query string cannot be read (not UTF-8, malformed).",
            body = ErrorDetail),
        (status = 422, description = "A parameter is invalid; each one is named in `detail`.",
            body = ValidationError),
    ),
)]
pub async fn list_logs(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = log_filter(&mut params);
    let order = params.order();
    let page = params.page();
    params.finish()?;
    let rows = logs::list(&state.reader, &filter, order, &page)
        .await?
        .into_items();
    Ok(log_page(&rows))
}

/// One log
#[utoipa::path(
    get,
    path = "/logs/{id}",
    tag = "logs",
    params(("id" = i64, Path, description = "The log's id.")),
    responses(
        (status = 200, description = "The log.", body = LogView),
        (status = 404, description = "No log has this id.", body = ErrorDetail),
        (status = 422, description = "The id is not an integer.", body = ValidationError),
    ),
)]
pub async fn get_log(
    State(state): State<AppState>,
    id: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = super::params::path_id(id)?;
    let log = logs::get(&state.reader, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("log {id} not found")))?;
    Ok(Json(LogView::from(&log)).into_response())
}
