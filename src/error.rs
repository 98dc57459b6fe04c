//! One error type for the whole service. Each variant knows its HTTP status and its
//! GraphQL `extensions.code`, so REST and GraphQL report a failure the same way.
//! Internal details (database errors) are logged, never sent to the client.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// One invalid input, in FastAPI's `detail[]` shape: where, what, which kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// Path to the bad value: strings for names, numbers for positions.
    pub loc: Vec<serde_json::Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
}

impl FieldError {
    pub fn new(loc: &[&str], kind: &str, msg: impl Into<String>) -> Self {
        FieldError {
            loc: loc.iter().map(|s| serde_json::Value::from(*s)).collect(),
            msg: msg.into(),
            kind: kind.to_owned(),
            input: None,
        }
    }

    /// Where in the body: `["body", position, field]`.
    pub fn in_body(
        position: usize,
        field: Option<&str>,
        kind: &str,
        msg: impl Into<String>,
    ) -> Self {
        let mut loc = vec![
            serde_json::Value::from("body"),
            serde_json::Value::from(position),
        ];
        loc.extend(field.map(serde_json::Value::from));
        FieldError {
            loc,
            msg: msg.into(),
            kind: kind.to_owned(),
            input: None,
        }
    }

    /// The location as dotted text, for GraphQL's `extensions.fields`.
    pub fn path(&self) -> String {
        self.loc
            .iter()
            .map(|part| match part {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    pub fn with_input(mut self, input: impl Into<serde_json::Value>) -> Self {
        self.input = Some(input.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 422 with FastAPI's `{"detail": [...]}`; GraphQL `BAD_USER_INPUT`.
    #[error("{}", .0.iter().map(|e| e.msg.as_str()).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),

    /// 400: the request itself could not be read (malformed JSON, bad encoding).
    #[error("{0}")]
    BadRequest(String),

    /// 401 with `WWW-Authenticate: Bearer`; GraphQL `UNAUTHENTICATED`. `invalid_token`:
    /// a token was sent but is bad (expired, wrong signature or algorithm, garbled),
    /// which RFC 6750 signals with `error="invalid_token"`. The message never quotes
    /// the token.
    #[error("{message}")]
    Unauthenticated {
        message: String,
        invalid_token: bool,
    },

    /// 403 naming the scope the token lacks; GraphQL `FORBIDDEN`.
    #[error("this call needs the `{0}` scope, which the token does not grant")]
    Forbidden(crate::auth::Scope),

    /// 408: the request (headers and body) did not arrive within REQUEST_TIMEOUT_SECS.
    #[error("the request was not received within {0} seconds")]
    RequestTimeout(u64),

    /// 404; GraphQL `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),

    /// 413: the body is larger than MAX_BODY_BYTES.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),

    /// 503: the database cannot be reached.
    #[error("{0}")]
    Unavailable(String),

    /// Start-up problems: bad configuration, unreachable database. Never on a request.
    #[error("{0}")]
    Config(String),

    /// 500; the detail is logged and the client gets a generic message.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),

    /// 500; as above.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A single-field validation error.
    pub fn invalid(loc: &[&str], kind: &str, msg: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(loc, kind, msg)])
    }

    /// No credentials at all.
    pub fn missing_token() -> Self {
        AppError::Unauthenticated {
            message: "authentication required: send `Authorization: Bearer <token>` (mint one with `log-sentinel token`)".into(),
            invalid_token: false,
        }
    }

    /// Credentials that do not check out; `why` must not quote the token.
    pub fn invalid_token(why: impl Into<String>) -> Self {
        AppError::Unauthenticated {
            message: format!("invalid token: {}", why.into()),
            invalid_token: true,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Config(_) | AppError::Db(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn graphql_code(&self) -> &'static str {
        match self {
            AppError::Validation(_)
            | AppError::BadRequest(_)
            | AppError::PayloadTooLarge(_)
            | AppError::RequestTimeout(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated { .. } => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            _ => "INTERNAL_SERVER_ERROR",
        }
    }

    /// What the client may see.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Db(_) | AppError::Internal(_) | AppError::Config(_) => {
                "internal server error".to_owned()
            }
            other => other.to_string(),
        }
    }

    pub fn log_if_internal(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }

    /// The `WWW-Authenticate` challenge a 401 carries (RFC 6750 section 3).
    fn challenge(&self) -> Option<HeaderValue> {
        match self {
            AppError::Unauthenticated {
                invalid_token: true,
                ..
            } => Some(HeaderValue::from_static(
                r#"Bearer realm="log-sentinel", error="invalid_token""#,
            )),
            AppError::Unauthenticated { .. } => {
                Some(HeaderValue::from_static(r#"Bearer realm="log-sentinel""#))
            }
            _ => None,
        }
    }

    /// The same failure as a GraphQL response (`errors[].extensions.code`), for
    /// requests refused before the schema runs.
    pub fn into_graphql_response(self) -> Response {
        self.log_if_internal();
        let body = json!({
            "data": null,
            "errors": [{
                "message": self.public_message(),
                "extensions": { "code": self.graphql_code() },
            }],
        });
        self.respond(body)
    }

    fn respond(self, body: serde_json::Value) -> Response {
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(challenge) = self.challenge() {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let body = match &self {
            AppError::Validation(errors) => json!({ "detail": errors }),
            other => json!({ "detail": other.public_message() }),
        };
        self.respond(body)
    }
}
