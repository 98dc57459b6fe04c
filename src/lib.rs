//! Log Sentinel: collects logs, turns the ones that matter into alerts, and serves
//! both over GraphQL, a REST shim for the old Python service's callers, and CSV.
//!
//! Layers, outside in: `rest` and `graphql` (thin transport adapters) → `service`
//! (the one query layer) → `entities` (sea-orm) → the database opened by `db`.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod http_client;
pub mod ingest;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod rest;
pub mod sentinel;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;

use axum::{Router, extract::DefaultBodyLimit, middleware, routing::get};
use tower_http::limit::RequestBodyLimitLayer;

use crate::state::AppState;

/// Every route, REST and GraphQL, over one shared state. Both `serve` and the tests
/// use this.
pub fn build_router(state: AppState) -> Router {
    let schemas = graphql::Schemas::new(state.clone());
    let graphql = Router::new()
        .route(
            "/graphql",
            get(graphql::get_handler).post(graphql::post_handler),
        )
        .with_state(schemas);
    metrics::install();
    rest::router()
        .route("/metrics", get(metrics::scrape))
        .with_state(state.clone())
        .merge(graphql)
        .merge(graphql::graphiql::assets(&state.config))
        // Both: the layer refuses oversized bodies for every route (413 before reading
        // when Content-Length says so); the extractor limit is axum's own check.
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.config.request_timeout(),
            limits::body_deadline,
        ))
        // Outside the limits, so a caller without a token learns only that (401),
        // and around unmatched paths too: an unknown route is not an open one.
        .layer(middleware::from_fn_with_state(
            state.auth.clone(),
            auth::layer::authorize,
        ))
        // Outermost, so refused requests (401, 413, 408) are counted and logged too;
        // `Router::layer` runs it after routing, where the matched route is known.
        .layer(middleware::from_fn(metrics::track))
}
