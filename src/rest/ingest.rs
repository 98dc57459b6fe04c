//! `POST /logs`: one JSON object, a JSON array, or NDJSON streamed line by line.
//! The whole request is stored or none of it; the answer follows the commit.

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;

use super::{
    openapi::{ErrorDetail, LogBatch, ValidationError},
    views::Accepted,
};
use crate::{
    domain::Timestamp,
    error::{AppError, FieldError, Result},
    ingest::json::{BodyError, NdjsonParser, parse_json},
    state::AppState,
};

/// Store logs
///
/// One JSON object, a JSON array of objects, or NDJSON (one object a line). All or
/// nothing: one bad entry refuses the batch with 422 naming it (0-based array index,
/// or 1-based NDJSON line) and nothing of it is stored. The answer is sent only
/// after the rows are committed.
#[utoipa::path(
    post,
    path = "/logs",
    tag = "ingest",
    request_body(
        description = "The logs to store. Fields other than those listed are kept in `attributes`.",
        content(
            (LogBatch = "application/json",
                example = json!([
                    {"message": "payment service timed out", "level": "error", "source": "api",
                     "attributes": {"request_id": "r-17"}},
                    {"message": "retry succeeded", "timestamp": "2026-01-01T00:00:01Z"}
                ])),
            (String = "application/x-ndjson",
                example = "{\"message\":\"disk 91% full\",\"level\":\"warn\",\"source\":\"db-1\"}\n{\"message\":\"disk 95% full\",\"level\":4}\n"),
        ),
    ),
    responses(
        (status = 201, description = "Stored and committed.", body = Accepted),
        (status = 400, description = "The body is not JSON (or not UTF-8); says where.",
            body = ErrorDetail),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`. Plain text when \
            `Content-Length` already says so (refused before reading), else JSON.",
            content((ErrorDetail = "application/json"), (String = "text/plain"))),
        (status = 422, description = "An entry is invalid: `loc` is `[\"body\", position, field]`.",
            body = ValidationError),
        (status = 503, description = "The database cannot take writes now.", body = ErrorDetail),
    ),
)]
pub async fn post_logs(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let now = Timestamp::now();
    let limit = state.config.max_body_bytes;
    let logs = if is_ndjson(&headers) {
        let mut parser = NdjsonParser::new(now);
        let mut stream = body.into_data_stream();
        let mut received = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| read_error(e, limit))?;
            received += chunk.len();
            if received > limit {
                return Err(AppError::PayloadTooLarge(limit));
            }
            parser.push(&chunk).map_err(|e| body_error(e, true))?;
        }
        parser.finish().map_err(|e| body_error(e, true))?
    } else {
        let bytes = read_body(body, limit).await?;
        parse_json(&bytes, now).map_err(|e| body_error(e, false))?
    };
    let accepted = state.ingestor.write(logs).await?;
    Ok((StatusCode::CREATED, Json(Accepted { accepted })).into_response())
}

fn is_ndjson(headers: &HeaderMap) -> bool {
    let ct = media_type(headers);
    matches!(
        ct.as_str(),
        "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
    )
}

/// The request's media type, lower-cased and without parameters (`; charset=…`).
pub(super) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The whole body, refusing more than `limit` bytes.
pub(super) async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|e| read_error(e, limit))
}

/// A body that could not be read: too long, or the client went away.
fn read_error(err: axum::Error, limit: usize) -> AppError {
    let too_long = std::error::Error::source(&err)
        .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        || err.to_string().contains("length limit");
    if too_long {
        AppError::PayloadTooLarge(limit)
    } else {
        AppError::BadRequest(format!("could not read the request body: {err}"))
    }
}

/// 400 for bytes that are not JSON, 422 naming the entry for a bad log.
fn body_error(err: BodyError, ndjson: bool) -> AppError {
    match err {
        BodyError::Malformed(msg) => AppError::BadRequest(msg),
        BodyError::Entry { position, error } => {
            let place = if ndjson {
                format!("line {position}")
            } else {
                format!("entry {position}")
            };
            AppError::Validation(vec![FieldError::in_body(
                position,
                error.field,
                error.kind,
                format!("{place}: {}", error.msg),
            )])
        }
    }
}
