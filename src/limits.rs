//! How long a client may take to send its request. Slow senders would otherwise
//! hold a connection, a task and a half-read body for as long as they like.
//!
//! Headers are timed by hyper (`header_read_timeout`, set in `startup`); the body
//! by [`body_deadline`] here. Both use `REQUEST_TIMEOUT_SECS`. Responses are not
//! timed: a CSV download of millions of rows may stream for as long as it needs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;
use tower_http::timeout::{DeadlineBody, TimeoutError};

use crate::error::AppError;

/// Gives the request body one deadline, counted from when the headers arrived. A
/// body still incomplete then fails to read; whatever the handler made of that
/// failure, the client gets 408, and nothing of the body is stored (every handler
/// reads the whole body before writing).
pub async fn body_deadline(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let expired = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&expired);
    let request = request.map(|body| {
        Body::new(DeadlineBody::new(timeout, body).map_err(move |err| {
            if err.is::<TimeoutError>() {
                flag.store(true, Ordering::Relaxed);
            }
            err
        }))
    });
    let response = next.run(request).await;
    if expired.load(Ordering::Relaxed) {
        return AppError::RequestTimeout(timeout.as_secs()).into_response();
    }
    response
}
