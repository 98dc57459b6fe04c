//! One error type for the whole service. Each variant knows its HTTP status and its
//! GraphQL `extensions.code`, so REST and GraphQL report a failure the same way.
//! Internal details (database errors) are logged, never sent to the client.

use axum::{
    Json,
    http::StatusCode,
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

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
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
            AppError::Validation(_) | AppError::BadRequest(_) | AppError::PayloadTooLarge(_) => {
                "BAD_USER_INPUT"
            }
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
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let status = self.status();
        let body = match self {
            AppError::Validation(errors) => json!({ "detail": errors }),
            other => json!({ "detail": other.public_message() }),
        };
        (status, Json(body)).into_response()
    }
}
