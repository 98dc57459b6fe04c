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

use super::ingest::read_body;
use crate::{
    error::AppError,
    ingest::loki::{PushError, parse_json_push, parse_protobuf_push},
    service,
    state::AppState,
};

/// Both push paths: JSON (either shape) or snappy protobuf, told by Content-Type.
/// Older Promtail sent protobuf to `/api/prom/push` too, so both take both.
pub async fn push(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match store(&state, &headers, body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => err.into_response(),
    }
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

/// 200 `ready` once the database answers; Vector and friends health-check this.
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
