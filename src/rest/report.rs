//! `GET /report/csv`: every log matching the `/logs` filters, streamed as CSV.

use axum::{
    body::Body,
    extract::{RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
};

use super::{logs::log_filter, params::Params};
use crate::{error::Result, service::report, state::AppState};

pub async fn report_csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = log_filter(&mut params);
    let order = params.order();
    params.finish()?;
    let filename = format!("logs-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    let body = Body::from_stream(report::stream(state.db.clone(), filter, order));
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
