//! Webhook notifications in Alertmanager's webhook format (version 4), so existing
//! Alertmanager receivers work unchanged. `notify` only enqueues; a background worker
//! delivers with retries and back-off, so ingest is never slowed and a dead or hanging
//! receiver cannot hold up deliveries to the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::{
    config::Config,
    domain::Timestamp,
    entities::{alert, alert_rule},
};

/// Delivery attempts in flight at once, across all receivers.
const MAX_CONCURRENT: usize = 16;
/// Attempts in flight at once per receiver: a hanging one holds at most this many of
/// the global permits.
const MAX_PER_RECEIVER: usize = 4;
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Alertmanager's zero time: the `endsAt` of an alert still firing.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub struct WebhookSettings {
    pub urls: Vec<String>,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff: Duration,
    pub queue: usize,
    pub external_url: String,
}

impl WebhookSettings {
    pub fn from_config(config: &Config) -> Self {
        WebhookSettings {
            urls: config.webhook_urls.clone(),
            timeout: Duration::from_secs(config.webhook_timeout_secs),
            max_attempts: config.webhook_max_attempts,
            backoff: Duration::from_millis(config.webhook_backoff_ms),
            queue: usize::try_from(config.webhook_queue).unwrap_or(usize::MAX),
            external_url: config.external_url(),
        }
    }
}

#[derive(Default)]
struct Shared {
    /// Notifications queued or being delivered; bounded by the queue size.
    pending: AtomicUsize,
    idle: Notify,
    dropped: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
}

/// One notification's claim on `pending`, released however the job ends (delivered,
/// given up, dropped with the channel, or a panicking task), so `drain` never hangs.
struct PendingGuard(Arc<Shared>);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if self.0.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

struct Job {
    url: Arc<str>,
    /// Serialized once per alert and shared by every receiver.
    body: Bytes,
    alert_id: i64,
    _pending: PendingGuard,
}

#[derive(Clone, Copy)]
struct Retry {
    max_attempts: u32,
    backoff: Duration,
}

#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::Sender<Job>,
    shared: Arc<Shared>,
    urls: Arc<[String]>,
    external_url: Arc<str>,
    capacity: usize,
}

impl Notifier {
    /// Spawns the delivery worker on the current tokio runtime.
    pub fn start(settings: WebhookSettings) -> Notifier {
        let capacity = settings.queue.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let shared = Arc::new(Shared::default());
        let client = match crate::http_client::builder()
            .timeout(settings.timeout)
            .build()
        {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::error!(error = %e, "cannot build the webhook HTTP client; notifications will fail");
                None
            }
        };
        let retry = Retry {
            max_attempts: settings.max_attempts.max(1),
            backoff: settings.backoff,
        };
        tokio::spawn(run(rx, client, Arc::clone(&shared), retry));
        Notifier {
            tx,
            shared,
            urls: settings.urls.into(),
            external_url: settings.external_url.into(),
            capacity,
        }
    }

    /// Queues the alert's notification for every global URL and the rule's own webhook.
    /// Never waits: beyond the queue size notifications are dropped and counted.
    pub fn notify(&self, alert: &alert::Model, rule: Option<&alert_rule::Model>) {
        let rule_url = rule
            .and_then(|r| r.webhook.as_deref())
            .filter(|u| !u.trim().is_empty());
        let urls: Vec<&str> = self
            .urls
            .iter()
            .map(String::as_str)
            .chain(rule_url)
            .collect();
        if urls.is_empty() {
            return;
        }
        let body = match serde_json::to_vec(&alertmanager_payload(alert, rule, &self.external_url))
        {
            Ok(body) => Bytes::from(body),
            Err(e) => {
                tracing::warn!(alert_id = alert.id, error = %e, "cannot serialize webhook payload");
                return;
            }
        };
        for url in urls {
            let admitted =
                self.shared
                    .pending
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                        (n < self.capacity).then_some(n + 1)
                    });
            let sent = admitted.is_ok() && {
                let job = Job {
                    url: url.into(),
                    body: body.clone(),
                    alert_id: alert.id,
                    _pending: PendingGuard(Arc::clone(&self.shared)),
                };
                // Cannot be full (pending bounds it); fails only once the worker is gone.
                self.tx.try_send(job).is_ok()
            };
            if !sent {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(alert_id = alert.id, receiver = %receiver(url), "webhook queue full; notification dropped");
            }
        }
    }

    /// Waits until every queued notification was delivered or given up, or `deadline`
    /// passes; returns how many are still pending.
    pub async fn drain(&self, deadline: Duration) -> usize {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so the last job finishing in between still wakes us.
            idle.as_mut().enable();
            if self.shared.pending.load(Ordering::Acquire) == 0 {
                return 0;
            }
            if tokio::time::timeout_at(until, idle).await.is_err() {
                return self.shared.pending.load(Ordering::Acquire);
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    pub fn delivered(&self) -> u64 {
        self.shared.delivered.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> u64 {
        self.shared.failed.load(Ordering::Relaxed)
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    client: Option<reqwest::Client>,
    shared: Arc<Shared>,
    retry: Retry,
) {
    let global = Arc::new(Semaphore::new(MAX_CONCURRENT));
    let mut per_receiver: HashMap<Arc<str>, Arc<Semaphore>> = HashMap::new();
    while let Some(job) = rx.recv().await {
        let Some(client) = client.clone() else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        // Rule webhooks can change over time: forget receivers with nothing in flight.
        if per_receiver.len() > 256 {
            per_receiver.retain(|_, s| Arc::strong_count(s) > 1);
        }
        let own = per_receiver
            .entry(Arc::clone(&job.url))
            .or_insert_with(|| Arc::new(Semaphore::new(MAX_PER_RECEIVER)));
        let limits = (Arc::clone(own), Arc::clone(&global));
        tokio::spawn(deliver(client, job, limits, Arc::clone(&shared), retry));
    }
}

async fn deliver(
    client: reqwest::Client,
    job: Job,
    (own, global): (Arc<Semaphore>, Arc<Semaphore>),
    shared: Arc<Shared>,
    retry: Retry,
) {
    let mut delay = retry.backoff;
    for attempt in 1..=retry.max_attempts {
        let outcome = {
            // The receiver's own permit first, so waiting on a busy receiver holds no global one.
            let _own = own.acquire().await;
            let _global = global.acquire().await;
            post(&client, &job).await
        };
        let reason = match outcome {
            Ok(()) => {
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(reason) => reason,
        };
        if attempt == retry.max_attempts {
            tracing::warn!(alert_id = job.alert_id, receiver = %receiver(&job.url), attempts = attempt, %reason, "webhook delivery given up");
            break;
        }
        tracing::debug!(alert_id = job.alert_id, receiver = %receiver(&job.url), attempt, %reason, "webhook delivery failed; retrying");
        // Up to +25% jitter so retries to one receiver do not arrive in lockstep.
        let jitter = delay.mul_f64(rand::random_range(0.0..0.25));
        tokio::time::sleep(delay + jitter).await;
        delay = delay.saturating_mul(2).min(MAX_BACKOFF);
    }
    shared.failed.fetch_add(1, Ordering::Relaxed);
}

async fn post(client: &reqwest::Client, job: &Job) -> Result<(), String> {
    let response = client
        .post(&*job.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(job.body.clone())
        .send()
        .await
        // The URL may carry a token (Slack-style webhooks), so it stays out of logs.
        .map_err(|e| e.without_url().to_string())?;
    match response.status() {
        s if s.is_success() => Ok(()),
        s => Err(format!("HTTP {s}")),
    }
}

/// The part of a receiver's URL that is safe to log.
fn receiver(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}",
            u.scheme(),
            u.authority().rsplit('@').next().unwrap_or_default()
        ),
        Err(_) => "<invalid url>".to_owned(),
    }
}

/// The Alertmanager webhook body (version 4) for one alert.
pub fn alertmanager_payload(
    alert: &alert::Model,
    rule: Option<&alert_rule::Model>,
    external_url: &str,
) -> Value {
    let resolved = alert.status == "RESOLVED";
    let status = if resolved { "resolved" } else { "firing" };
    let rule_id = alert.rule_id.or(rule.map(|r| r.id));
    let alertname = match (rule, rule_id) {
        (Some(rule), _) => rule.name.clone(),
        (None, Some(id)) => format!("rule-{id}"),
        (None, None) => "log-sentinel".to_owned(),
    };
    let mut labels = Map::new();
    labels.insert("alertname".into(), alertname.clone().into());
    labels.insert("severity".into(), alert.severity.to_lowercase().into());
    if let Some(source) = &alert.source {
        labels.insert("source".into(), source.clone().into());
    }
    if let Some(id) = rule_id {
        labels.insert("rule_id".into(), id.to_string().into());
    }
    let annotations = json!({
        "summary": alert.message,
        "occurrences": alert.occurrences.to_string(),
        "first_seen": Timestamp(alert.first_seen).to_string(),
        "last_seen": Timestamp(alert.last_seen).to_string(),
    });
    let ends_at = if resolved {
        Timestamp(alert.resolved_at.unwrap_or(alert.last_seen)).to_string()
    } else {
        ZERO_TIME.to_owned()
    };
    json!({
        "version": "4",
        // From the fingerprint alone: a resolve must share its firing's key even if the
        // rule was renamed or deleted in between (receivers dedupe on it).
        "groupKey": format!("{{}}:{{fingerprint={:?}}}", alert.fingerprint),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "log-sentinel",
        "groupLabels": { "alertname": alertname },
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": external_url,
        "alerts": [{
            "status": status,
            "labels": labels,
            "annotations": annotations,
            "startsAt": Timestamp(alert.first_seen).to_string(),
            "endsAt": ends_at,
            "generatorURL": format!("{external_url}/alerts/{}", alert.id),
            "fingerprint": alert.fingerprint,
        }],
    })
}

#[cfg(test)]
mod tests {
    use axum::{Json, Router, extract::State, http::StatusCode, routing::post};

    use super::*;

    const T0: i64 = 1_769_860_800_000_000; // 2026-01-31T12:00:00Z
    const T1: i64 = 1_769_861_130_000_000; // 2026-01-31T12:05:30Z
    const T2: i64 = 1_769_864_400_000_000; // 2026-01-31T13:00:00Z

    fn rule(webhook: Option<&str>) -> alert_rule::Model {
        alert_rule::Model {
            id: 7,
            name: "errors".into(),
            enabled: true,
            min_level: "ERROR".into(),
            source: None,
            pattern: None,
            threshold: 1,
            window_seconds: 60,
            severity: "ERROR".into(),
            webhook: webhook.map(Into::into),
            created_at: T0,
        }
    }

    fn alert(resolved: bool) -> alert::Model {
        alert::Model {
            id: 42,
            severity: "ERROR".into(),
            status: if resolved { "RESOLVED" } else { "OPEN" }.into(),
            message: "disk full".into(),
            source: Some("api".into()),
            rule_id: Some(7),
            fingerprint: "7:api".into(),
            active_fingerprint: (!resolved).then(|| "7:api".into()),
            occurrences: 3,
            first_seen: T0,
            last_seen: T1,
            acknowledged_at: None,
            resolved_at: resolved.then_some(T2),
            log_id: Some(1),
        }
    }

    fn settings(urls: Vec<String>, max_attempts: u32, queue: usize) -> WebhookSettings {
        WebhookSettings {
            urls,
            timeout: Duration::from_secs(5),
            max_attempts,
            backoff: Duration::from_millis(5),
            queue,
            external_url: "http://sentinel.test".into(),
        }
    }

    #[derive(Clone)]
    struct Receiver {
        hits: Arc<AtomicUsize>,
        fail_first: usize,
        gate: Arc<Semaphore>,
        bodies: mpsc::UnboundedSender<Value>,
    }

    async fn hook(State(r): State<Receiver>, Json(body): Json<Value>) -> StatusCode {
        let n = r.hits.fetch_add(1, Ordering::SeqCst);
        r.bodies.send(body).unwrap();
        drop(r.gate.acquire().await.unwrap());
        if n < r.fail_first {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    }

    /// A real HTTP receiver failing its first `fail_first` requests; each body goes to
    /// the returned channel. Requests wait for a gate permit (`open` = one per request).
    async fn receiver(
        fail_first: usize,
        open: bool,
    ) -> (String, mpsc::UnboundedReceiver<Value>, Arc<Semaphore>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(if open {
            Semaphore::MAX_PERMITS
        } else {
            0
        }));
        let state = Receiver {
            hits: Arc::default(),
            fail_first,
            gate: Arc::clone(&gate),
            bodies: tx,
        };
        let app = Router::new().route("/hook", post(hook)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, rx, gate)
    }

    fn received(rx: &mut mpsc::UnboundedReceiver<Value>) -> Vec<Value> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[tokio::test]
    async fn retries_until_delivered_then_resolves() {
        let (url, mut rx, _gate) = receiver(2, true).await;
        let notifier = Notifier::start(settings(vec![url.clone()], 6, 100));
        notifier.notify(&alert(false), Some(&rule(None)));
        assert_eq!(notifier.drain(Duration::from_secs(10)).await, 0);
        let bodies = received(&mut rx);
        assert_eq!(bodies.len(), 3);
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "every retry sends the same body"
        );
        let body = &bodies[2];
        assert_eq!(body["version"], "4");
        assert_eq!(body["status"], "firing");
        assert_eq!(body["alerts"][0]["labels"]["alertname"], "errors");
        assert_eq!(body["alerts"][0]["fingerprint"], "7:api");
        assert_eq!(body["alerts"][0]["startsAt"], "2026-01-31T12:00:00.000000Z");
        assert_eq!(body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        assert_eq!(
            (notifier.delivered(), notifier.failed(), notifier.dropped()),
            (1, 0, 0)
        );
        let firing_key = body["groupKey"].clone();

        // No global URLs: the rule's own webhook alone receives the resolve.
        let notifier = Notifier::start(settings(Vec::new(), 6, 100));
        notifier.notify(&alert(true), Some(&rule(Some(&url))));
        assert_eq!(notifier.drain(Duration::from_secs(10)).await, 0);
        let bodies = received(&mut rx);
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0]["status"], "resolved");
        assert_eq!(bodies[0]["alerts"][0]["status"], "resolved");
        assert_eq!(
            bodies[0]["alerts"][0]["endsAt"],
            "2026-01-31T13:00:00.000000Z"
        );
        assert_eq!(
            bodies[0]["groupKey"], firing_key,
            "a resolve shares its firing's groupKey"
        );
        assert_eq!(notifier.delivered(), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let (url, mut rx, _gate) = receiver(usize::MAX, true).await;
        let notifier = Notifier::start(settings(vec![url], 3, 100));
        notifier.notify(&alert(false), None);
        assert_eq!(notifier.drain(Duration::from_secs(10)).await, 0);
        assert_eq!(received(&mut rx).len(), 3);
        assert_eq!(
            (notifier.delivered(), notifier.failed(), notifier.dropped()),
            (0, 1, 0)
        );
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts() {
        let (url, mut rx, gate) = receiver(0, false).await;
        let notifier = Notifier::start(settings(vec![url], 3, 1));
        notifier.notify(&alert(false), None);
        // The first is now in flight and blocked in the receiver; the queue holds no more.
        let first = rx.recv().await.unwrap();
        assert_eq!(first["alerts"][0]["labels"]["alertname"], "rule-7");
        notifier.notify(&alert(false), None);
        assert_eq!(notifier.dropped(), 1);
        assert_eq!(notifier.drain(Duration::from_millis(20)).await, 1);
        gate.add_permits(1);
        assert_eq!(notifier.drain(Duration::from_secs(10)).await, 0);
        assert!(received(&mut rx).is_empty());
        assert_eq!(
            (notifier.delivered(), notifier.failed(), notifier.dropped()),
            (1, 0, 1)
        );
    }

    #[tokio::test]
    async fn no_urls_queues_nothing() {
        let notifier = Notifier::start(settings(Vec::new(), 3, 1));
        notifier.notify(&alert(false), Some(&rule(None)));
        assert_eq!(notifier.drain(Duration::ZERO).await, 0);
        assert_eq!(notifier.dropped(), 0);
    }

    #[test]
    fn payload() {
        let labels =
            json!({"alertname": "errors", "severity": "error", "source": "api", "rule_id": "7"});
        let annotations = json!({
            "summary": "disk full", "occurrences": "3",
            "first_seen": "2026-01-31T12:00:00.000000Z", "last_seen": "2026-01-31T12:05:30.000000Z",
        });
        let expected = json!({
            "version": "4",
            "groupKey": "{}:{fingerprint=\"7:api\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "log-sentinel",
            "groupLabels": {"alertname": "errors"},
            "commonLabels": labels,
            "commonAnnotations": annotations,
            "externalURL": "http://sentinel.test",
            "alerts": [{
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": "2026-01-31T12:00:00.000000Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://sentinel.test/alerts/42",
                "fingerprint": "7:api",
            }],
        });
        let rule = rule(None);
        assert_eq!(
            alertmanager_payload(&alert(false), Some(&rule), "http://sentinel.test"),
            expected
        );
        let orphan = alertmanager_payload(&alert(false), None, "http://sentinel.test");
        assert_eq!(
            orphan["groupKey"], expected["groupKey"],
            "stable when the rule is gone"
        );
        assert_eq!(orphan["groupLabels"]["alertname"], "rule-7");
    }
}
