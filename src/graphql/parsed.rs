//! Parsed queries kept by their text. Dashboards and clients send the same few
//! queries over and over; parsing one costs more than copying its syntax tree.
//! Validation still runs on every request.

use std::{collections::HashMap, sync::Mutex};

use async_graphql::parser::{parse_query, types::ExecutableDocument};

/// Queries kept at most; the map is emptied when full (simple, and bounded).
const MAX_ENTRIES: usize = 256;
/// Longer queries are parsed every time, so the map stays small.
const MAX_QUERY_BYTES: usize = 4096;

#[derive(Default)]
pub struct ParsedQueries {
    documents: Mutex<HashMap<String, ExecutableDocument>>,
}

impl ParsedQueries {
    /// Hands `request` its parsed query from the cache, parsing and keeping it on
    /// a miss. A query that does not parse is left for execution to report.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_QUERY_BYTES {
            return;
        }
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
        cache.prepare(&mut first);
        assert!(first.parsed_query().is_ok());
        assert_eq!(cache.documents.lock().unwrap().len(), 1);
        let mut again = async_graphql::Request::new("{ status { status } }");
        cache.prepare(&mut again);
        assert_eq!(cache.documents.lock().unwrap().len(), 1);

        let mut broken = async_graphql::Request::new("{ status {");
        cache.prepare(&mut broken);
        assert_eq!(
            cache.documents.lock().unwrap().len(),
            1,
            "errors are not kept"
        );

        for i in 0..MAX_ENTRIES + 10 {
            cache.prepare(&mut async_graphql::Request::new(format!(
                "{{ a{i}: status {{ status }} }}"
            )));
        }
        assert!(cache.documents.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
