//! GraphQL subscriptions over a real WebSocket, spoken as a client would
//! (`graphql-transport-ws`, and the legacy `graphql-ws`): the live tail through its
//! filter, authentication in `connection_init`, a subscriber that falls behind, and
//! alert changes. Only `logAdded`'s path goes through the database, so the other
//! tests run on SQLite only.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use log_sentinel::entities::alert;
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    common::{
        Backend, JAN_1, TestApp, insert_alerts, sample_logs, spawn_app, spawn_app_with,
        spawn_protected,
    },
    db_test,
};

/// Longest wait for anything the server should send; a failing test ends here
/// rather than hanging.
const WAIT: Duration = Duration::from_secs(10);

const LOG_ADDED: &str = "subscription($filter: LogFilter) {
    logAdded(filter: $filter) { id timestamp level message source attributes }
}";

/// What arrived on the socket.
#[derive(Debug)]
enum Incoming {
    Json(Value),
    /// The close frame's code and reason (`None`: closed without a frame).
    Closed(Option<(u16, String)>),
}

struct Ws {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    /// `next` (graphql-transport-ws) or `data` (legacy graphql-ws).
    data_type: &'static str,
}

impl Ws {
    /// Opens `/graphql` offering `protocols`; returns the socket and the
    /// subprotocol the server picked.
    async fn open(
        app: &TestApp,
        protocols: &str,
        authorization: Option<&str>,
    ) -> Result<(Ws, Option<String>), tungstenite::Error> {
        let url = app.url("/graphql").replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(protocols).unwrap(),
        );
        if let Some(value) = authorization {
            headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        }
        let (socket, response) = connect_async(request).await?;
        let picked = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        let data_type = if picked.as_deref() == Some("graphql-ws") {
            "data"
        } else {
            "next"
        };
        Ok((Ws { socket, data_type }, picked))
    }

    /// A graphql-transport-ws connection, acknowledged with `payload`.
    async fn connect(app: &TestApp, payload: Value) -> Ws {
        let (mut ws, _) = Ws::open(app, "graphql-transport-ws", None).await.unwrap();
        ws.init(payload).await;
        ws
    }

    async fn init(&mut self, payload: Value) {
        self.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        match self.recv().await {
            Incoming::Json(message) if message["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.data_type == "data" {
            "start"
        } else {
            "subscribe"
        };
        self.send(
            json!({"type": kind, "id": id, "payload": {"query": query, "variables": variables}}),
        )
        .await;
    }

    /// The next message, or `None` if nothing came within `wait`.
    async fn recv_within(&mut self, wait: Duration) -> Option<Incoming> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next()).await.ok()?;
            return Some(match message {
                Some(Ok(Message::Text(text))) => {
                    Incoming::Json(serde_json::from_str(&text).expect("JSON message"))
                }
                Some(Ok(Message::Close(frame))) => {
                    Incoming::Closed(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
                Some(Err(_)) | None => Incoming::Closed(None),
            });
        }
    }

    async fn recv(&mut self) -> Incoming {
        self.recv_within(WAIT)
            .await
            .expect("the server sent nothing within 10 s")
    }

    /// The payload of the next result for subscription `id`.
    async fn next(&mut self, id: &str) -> Value {
        self.next_within(id, WAIT)
            .await
            .expect("no result within 10 s")
    }

    async fn next_within(&mut self, id: &str, wait: Duration) -> Option<Value> {
        match self.recv_within(wait).await? {
            Incoming::Json(message) if message["type"] == self.data_type && message["id"] == id => {
                Some(message["payload"].clone())
            }
            other => panic!("expected a result for {id}, got {other:?}"),
        }
    }
}

/// Waits until subscription `id` is live. The server subscribes to the feed only
/// once it has handled `subscribe`, and nothing tells the client when that is; so:
/// send probe 0, 1, 2… (each must pass the subscription's filter, with the message
/// `probe <k>`) until one arrives. Every probe after the first to arrive arrives too,
/// in order, and is read off here, so the next result is whatever the test sends
/// next.
async fn await_live(ws: &mut Ws, id: &str, field: &str, mut probe: impl AsyncFnMut(usize)) {
    let number = |payload: &Value| -> usize {
        let message = payload["data"][field]["message"].as_str();
        message
            .and_then(|m| m.strip_prefix("probe "))
            .and_then(|k| k.parse().ok())
            .unwrap_or_else(|| panic!("expected a probe, got {payload}"))
    };
    let mut sent = 0;
    let first = loop {
        assert!(sent < 100, "the subscription never delivered a probe");
        probe(sent).await;
        sent += 1;
        // Only how long a probe may take to arrive; a late one is read below.
        if let Some(payload) = ws.next_within(id, Duration::from_millis(200)).await {
            break number(&payload);
        }
    };
    for k in first + 1..sent {
        assert_eq!(number(&ws.next(id).await), k);
    }
}

/// `POST /logs` with `body` (a JSON value or NDJSON text); expects 201.
async fn ingest(app: &TestApp, token: Option<&str>, content_type: &str, body: String) {
    let mut request = app
        .client
        .post(app.url("/logs"))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST /logs");
    assert_eq!(
        response.status().as_u16(),
        201,
        "{:?}",
        response.text().await
    );
}

async fn ingest_json(app: &TestApp, token: Option<&str>, body: Value) {
    ingest(app, token, "application/json", body.to_string()).await;
}

/// A probe log that `{source: "api", minLevel: WARNING}` lets through.
fn api_probe(k: usize) -> Value {
    json!({"message": format!("probe {k}"), "level": "warning", "source": "api"})
}

fn log_of(payload: &Value) -> &Value {
    assert_eq!(payload["errors"], Value::Null, "{payload}");
    &payload["data"]["logAdded"]
}

db_test! {
    async fn log_added_streams_only_matching_logs_in_the_order_sent(app: TestApp) {
        let mut ws = Ws::connect(&app, json!({})).await;
        ws.subscribe("tail", LOG_ADDED, json!({"filter": {"source": "api", "minLevel": "WARNING"}}))
            .await;
        await_live(&mut ws, "tail", "logAdded", async |k| ingest_json(&app, None, api_probe(k)).await).await;

        let ts = |s: u32| format!("2026-01-01T00:00:{s:02}Z");
        ingest_json(&app, None, json!([
            {"message": "api info", "level": "info", "source": "api", "timestamp": ts(1)},
            {"message": "api warning", "level": "warn", "source": "api", "timestamp": ts(2), "attributes": {"k": "v"}},
            {"message": "db error", "level": "error", "source": "db", "timestamp": ts(3)},
            {"message": "no source", "level": "critical", "timestamp": ts(4)},
            {"message": "api critical", "level": "fatal", "source": "api", "timestamp": ts(5)},
            {"message": "api debug", "level": "debug", "source": "api", "timestamp": ts(6)},
        ]))
        .await;
        let ndjson = [
            json!({"message": "second request", "level": "error", "source": "api", "timestamp": ts(0)}),
            json!({"message": "worker error", "level": "error", "source": "worker", "timestamp": ts(7)}),
            json!({"message": "API upper case", "level": "error", "source": "API", "timestamp": ts(8)}),
        ]
        .map(|v| v.to_string())
        .join("\n");
        ingest(&app, None, "application/x-ndjson", ndjson).await;
        // A last matching log: whatever arrives before it is all that matched.
        ingest_json(&app, None, json!({"message": "end", "level": "warning", "source": "api", "timestamp": ts(9)})).await;

        let (_, stored) = app.get_json("/logs?source=api&min_level=WARNING&limit=1000").await;
        let id_of = |message: &str| {
            let row = stored.as_array().unwrap().iter().find(|r| r["message"] == message).unwrap();
            row["id"].as_i64().unwrap().to_string()
        };
        let expected = [
            ("api warning", "WARNING", ts(2), json!({"k": "v"})),
            ("api critical", "CRITICAL", ts(5), Value::Null),
            ("second request", "ERROR", ts(0), Value::Null),
            ("end", "WARNING", ts(9), Value::Null),
        ];
        for (message, level, timestamp, attributes) in expected {
            let payload = ws.next("tail").await;
            let log = log_of(&payload);
            let timestamp = timestamp.replace('Z', ".000000Z");
            assert_eq!(
                log,
                &json!({
                    "id": id_of(message),
                    "timestamp": timestamp,
                    "level": level,
                    "message": message,
                    "source": "api",
                    "attributes": attributes,
                }),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_init_needs_a_token_with_the_read_scope() {
    let app = spawn_protected(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let ingest_token = app.token("ingest");

    // No token, no payload at all, or a bad token: refused with 4403 Forbidden.
    for (init, why) in [
        (
            json!({"type": "connection_init", "payload": {}}),
            "authentication required",
        ),
        (
            json!({"type": "connection_init"}),
            "authentication required",
        ),
        (
            json!({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}),
            "invalid token",
        ),
        (
            json!({"type": "connection_init", "payload": {"Authorization": ingest_token}}),
            "invalid token",
        ),
    ] {
        let (mut ws, _) = Ws::open(&app, "graphql-transport-ws", None).await.unwrap();
        ws.send(init.clone()).await;
        match ws.recv().await {
            Incoming::Closed(Some((code, reason))) => {
                assert_eq!(code, 4403, "{init}");
                assert!(reason.starts_with("Forbidden: "), "{reason}");
                assert!(reason.contains(why), "{init}: {reason}");
            }
            other => panic!("{init}: expected close 4403, got {other:?}"),
        }
    }

    // A valid token without `read`: connected, but the subscription is refused.
    let mut ws = Ws::connect(
        &app,
        json!({"Authorization": format!("Bearer {ingest_token}")}),
    )
    .await;
    ws.subscribe("s", LOG_ADDED, json!({})).await;
    let payload = ws.next("s").await;
    assert_eq!(payload["data"], Value::Null, "{payload}");
    let error = &payload["errors"][0];
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{payload}");
    assert!(
        error["message"].as_str().unwrap().contains("`read`"),
        "{payload}"
    );
    match ws.recv().await {
        Incoming::Json(message) => assert_eq!(message, json!({"type": "complete", "id": "s"})),
        other => panic!("expected complete, got {other:?}"),
    }

    // `read` (the header's key in any case): the live tail works.
    let read = app.token("read");
    let mut ws = Ws::connect(&app, json!({"authorization": format!("Bearer {read}")})).await;
    ws.subscribe("s", LOG_ADDED, json!({"filter": {"source": "api"}}))
        .await;
    await_live(&mut ws, "s", "logAdded", async |k| {
        ingest_json(&app, Some(&ingest_token), api_probe(k)).await
    })
    .await;
    ingest_json(
        &app,
        Some(&ingest_token),
        json!({"message": "hello", "source": "api"}),
    )
    .await;
    assert_eq!(log_of(&ws.next("s").await)["message"], "hello");

    // A token on the handshake itself (clients that can set headers) counts too;
    // a bad one is refused before the upgrade.
    let bearer = format!("Bearer {read}");
    let (mut ws, _) = Ws::open(&app, "graphql-transport-ws", Some(&bearer))
        .await
        .unwrap();
    ws.init(json!({})).await;
    ws.subscribe("h", LOG_ADDED, json!({"filter": {"source": "api"}}))
        .await;
    await_live(&mut ws, "h", "logAdded", async |k| {
        ingest_json(&app, Some(&ingest_token), api_probe(k)).await
    })
    .await;
    match Ws::open(&app, "graphql-transport-ws", Some("Bearer nope")).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        Err(other) => panic!("expected 401, got {other:?}"),
        Ok(_) => panic!("expected 401, got a socket"),
    }
}

// On purpose the current-thread runtime: the server shares the test's one thread,
// so a batch's logs are all published before the subscriber's task runs again, and
// it falls behind by exactly the batch size minus the buffer. (With more threads it
// may keep up with part of the batch, and how many it skips varies.)
#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_and_skips_to_the_newest() {
    // A power of two: tokio rounds broadcast capacities up to one.
    const BUFFER: usize = 4;
    const BURST: usize = 50;
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.live_tail_buffer = BUFFER as u64;
    })
    .await
    .expect("sqlite always runs");
    let mut ws = Ws::connect(&app, json!(null)).await;
    ws.subscribe("tail", LOG_ADDED, json!({})).await;
    await_live(&mut ws, "tail", "logAdded", async |k| {
        ingest_json(&app, None, api_probe(k)).await
    })
    .await;

    let burst: Vec<Value> = (0..BURST)
        .map(|i| json!({"message": format!("burst {i}"), "source": "api"}))
        .collect();
    ingest_json(&app, None, Value::Array(burst)).await;

    let payload = ws.next("tail").await;
    assert_eq!(payload["data"], Value::Null, "{payload}");
    let error = &payload["errors"][0];
    let skipped = BURST - BUFFER;
    assert_eq!(error["extensions"]["code"], "LAGGED", "{payload}");
    assert_eq!(error["extensions"]["skipped"], skipped, "{payload}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{skipped} events were skipped")),
        "{payload}"
    );
    assert_eq!(error["path"], json!(["logAdded"]), "{payload}");
    for i in skipped..BURST {
        assert_eq!(
            log_of(&ws.next("tail").await)["message"],
            format!("burst {i}")
        );
    }
    // Still subscribed, and caught up.
    ingest_json(&app, None, json!({"message": "after"})).await;
    assert_eq!(log_of(&ws.next("tail").await)["message"], "after");
}

fn alert_change(id: i64, status: &str, severity: &str, source: &str) -> alert::Model {
    alert::Model {
        id,
        severity: severity.into(),
        status: status.into(),
        message: format!("alert {id}"),
        source: Some(source.into()),
        rule_id: Some(7),
        fingerprint: format!("7:{source}"),
        active_fingerprint: (status != "RESOLVED").then(|| format!("7:{source}")),
        occurrences: 2,
        first_seen: JAN_1,
        last_seen: JAN_1 + 1_500_000,
        acknowledged_at: (status == "ACKNOWLEDGED").then_some(JAN_1 + 2_000_000),
        resolved_at: (status == "RESOLVED").then_some(JAN_1 + 3_000_000),
        log_id: Some(id * 10),
    }
}

/// Alert changes are published straight into the feed here, as the evaluator and
/// the alert mutations do, so this covers the subscription without them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_changed_streams_the_matching_changes_in_order() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let mut ws = Ws::connect(&app, json!({})).await;
    ws.subscribe(
        "alerts",
        "subscription($filter: AlertFilter) {
            alertChanged(filter: $filter) {
                id status severity message source ruleId fingerprint occurrences
                firstSeen lastSeen acknowledgedAt resolvedAt logId
            }
        }",
        json!({"filter": {"status": ["OPEN", "RESOLVED"], "minSeverity": "ERROR", "source": "api", "ruleId": "7"}}),
    )
    .await;
    let events = &app.state.events;
    await_live(&mut ws, "alerts", "alertChanged", async |k| {
        let mut probe = alert_change(1000 + k as i64, "OPEN", "ERROR", "api");
        probe.message = format!("probe {k}");
        events.publish_alert(probe);
    })
    .await;

    let mut other_rule = alert_change(5, "OPEN", "ERROR", "api");
    other_rule.rule_id = Some(8);
    for change in [
        alert_change(1, "OPEN", "ERROR", "api"),
        alert_change(2, "OPEN", "WARNING", "api"),
        alert_change(3, "OPEN", "CRITICAL", "db"),
        alert_change(1, "ACKNOWLEDGED", "ERROR", "api"),
        other_rule,
        alert_change(4, "OPEN", "CRITICAL", "api"),
        alert_change(1, "RESOLVED", "ERROR", "api"),
    ] {
        events.publish_alert(change);
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let payload = ws.next("alerts").await;
        assert_eq!(payload["errors"], Value::Null, "{payload}");
        seen.push(payload["data"]["alertChanged"].clone());
    }
    let ids: Vec<(&str, &str)> = seen
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, [("1", "OPEN"), ("4", "OPEN"), ("1", "RESOLVED")]);
    assert_eq!(
        seen[2],
        json!({
            "id": "1",
            "status": "RESOLVED",
            "severity": "ERROR",
            "message": "alert 1",
            "source": "api",
            "ruleId": "7",
            "fingerprint": "7:api",
            "occurrences": 2,
            "firstSeen": "2026-01-01T00:00:00.000000Z",
            "lastSeen": "2026-01-01T00:00:01.500000Z",
            "acknowledgedAt": null,
            "resolvedAt": "2026-01-01T00:00:03.000000Z",
            "logId": "10",
        })
    );

    // A filter that cannot be used is refused with its code.
    ws.subscribe(
        "bad",
        "subscription { alertChanged(filter: {ruleId: \"x\"}) { id } }",
        json!({}),
    )
    .await;
    let payload = ws.next("bad").await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{payload}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_protocol_and_protocol_negotiation_work() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");

    // The client's first GraphQL protocol wins, and the answer names it.
    for (offered, picked) in [
        ("graphql-transport-ws", "graphql-transport-ws"),
        ("graphql-ws", "graphql-ws"),
        ("graphql-ws, graphql-transport-ws", "graphql-ws"),
        (
            "chat, graphql-transport-ws, graphql-ws",
            "graphql-transport-ws",
        ),
    ] {
        let (_, answer) = Ws::open(&app, offered, None).await.unwrap();
        assert_eq!(answer.as_deref(), Some(picked), "{offered}");
    }
    match Ws::open(&app, "chat", None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 400),
        Err(other) => panic!("expected 400, got {other:?}"),
        Ok(_) => panic!("expected 400, got a socket"),
    }

    // subscriptions-transport-ws: `start`, results as `data`.
    let (mut ws, _) = Ws::open(&app, "graphql-ws", None).await.unwrap();
    ws.init(json!({})).await;
    ws.subscribe("1", LOG_ADDED, json!({"filter": {"source": "api"}}))
        .await;
    await_live(&mut ws, "1", "logAdded", async |k| {
        ingest_json(&app, None, api_probe(k)).await
    })
    .await;
    ingest_json(&app, None, json!({"message": "legacy", "source": "api"})).await;
    assert_eq!(log_of(&ws.next("1").await)["message"], "legacy");

    // GraphiQL is pointed at the same endpoint for subscriptions.
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("subscriptionUrl: url('/graphql', true)"),
        "{page}"
    );
}

db_test! {
    async fn alert_changed_follows_an_alert_raised_by_ingest_through_its_lifecycle(app: TestApp) {
        let mut ws = Ws::connect(&app, json!({})).await;
        ws.subscribe(
            "alerts",
            "subscription { alertChanged(filter: {minSeverity: ERROR}) { id status source occurrences message } }",
            json!({}),
        )
        .await;
        // Each probe raises an alert of its own (a source of its own) named after it.
        await_live(&mut ws, "alerts", "alertChanged", async |k| {
            ingest_json(&app, None, json!({"message": format!("probe {k}"), "level": "error", "source": format!("probe-{k}")})).await
        })
        .await;

        let pay = |message: &str| json!({"message": message, "level": "error", "source": "pay"});
        ingest_json(&app, None, pay("declined")).await;
        let raised = ws.next("alerts").await["data"]["alertChanged"].clone();
        assert_eq!((raised["status"].as_str(), raised["source"].as_str(), raised["occurrences"].as_i64(), raised["message"].as_str()),
            (Some("OPEN"), Some("pay"), Some(1), Some("declined")));
        ingest_json(&app, None, json!([pay("again"), pay("and again")])).await;
        let fed = ws.next("alerts").await["data"]["alertChanged"].clone();
        assert_eq!((fed["id"].clone(), fed["occurrences"].as_i64()), (raised["id"].clone(), Some(3)));

        for (mutation, status) in [("acknowledgeAlert", "ACKNOWLEDGED"), ("resolveAlert", "RESOLVED")] {
            let done = app.graphql(&format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}"), json!({"id": raised["id"]})).await;
            assert_eq!(done["data"][mutation]["status"], status);
            let event = ws.next("alerts").await["data"]["alertChanged"].clone();
            assert_eq!((event["id"].clone(), event["status"].as_str()), (raised["id"].clone(), Some(status)));
        }
        // Idempotent calls change nothing, so they announce nothing: the next event
        // is the next real change.
        app.graphql("mutation($id: ID!) { resolveAlert(id: $id) { status } }", json!({"id": raised["id"]})).await;
        ingest_json(&app, None, pay("after resolve")).await;
        let fresh = ws.next("alerts").await["data"]["alertChanged"].clone();
        assert_ne!(fresh["id"], raised["id"]);
        assert_eq!((fresh["status"].as_str(), fresh["message"].as_str()), (Some("OPEN"), Some("after resolve")));
    }
}

db_test! {
    // Over HTTP, rows are written as JSON by the row types themselves
    // (src/graphql/response.rs); over the socket the same query is answered with
    // async-graphql's own values. Both must say the same thing, in the same order.
    async fn http_rows_are_what_async_graphql_would_serialise(app: TestApp) {
        let awkward = [
            "quote \" backslash \\ slash /",
            "lines\r\n\ttab \u{1} bell \u{7}",
            "unicode é 日本 😀 \u{2028}",
            "<script>alert(1)</script> =1+1",
            "",
        ];
        let mut logs = sample_logs(awkward.len(), JAN_1);
        for (log, message) in logs.iter_mut().zip(awkward) {
            log.message = message.to_owned();
        }
        logs[1].source = None;
        logs[2].attributes = None;
        logs[3].attributes =
            Some(r#"{"nested":{"list":[1,2.5,"x",null,true]},"é":"line\nnext \"q\""}"#.to_owned());
        app.insert_logs(logs).await;
        insert_alerts(&app).await;
        let first = app.graphql("{ logs(first: 5) { nodes { id } } }", json!({})).await;
        let id = first["data"]["logs"]["nodes"][3]["id"].clone();

        let query = "query($id: ID!) {
            logs(first: 10) {
              nodes { __typename n: id id timestamp level message source attributes }
              edges { cursor node { id message attributes } }
            }
            log(id: $id) { message attributes }
            alerts(first: 10) {
              nodes { __typename id severity status message source ruleId fingerprint
                      occurrences firstSeen lastSeen acknowledgedAt resolvedAt logId }
            }
          }";
        let variables = json!({ "id": id });
        let text = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let http: Value = serde_json::from_str(&text).expect("JSON");
        assert!(http.get("errors").is_none(), "{http}");
        assert_eq!(http["data"]["logs"]["nodes"].as_array().map(Vec::len), Some(5));
        assert_eq!(http["data"]["logs"]["nodes"][0]["message"], awkward[0]);
        assert_eq!(http["data"]["log"]["attributes"]["nested"]["list"][1], 2.5);
        assert_eq!(http["data"]["alerts"]["nodes"].as_array().map(Vec::len), Some(3));
        // Keys come in selection order.
        assert!(
            text.contains(r#""nodes":[{"__typename":"LogEntry","n":"#),
            "{text}"
        );

        let mut ws = Ws::connect(&app, json!({})).await;
        ws.subscribe("q", query, variables).await;
        let over_ws = ws.next("q").await;
        assert_eq!(http, over_ws);
    }
}
