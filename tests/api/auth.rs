//! Authentication and scopes, over HTTP against a server with SECRET_KEY set:
//! every bad token kind, the open routes, each scope against each surface, and
//! Loki's Basic password. Authorisation does not depend on the database, so these
//! run on SQLite only.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, SECRET, TestApp, spawn_app, spawn_protected};

async fn protected() -> TestApp {
    spawn_protected(Backend::Sqlite)
        .await
        .expect("sqlite always runs")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(claims: Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// What an attacker sends hoping the server skips verification.
fn unsigned(claims: Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Sends `method path` with an optional `Authorization` value and a body fitting
/// the route; returns status, `WWW-Authenticate` and the body.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
) -> (u16, String, Value) {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request = match (method, path) {
        (Method::POST, "/logs") => request.json(&json!({ "message": "via REST" })),
        (Method::POST, "/loki/api/v1/push") => request.json(&json!({
            "streams": [{ "stream": { "job": "loki" }, "values": [["1767225600000000000", "via Loki"]] }]
        })),
        (Method::POST, "/api/prom/push") => request.json(&json!({
            "streams": [{ "labels": "{job=\"legacy\"}", "entries": [{ "ts": "2026-01-01T00:00:00Z", "line": "via legacy" }] }]
        })),
        (Method::POST, "/graphql") => request.json(&json!({ "query": "{ logs { totalCount } }" })),
        _ => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, challenge, body)
}

async fn graphql_as(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_token_kind_gets_401_with_a_bearer_challenge_and_stores_nothing() {
    let app = protected().await;
    let good = json!({ "exp": now() + 600, "scope": "read ingest admin" });
    let cases: Vec<(&str, Option<String>, bool, &str)> = vec![
        ("missing", None, false, "authentication required"),
        (
            "expired",
            Some(sign(
                json!({ "exp": now() - 3600, "scope": "read ingest" }),
                Algorithm::HS256,
                SECRET,
            )),
            true,
            "expired",
        ),
        (
            "wrong key",
            Some(sign(good.clone(), Algorithm::HS256, "some-other-secret")),
            true,
            "signature",
        ),
        (
            "wrong algorithm",
            Some(sign(good.clone(), Algorithm::HS512, SECRET)),
            true,
            "not signed with HS256",
        ),
        ("alg none", Some(unsigned(good.clone())), true, "malformed"),
        (
            "no exp",
            Some(sign(
                json!({ "scope": "read ingest" }),
                Algorithm::HS256,
                SECRET,
            )),
            true,
            "`exp`",
        ),
        (
            "exp of the wrong type",
            Some(sign(
                json!({ "exp": "tomorrow", "scope": "read" }),
                Algorithm::HS256,
                SECRET,
            )),
            true,
            "invalid token",
        ),
        ("malformed", Some("not.a.jwt".into()), true, "malformed"),
        ("not even dotted", Some("abc".into()), true, "malformed"),
    ];
    for (kind, token, invalid, fragment) in &cases {
        let authorization = token.as_ref().map(|t| format!("Bearer {t}"));
        for (method, path) in [
            (Method::GET, "/logs"),
            (Method::POST, "/logs"),
            (Method::POST, "/loki/api/v1/push"),
            (Method::POST, "/graphql"),
        ] {
            let (status, challenge, body) =
                call(&app, method.clone(), path, authorization.as_deref()).await;
            let place = format!("{kind}: {method} {path}");
            assert_eq!(status, 401, "{place}: {body}");
            assert!(challenge.starts_with("Bearer"), "{place}: {challenge}");
            assert_eq!(
                challenge.contains(r#"error="invalid_token""#),
                *invalid,
                "{place}: {challenge}"
            );
            let message = if path == "/graphql" {
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                    "{place}"
                );
                body["errors"][0]["message"].as_str().unwrap().to_owned()
            } else {
                body["detail"].as_str().unwrap().to_owned()
            };
            assert!(message.contains(fragment), "{place}: {message}");
            if let Some(token) = token {
                assert!(
                    !body.to_string().contains(token.as_str()),
                    "{place}: token echoed"
                );
            }
        }
    }
    // Other schemes are not bearer tokens, even with a valid token inside.
    let valid = app.token("read ingest");
    for value in [
        format!("Token {valid}"),
        format!("Basic {}", STANDARD.encode(format!("user:{valid}"))),
        format!("Bearer{valid}"),
        "Bearer ".to_owned(),
    ] {
        let (status, challenge, _) = call(&app, Method::GET, "/logs", Some(&value)).await;
        assert_eq!(status, 401, "{value}");
        assert!(challenge.contains("invalid_token"), "{value}");
    }
    app.assert_unchanged(0, 0).await;
    // A good token still works, with the scheme in any case.
    let (status, _, _) = call(&app, Method::GET, "/logs", Some(&format!("bearer {valid}"))).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_listed_routes_are_open_and_new_or_unknown_ones_are_not() {
    let app = protected().await;
    for path in ["/status", "/status/", "/ready"] {
        assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
    }
    // The GraphiQL page, for a browser and for a bare GET; never a query's result.
    let page = app
        .client
        .get(app.url("/graphql?query=%7Blogs%7BtotalCount%7D%7D"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );
    assert_eq!(app.get("/graphql").await.status().as_u16(), 200);
    // The API description and its page are open.
    for path in ["/openapi.json", "/docs"] {
        assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
    }

    let protected_calls = [
        (Method::GET, "/logs"),
        (Method::GET, "/logs/"),
        (Method::GET, "/logs/1"),
        (Method::GET, "/alerts"),
        (Method::GET, "/alerts/1"),
        (Method::GET, "/report/csv"),
        (Method::GET, "/graphql?query=%7Bstatus%7Bstatus%7D%7D"),
        (Method::POST, "/graphql"),
        (Method::POST, "/logs"),
        (Method::POST, "/loki/api/v1/push"),
        (Method::POST, "/api/prom/push"),
        (Method::HEAD, "/logs"),
        (Method::OPTIONS, "/logs"),
        (Method::POST, "/status"),
        (Method::PUT, "/graphql"),
        (Method::GET, "/Status"),
        (Method::GET, "/metrics"),
        (Method::GET, "/not-a-route-yet"),
        (Method::DELETE, "/alerts/1"),
    ];
    for (method, path) in protected_calls {
        let (status, challenge, _) = call(&app, method.clone(), path, None).await;
        assert_eq!(status, 401, "{method} {path}");
        assert_eq!(
            challenge, r#"Bearer realm="log-sentinel""#,
            "{method} {path}"
        );
    }
    app.assert_unchanged(0, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_scope_opens_exactly_its_surfaces() {
    let app = protected().await;
    app.insert_logs(crate::common::sample_logs(1, crate::common::JAN_1))
        .await;
    // (method, path, scope it needs, status when allowed, rows it stores)
    let surfaces = [
        (Method::GET, "/logs", "read", 200, 0),
        (Method::GET, "/logs/1", "read", 200, 0),
        (Method::GET, "/alerts", "read", 200, 0),
        (Method::GET, "/report/csv", "read", 200, 0),
        (Method::GET, "/metrics", "read", 200, 0),
        (Method::POST, "/logs", "ingest", 201, 1),
        (Method::POST, "/loki/api/v1/push", "ingest", 204, 1),
        (Method::POST, "/api/prom/push", "ingest", 204, 1),
        // No admin route exists yet; an unlisted method needs `admin` by default.
        (Method::DELETE, "/alerts/1", "admin", 405, 0),
    ];
    let mut expected_rows = 1;
    for granted in ["read", "ingest", "admin", "", "read ingest admin"] {
        let token = app.token(granted);
        let bearer = format!("Bearer {token}");
        for (method, path, needed, allowed_status, rows) in &surfaces {
            let place = format!("token [{granted}]: {method} {path}");
            let (status, _, body) = call(&app, method.clone(), path, Some(&bearer)).await;
            if granted.split(' ').any(|g| g == *needed) {
                assert_eq!(status, *allowed_status, "{place}: {body}");
                expected_rows += rows;
            } else {
                assert_eq!(status, 403, "{place}: {body}");
                let detail = body["detail"].as_str().unwrap();
                assert!(detail.contains(&format!("`{needed}`")), "{place}: {detail}");
            }
        }

        // GraphQL: queries need `read`, by POST and by GET; `ingestLogs` needs `ingest`.
        let (status, body) = graphql_as(&app, &token, "{ logs { totalCount } }").await;
        assert_eq!(status, 200);
        let reads = granted.contains("read");
        if reads {
            assert!(body["errors"].is_null(), "[{granted}] {body}");
            assert!(body["data"]["logs"]["totalCount"].as_i64().is_some());
        } else {
            assert_forbidden(&body, "read", granted);
        }
        let by_get: Value = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", "{ status { status } }")])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            by_get["data"]["status"]["status"].is_string(),
            reads,
            "[{granted}] {by_get}"
        );

        let (_, body) = graphql_as(
            &app,
            &token,
            r#"mutation { ingestLogs(entries: [{message: "via GraphQL"}]) { accepted } }"#,
        )
        .await;
        if granted.contains("ingest") {
            assert_eq!(
                body["data"]["ingestLogs"]["accepted"], 1,
                "[{granted}] {body}"
            );
            expected_rows += 1;
        } else {
            assert_forbidden(&body, "ingest", granted);
        }
        assert_eq!(app.count("log_entries").await, expected_rows, "[{granted}]");
    }
    assert_eq!(
        expected_rows,
        1 + 2 * 4,
        "two ingest-holding tokens, four ingest paths"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_token_can_query_but_not_mutate_even_inside_one_batch() {
    let app = protected().await;
    let batch = json!([
        { "query": "{ logs { totalCount } }" },
        { "query": "mutation { ingestLogs(entries: [{message: \"sneaky\"}]) { accepted } }" },
    ]);
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.token("read"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body[0]["data"]["logs"]["totalCount"], 0, "{body}");
    assert_eq!(
        body[1]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(body[1]["errors"][0]["path"], json!(["ingestLogs"]));
    app.assert_unchanged(0, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loki_shippers_may_send_the_token_as_the_basic_password() {
    let app = protected().await;
    let basic = |user: &str, password: &str| {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    };
    let ingest = app.token("ingest");
    for path in ["/loki/api/v1/push", "/api/prom/push"] {
        let (status, _, body) =
            call(&app, Method::POST, path, Some(&basic("promtail", &ingest))).await;
        assert_eq!(status, 204, "{path}: {body}");
    }
    assert_eq!(app.count("log_entries").await, 2);

    let (status, _, _) = call(
        &app,
        Method::POST,
        "/loki/api/v1/push",
        Some(&basic("x", &app.token("read"))),
    )
    .await;
    assert_eq!(status, 403, "Basic carries scopes like Bearer");
    let (status, challenge, _) = call(
        &app,
        Method::POST,
        "/loki/api/v1/push",
        Some(&basic("promtail", "not-a-token")),
    )
    .await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"));
    // Only the Loki paths take Basic.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "/logs",
        Some(&basic("promtail", &ingest)),
    )
    .await;
    assert_eq!(status, 401);
    app.assert_unchanged(2, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_mode_needs_no_token_and_ignores_one() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let (status, _, _) = call(&app, Method::POST, "/logs", None).await;
    assert_eq!(status, 201);
    let (status, _, _) = call(&app, Method::GET, "/logs", Some("Bearer garbage")).await;
    assert_eq!(status, 200);
    let body = app
        .graphql(
            "mutation { ingestLogs(entries: [{message: \"m\"}]) { accepted } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["ingestLogs"]["accepted"], 1, "{body}");
    app.assert_unchanged(2, 0).await;
}

/// A GraphQL answer refusing the call for lack of `scope`, naming it.
fn assert_forbidden(body: &Value, scope: &str, granted: &str) {
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "[{granted}] {body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("`{scope}`")),
        "[{granted}] {body}"
    );
}
