//! SIGTERM stops the real binary gracefully: it refuses new connections, finishes a
//! CSV download already under way, closes GraphQL WebSockets with 1001 (going away),
//! delivers queued webhook notifications, and exits with status 0; a second signal
//! stops it at once.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use log_sentinel::{
    domain::{Level, Timestamp},
    service::logs::{self, NewLog},
};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use tokio::{
    net::TcpStream,
    process::{Child, Command},
    sync::{Mutex, mpsc},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    common::{Backend, JAN_1, TestDb},
    durability::start_server,
};

/// Longest wait for anything the server should do; a failing test ends here rather
/// than hanging.
const WAIT: Duration = Duration::from_secs(30);
/// Rows of the CSV: about 30 MB, far more than socket buffers hold, so the download
/// is still going when the signal arrives.
const ROWS: usize = 100_000;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Sends SIGTERM, as `docker stop` and Kubernetes do.
async fn sigterm(server: &Child) {
    send_signal(server, "TERM").await;
}

async fn send_signal(server: &Child, name: &str) {
    let pid = server.id().expect("the server is running");
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .await
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}: {status}");
}

/// A graphql-transport-ws connection, acknowledged, with `logAdded` subscribed as "1".
async fn subscribe(base: &str) -> Socket {
    let url = format!("{}/graphql", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = connect_async(request).await.expect("WebSocket handshake");
    let send = |message: Value| Message::text(message.to_string());
    ws.send(send(json!({"type": "connection_init", "payload": {}})))
        .await
        .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws.send(send(json!({"type": "subscribe", "id": "1",
        "payload": {"query": "subscription { logAdded { id message } }"}})))
        .await
        .unwrap();
    ws
}

async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON message"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Posts probe logs until the subscription delivers one, so it is known to be live.
async fn await_live(ws: &mut Socket, client: &reqwest::Client, base: &str) -> usize {
    for k in 1..=100 {
        let response = client
            .post(format!("{base}/logs"))
            .json(&json!({"message": format!("probe {k}"), "source": "probe"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        // Only how long one probe may take; the next probe goes out after it.
        if let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_millis(200), ws.next()).await
        {
            let message: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(message["type"], "next", "{message}");
            return k;
        }
    }
    panic!("the subscription never delivered a probe");
}

/// Reads the socket until the server's close frame; its code and reason.
async fn close_frame(ws: &mut Socket) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a close frame in time")
            .expect("a close frame before the end of the stream")
            .expect("a readable frame");
        match message {
            Message::Close(Some(frame)) => return (frame.code.into(), frame.reason.to_string()),
            Message::Close(None) => panic!("closed without a code"),
            // Late probes.
            Message::Text(_) | Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Waits for the process to end; its exit code.
async fn exit_code(server: &mut Child) -> Option<i32> {
    tokio::time::timeout(WAIT, server.wait())
        .await
        .expect("the server exits in time")
        .expect("reaped")
        .code()
}

async fn seed(url: &str, rows: usize) {
    let conn = log_sentinel::db::connect(url).await.unwrap();
    log_sentinel::db::migrate(&conn).await.unwrap();
    let padding = "x".repeat(280);
    let logs: Vec<NewLog> = (0..rows)
        .map(|i| NewLog {
            timestamp: Timestamp(JAN_1 + i as i64 * 1_000),
            level: Level::Info,
            message: format!("row {i} {padding}"),
            source: Some("seed".into()),
            attributes: None,
        })
        .collect();
    let txn = conn.begin().await.unwrap();
    logs::insert_many(&txn, &logs).await.unwrap();
    txn.commit().await.unwrap();
    conn.close().await.ok();
}

async fn stops_gracefully(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    seed(&db.url, ROWS).await;
    let (mut server, base) = start_server(&db.url).await;
    let client = log_sentinel::http_client::builder().build().unwrap();

    let mut ws = subscribe(&base).await;
    let probes = await_live(&mut ws, &client, &base).await;
    let total = ROWS + probes;

    let mut csv = client
        .get(format!("{base}/report/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let mut body = csv
        .chunk()
        .await
        .unwrap()
        .expect("the first bytes")
        .to_vec();
    assert!(body.starts_with(b"id,timestamp,level,message\n"));

    sigterm(&server).await;

    // The server closes the listener before it tells WebSockets to go: once the
    // close frame is here, a new connection must be refused.
    assert_eq!(
        close_frame(&mut ws).await,
        (1001, "server shutting down".into())
    );
    let address = base.trim_start_matches("http://");
    let refused = TcpStream::connect(address).await;
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionRefused)
    );
    // Completes the closing handshake; the server then ends the connection.
    let rest = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("the socket ends");
    assert!(
        matches!(rest, None | Some(Err(_))),
        "nothing after the close frame: {rest:?}"
    );

    // The download started before the signal runs to its end, every row in it.
    while let Some(chunk) = tokio::time::timeout(WAIT, csv.chunk())
        .await
        .expect("the download keeps going")
        .expect("the download completes cleanly")
    {
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).expect("UTF-8 CSV");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), total + 1, "header plus every row");
    assert!(lines[1].contains(",row 0 x"), "{}", lines[1]);
    assert!(
        lines[ROWS].contains(&format!(",row {} x", ROWS - 1)),
        "{}",
        lines[ROWS]
    );
    assert!(
        lines[total].ends_with(&format!(",probe {probes}")),
        "{}",
        lines[total]
    );

    assert_eq!(exit_code(&mut server).await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_downloads_closes_websockets_and_exits_0_sqlite() {
    stops_gracefully(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_downloads_closes_websockets_and_exits_0_postgres() {
    stops_gracefully(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_downloads_closes_websockets_and_exits_0_mysql() {
    stops_gracefully(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    seed(&db.url, ROWS).await;
    let (mut server, base) = start_server(&db.url).await;
    let client = log_sentinel::http_client::builder().build().unwrap();
    let mut ws = subscribe(&base).await;
    // A download whose client stopped reading: a graceful stop would wait for it.
    let mut csv = client
        .get(format!("{base}/report/csv"))
        .send()
        .await
        .unwrap();
    assert!(csv.chunk().await.unwrap().is_some());

    // Ctrl-C first, then SIGTERM: either counts as the second.
    send_signal(&server, "INT").await;
    assert_eq!(close_frame(&mut ws).await.0, 1001);
    assert!(
        server.try_wait().unwrap().is_none(),
        "the download is still open"
    );
    sigterm(&server).await;
    assert_eq!(exit_code(&mut server).await, Some(1));
    drop(csv);
}

/// A webhook receiver that reports each request it gets and answers only with the
/// status the test hands it, when the test hands it.
async fn held_receiver() -> (
    String,
    mpsc::UnboundedReceiver<Value>,
    mpsc::UnboundedSender<u16>,
) {
    let (arrived_tx, arrived) = mpsc::unbounded_channel();
    let (answer, answers) = mpsc::unbounded_channel::<u16>();
    let answers = std::sync::Arc::new(Mutex::new(answers));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let (arrived, answers) = (arrived_tx.clone(), answers.clone());
            async move {
                let _ = arrived.send(body);
                let status = answers.lock().await.recv().await.unwrap_or(500);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, arrived, answer)
}

async fn next_request(arrived: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(WAIT, arrived.recv())
        .await
        .expect("a webhook request in time")
        .expect("the receiver runs")
}

async fn graphql(client: &reqwest::Client, base: &str, query: &str, variables: Value) -> Value {
    let body: Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_waits_for_a_slow_webhook_receiver() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let (hook, mut arrived, answer) = held_receiver().await;
    let (mut server, base) = start_server(&db.url).await;
    let client = log_sentinel::http_client::builder().build().unwrap();
    let rules = graphql(&client, &base, "{ alertRules { id name } }", json!({})).await;
    assert_eq!(rules["alertRules"][0]["name"], "errors");
    graphql(
        &client,
        &base,
        "mutation($id: ID!, $hook: String!) { updateAlertRule(id: $id, input: {webhook: $hook}) { id } }",
        json!({"id": rules["alertRules"][0]["id"], "hook": hook}),
    )
    .await;
    let mut ws = subscribe(&base).await;

    let response = client
        .post(format!("{base}/logs"))
        .json(&json!({"level": "ERROR", "source": "checkout", "message": "card declined"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let first = next_request(&mut arrived).await;
    assert_eq!(first["alerts"][0]["labels"]["source"], "checkout");

    sigterm(&server).await;
    // Shutting down for sure now, and still there: the notification is pending.
    assert_eq!(close_frame(&mut ws).await.0, 1001);
    drop(ws);
    assert!(
        server.try_wait().unwrap().is_none(),
        "exited with a webhook pending"
    );

    // A failed attempt is retried during shutdown too, and then delivered.
    answer.send(503).unwrap();
    let second = next_request(&mut arrived).await;
    assert_eq!(second, first, "the same notification again");
    assert!(
        server.try_wait().unwrap().is_none(),
        "exited with a webhook pending"
    );
    answer.send(200).unwrap();

    assert_eq!(exit_code(&mut server).await, Some(0));
    assert!(arrived.try_recv().is_err(), "nothing else was sent");
    assert_eq!(first["status"], "firing");
    assert_eq!(first["alerts"][0]["labels"]["alertname"], "errors");
}
