//! `GET /status`: 200 while the database answers, 503 otherwise.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};

use super::views::{DatabaseHealth, Health, StatusView};
use crate::{domain::Timestamp, service::status, state::AppState};

/// The service's health
///
/// Open even when authentication is on, for load balancers and uptime checks.
#[utoipa::path(
    get,
    path = "/status",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers.", body = StatusView),
        (status = 503, description = "The database cannot be reached: `status` is `degraded`.",
            body = StatusView),
    ),
)]
pub async fn get_status(State(state): State<AppState>) -> impl IntoResponse {
    let health = status::check(&state.db, state.started).await;
    let (code, overall, database) = if health.database_ok {
        (StatusCode::OK, Health::Ok, DatabaseHealth::Ok)
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Health::Degraded,
            DatabaseHealth::Unreachable,
        )
    };
    let body = StatusView {
        status: overall,
        version: env!("CARGO_PKG_VERSION"),
        database,
        uptime_seconds: health.uptime.as_secs_f64(),
        service: "Log Sentinel",
        timestamp: Timestamp::now(),
    };
    (code, Json(body))
}
