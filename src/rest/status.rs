//! `GET /status`: 200 while the database answers, 503 otherwise.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::{domain::Timestamp, service::status, state::AppState};

pub async fn get_status(State(state): State<AppState>) -> impl IntoResponse {
    let health = status::check(&state.db, state.started).await;
    let (code, overall, database) = if health.database_ok {
        (StatusCode::OK, "ok", "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded", "unreachable")
    };
    let body = json!({
        "status": overall,
        "version": env!("CARGO_PKG_VERSION"),
        "database": database,
        "uptime_seconds": health.uptime.as_secs_f64(),
        // The old service's fields, kept for its callers.
        "service": "Log Sentinel",
        "timestamp": Timestamp::now(),
    });
    (code, Json(body))
}
