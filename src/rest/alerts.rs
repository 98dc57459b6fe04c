//! `GET /alerts`, `GET /alerts/{id}`.

use axum::{
    Json,
    extract::{Path, RawQuery, State, rejection::PathRejection},
    response::{IntoResponse, Response},
};

use super::{
    openapi::{ErrorDetail, ValidationError},
    params::{AlertFilterQuery, OrderQuery, PageQuery, Params},
    views::{AlertView, json_page},
};
use crate::{
    error::{AppError, Result},
    service::alerts::{self, AlertFilter},
    state::AppState,
};

/// List alerts
///
/// Ordered by first occurrence; the old service's `skip`/`limit` paging.
#[utoipa::path(
    get,
    path = "/alerts",
    tag = "alerts",
    params(PageQuery, OrderQuery, AlertFilterQuery),
    responses(
        (status = 200, description = "The page of alerts, possibly empty.", body = [AlertView]),
        (status = 400, description = "The query string cannot be read (not UTF-8, malformed).",
            body = ErrorDetail),
        (status = 422, description = "A parameter is invalid; each one is named in `detail`.",
            body = ValidationError),
    ),
)]
pub async fn list_alerts(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = AlertFilter {
        status: params.list("status"),
        min_severity: params.level("min_severity"),
        source: params.string("source"),
        rule_id: params.opt_int("rule_id", 1, i64::MAX),
    };
    let order = params.order();
    let page = params.page();
    params.finish()?;
    let rows = alerts::list(&state.reader, &filter, order, &page)
        .await?
        .into_items();
    Ok(json_page::<_, AlertView>(&rows))
}

/// One alert
#[utoipa::path(
    get,
    path = "/alerts/{id}",
    tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id.")),
    responses(
        (status = 200, description = "The alert.", body = AlertView),
        (status = 404, description = "No alert has this id.", body = ErrorDetail),
        (status = 422, description = "The id is not an integer.", body = ValidationError),
    ),
)]
pub async fn get_alert(
    State(state): State<AppState>,
    id: std::result::Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let id = super::params::path_id(id)?;
    let alert = alerts::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("alert {id} not found")))?;
    Ok(Json(AlertView::from(&alert)).into_response())
}
