//! Loki's push API (`/loki/api/v1/push`, the legacy `/api/prom/push`) and its
//! readiness probe, so Promtail, Alloy, Vector, winston-loki, pino-loki and
//! python-logging-loki ship here unchanged. Answers the way Loki does, because
//! shippers check for it: 204 once the batch is committed, errors as plain text.

use std::io::Read;

use axum::{
    body::Body,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

use super::{
    ingest::read_body,
    openapi::{LegacyPush, LokiPush, PushResponses, SnappyProtobuf},
};
use crate::{
    error::AppError,
    ingest::loki::{PushError, parse_json_push, parse_protobuf_push},
    service,
    state::AppState,
};

/// Loki push
///
/// Loki's push API, so Promtail, Grafana Alloy, Vector, Fluent Bit and the Loki
/// logging libraries ship here unchanged. Stream labels and structured metadata
/// become `attributes`; `level`/`detected_level`/`severity` give the level and
/// `service_name`/`job`/`app`/`host` the source. All or nothing, like `POST /logs`.
/// Errors are one line of plain text, as Loki answers.
#[utoipa::path(
    post,
    path = "/loki/api/v1/push",
    tag = "loki",
    request_body(
        description = "A push request: snappy-compressed protobuf (`logproto.PushRequest`, \
            labels as a selector string) or JSON. Bodies without either content type are \
            read as JSON when they start with `{`, else as protobuf. `Content-Encoding: gzip` \
            or `deflate` is undone first.",
        content(
            (SnappyProtobuf = "application/x-protobuf"),
            (LokiPush = "application/json",
                example = json!({"streams": [{
                    "stream": {"service_name": "api", "level": "error"},
                    "values": [["1767225600000000000", "payment service timed out", {"trace_id": "t-1"}]]
                }]})),
        ),
    ),
    responses(PushResponses),
)]
pub async fn push(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match store(&state, &headers, body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => err.into_response(),
    }
}

/// Loki legacy push
///
/// The push path of Loki before v1, which python-logging-loki uses by default.
/// Takes the same bodies as `/loki/api/v1/push` (older Promtail sent protobuf here
/// too); the JSON form documented is the legacy one.
#[utoipa::path(
    post,
    path = "/api/prom/push",
    tag = "loki",
    request_body(
        description = "A push request: the legacy JSON shape below, the v1 JSON shape, or \
            snappy-compressed protobuf. `Content-Encoding: gzip` or `deflate` is undone first.",
        content(
            (LegacyPush = "application/json",
                example = json!({"streams": [{
                    "labels": "{job=\"api\", level=\"warning\"}",
                    "entries": [{"ts": "2026-01-01T00:00:00Z", "line": "slow query"}]
                }]})),
            (SnappyProtobuf = "application/x-protobuf"),
        ),
    ),
    responses(PushResponses),
)]
pub async fn legacy_push(state: State<AppState>, headers: HeaderMap, body: Body) -> Response {
    push(state, headers, body).await
}

async fn store(state: &AppState, headers: &HeaderMap, body: Body) -> Result<(), PlainError> {
    let limit = state.config.max_body_bytes;
    let body = decode(headers, read_body(body, limit).await?, limit)?;
    let logs = if is_protobuf(headers, &body) {
        parse_protobuf_push(&body, limit)?
    } else {
        parse_json_push(&body)?
    };
    state.ingestor.write(logs).await?;
    Ok(())
}

/// Readiness
///
/// `ready` once the database answers, as Loki's own probe; Vector and other
/// shippers health-check it. Open even when authentication is on.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers.", content_type = "text/plain",
            body = String, example = "ready\n"),
        (status = 503, description = "The database does not answer.", content_type = "text/plain",
            body = String, example = "not ready: the database does not answer\n"),
    ),
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    if service::status::check(&state.db, state.started)
        .await
        .database_ok
    {
        plain(StatusCode::OK, "ready")
    } else {
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database does not answer",
        )
    }
}

/// Undoes `Content-Encoding`, capping the output at `limit` bytes: a small gzip body
/// may inflate a thousandfold, so the compressed-size limit alone is not enough.
fn decode(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, PlainError> {
    let encoding = match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str()) {
        None => return Ok(body),
        Some(Ok(value)) => value.trim().to_ascii_lowercase(),
        Some(Err(_)) => {
            return Err(PlainError(
                StatusCode::BAD_REQUEST,
                "Content-Encoding is not ASCII".into(),
            ));
        }
    };
    let reader: Box<dyn Read + '_> = match encoding.as_str() {
        "" | "identity" => return Ok(body),
        "gzip" | "x-gzip" => Box::new(MultiGzDecoder::new(&body[..])),
        // HTTP says zlib-wrapped; Loki (Go's flate) reads raw deflate: take both.
        "deflate" if looks_like_zlib(&body) => Box::new(ZlibDecoder::new(&body[..])),
        "deflate" => Box::new(DeflateDecoder::new(&body[..])),
        other => {
            let msg = format!("unsupported Content-Encoding {other:?}: send gzip, deflate or none");
            return Err(PlainError(StatusCode::UNSUPPORTED_MEDIA_TYPE, msg));
        }
    };
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            PlainError(
                StatusCode::BAD_REQUEST,
                format!("invalid {encoding} body: {e}"),
            )
        })?;
    if out.len() > limit {
        return Err(PushError::TooLarge(limit).into());
    }
    Ok(out.into())
}

/// A zlib header: deflate method, and the check bits RFC 1950 demands.
fn looks_like_zlib(body: &[u8]) -> bool {
    matches!(body, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

/// `application/x-protobuf` is protobuf and `…json` is JSON. Without either, like
/// Loki, assume protobuf unless the body opens like a JSON object.
fn is_protobuf(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = super::ingest::media_type(headers);
    match content_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => true,
        ct if ct.ends_with("json") => false,
        _ => body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{'),
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

/// An error answered as Loki answers: a status and one line of text.
struct PlainError(StatusCode, String);

impl IntoResponse for PlainError {
    fn into_response(self) -> Response {
        plain(self.0, &self.1)
    }
}

impl From<PushError> for PlainError {
    fn from(err: PushError) -> Self {
        let status = match err {
            PushError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        PlainError(status, err.to_string())
    }
}

impl From<AppError> for PlainError {
    fn from(err: AppError) -> Self {
        err.log_if_internal();
        PlainError(err.status(), err.public_message())
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_type(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn the_format_follows_content_type_then_the_first_byte() {
        assert!(is_protobuf(&with_type("application/x-protobuf"), b"{"));
        assert!(!is_protobuf(
            &with_type("application/json; charset=utf-8"),
            b"\x00"
        ));
        assert!(!is_protobuf(&HeaderMap::new(), b"  {\"streams\":[]}"));
        assert!(is_protobuf(&HeaderMap::new(), b"\x10\x00"));
        assert!(is_protobuf(&with_type("text/plain"), b"\x10\x00"));
    }

    #[test]
    fn zlib_headers_are_told_from_raw_deflate() {
        assert!(looks_like_zlib(&[0x78, 0x9c]));
        assert!(looks_like_zlib(&[0x78, 0x01]));
        assert!(!looks_like_zlib(&[0x4b, 0x4c]));
        assert!(!looks_like_zlib(&[0x78]));
    }
}
