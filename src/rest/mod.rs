//! The REST shim that keeps the old service's callers working. Handlers are thin:
//! parse parameters (FastAPI-shaped 422s), call the query layer, serialise.

mod alerts;
mod ingest;
mod logs;
mod loki;
mod params;
mod report;
mod status;
mod views;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status::get_status))
        .route("/logs", get(logs::list_logs).post(ingest::post_logs))
        .route("/logs/{id}", get(logs::get_log))
        .route("/alerts", get(alerts::list_alerts))
        .route("/alerts/{id}", get(alerts::get_alert))
        .route("/report/csv", get(report::report_csv))
        .route("/loki/api/v1/push", post(loki::push))
        .route("/api/prom/push", post(loki::push))
        .route("/ready", get(loki::ready))
}
