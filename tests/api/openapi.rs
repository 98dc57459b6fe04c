//! `GET /openapi.json` and `GET /docs`. Route coverage is checked against
//! `rest::ROUTES`, the table the router is built from (plus `SERVED_ELSEWHERE`,
//! routes the parent router serves): the documented (method, path) pairs must be
//! exactly those. Then the real server is probed with what the document says:
//! every operation answers one of its documented statuses with a documented
//! content type, other methods get 405, every query parameter is read by the
//! parser, the request examples are accepted, and the security the document
//! shows is what the server enforces.

use std::collections::BTreeSet;

use base64::{Engine, engine::general_purpose::STANDARD};
use log_sentinel::{
    rest::{ROUTES, SERVED_ELSEWHERE},
    service::page::MAX_PAGE_SIZE,
};
use reqwest::Method;
use serde_json::Value;

use crate::{
    common::{Backend, JAN_1, TestApp, insert_alerts, sample_logs, spawn_app, spawn_protected},
    db_test,
};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One documented operation.
struct Operation {
    method: String,
    path: String,
    spec: Value,
}

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.json().await.expect("the document is JSON")
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(spec) = item.get(method) {
                out.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    spec: spec.clone(),
                });
            }
        }
    }
    out
}

/// The router's path syntax in OpenAPI's: `{*file}` is `{file}`.
fn openapi_path(axum_path: &str) -> String {
    axum_path.replace("{*", "{")
}

/// Fills path parameters with values that exist on this server.
fn concrete(path: &str, log_id: i64, alert_id: i64) -> String {
    let filled = if path.starts_with("/logs/") {
        path.replace("{id}", &log_id.to_string())
    } else if path.starts_with("/alerts/") {
        path.replace("{id}", &alert_id.to_string())
    } else {
        path.replace("{file}", "swagger-ui.css")
    };
    assert!(!filled.contains('{'), "no sample value for {path}");
    filled
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// Resolves a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_describes_exactly_the_served_routes() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], env!("CARGO_PKG_NAME"));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    assert_eq!(doc["servers"][0]["url"], "/");

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.verb.as_str().to_owned(), openapi_path(r.path)))
        .chain(
            SERVED_ELSEWHERE
                .iter()
                .map(|(verb, path)| (verb.as_str().to_owned(), path.to_string())),
        )
        .collect();
    assert_eq!(documented, served, "documented vs served routes");
    // The table itself must keep the contract's routes.
    for (method, path) in [
        ("GET", "/status"),
        ("GET", "/logs"),
        ("POST", "/logs"),
        ("GET", "/logs/{id}"),
        ("GET", "/alerts"),
        ("GET", "/alerts/{id}"),
        ("GET", "/report/csv"),
        ("POST", "/loki/api/v1/push"),
        ("POST", "/api/prom/push"),
        ("GET", "/ready"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
    ] {
        assert!(
            documented.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is not documented"
        );
    }

    // Every reference resolves, and every operation is complete.
    let mut all_refs = Vec::new();
    refs(&doc["paths"], &mut all_refs);
    refs(&doc["components"], &mut all_refs);
    for reference in &all_refs {
        let name = reference.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {reference}"
        );
    }
    let mut ids = BTreeSet::new();
    for op in operations(&doc) {
        let id = op.spec["operationId"].as_str().unwrap().to_owned();
        assert!(ids.insert(id), "duplicate operationId in {}", op.path);
        assert!(op.spec["summary"].is_string(), "{} {}", op.method, op.path);
        assert!(op.spec["tags"][0].is_string(), "{} {}", op.method, op.path);
        assert!(op.spec["security"].is_array(), "{} {}", op.method, op.path);
        for (code, response) in op.spec["responses"].as_object().unwrap() {
            assert!(code.parse::<u16>().is_ok(), "{code} in {}", op.path);
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty())
            );
        }
    }

    let get = |method: &str, path: &str| -> Value { doc["paths"][path][method].clone() };
    // The security the auth layer enforces.
    for path in [
        "/status",
        "/ready",
        "/openapi.json",
        "/docs",
        "/docs/{file}",
    ] {
        assert_eq!(
            get("get", path)["security"],
            serde_json::json!([]),
            "{path}"
        );
    }
    for (method, path, scope) in [
        ("get", "/logs", "read"),
        ("get", "/report/csv", "read"),
        ("get", "/metrics", "read"),
        ("post", "/logs", "ingest"),
    ] {
        assert_eq!(
            get(method, path)["security"],
            serde_json::json!([{ "bearer": [scope] }]),
            "{method} {path}"
        );
        assert!(get(method, path)["responses"]["401"].is_object());
        assert!(get(method, path)["responses"]["403"].is_object());
    }
    for path in ["/loki/api/v1/push", "/api/prom/push"] {
        assert_eq!(
            get("post", path)["security"],
            serde_json::json!([{ "bearer": ["ingest"] }, { "loki_basic": ["ingest"] }])
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["loki_basic"]["scheme"], "basic");

    // Status codes and bodies the contract names.
    let codes = |method: &str, path: &str| -> BTreeSet<String> {
        get(method, path)["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    for (method, path, expected) in [
        ("get", "/status", &["200", "503"][..]),
        ("get", "/logs", &["200", "400", "401", "403", "422"]),
        ("get", "/logs/{id}", &["200", "401", "403", "404", "422"]),
        (
            "post",
            "/logs",
            &["201", "400", "401", "403", "413", "422", "503"],
        ),
        ("get", "/alerts/{id}", &["200", "401", "403", "404", "422"]),
        ("get", "/report/csv", &["200", "400", "401", "403", "422"]),
        (
            "post",
            "/loki/api/v1/push",
            &["204", "400", "401", "403", "413", "415", "503"],
        ),
        ("get", "/ready", &["200", "503"]),
    ] {
        let expected: BTreeSet<String> = expected.iter().map(|c| c.to_string()).collect();
        assert_eq!(codes(method, path), expected, "{method} {path}");
    }
    let content = |method: &str, path: &str, code: &str| -> Value {
        get(method, path)["responses"][code]["content"].clone()
    };
    assert_eq!(
        content("get", "/logs", "200")["application/json"]["schema"],
        serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/LogEntry"}})
    );
    assert!(content("get", "/report/csv", "200")["text/csv; charset=utf-8"].is_object());
    assert!(
        content("get", "/metrics", "200")["text/plain; version=0.0.4; charset=utf-8"].is_object()
    );
    assert!(get("post", "/loki/api/v1/push")["responses"]["204"]["content"].is_null());
    let body = &get("post", "/loki/api/v1/push")["requestBody"]["content"];
    assert!(body["application/x-protobuf"].is_object());
    assert!(body["application/json"].is_object());
    let body = &get("post", "/logs")["requestBody"]["content"];
    assert!(body["application/json"].is_object());
    assert!(body["application/x-ndjson"].is_object());

    // The error shapes: FastAPI's 422 and `{"detail": "..."}`.
    let schemas = &doc["components"]["schemas"];
    let invalid = content("get", "/logs", "422");
    let validation = resolve(&doc, &invalid["application/json"]["schema"]);
    let issue = resolve(&doc, &validation["properties"]["detail"]["items"]);
    assert_eq!(
        issue["required"],
        serde_json::json!(["loc", "msg", "type"]),
        "{issue}"
    );
    let missing = content("get", "/logs/{id}", "404");
    let detail = resolve(&doc, &missing["application/json"]["schema"]);
    assert_eq!(detail["properties"]["detail"]["type"], "string");
    assert_eq!(
        schemas["Level"]["enum"],
        serde_json::json!(["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    );
    let log = &schemas["LogEntry"];
    assert_eq!(
        log["required"],
        serde_json::json!([
            "id",
            "timestamp",
            "level",
            "message",
            "source",
            "attributes"
        ])
    );
    assert_eq!(schemas["Timestamp"]["format"], "date-time");

    // Paging limits as the parser enforces them.
    let limit = get("get", "/logs")["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .cloned()
        .expect("limit is documented");
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["maximum"], MAX_PAGE_SIZE);
    assert_eq!(limit["schema"]["minimum"], 1);
}

/// Sample data, and the ids of one log and one alert.
async fn seed(app: &TestApp) -> (i64, i64) {
    app.insert_logs(sample_logs(5, JAN_1)).await;
    insert_alerts(app).await;
    let (_, logs) = app.get_json("/logs?limit=1").await;
    let (_, alerts) = app.get_json("/alerts?limit=1").await;
    (
        logs[0]["id"].as_i64().expect("a log id"),
        alerts[0]["id"].as_i64().expect("an alert id"),
    )
}

/// Sends `op` as documented: path parameters filled, and the JSON example of its
/// request body (if any) as the body.
async fn send(app: &TestApp, op: &Operation, path: &str, token: Option<&str>) -> reqwest::Response {
    let method = Method::from_bytes(op.method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path));
    let example = &op.spec["requestBody"]["content"]["application/json"]["example"];
    if !example.is_null() {
        request = request.json(example);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

db_test! {
    async fn every_documented_operation_answers_as_documented(app: TestApp) {
        let (log_id, alert_id) = seed(&app).await;
        let doc = document(&app).await;
        for op in operations(&doc) {
            let path = concrete(&op.path, log_id, alert_id);
            let response = send(&app, &op, &path, None).await;
            let status = response.status().as_u16();
            let what = format!("{} {path} answered {status}", op.method);
            assert_ne!(status, 404, "{what}: documented but not served");
            let documented = &op.spec["responses"][status.to_string()];
            assert!(documented.is_object(), "{what}, which is not documented");
            assert!(status < 300, "{what} to its own example");
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.bytes().await.unwrap();
            match documented["content"].as_object() {
                Some(types) => {
                    let actual = media_type(content_type.as_deref().unwrap_or(""));
                    assert!(
                        types.keys().any(|t| media_type(t) == actual),
                        "{what} as {actual}; documented: {:?}",
                        types.keys().collect::<Vec<_>>()
                    );
                    if actual == "application/json" {
                        serde_json::from_slice::<Value>(&body).expect("a JSON body");
                    }
                }
                None => assert!(body.is_empty(), "{what} with a body"),
            }
            // Trailing slashes are tolerated, and say the same.
            if op.method == "GET" {
                let again = app.get(&format!("{path}/")).await.status().as_u16();
                assert_eq!(again, status, "{} {path}/", op.method);
            }
        }

        // Methods the document does not list are not served either.
        for (path, item) in doc["paths"].as_object().unwrap() {
            let path = concrete(path, log_id, alert_id);
            for method in METHODS.iter().filter(|m| item.get(**m).is_none()) {
                let response = app
                    .client
                    .request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), app.url(&path))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 405, "{method} {path}");
            }
        }
    }
}

db_test! {
    async fn the_request_examples_are_stored(app: TestApp) {
        let doc = document(&app).await;
        let body = &doc["paths"]["/logs"]["post"]["requestBody"]["content"];
        let array = body["application/json"]["example"].clone();
        let response = app.client.post(app.url("/logs")).json(&array).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["accepted"], array.as_array().unwrap().len());

        let ndjson = body["application/x-ndjson"]["example"].as_str().unwrap().to_owned();
        let response = app
            .client
            .post(app.url("/logs"))
            .header("content-type", "application/x-ndjson")
            .body(ndjson.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["accepted"], ndjson.lines().count());

        for path in ["/loki/api/v1/push", "/api/prom/push"] {
            let example = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"].clone();
            let response = app.client.post(app.url(path)).json(&example).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 204, "{path}");
        }
        let (_, logs) = app.get_json("/logs?limit=1000").await;
        let messages: BTreeSet<&str> = logs.as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
        for message in ["payment service timed out", "retry succeeded", "disk 95% full", "slow query"] {
            assert!(messages.contains(message), "{message} not stored: {messages:?}");
        }
        // `level` given as a syslog number in the NDJSON example.
        let (_, warnings) = app.get_json("/logs?q=disk%2095&level=WARNING").await;
        assert_eq!(warnings.as_array().unwrap().len(), 1);
    }
}

/// Rows in a listing (JSON array) or a CSV report (lines after the header).
fn rows(content_type: &str, body: &str) -> usize {
    if content_type.starts_with("text/csv") {
        body.lines().count().saturating_sub(1)
    } else {
        serde_json::from_str::<Value>(body)
            .expect("JSON")
            .as_array()
            .expect("array")
            .len()
    }
}

db_test! {
    async fn every_documented_query_parameter_is_read_by_the_parser(app: TestApp) {
        seed(&app).await;
        let doc = document(&app).await;
        let mut checked = 0;
        for op in operations(&doc) {
            let params = op.spec["parameters"].as_array().cloned().unwrap_or_default();
            for param in params.iter().filter(|p| p["in"] == "query") {
                let name = param["name"].as_str().unwrap();
                let schema = resolve(&doc, &param["schema"]);
                let item = resolve(&doc, &schema["items"]);
                let integer = schema["type"] == "integer";
                let enumerated = schema["enum"].is_array() || item["enum"].is_array();
                // Values the parser must refuse, naming the parameter.
                let mut invalid = Vec::new();
                if integer {
                    invalid.push("abc".to_owned());
                    if let Some(min) = schema["minimum"].as_i64() {
                        invalid.push((min - 1).to_string());
                    }
                    if let Some(max) = schema["maximum"].as_i64() {
                        invalid.push((max + 1).to_string());
                    }
                } else if enumerated {
                    invalid.push("no-such-value".to_owned());
                }
                for value in &invalid {
                    let url = format!("{}?{name}={value}", op.path);
                    let (status, body) = app.get_json(&url).await;
                    assert_eq!(status, 422, "{url}: {body}");
                    assert_eq!(body["detail"][0]["loc"], serde_json::json!(["query", name]), "{url}");
                    checked += 1;
                }
                if let Some(max) = schema["maximum"].as_i64() {
                    let url = format!("{}?{name}={max}", op.path);
                    assert_eq!(app.get(&url).await.status().as_u16(), 200, "{url}");
                }
                if invalid.is_empty() {
                    // Free text: a value matching nothing must narrow the answer to
                    // nothing (or be refused), so the parameter is not ignored.
                    let url = format!("{}?{name}=zz-matches-nothing", op.path);
                    let response = app.get(&url).await;
                    let status = response.status().as_u16();
                    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
                    let text = response.text().await.unwrap();
                    match status {
                        200 => assert_eq!(rows(&content_type, &text), 0, "{url}"),
                        422 => assert!(text.contains(&format!(r#"["query","{name}"]"#)), "{url}: {text}"),
                        other => panic!("{url} answered {other}"),
                    }
                    let unfiltered = app.get(&op.path).await;
                    let content_type = unfiltered.headers()["content-type"].to_str().unwrap().to_owned();
                    assert!(rows(&content_type, &unfiltered.text().await.unwrap()) > 0, "{}", op.path);
                    checked += 1;
                }
            }
        }
        // skip, limit, order, level, min_level, source, q, since, until on /logs and
        // the report, and the alert filters: far more than a handful.
        assert!(checked >= 30, "only {checked} checks");
    }
}

/// `src` and `href` values in an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("closing quote");
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// Fetches each local file the page links and checks its content type.
async fn assert_assets_load(app: &TestApp, html: &str) -> usize {
    let assets: Vec<String> = links(html)
        .into_iter()
        .filter(|link| link != "/openapi.json")
        .collect();
    for link in &assets {
        assert!(
            link.starts_with("/docs/"),
            "{link} is not one of the page's own files"
        );
        let response = app.get(link).await;
        assert_eq!(response.status().as_u16(), 200, "{link}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = match link.rsplit('.').next() {
            Some("css") => "text/css",
            Some("js") => "javascript",
            Some("png") => "image/png",
            other => panic!("unexpected asset kind {other:?} in {link}"),
        };
        assert!(content_type.contains(expected), "{link}: {content_type}");
        assert!(
            !response.bytes().await.unwrap().is_empty(),
            "{link} is empty"
        );
    }
    assets.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_uses_only_its_own_files() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let mut pages = Vec::new();
    for path in ["/docs", "/docs/"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/html; charset=utf-8"
        );
        pages.push(response.text().await.unwrap());
    }
    assert_eq!(pages[0], pages[1], "/docs and /docs/ are the same page");
    let html = &pages[0];
    for link in links(html) {
        let lower = link.to_ascii_lowercase();
        assert!(
            !lower.starts_with("http:") && !lower.starts_with("https:") && !lower.starts_with("//"),
            "the page loads {link} from elsewhere"
        );
    }
    let linked = links(html);
    for needed in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        assert!(linked.iter().any(|l| l == needed), "{needed} not linked");
    }
    assert_eq!(assert_assets_load(&app, html).await, 7);

    // The page fetches this server's document, and nothing from swagger.io.
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains(r#""url": "/openapi.json""#),
        "{initializer}"
    );
    assert!(
        initializer.contains(r#""validatorUrl": "none""#),
        "{initializer}"
    );
    assert!(!initializer.contains("petstore"), "{initializer}");

    for missing in [
        "/docs/nope.js",
        "/docs/..%2F..%2FCargo.toml",
        "/docs/%2Fetc%2Fpasswd",
    ] {
        let (status, body) = app.get_json(missing).await;
        assert_eq!(status, 404, "{missing}");
        assert!(
            body["detail"].as_str().unwrap().contains("no file"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_authentication_on_the_docs_are_open_and_the_documented_security_holds() {
    let app = spawn_protected(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    assert_eq!(app.get("/logs").await.status().as_u16(), 401, "auth is on");
    let doc = document(&app).await;
    for path in ["/docs", "/docs/"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path} without a token");
        let html = response.text().await.unwrap();
        assert_eq!(assert_assets_load(&app, &html).await, 7);
    }

    let all = "read ingest admin";
    let (log_id, alert_id) = {
        // Seeded with a token: the listing that finds the ids needs `read`.
        app.insert_logs(sample_logs(2, JAN_1)).await;
        insert_alerts(&app).await;
        let token = app.token(all);
        let ids = |body: Value| body[0]["id"].as_i64().unwrap();
        let get = |path: &'static str| {
            let request = app.client.get(app.url(path)).bearer_auth(&token);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        (ids(get("/logs").await), ids(get("/alerts").await))
    };
    for op in operations(&doc) {
        let path = concrete(&op.path, log_id, alert_id);
        let what = format!("{} {path}", op.method);
        let security = op.spec["security"].as_array().unwrap();
        let anonymous = send(&app, &op, &path, None).await;
        if security.is_empty() {
            assert!(
                anonymous.status().is_success(),
                "{what} is documented as open but answered {}",
                anonymous.status()
            );
            continue;
        }
        assert_eq!(anonymous.status().as_u16(), 401, "{what} without a token");
        assert!(
            anonymous.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{what}"
        );
        let scope = security[0]["bearer"][0].as_str().expect("a bearer scope");
        let others: Vec<&str> = all.split(' ').filter(|s| *s != scope).collect();
        let lacking = send(&app, &op, &path, Some(&app.token(&others.join(" ")))).await;
        assert_eq!(lacking.status().as_u16(), 403, "{what} without `{scope}`");
        let granted = send(&app, &op, &path, Some(&app.token(scope))).await;
        assert!(
            ![401, 403].contains(&granted.status().as_u16()),
            "{what} with `{scope}` answered {}",
            granted.status()
        );
        if security.iter().any(|s| s.get("loki_basic").is_some()) {
            let basic = STANDARD.encode(format!("promtail:{}", app.token(scope)));
            let method = Method::from_bytes(op.method.as_bytes()).unwrap();
            let example = &op.spec["requestBody"]["content"]["application/json"]["example"];
            let response = app
                .client
                .request(method, app.url(&path))
                .header("authorization", format!("Basic {basic}"))
                .json(example)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 204, "{what} with Basic");
        }
    }
}
