//! `GET /report/csv`: every log matching the `/logs` filters, streamed as CSV.

use axum::{
    body::Body,
    extract::{RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
};

use super::{
    logs::log_filter,
    openapi::{ErrorDetail, ValidationError},
    params::{LogFilterQuery, OrderQuery, Params},
};
use crate::{error::Result, service::report, state::AppState};

/// Logs as CSV
///
/// Every log matching the `/logs` filters, no limit, streamed. Header row
/// `id,timestamp,level,message`; RFC 4180 quoting. Free-text cells that a
/// spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab, CR) get a
/// leading `'`; `id` and `timestamp` are never altered.
#[utoipa::path(
    get,
    path = "/report/csv",
    tag = "logs",
    params(OrderQuery, LogFilterQuery),
    responses(
        (status = 200, description = "The matching logs.", content_type = "text/csv; charset=utf-8",
            body = String,
            headers(("Content-Disposition" = String,
                description = "`attachment; filename=\"logs-<UTC time>.csv\"`")),
            example = "id,timestamp,level,message\n1,2026-01-01T00:00:00.000000Z,ERROR,'=cmd\n"),
        (status = 400, description = "The query string cannot be read (not UTF-8, malformed).",
            body = ErrorDetail),
        (status = 422, description = "A parameter is invalid; each one is named in `detail`.",
            body = ValidationError),
    ),
)]
pub async fn report_csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = log_filter(&mut params);
    let order = params.order();
    params.finish()?;
    let filename = format!("logs-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    let body = Body::from_stream(report::stream(state.reader.clone(), filter, order));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}
