//! Two server processes on one database, hammered at once: deduplication holds
//! because the database enforces it, not because one process remembers.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    common::{Backend, TestDb},
    durability::start_server,
};

const CLIENTS: usize = 8;
const BATCHES: usize = 12;
const SOURCES: [&str; 3] = ["s0", "s1", "s2"];

async fn graphql(client: &reqwest::Client, base: &str, query: &str) -> Value {
    client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("GraphQL JSON")
}

async fn run(backend: Backend, with_resolves: bool) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    // One after the other, so the second finds the schema already migrated.
    let (_first, a) = start_server(&db.url).await;
    let (_second, b) = start_server(&db.url).await;
    let client = log_sentinel::http_client::builder().build().unwrap();

    // Clients alternate between the two servers; every batch mixes sources and
    // levels, so each batch feeds several fingerprints at once.
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, base) = (
            client.clone(),
            if c % 2 == 0 { a.clone() } else { b.clone() },
        );
        tasks.push(tokio::spawn(async move {
            let mut sent: BTreeMap<&str, i64> = BTreeMap::new();
            for batch in 0..BATCHES {
                let logs: Vec<Value> = (0..10)
                    .map(|i| {
                        let source = SOURCES[(c + batch + i) % SOURCES.len()];
                        let level = if i % 3 == 0 { "INFO" } else { "ERROR" };
                        if level == "ERROR" {
                            *sent.entry(source).or_default() += 1;
                        }
                        json!({"level": level, "source": source, "message": format!("c{c} b{batch} i{i}")})
                    })
                    .collect();
                let r = client.post(format!("{base}/logs")).json(&logs).send().await.expect("POST");
                assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap_or_default());
            }
            sent
        }));
    }
    // Meanwhile, resolve whatever is open through the other server, so new alerts
    // are raised for the same fingerprints while both processes feed them.
    let resolver = with_resolves.then(|| {
        let (client, base) = (client.clone(), b.clone());
        tokio::spawn(async move {
            let mut resolved = 0;
            for _ in 0..20 {
                let open = graphql(
                    &client,
                    &base,
                    "{ alerts(filter: {status: [OPEN]}, first: 100) { nodes { id } } }",
                )
                .await;
                for node in open["data"]["alerts"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let id = node["id"].as_str().unwrap_or_default();
                    let done = graphql(
                        &client,
                        &base,
                        &format!("mutation {{ resolveAlert(id: \"{id}\") {{ status }} }}"),
                    )
                    .await;
                    assert_eq!(done["data"]["resolveAlert"]["status"], "RESOLVED", "{done}");
                    resolved += 1;
                }
            }
            resolved
        })
    });
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for t in tasks {
        for (source, n) in t.await.expect("client") {
            *expected.entry(source.to_owned()).or_default() += n;
        }
    }
    if let Some(resolver) = resolver {
        resolver.await.expect("resolver");
    }

    let all = graphql(
        &client,
        &a,
        "{ alerts(first: 1000) { nodes { source status occurrences fingerprint } } }",
    )
    .await;
    let mut unresolved: BTreeMap<String, usize> = BTreeMap::new();
    let mut occurrences: BTreeMap<String, i64> = BTreeMap::new();
    let mut fingerprints: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for alert in all["data"]["alerts"]["nodes"].as_array().expect("alerts") {
        let source = alert["source"].as_str().expect("source").to_owned();
        if alert["status"] != "RESOLVED" {
            *unresolved.entry(source.clone()).or_default() += 1;
        }
        *occurrences.entry(source.clone()).or_default() += alert["occurrences"].as_i64().unwrap();
        fingerprints
            .entry(source)
            .or_default()
            .push(alert["fingerprint"].as_str().unwrap().into());
    }
    assert_eq!(
        occurrences, expected,
        "every ERROR counted exactly once across the alerts of its fingerprint"
    );
    for (source, n) in &unresolved {
        assert!(*n <= 1, "{source} has {n} unresolved alerts");
    }
    if !with_resolves {
        assert_eq!(
            unresolved.values().sum::<usize>(),
            SOURCES.len(),
            "one open alert per source"
        );
    }
    for (source, fps) in fingerprints {
        assert!(
            fps.windows(2).all(|w| w[0] == w[1]),
            "{source}: one fingerprint"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_keep_one_unresolved_alert_per_fingerprint_postgres() {
    run(Backend::Postgres, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_count_every_match_while_alerts_resolve_postgres() {
    run(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_keep_one_unresolved_alert_per_fingerprint_mysql() {
    run(Backend::Mysql, true).await;
}
