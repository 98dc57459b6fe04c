//! Acknowledged means durable: SIGKILL the server in the middle of concurrent
//! ingest; after a restart every acknowledged batch is there whole, and no batch is
//! there in part.

use std::{collections::HashMap, process::Stdio};

use sea_orm::{ConnectionTrait, Statement};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
};

use crate::common::{Backend, TestDb};

const CLIENTS: usize = 6;
const LINES_PER_BATCH: usize = 300;
/// Acknowledged batches to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 20;

/// Starts the real binary on a free port and returns it with its base URL.
pub async fn start_server(database_url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
        .args(["serve", "--port", "0"])
        .env("DATABASE_URL", database_url)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "log_sentinel=info")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .expect("read stderr")
            .expect("server exited before listening");
        if let Some(at) = line.find("http://127.0.0.1:") {
            let port: String = line[at + 17..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            break format!("http://127.0.0.1:{port}");
        }
    };
    // Keep draining so the server never blocks on a full pipe; its errors go to the
    // test's output, shown when the test fails.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("ERROR") {
                eprintln!("server: {line}");
            }
        }
    });
    (child, base)
}

async fn run(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let (mut server, base) = start_server(&db.url).await;
    let client = log_sentinel::http_client::builder().build().unwrap();

    // Each client sends batches tagged `source = c{client}-b{batch}` until the kill.
    let (acked_tx, mut acked_rx) = mpsc::unbounded_channel::<String>();
    let mut senders = Vec::new();
    for c in 0..CLIENTS {
        let (client, base, acked) = (client.clone(), base.clone(), acked_tx.clone());
        senders.push(tokio::spawn(async move {
            for b in 0.. {
                let tag = format!("c{c}-b{b}");
                let body: String = (0..LINES_PER_BATCH)
                    .map(|i| format!("{{\"message\":\"line {i}\",\"source\":\"{tag}\",\"level\":\"ERROR\"}}\n"))
                    .collect();
                let sent = client.post(format!("{base}/logs")).header("content-type", "application/x-ndjson").body(body).send().await;
                match sent {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = acked.send(tag);
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    drop(acked_tx);
    let mut acknowledged = Vec::new();
    while acknowledged.len() < ACKS_BEFORE_KILL {
        acknowledged.push(acked_rx.recv().await.expect("acks keep coming"));
    }
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("reaped");
    for s in senders {
        let _ = s.await;
    }
    // Acks that raced the kill still count: the server answered, so they must be durable.
    while let Ok(tag) = acked_rx.try_recv() {
        acknowledged.push(tag);
    }

    // Restart on the same database: recovery runs, the server answers.
    let (_server, base) = start_server(&db.url).await;
    let status = client.get(format!("{base}/status")).send().await.unwrap();
    assert_eq!(status.status().as_u16(), 200);

    let conn = log_sentinel::db::connect(&db.url).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT source, COUNT(*) AS n FROM log_entries GROUP BY source".to_owned(),
        ))
        .await
        .unwrap();
    let stored: HashMap<String, i64> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "source").unwrap(),
                r.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect();
    for tag in &acknowledged {
        assert_eq!(
            stored.get(tag).copied(),
            Some(LINES_PER_BATCH as i64),
            "acknowledged batch {tag} is whole"
        );
    }
    for (tag, n) in &stored {
        assert_eq!(
            *n, LINES_PER_BATCH as i64,
            "batch {tag} is whole or absent, never partial"
        );
    }
    assert!(stored.len() >= acknowledged.len());
    conn.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_no_acknowledged_batch_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_no_acknowledged_batch_postgres() {
    run(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_no_acknowledged_batch_mysql() {
    run(Backend::Mysql).await;
}
