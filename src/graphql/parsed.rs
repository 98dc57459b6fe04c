//! Parsed queries kept by their text, and which requests passed validation.
//! Dashboards and clients send the same few queries over and over: parsing one
//! costs more than copying its syntax tree, and the spec's validation rules are a
//! tenth of a small query's work. A request whose text, operation name and
//! variables already passed them once runs on the schema that checks only depth and
//! complexity (as GraphQL Yoga's validation cache does; the rules depend on nothing
//! else, and the schema does not change while the server runs).

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use async_graphql::parser::{parse_query, types::ExecutableDocument};

/// Queries kept at most; the map is emptied when full (simple, and bounded).
const MAX_ENTRIES: usize = 256;
/// Longer queries are parsed every time, so the map stays small.
const MAX_QUERY_BYTES: usize = 4096;

#[derive(Default)]
pub struct ParsedQueries {
    documents: Mutex<HashMap<String, ExecutableDocument>>,
    /// `Prepared::key`s of requests that passed full validation.
    validated: Mutex<HashSet<String>>,
}

/// What the cache knows of one request.
#[derive(Default)]
pub struct Prepared {
    /// Query, operation name and variables; `None` when too long to keep.
    key: Option<String>,
    /// Whether this very request passed full validation before.
    pub validated: bool,
}

impl ParsedQueries {
    /// Hands `request` its parsed query from the cache, parsing and keeping it on
    /// a miss, and says whether it passed validation before. A query that does not
    /// parse is left for execution to report.
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Prepared {
        if request.query.len() > MAX_QUERY_BYTES {
            return Prepared::default();
        }
        let prepared = self.validation_of(request);
        self.parse(request);
        prepared
    }

    /// Remembers that a request passed validation: its answer carries no error.
    pub fn answered(&self, prepared: Prepared, response: &async_graphql::Response) {
        let (Some(key), false, true) = (prepared.key, prepared.validated, response.is_ok()) else {
            return;
        };
        if let Ok(mut validated) = self.validated.lock() {
            if validated.len() >= MAX_ENTRIES {
                validated.clear();
            }
            validated.insert(key);
        }
    }

    fn validation_of(&self, request: &async_graphql::Request) -> Prepared {
        let Ok(variables) = serde_json::to_string(&request.variables) else {
            return Prepared::default();
        };
        if variables.len() > MAX_QUERY_BYTES {
            return Prepared::default();
        }
        let operation = request.operation_name.as_deref().unwrap_or_default();
        // NUL separates the parts: it cannot occur in a GraphQL document or name.
        let key = format!("{}\0{operation}\0{variables}", request.query);
        let validated = self
            .validated
            .lock()
            .is_ok_and(|validated| validated.contains(&key));
        Prepared {
            key: Some(key),
            validated,
        }
    }

    fn parse(&self, request: &mut async_graphql::Request) {
        let cached = self
            .documents
            .lock()
            .ok()
            .and_then(|documents| documents.get(&request.query).cloned());
        if let Some(document) = cached {
            request.set_parsed_query(document);
            return;
        }
        let Ok(document) = parse_query(&request.query) else {
            return;
        };
        if let Ok(mut documents) = self.documents.lock() {
            if documents.len() >= MAX_ENTRIES {
                documents.clear();
            }
            documents.insert(request.query.clone(), document.clone());
        }
        request.set_parsed_query(document);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_bounds_itself() {
        let cache = ParsedQueries::default();
        let mut first = async_graphql::Request::new("{ status { status } }");
        let _ = cache.prepare(&mut first);
        assert!(first.parsed_query().is_ok());
        assert_eq!(cache.documents.lock().unwrap().len(), 1);
        let mut again = async_graphql::Request::new("{ status { status } }");
        let _ = cache.prepare(&mut again);
        assert_eq!(cache.documents.lock().unwrap().len(), 1);

        let mut broken = async_graphql::Request::new("{ status {");
        let _ = cache.prepare(&mut broken);
        assert_eq!(
            cache.documents.lock().unwrap().len(),
            1,
            "errors are not kept"
        );

        for i in 0..MAX_ENTRIES + 10 {
            let _ = cache.prepare(&mut async_graphql::Request::new(format!(
                "{{ a{i}: status {{ status }} }}"
            )));
        }
        assert!(cache.documents.lock().unwrap().len() <= MAX_ENTRIES);
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;
    use async_graphql::{Response, ServerError, Variables};

    fn request(query: &str, variables: serde_json::Value) -> async_graphql::Request {
        async_graphql::Request::new(query).variables(Variables::from_json(variables))
    }

    #[test]
    fn only_the_same_request_answered_without_errors_counts_as_validated() {
        let cache = ParsedQueries::default();
        let query = "query($n: Int) { logs(first: $n) { nodes { id } } }";
        let vars = serde_json::json!({ "n": 5 });
        let first = cache.prepare(&mut request(query, vars.clone()));
        assert!(!first.validated);
        cache.answered(first, &Response::new(async_graphql::Value::Null));
        assert!(cache.prepare(&mut request(query, vars.clone())).validated);

        // Other variables, another operation name or an answer with errors: not known.
        assert!(
            !cache
                .prepare(&mut request(query, serde_json::json!({ "n": 6 })))
                .validated
        );
        let named = request(query, vars.clone()).operation_name("Other");
        assert!(!cache.prepare(&mut { named }).validated);
        let failed = cache.prepare(&mut request("{ nope }", serde_json::json!({})));
        let mut error = Response::new(async_graphql::Value::Null);
        error.errors.push(ServerError::new("Unknown field", None));
        cache.answered(failed, &error);
        assert!(
            !cache
                .prepare(&mut request("{ nope }", serde_json::json!({})))
                .validated
        );
    }
}
