//! `GET /logs`, `GET /logs/{id}`.

use axum::{
    Json,
    extract::{Path, RawQuery, State, rejection::PathRejection},
    response::{IntoResponse, Response},
};

use super::{params::Params, views::LogView};
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

pub async fn list_logs(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = log_filter(&mut params);
    let order = params.order();
    let page = params.page();
    params.finish()?;
    let rows = logs::list(&state.db, &filter, order, &page)
        .await?
        .into_items();
    Ok(Json(rows.iter().map(LogView::from).collect::<Vec<_>>()).into_response())
}

pub async fn get_log(
    State(state): State<AppState>,
    id: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = super::params::path_id(id)?;
    let log = logs::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("log {id} not found")))?;
    Ok(Json(LogView::from(&log)).into_response())
}
