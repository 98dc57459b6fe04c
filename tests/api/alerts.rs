//! Rules, evaluation as logs arrive, deduplication and the alert lifecycle, driven
//! through POST /logs, GraphQL and the REST shim.

use serde_json::{Value, json};

use crate::{
    common::{JAN_1, TestApp},
    db_test,
};

/// RFC 3339 text of `JAN_1 + seconds`.
fn at(seconds: i64) -> String {
    log_sentinel::domain::Timestamp(JAN_1 + seconds * 1_000_000).to_string()
}

pub async fn post_logs(app: &TestApp, logs: Value) {
    let response = app
        .client
        .post(app.url("/logs"))
        .json(&logs)
        .send()
        .await
        .expect("POST /logs");
    assert_eq!(
        response.status().as_u16(),
        201,
        "{}",
        response.text().await.unwrap()
    );
}

const ALERT_FIELDS: &str = "id status severity source ruleId fingerprint occurrences firstSeen lastSeen acknowledgedAt resolvedAt logId message";

/// Every alert (any status), oldest first.
pub async fn alerts(app: &TestApp, filter: Value) -> Vec<Value> {
    let body = app
        .graphql(
            &format!("query($f: AlertFilter) {{ alerts(filter: $f, first: 1000) {{ nodes {{ {ALERT_FIELDS} }} }} }}"),
            json!({ "f": filter }),
        )
        .await;
    body["data"]["alerts"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("alerts: {body}"))
        .clone()
}

pub async fn create_rule(app: &TestApp, input: Value) -> Value {
    let body = app
        .graphql(
            "mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { id name enabled minLevel source pattern threshold windowSeconds severity webhook } }",
            json!({ "i": input }),
        )
        .await;
    body["data"]["createAlertRule"].clone()
}

async fn lifecycle(app: &TestApp, mutation: &str, id: &Value) -> Value {
    app.graphql(
        &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {ALERT_FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await
}

fn warning(source: &str, seconds: i64, message: &str) -> Value {
    json!({"level": "WARNING", "source": source, "timestamp": at(seconds), "message": message})
}

db_test! {
    async fn a_fresh_database_has_the_errors_rule(app: TestApp) {
        let body = app.graphql("{ alertRules { name enabled minLevel threshold windowSeconds severity source pattern } }", json!({})).await;
        assert_eq!(body["data"]["alertRules"], json!([{
            "name": "errors", "enabled": true, "minLevel": "ERROR", "threshold": 1,
            "windowSeconds": 60, "severity": "ERROR", "source": null, "pattern": null
        }]));
    }
}

db_test! {
    async fn threshold_three_within_the_window_raises_on_the_third_match(app: TestApp) {
        let rule = create_rule(&app, json!({"name": "slow payments", "minLevel": "warn", "source": "pay", "threshold": 3, "windowSeconds": 60, "severity": "CRITICAL"})).await;
        let only_rule = json!({"ruleId": rule["id"]});

        // Two matches, plus logs that do not match (other source, lower level).
        post_logs(&app, json!([warning("pay", 0, "slow 1"), warning("web", 1, "other source"), {"level": "INFO", "source": "pay", "timestamp": at(2), "message": "too low"}])).await;
        post_logs(&app, json!([warning("pay", 10, "slow 2")])).await;
        assert_eq!(alerts(&app, only_rule.clone()).await, Vec::<Value>::new(), "two matches raise nothing");

        post_logs(&app, json!([warning("pay", 20, "slow 3")])).await;
        let raised = alerts(&app, only_rule.clone()).await;
        assert_eq!(raised.len(), 1, "{raised:?}");
        let a = &raised[0];
        assert_eq!((a["status"].as_str(), a["severity"].as_str(), a["source"].as_str()), (Some("OPEN"), Some("CRITICAL"), Some("pay")));
        assert_eq!(a["occurrences"], 3);
        assert_eq!((a["firstSeen"].as_str(), a["lastSeen"].as_str()), (Some(at(0).as_str()), Some(at(20).as_str())));
        assert_eq!(a["message"], "slow 3");

        // The open alert is fed by the next match.
        post_logs(&app, json!([warning("pay", 25, "slow 4")])).await;
        let fed = alerts(&app, only_rule).await;
        assert_eq!(fed.len(), 1);
        assert_eq!(fed[0]["occurrences"], 4);
        assert_eq!(fed[0]["lastSeen"], at(25));
    }
}

db_test! {
    async fn matches_further_apart_than_the_window_raise_nothing(app: TestApp) {
        let rule = create_rule(&app, json!({"name": "bursts", "minLevel": "WARNING", "pattern": "time(d )?out", "threshold": 2, "windowSeconds": 60})).await;
        let only_rule = json!({"ruleId": rule["id"]});
        post_logs(&app, json!([warning("api", 0, "request timed out"), warning("api", 30, "connection refused")])).await;
        post_logs(&app, json!([warning("api", 100, "timeout again")])).await;
        assert_eq!(alerts(&app, only_rule.clone()).await.len(), 0, "pattern misses and an expired window raise nothing");

        post_logs(&app, json!([warning("api", 130, "timeout once more")])).await;
        let raised = alerts(&app, only_rule).await;
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0]["occurrences"], 2);
        assert_eq!(raised[0]["firstSeen"], at(100));
    }
}

db_test! {
    async fn one_alert_per_source_fed_by_later_batches_until_resolved(app: TestApp) {
        let error = |source: &str, s: i64| json!({"level": "ERROR", "source": source, "timestamp": at(s), "message": format!("{source} failed at {s}")});
        post_logs(&app, json!([error("a", 0), error("b", 1), error("a", 2)])).await;
        let first = alerts(&app, json!({})).await;
        assert_eq!(first.len(), 2, "two sources, two alerts: {first:?}");
        let (a, b) = (&first[0], &first[1]);
        assert_eq!((a["source"].as_str(), a["occurrences"].as_i64()), (Some("a"), Some(2)));
        assert_eq!((b["source"].as_str(), b["occurrences"].as_i64()), (Some("b"), Some(1)));
        assert_ne!(a["fingerprint"], b["fingerprint"]);
        assert_eq!(a["message"], "a failed at 0");

        post_logs(&app, json!([error("a", 5), {"level": "CRITICAL", "source": "a", "timestamp": at(4), "message": "worse"}])).await;
        let fed = alerts(&app, json!({"source": "a"})).await;
        assert_eq!(fed.len(), 1, "the open alert is fed, not duplicated");
        assert_eq!(fed[0]["occurrences"], 4);
        assert_eq!(fed[0]["lastSeen"], at(5));
        // `logId`: the last matching log of the batch, in the order sent.
        let (_, worse) = app.get_json("/logs?q=worse").await;
        assert_eq!(fed[0]["logId"], worse[0]["id"].to_string());

        // Acknowledged alerts keep being fed.
        let acked = lifecycle(&app, "acknowledgeAlert", &a["id"]).await;
        assert_eq!(acked["data"]["acknowledgeAlert"]["status"], "ACKNOWLEDGED");
        assert!(acked["data"]["acknowledgeAlert"]["acknowledgedAt"].is_string());
        post_logs(&app, json!([error("a", 6)])).await;
        let fed = alerts(&app, json!({"source": "a"})).await;
        assert_eq!((fed.len(), fed[0]["occurrences"].as_i64(), fed[0]["status"].as_str()), (1, Some(5), Some("ACKNOWLEDGED")));

        // Resolved: the next match raises a new alert with the same fingerprint.
        let resolved = lifecycle(&app, "resolveAlert", &a["id"]).await;
        assert_eq!(resolved["data"]["resolveAlert"]["status"], "RESOLVED");
        post_logs(&app, json!([error("a", 7)])).await;
        let both = alerts(&app, json!({"source": "a"})).await;
        assert_eq!(both.len(), 2);
        assert_eq!((both[0]["status"].as_str(), both[0]["occurrences"].as_i64()), (Some("RESOLVED"), Some(5)));
        assert_eq!((both[1]["status"].as_str(), both[1]["occurrences"].as_i64()), (Some("OPEN"), Some(1)));
        assert_eq!(both[0]["fingerprint"], both[1]["fingerprint"]);

        // REST shows the lifecycle too.
        let (code, rest) = app.get_json("/alerts?source=a").await;
        assert_eq!(code, 200);
        let rest: Vec<(String, i64, String, String)> = rest.as_array().unwrap().iter().map(|r| (
            r["status"].as_str().unwrap().into(), r["occurrences"].as_i64().unwrap(),
            r["first_seen"].as_str().unwrap().into(), r["last_seen"].as_str().unwrap().into(),
        )).collect();
        assert_eq!(rest, vec![
            ("RESOLVED".into(), 5, at(0), at(6)),
            ("OPEN".into(), 1, at(7), at(7)),
        ]);
    }
}

db_test! {
    async fn acknowledge_and_resolve_are_idempotent_and_name_missing_alerts(app: TestApp) {
        post_logs(&app, json!([{"level": "ERROR", "message": "boom", "timestamp": at(0)}])).await;
        let id = alerts(&app, json!({})).await[0]["id"].clone();
        let first = lifecycle(&app, "acknowledgeAlert", &id).await["data"]["acknowledgeAlert"].clone();
        let again = lifecycle(&app, "acknowledgeAlert", &id).await["data"]["acknowledgeAlert"].clone();
        assert_eq!(first, again, "a second acknowledge changes nothing");
        let resolved = lifecycle(&app, "resolveAlert", &id).await["data"]["resolveAlert"].clone();
        let again = lifecycle(&app, "resolveAlert", &id).await["data"]["resolveAlert"].clone();
        assert_eq!(resolved, again);
        assert_eq!(resolved["acknowledgedAt"], first["acknowledgedAt"]);
        // Acknowledging a resolved alert leaves it resolved.
        let late = lifecycle(&app, "acknowledgeAlert", &id).await["data"]["acknowledgeAlert"].clone();
        assert_eq!(late["status"], "RESOLVED");

        for mutation in ["acknowledgeAlert", "resolveAlert"] {
            let missing = lifecycle(&app, mutation, &json!("999999")).await;
            assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND", "{missing}");
            assert_eq!(missing["data"], Value::Null);
        }
    }
}

db_test! {
    async fn rule_mutations_validate_every_field_and_change_nothing_when_refused(app: TestApp) {
        let body = app.graphql(
            "mutation { createAlertRule(input: {name: \"bad\", minLevel: \"LOUD\", pattern: \"(unclosed\", threshold: 0}) { id } }",
            json!({}),
        ).await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        let fields = error["extensions"]["fields"].as_array().unwrap();
        for field in ["input.pattern", "input.threshold", "input.minLevel"] {
            assert!(fields.contains(&json!(field)), "{field} missing from {fields:?}");
        }
        let rules = app.graphql("{ alertRules { name } }", json!({})).await;
        assert_eq!(rules["data"]["alertRules"], json!([{"name": "errors"}]));

        let rule = create_rule(&app, json!({"name": "db", "minLevel": "WARNING", "source": "db", "pattern": "deadlock", "webhook": "http://127.0.0.1:9/hook"})).await;
        assert_eq!((rule["threshold"].as_i64(), rule["windowSeconds"].as_i64(), rule["severity"].as_str()), (Some(1), Some(60), Some("WARNING")));
        let clash = create_rule(&app, json!({"name": "db"})).await;
        assert_eq!(clash, Value::Null, "a duplicate name is refused");

        let updated = app.graphql(
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {pattern: null, threshold: 5}) { name source pattern threshold webhook } }",
            json!({"id": rule["id"]}),
        ).await;
        assert_eq!(updated["data"]["updateAlertRule"], json!({"name": "db", "source": "db", "pattern": null, "threshold": 5, "webhook": "http://127.0.0.1:9/hook"}));
        let bad = app.graphql(
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {threshold: -1}) { name } }",
            json!({"id": rule["id"]}),
        ).await;
        assert_eq!(bad["errors"][0]["extensions"]["fields"], json!(["input.threshold"]));
        let missing = app.graphql("mutation { updateAlertRule(id: \"424242\", input: {threshold: 2}) { name } }", json!({})).await;
        assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND");

        // Deleting a rule keeps its alerts, detached.
        post_logs(&app, json!([{"level": "ERROR", "source": "db", "message": "x", "timestamp": at(0)}])).await;
        let errors_rule = app.graphql("{ alertRules { id name } }", json!({})).await["data"]["alertRules"][0]["id"].clone();
        let deleted = app.graphql("mutation($id: ID!) { deleteAlertRule(id: $id) { id } }", json!({"id": errors_rule})).await;
        assert_eq!(deleted["data"]["deleteAlertRule"]["id"], errors_rule);
        let kept = alerts(&app, json!({"source": "db"})).await;
        let detached: Vec<&Value> = kept.iter().filter(|a| a["ruleId"].is_null()).collect();
        assert_eq!(detached.len(), 1, "{kept:?}");
        let again = app.graphql("mutation($id: ID!) { deleteAlertRule(id: $id) { id } }", json!({"id": errors_rule})).await;
        assert_eq!(again["errors"][0]["extensions"]["code"], "NOT_FOUND");

        // Without the rule, ERROR logs raise nothing new.
        let before = app.count("alerts").await;
        post_logs(&app, json!([{"level": "ERROR", "source": "web", "message": "y", "timestamp": at(1)}])).await;
        assert_eq!(app.count("alerts").await, before);
    }
}

db_test! {
    async fn concurrent_batches_feed_one_alert_per_fingerprint(app: TestApp) {
        const CLIENTS: usize = 8;
        const BATCHES: usize = 6;
        const PER_BATCH: usize = 5;
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let client = app.client.clone();
            let url = app.url("/logs");
            tasks.push(tokio::spawn(async move {
                for b in 0..BATCHES {
                    let batch: Vec<Value> = (0..PER_BATCH).map(|i| json!({
                        "level": "ERROR",
                        "source": if i % 2 == 0 { "even" } else { "odd" },
                        "message": format!("client {c} batch {b} log {i}"),
                    })).collect();
                    let r = client.post(&url).json(&batch).send().await.expect("POST");
                    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
                }
            }));
        }
        for t in tasks {
            t.await.expect("client");
        }
        let all = alerts(&app, json!({})).await;
        let summary: Vec<(&str, &str, i64)> = all.iter().map(|a| (a["source"].as_str().unwrap(), a["status"].as_str().unwrap(), a["occurrences"].as_i64().unwrap())).collect();
        let mut summary = summary;
        summary.sort();
        let batches = (CLIENTS * BATCHES) as i64;
        assert_eq!(summary, vec![("even", "OPEN", batches * 3), ("odd", "OPEN", batches * 2)]);
    }
}

/// A webhook receiver on a free port that answers 500 to the first `failures`
/// requests, then 200; every body it gets arrives on the returned channel.
async fn receiver(failures: usize) -> (String, tokio::sync::mpsc::UnboundedReceiver<(u16, Value)>) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let (tx, seen) = (tx.clone(), seen.clone());
            async move {
                let status = if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    500
                } else {
                    200
                };
                let _ = tx.send((status, body));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next_delivery(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(u16, Value)>,
) -> (u16, Value) {
    tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook request within 10 s")
        .expect("receiver running")
}

#[tokio::test]
async fn raise_and_resolve_reach_an_alertmanager_receiver_after_retries() {
    let (url, mut deliveries) = receiver(2).await;
    let Some(app) = crate::common::spawn_app_with(crate::common::Backend::Sqlite, |config| {
        config.webhook_urls = vec![url.clone()];
        config.webhook_backoff_ms = 10;
    })
    .await
    else {
        return;
    };
    post_logs(&app, json!([{"level": "ERROR", "source": "checkout", "message": "card declined", "timestamp": at(0)}])).await;
    let alert = alerts(&app, json!({})).await[0].clone();

    // Two failures, then the delivery that counts, with the same body each time.
    let (first, body) = next_delivery(&mut deliveries).await;
    let (second, again) = next_delivery(&mut deliveries).await;
    let (third, delivered) = next_delivery(&mut deliveries).await;
    assert_eq!((first, second, third), (500, 500, 200));
    assert_eq!((&body, &again), (&delivered, &delivered));
    assert_eq!(delivered["version"], "4");
    assert_eq!(delivered["status"], "firing");
    assert_eq!(delivered["receiver"], "log-sentinel");
    assert_eq!(delivered["externalURL"], app.url(""));
    let sent = &delivered["alerts"][0];
    assert_eq!(sent["labels"]["alertname"], "errors");
    assert_eq!(sent["labels"]["severity"], "error");
    assert_eq!(sent["labels"]["source"], "checkout");
    assert_eq!(sent["annotations"]["summary"], "card declined");
    assert_eq!(sent["fingerprint"], alert["fingerprint"]);
    assert_eq!(sent["startsAt"], at(0));
    assert_eq!(sent["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(delivered["commonLabels"], sent["labels"]);

    // Feeding the open alert sends nothing; resolving it does.
    post_logs(
        &app,
        json!([{"level": "ERROR", "source": "checkout", "message": "again", "timestamp": at(1)}]),
    )
    .await;
    let resolved = lifecycle(&app, "resolveAlert", &alert["id"]).await;
    let resolved_at = resolved["data"]["resolveAlert"]["resolvedAt"].clone();
    let (code, body) = next_delivery(&mut deliveries).await;
    assert_eq!(code, 200);
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["alerts"][0]["endsAt"], resolved_at);
    assert_eq!(body["alerts"][0]["annotations"]["occurrences"], "2");
    assert_eq!(body["groupKey"], delivered["groupKey"]);
    assert!(deliveries.try_recv().is_err(), "nothing else was sent");
}

#[tokio::test]
async fn a_rule_webhook_gets_that_rules_alerts_and_a_dead_receiver_does_not_slow_ingest() {
    let (url, mut deliveries) = receiver(0).await;
    let Some(app) = crate::common::spawn_app_with(crate::common::Backend::Sqlite, |config| {
        // Nothing listens on port 9: every global delivery fails, and is retried.
        config.webhook_urls = vec!["http://127.0.0.1:9/dead".into()];
        config.webhook_backoff_ms = 60_000;
    })
    .await
    else {
        return;
    };
    create_rule(
        &app,
        json!({"name": "disk", "minLevel": "WARNING", "pattern": "disk full", "webhook": url}),
    )
    .await;
    let started = std::time::Instant::now();
    for i in 0..20 {
        post_logs(&app, json!([{"level": "ERROR", "source": format!("host{i}"), "message": "disk full", "timestamp": at(i)}])).await;
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "ingest did not wait for the dead receiver"
    );
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let (_, body) = next_delivery(&mut deliveries).await;
        names.insert(
            body["alerts"][0]["labels"]["alertname"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["disk"],
        "only the rule's own alerts"
    );
}
