//! The OpenAPI 3.1 description of the REST shim (`GET /openapi.json`) and a page to
//! read it (`GET /docs`, Swagger UI compiled into the binary, so it works offline).
//!
//! The document comes from the code: each handler's `#[utoipa::path]`, the view
//! types it serialises, and, for security, the auth layer's own policy table
//! (`auth::layer::requirement`), so the two cannot drift apart.

use std::{
    borrow::Cow,
    sync::{Arc, OnceLock},
};

use axum::{
    body::Bytes,
    extract::{Path, Request, rejection::PathRejection},
    http::{Method, header},
    response::{Html, IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi, PartialSchema, ToSchema,
    openapi::{
        Components, Content, Ref, RefOr, ResponseBuilder,
        header::HeaderBuilder,
        path::{Operation, PathItem},
        schema::{
            AnyOfBuilder, ArrayBuilder, ArrayItems, KnownFormat, ObjectBuilder, Schema,
            SchemaFormat, Type,
        },
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};
use utoipa_swagger_ui::Config;

use super::{alerts, ingest, logs, loki, report, status};
use crate::{
    auth::layer::{Requirement, requirement},
    domain::{AlertStatus, Level, Timestamp},
    error::AppError,
};

/// Where the document is served; the page fetches it from here.
const SPEC_URL: &str = "/openapi.json";

/// Security scheme names in the document.
const BEARER: &str = "bearer";
const LOKI_BASIC: &str = "loki_basic";

const DESCRIPTION: &str = "\
The REST interface of Log Sentinel: the old service's endpoints (`/status`, `/logs`, \
`/alerts`, `/report/csv`), log ingest, Loki's push API and operational endpoints. \
The full query API (cursor paging, statistics, alert rules, live tail) is GraphQL \
at `/graphql`.

**Conventions.** JSON bodies use snake_case; ids are integers; timestamps are RFC 3339 \
in UTC. Paths work with and without a trailing slash. An invalid parameter answers \
422 in FastAPI's shape, `{\"detail\": [{\"loc\": [\"query\", \"limit\"], \"msg\": \"…\", \
\"type\": \"…\"}]}`, naming every bad parameter; other errors are `{\"detail\": \"…\"}`. \
The Loki endpoints answer as Loki does: 204 without a body, errors as plain text.

**Authentication.** Without `SECRET_KEY` the server is in open mode and no token is \
needed (it then listens on loopback only). With `SECRET_KEY` set, every operation \
marked with a lock needs `Authorization: Bearer <JWT>` carrying the scope shown \
(`read`, `ingest` or `admin`, space-separated in the `scope` claim); mint one with \
`log-sentinel token --scope \"read ingest\"`. A missing or bad token gets 401 with \
`WWW-Authenticate: Bearer`, a missing scope 403. The Loki push paths also take the \
token as the HTTP Basic password, since some shippers can send nothing else.";

#[derive(OpenApi)]
#[openapi(
    info(description = DESCRIPTION),
    servers((url = "/", description = "This server")),
    paths(
        logs::list_logs,
        logs::get_log,
        ingest::post_logs,
        report::report_csv,
        alerts::list_alerts,
        alerts::get_alert,
        loki::push,
        loki::legacy_push,
        status::get_status,
        loki::ready,
        metrics,
        openapi_json,
        docs_page,
        docs_file,
    ),
    components(schemas(Level, AlertStatus, Timestamp, ErrorDetail, ValidationError)),
    tags(
        (name = "logs", description = "Query stored logs, as JSON or CSV."),
        (name = "ingest", description = "Send logs: JSON, JSON arrays or NDJSON."),
        (name = "alerts", description = "Alerts raised by the alert rules."),
        (name = "loki", description = "Loki's push API, for Promtail, Alloy, Vector, Fluent Bit \
            and the Loki logging libraries."),
        (name = "operations", description = "Health, readiness and metrics."),
        (name = "documentation", description = "This description and the page that shows it."),
    ),
    modifiers(&AuthPolicy),
)]
struct ApiDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The description of the REST shim
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "documentation",
    responses((status = 200, description = "This document (OpenAPI 3.1).",
        content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> Response {
    // Built once: the document depends only on the code.
    static JSON: OnceLock<Result<Bytes, String>> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        document()
            .to_json()
            .map(Bytes::from)
            .map_err(|e| e.to_string())
    });
    match json {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(e) => AppError::Internal(anyhow::anyhow!(
            "cannot serialise the OpenAPI document: {e}"
        ))
        .into_response(),
    }
}

/// The page that shows this description
///
/// Swagger UI, served from the binary: no internet access needed. `/docs/` is the
/// same page.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "documentation",
    responses((status = 200, description = "The HTML page.", content_type = "text/html",
        body = String)),
)]
pub async fn docs_page() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

/// A file of the documentation page
#[utoipa::path(
    get,
    path = "/docs/{file}",
    tag = "documentation",
    params(("file" = String, Path, description = "A Swagger UI file, such as \
        `swagger-ui-bundle.js` or `swagger-ui.css`.")),
    responses(
        (status = 200, description = "The file, with its content type.",
            content(("text/css"), ("text/javascript"), ("image/png"))),
        (status = 404, description = "No such file.", body = ErrorDetail),
    ),
)]
pub async fn docs_file(file: Result<Path<String>, PathRejection>) -> Response {
    let Ok(Path(file)) = file else {
        return not_found("");
    };
    // The page's files sit in one flat directory; anything path-like is not one.
    if file.contains(['/', '\\']) || file.starts_with('.') {
        return not_found(&file);
    }
    if file.is_empty() || file == "index.html" {
        return Html(DOCS_PAGE).into_response();
    }
    match utoipa_swagger_ui::serve(&file, swagger_config()) {
        Ok(Some(found)) => {
            // The embedded files are static: hand them out without copying.
            let body = match found.bytes {
                Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            };
            ([(header::CONTENT_TYPE, found.content_type)], body).into_response()
        }
        Ok(None) => not_found(&file),
        Err(e) => AppError::Internal(anyhow::anyhow!("cannot serve docs file {file:?}: {e}"))
            .into_response(),
    }
}

fn not_found(file: &str) -> Response {
    AppError::NotFound(format!("no file {file:?} in the documentation page")).into_response()
}

/// Swagger UI's own `index.html` links its files relatively (`./swagger-ui.css`),
/// which from `/docs` (where `/docs/` also lands) would resolve to the site root;
/// this page names them absolutely.
const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Log Sentinel REST API</title>
  <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
  <link rel="stylesheet" type="text/css" href="/docs/index.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <noscript>This page needs JavaScript. The description itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/docs/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="/docs/swagger-initializer.js" charset="utf-8"></script>
</body>
</html>
"#;

fn swagger_config() -> Arc<Config<'static>> {
    static CONFIG: OnceLock<Arc<Config<'static>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            Arc::new(
                Config::new([SPEC_URL])
                    // The default sends the document to validator.swagger.io.
                    .validator_url("none")
                    .display_request_duration(true)
                    .filter(true),
            )
        })
        .clone()
}

/// Prometheus metrics
///
/// Request counts and latencies per route, logs ingested, alerts raised and
/// changed, webhook deliveries, uptime. Served by `crate::metrics` from the parent
/// router; described here with the rest of the HTTP interface.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.",
        content_type = "text/plain; version=0.0.4; charset=utf-8", body = String,
        example = "# TYPE log_sentinel_logs_ingested_total counter\nlog_sentinel_logs_ingested_total 1234\n")),
)]
#[allow(dead_code)] // only its `#[utoipa::path]` is used
fn metrics() {}

/// Sets each operation's security from `auth::layer::requirement`, the table the
/// server enforces, and adds the 401 and 403 answers protected operations give.
struct AuthPolicy;

impl Modify for AuthPolicy {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT signed with the server's SECRET_KEY (`log-sentinel token`). \
                         The scope each operation needs is listed with it. Only checked \
                         when SECRET_KEY is set.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            LOKI_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "For Loki shippers that can only send Basic credentials: the JWT \
                         as the password; the user name is ignored. Loki push paths only.",
                    ))
                    .build(),
            ),
        );
        // Protected unless the policy says otherwise, as the server is.
        doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                apply(operation, policy(method, path));
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|op| (method, op)))
}

/// What the auth layer demands of a request to `path` (template parameters filled
/// with a sample value).
fn policy(method: Method, path: &str) -> Requirement {
    let concrete = fill_template(path);
    Request::builder()
        .method(method)
        .uri(concrete)
        .body(axum::body::Body::empty())
        .map(|request| requirement(&request))
        // Only a path that is not a URI ends here; say "token needed", the default.
        .unwrap_or(Requirement::Token {
            scope: None,
            basic: false,
        })
}

/// `/logs/{id}` → `/logs/1`.
fn fill_template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' if in_param => {
                in_param = false;
                out.push('1');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

fn apply(operation: &mut Operation, requirement: Requirement) {
    let (scope, basic) = match requirement {
        // An empty list overrides the document-wide default: no token at all.
        Requirement::Open => {
            operation.security = Some(Vec::new());
            return;
        }
        Requirement::Token { scope, basic } => (scope, basic),
        Requirement::WebSocket => (None, false),
    };
    let scopes: Vec<&str> = scope.map(|s| s.as_str()).into_iter().collect();
    let mut security = vec![SecurityRequirement::new(BEARER, scopes.clone())];
    if basic {
        security.push(SecurityRequirement::new(LOKI_BASIC, scopes.clone()));
    }
    operation.security = Some(security);
    let responses = &mut operation.responses.responses;
    responses
        .entry("401".into())
        .or_insert_with(|| unauthorized().into());
    let needs = scopes
        .first()
        .map_or(String::new(), |s| format!(" (`{s}`)"));
    responses.entry("403".into()).or_insert_with(|| {
        ResponseBuilder::new()
            .description(format!(
                "The token lacks the scope this operation needs{needs}."
            ))
            .content("application/json", error_detail())
            .build()
            .into()
    });
}

fn unauthorized() -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(
            "No token, or a bad one (expired, wrong signature or algorithm). Only when \
             SECRET_KEY is set.",
        )
        .header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(String::schema())
                .description(Some(r#"`Bearer realm="log-sentinel"`, with `error="invalid_token"` for a bad token"#))
                .build(),
        )
        .content("application/json", error_detail())
        .build()
}

fn error_detail() -> Content {
    Content::new(Some(RefOr::Ref(Ref::from_schema_name(ErrorDetail::name()))))
}

// Domain types as the REST shim writes them. Implemented here rather than derived
// in `domain`, which knows nothing of HTTP.

impl PartialSchema for Level {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Level::ALL.map(Level::as_str)))
            .description(Some(
                "Severity, ordered TRACE < DEBUG < INFO < WARNING < ERROR < CRITICAL. \
                 Inputs also accept any case, the aliases warn, err, crit, fatal and \
                 information, and syslog severities 0-7.",
            ))
            .into()
    }
}

impl ToSchema for Level {}

impl PartialSchema for AlertStatus {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                [
                    AlertStatus::Open,
                    AlertStatus::Acknowledged,
                    AlertStatus::Resolved,
                ]
                .map(AlertStatus::as_str),
            ))
            .description(Some(
                "Where an alert is in its lifecycle: OPEN → ACKNOWLEDGED → RESOLVED.",
            ))
            .into()
    }
}

impl ToSchema for AlertStatus {}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 in UTC, with microseconds."))
            .examples(["2026-01-01T00:00:00.000000Z"])
            .into()
    }
}

impl ToSchema for Timestamp {}

// Bodies that are described but never built as these types: errors are written by
// `AppError`, and requests are parsed by hand to name each bad field precisely.
pub use bodies::*;

#[allow(dead_code)]
mod bodies {
    use std::collections::BTreeMap;

    use utoipa::{IntoResponses, ToSchema};

    /// An error other than invalid input: what went wrong, for people.
    #[derive(ToSchema)]
    pub struct ErrorDetail {
        #[schema(example = "log 42 not found")]
        detail: String,
    }

    /// Invalid input, in FastAPI's shape: every problem found, each with its place.
    #[derive(ToSchema)]
    pub struct ValidationError {
        detail: Vec<ValidationIssue>,
    }

    /// One invalid value.
    #[derive(ToSchema)]
    pub struct ValidationIssue {
        /// Where: `["query", name]`, `["path", "id"]`, or `["body", position, field]`
        /// (position: 0-based array index, or 1-based NDJSON line).
        #[schema(example = json!(["query", "limit"]))]
        loc: Vec<LocPart>,
        #[schema(example = "Input should be less than or equal to 1000")]
        msg: String,
        /// The kind of problem, as FastAPI names it (`int_parsing`, `enum`, `missing`, …).
        #[serde(rename = "type")]
        #[schema(example = "less_than_equal")]
        kind: String,
        /// The value that was refused, when there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Value>, example = "5000")]
        input: Option<serde_json::Value>,
    }

    #[derive(ToSchema)]
    #[serde(untagged)]
    pub enum LocPart {
        Name(String),
        Position(u64),
    }

    /// One log to store. Fields not listed here are kept in `attributes`.
    #[derive(ToSchema)]
    pub struct LogInput {
        /// The log line.
        #[schema(example = "payment service timed out")]
        message: String,
        #[schema(schema_with = super::level_input)]
        level: Option<String>,
        #[schema(schema_with = super::timestamp_input)]
        timestamp: Option<String>,
        /// The service or host that sent it.
        #[schema(max_length = 255, example = "api")]
        source: Option<String>,
        /// Labels and structured fields.
        #[schema(value_type = Option<Object>, example = json!({"request_id": "r-17"}))]
        attributes: Option<serde_json::Value>,
    }

    /// One log, or an array of them (stored together or not at all).
    #[derive(ToSchema)]
    #[serde(untagged)]
    pub enum LogBatch {
        One(LogInput),
        Many(Vec<LogInput>),
    }

    /// Loki's v1 JSON push.
    #[derive(ToSchema)]
    pub struct LokiPush {
        streams: Vec<LokiStream>,
    }

    #[derive(ToSchema)]
    pub struct LokiStream {
        /// The stream's labels.
        #[schema(example = json!({"service_name": "api", "level": "error"}))]
        stream: BTreeMap<String, String>,
        #[schema(schema_with = super::loki_values)]
        values: Vec<serde_json::Value>,
    }

    /// Loki's legacy JSON push (`/api/prom/push`).
    #[derive(ToSchema)]
    pub struct LegacyPush {
        streams: Vec<LegacyStream>,
    }

    #[derive(ToSchema)]
    pub struct LegacyStream {
        /// A label selector.
        #[schema(example = "{job=\"api\", level=\"warning\"}")]
        labels: String,
        entries: Vec<LegacyEntry>,
    }

    #[derive(ToSchema)]
    pub struct LegacyEntry {
        /// RFC 3339, or an epoch number.
        #[schema(example = "2026-01-01T00:00:00Z")]
        ts: String,
        #[schema(example = "slow query")]
        line: String,
    }

    /// The answers of both Loki push paths.
    #[derive(IntoResponses)]
    pub enum PushResponses {
        /// Stored and committed. No body: some shippers count anything else as a failure.
        #[response(status = 204)]
        Stored,
        /// The body cannot be read (bad JSON, snappy or protobuf, bad labels) or an
        /// entry is invalid; one line of text naming the stream and entry.
        #[response(status = 400, content_type = "text/plain",
            example = json!("error at stream 0 entry 2: the line must be a string, got a number\n"))]
        Malformed(String),
        /// The body, or what it decompresses to, is larger than MAX_BODY_BYTES.
        #[response(status = 413, content_type = "text/plain")]
        TooLarge(String),
        /// A Content-Encoding other than gzip, deflate or identity.
        #[response(status = 415, content_type = "text/plain")]
        UnsupportedEncoding(String),
        /// The database cannot take writes now.
        #[response(status = 503, content_type = "text/plain")]
        Unavailable(String),
    }
}

/// A protobuf push body: `logproto.PushRequest`, snappy block-compressed.
pub struct SnappyProtobuf;

impl PartialSchema for SnappyProtobuf {
    fn schema() -> RefOr<Schema> {
        // Binary in OpenAPI 3.1: a string with a media type, not an array of bytes.
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/x-protobuf")
            .description(Some(
                "Loki's `logproto.PushRequest` (labels as a selector string such as \
                 `{job=\"api\"}`), snappy block-compressed, as Promtail, Alloy, Vector and \
                 winston-loki send it.",
            ))
            .into()
    }
}

impl ToSchema for SnappyProtobuf {}

/// `level` of a log to store: a name or a syslog number.
pub(crate) fn level_input() -> RefOr<Schema> {
    // anyOf: `ERROR` is both a level and a string.
    AnyOfBuilder::new()
        .item(RefOr::Ref(Ref::from_schema_name(Level::name())))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "Any case, or an alias: warn, err, crit, fatal, information.",
                )),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(7))
                .description(Some(
                    "Syslog severity: 0-2 CRITICAL, 3 ERROR, 4 WARNING, 5-6 INFO, 7 DEBUG.",
                )),
        )
        .description(Some("Default INFO."))
        .examples(["error", "WARNING"])
        .into()
}

/// `timestamp` of a log to store: RFC 3339 or an epoch number.
pub(crate) fn timestamp_input() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some(
                    "RFC 3339; without an offset (or with a space for `T`) read as UTC.",
                )),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .description(Some(
                    "Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by \
             magnitude (also as a string of digits).",
                )),
        )
        .description(Some("Default: when the server receives it."))
        .examples(["2026-01-01T00:00:00Z"])
        .into()
}

/// `values` of a Loki stream: `[ns, line]` or `[ns, line, metadata]` tuples.
pub(crate) fn loki_values() -> RefOr<Schema> {
    let tuple = ArrayBuilder::new()
        .prefix_items([
            Schema::from(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Nanoseconds since the Unix epoch."))
                    .examples(["1767225600000000000"])
                    .build(),
            ),
            Schema::from(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The log line."))
                    .build(),
            ),
            Schema::from(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(String::schema()))
                    .description(Some("Structured metadata (optional)."))
                    .build(),
            ),
        ])
        .items(ArrayItems::False)
        .min_items(Some(2))
        .max_items(Some(3));
    ArrayBuilder::new()
        .items(tuple)
        .description(Some(
            "The entries: `[timestamp, line]` or `[timestamp, line, metadata]`.",
        ))
        .into()
}
