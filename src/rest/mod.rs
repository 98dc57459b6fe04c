//! The REST shim that keeps the old service's callers working. Handlers are thin:
//! parse parameters (FastAPI-shaped 422s), call the query layer, serialise.
//!
//! Every route is one row of [`ROUTES`]; the router is built from that table and
//! the OpenAPI test checks `/openapi.json` against it, so a route cannot be served
//! without being described.

mod alerts;
mod ingest;
mod logs;
mod loki;
pub mod openapi;
mod params;
mod report;
mod status;
mod views;

use axum::{
    Router,
    routing::{MethodFilter, MethodRouter, on},
};

use crate::state::AppState;

/// The HTTP methods the shim serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Also answers HEAD, as axum's GET routes do.
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// One route: method, path (axum syntax: `{id}`, `{*file}`) and its handler.
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    /// Takes the method from the row itself, so the two cannot disagree.
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

const fn route(
    verb: Verb,
    path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> Route {
    Route {
        verb,
        path,
        handler,
    }
}

/// Everything this module serves.
pub const ROUTES: &[Route] = &[
    route(Verb::Get, "/status", |m| on(m, status::get_status)),
    route(Verb::Get, "/logs", |m| on(m, logs::list_logs)),
    route(Verb::Post, "/logs", |m| on(m, ingest::post_logs)),
    route(Verb::Get, "/logs/{id}", |m| on(m, logs::get_log)),
    route(Verb::Get, "/alerts", |m| on(m, alerts::list_alerts)),
    route(Verb::Get, "/alerts/{id}", |m| on(m, alerts::get_alert)),
    route(Verb::Get, "/report/csv", |m| on(m, report::report_csv)),
    route(Verb::Post, "/loki/api/v1/push", |m| on(m, loki::push)),
    route(Verb::Post, "/api/prom/push", |m| on(m, loki::legacy_push)),
    route(Verb::Get, "/ready", |m| on(m, loki::ready)),
    route(Verb::Get, "/openapi.json", |m| on(m, openapi::openapi_json)),
    // `/docs/` arrives here as `/docs`: trailing slashes are trimmed before routing.
    route(Verb::Get, "/docs", |m| on(m, openapi::docs_page)),
    route(Verb::Get, "/docs/{*file}", |m| on(m, openapi::docs_file)),
];

/// Described in `/openapi.json` but served by the parent router (`build_router`).
pub const SERVED_ELSEWHERE: &[(Verb, &str)] = &[(Verb::Get, "/metrics")];

pub fn router() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, route| {
        router.route(route.path, (route.handler)(route.verb.filter()))
    })
}
