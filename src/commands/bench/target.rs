//! What `--endpoints` entries mean: a GET path, a named GraphQL operation or
//! `ingest`, each turned once into a request that workers send over and over, and
//! what counts as a failed answer.

use std::fmt;

use bytes::Bytes;
use reqwest::{Client, Method, StatusCode, Url, header};
use serde::Deserialize;

use crate::error::AppError;

/// The named GraphQL operations, `graphql:<name>`.
const GRAPHQL_OPERATIONS: [(&str, &str); 3] = [
    (
        "logs",
        "{ logs(first: 100) { nodes { id timestamp level message source } } }",
    ),
    (
        "alerts",
        "{ alerts(first: 100) { nodes { id severity status message source occurrences lastSeen } } }",
    ),
    (
        "status",
        "{ status { status version database uptimeSeconds } }",
    ),
];

/// One `--endpoints` entry, ready to send over and over.
#[derive(Debug)]
pub struct Target {
    pub label: String,
    method: Method,
    url: Url,
    /// Content type and body, built once: the bench measures the server, not
    /// the client's serialisation.
    body: Option<(&'static str, Bytes)>,
    graphql: bool,
    pub batch_size: Option<u64>,
}

impl Target {
    pub fn resolve(entry: &str, base: &str, batch_size: u64) -> Result<Target, AppError> {
        let url = |path: &str| {
            Url::parse(&format!("{base}{path}")).map_err(|e| {
                AppError::Config(format!(
                    "endpoint {entry:?}: {base}{path} is not a URL ({e})"
                ))
            })
        };
        if entry.starts_with('/') {
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::GET,
                url: url(entry)?,
                body: None,
                graphql: false,
                batch_size: None,
            });
        }
        if entry == "ingest" {
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::POST,
                url: url("/logs")?,
                body: Some(("application/x-ndjson", ingest_body(batch_size))),
                graphql: false,
                batch_size: Some(batch_size),
            });
        }
        if let Some(name) = entry.strip_prefix("graphql:") {
            let query = GRAPHQL_OPERATIONS
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, query)| *query)
                .ok_or_else(|| {
                    AppError::Config(format!(
                        "unknown GraphQL operation {entry:?}: use one of {}",
                        operation_names()
                    ))
                })?;
            let body = serde_json::to_vec(&serde_json::json!({ "query": query }))
                .map_err(anyhow::Error::from)?;
            return Ok(Target {
                label: entry.to_owned(),
                method: Method::POST,
                url: url("/graphql")?,
                body: Some(("application/json", Bytes::from(body))),
                graphql: true,
                batch_size: None,
            });
        }
        Err(AppError::Config(format!(
            "unknown endpoint {entry:?}: use a path starting with `/` (GET), {} or `ingest`",
            operation_names()
        )))
    }

    /// One request, its whole answer read: the latency is to the last byte, as
    /// `benchmark.py`'s `aread()` measured it.
    pub async fn send(&self, client: &Client) -> Result<(), Failure> {
        let mut request = client.request(self.method.clone(), self.url.clone());
        if let Some((content_type, body)) = &self.body {
            request = request
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let mut response = request.send().await.map_err(Failure::Transport)?;
        let status = response.status();
        if self.graphql && status.is_success() {
            let body = response.bytes().await.map_err(Failure::Transport)?;
            return graphql_outcome(&body);
        }
        // Chunk by chunk, so a large CSV report is not held whole per worker.
        while response
            .chunk()
            .await
            .map_err(Failure::Transport)?
            .is_some()
        {}
        if status.is_success() {
            Ok(())
        } else {
            Err(Failure::Status(status))
        }
    }
}

fn operation_names() -> String {
    GRAPHQL_OPERATIONS
        .iter()
        .map(|(name, _)| format!("`graphql:{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `batch` NDJSON lines without timestamps (the server stamps them). INFO and DEBUG
/// only, so the default `errors` rule raises no alert and sends no webhook.
fn ingest_body(batch: u64) -> Bytes {
    use std::fmt::Write as _;
    let mut body = String::new();
    for i in 1..=batch {
        let level = if i % 5 == 0 { "DEBUG" } else { "INFO" };
        // Writing to a String cannot fail.
        let _ = writeln!(
            body,
            r#"{{"level":"{level}","source":"bench","message":"bench log {i} of {batch}: GET /api/v1/orders 200 in 23ms","attributes":{{"env":"bench"}}}}"#
        );
    }
    Bytes::from(body)
}

/// Why a request counted as an error.
pub enum Failure {
    Transport(reqwest::Error),
    Status(StatusCode),
    GraphQl(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transport(e) => {
                // reqwest's own message is generic ("error sending request"); the
                // cause (refused, timed out, reset) is further down the chain.
                write!(f, "{e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Failure::Status(status) => write!(f, "HTTP {status}"),
            Failure::GraphQl(message) => write!(f, "GraphQL error: {message}"),
        }
    }
}

/// A 200 from GraphQL can still be a failure: `errors` set, or no `data`.
fn graphql_outcome(body: &[u8]) -> Result<(), Failure> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(default)]
        data: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        errors: Vec<ReplyError>,
    }
    #[derive(Deserialize)]
    struct ReplyError {
        #[serde(default)]
        message: String,
    }
    let reply: Reply = serde_json::from_slice(body)
        .map_err(|e| Failure::GraphQl(format!("the answer is not GraphQL JSON ({e})")))?;
    if let Some(first) = reply.errors.into_iter().next() {
        return Err(Failure::GraphQl(first.message));
    }
    if reply.data.is_none() {
        return Err(Failure::GraphQl("the answer has no data".into()));
    }
    Ok(())
}

/// The base URL without its trailing slash, refused unless it is http(s) with a host.
pub fn base_url(text: &str) -> Result<String, AppError> {
    let bad = |why: String| {
        AppError::Config(format!(
            "--base-url {text:?} {why}; write it as http://host:port"
        ))
    };
    let url = Url::parse(text).map_err(|e| bad(format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("is not an http or https address".into()));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8000";

    #[test]
    fn endpoints_resolve_to_requests() {
        let get = Target::resolve("/logs?limit=100", BASE, 7).unwrap();
        assert_eq!(get.method, Method::GET);
        assert_eq!(get.url.as_str(), "http://127.0.0.1:8000/logs?limit=100");
        assert!(get.body.is_none());

        let graphql = Target::resolve("graphql:logs", BASE, 7).unwrap();
        assert_eq!(graphql.method, Method::POST);
        assert_eq!(graphql.url.path(), "/graphql");
        let (content_type, body) = graphql.body.unwrap();
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["query"],
            "{ logs(first: 100) { nodes { id timestamp level message source } } }"
        );

        let ingest = Target::resolve("ingest", BASE, 7).unwrap();
        assert_eq!(
            (ingest.method.clone(), ingest.url.path()),
            (Method::POST, "/logs")
        );
        assert_eq!(ingest.batch_size, Some(7));
        let (content_type, body) = ingest.body.unwrap();
        assert_eq!(content_type, "application/x-ndjson");
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&body)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 7);
        assert!(
            lines
                .iter()
                .all(|l| l["level"] == "INFO" || l["level"] == "DEBUG")
        );
    }

    #[test]
    fn unknown_endpoints_and_bad_urls_are_refused_with_the_choices() {
        let err = Target::resolve("graphql:nope", BASE, 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`graphql:logs`, `graphql:alerts`, `graphql:status`"),
            "{err}"
        );
        let err = Target::resolve("logs", BASE, 1).unwrap_err().to_string();
        assert!(err.contains("starting with `/`"), "{err}");

        assert_eq!(base_url("http://h:1/").unwrap(), "http://h:1");
        assert_eq!(base_url("https://h/api/").unwrap(), "https://h/api");
        for bad in ["127.0.0.1:8000", "not a url", "ftp://h", ""] {
            let err = base_url(bad).unwrap_err().to_string();
            assert!(err.contains("--base-url"), "{bad}: {err}");
        }
    }

    #[test]
    fn graphql_errors_count_even_with_status_200() {
        assert!(graphql_outcome(br#"{"data":{"status":{}}}"#).is_ok());
        let failure = graphql_outcome(br#"{"data":null,"errors":[{"message":"boom"}]}"#);
        assert_eq!(failure.err().unwrap().to_string(), "GraphQL error: boom");
        assert!(graphql_outcome(br#"{"data":null}"#).is_err());
        assert!(graphql_outcome(b"<html>").is_err());
    }
}
