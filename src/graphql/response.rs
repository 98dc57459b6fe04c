//! GraphQL answers over HTTP, with rows spliced in as finished JSON.
//!
//! A page of rows is most of a `logs` answer. Built as async-graphql values it costs
//! a map of owned strings per row (and a parsed tree per `attributes`), then a second
//! walk to serialise them: twice the CPU of the REST shim's page. So a request that
//! is answered here carries `SplicedRows`, the row resolvers (`rows`) write their
//! objects as JSON text into a `Value::Binary`, and `into_http` writes those bytes
//! verbatim where serde_json would write a byte array. Nothing in this schema
//! produces binary values otherwise. WebSocket answers are serialised by
//! async-graphql itself, so subscriptions never carry the marker and get plain values.

use std::io;

use async_graphql::{BatchResponse, Value};
use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::ser::Formatter;

use crate::error::AppError;

/// Request data: rows are resolved to JSON text because `into_http` writes the answer.
#[derive(Clone, Copy)]
pub struct SplicedRows;

/// The HTTP answer for `responses`, as `async_graphql_axum::GraphQLResponse` builds it
/// (content type, cache control, headers set by resolvers) with rows spliced in.
pub fn into_http(responses: BatchResponse) -> Response {
    let mut body = Vec::with_capacity(256 + spliced_bytes(&responses));
    let mut serializer = serde_json::Serializer::with_formatter(&mut body, Splice);
    if let Err(err) = responses.serialize(&mut serializer) {
        return AppError::Internal(err.into()).into_response();
    }
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    if responses.is_ok() {
        if let Some(value) = responses
            .cache_control()
            .value()
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
    headers.extend(responses.http_headers());
    response
}

/// The size of the rows spliced into `responses`, to size the body once.
fn spliced_bytes(responses: &BatchResponse) -> usize {
    fn walk(value: &Value) -> usize {
        match value {
            Value::Binary(bytes) => bytes.len(),
            Value::List(items) => items.iter().map(walk).sum(),
            Value::Object(fields) => fields.values().map(walk).sum(),
            _ => 0,
        }
    }
    match responses {
        BatchResponse::Single(response) => walk(&response.data),
        BatchResponse::Batch(responses) => responses.iter().map(|r| walk(&r.data)).sum(),
    }
}

/// serde_json's compact output (every method's default), except that bytes are
/// already JSON.
struct Splice;

impl Formatter for Splice {
    fn write_byte_array<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        value: &[u8],
    ) -> io::Result<()> {
        writer.write_all(value)
    }
}
