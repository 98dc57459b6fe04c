//! The GraphQL API: schema construction and the transport glue for `/graphql`.

mod connection;
mod errors;
pub mod graphiql;
mod guard;
mod mutation;
mod parsed;
mod query;
mod response;
mod rows;
mod rules;
mod stats;
mod subscription;
mod types;

use std::sync::{Arc, OnceLock};

use async_graphql::{
    BatchRequest, BatchResponse, Data, ParseRequestError, Schema, ValidationMode,
    http::WebSocketProtocols,
};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLRequest, GraphQLWebSocket};
use axum::{
    Extension,
    extract::{
        FromRequest, FromRequestParts, Request, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, future};

use crate::{
    auth::{Auth, Claims},
    error::AppError,
    state::AppState,
};

pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deep enough for any real query (`logs → edges → node → field` is 4), far short of
/// what a hostile nesting needs to hurt.
const MAX_DEPTH: usize = 12;
/// Page sizes multiply the cost of what is selected under them (see `query.rs`), so
/// this admits a full 1000-row page with every field and refuses alias floods.
const MAX_COMPLEXITY: usize = 50_000;
/// Operations in one batched POST.
const MAX_BATCH: usize = 16;

/// The schema three times: the same types and resolvers, with and without the
/// extension that gives errors their codes, and with full or cost-only validation.
/// Any extension sends every field of every row through async-graphql's per-field
/// hooks (a boxed future and registry lookups each): with it, a 100-row `logs` page
/// ran at a third of the REST figure. Over HTTP the codes are set on the finished
/// response instead (`errors::assign_codes`); subscriptions stream their responses
/// inside async-graphql, so the WebSocket schema keeps the extension. Requests that
/// passed full validation before run on `http_validated` (see `parsed`).
#[derive(Clone)]
pub struct Schemas {
    pub http: AppSchema,
    http_validated: AppSchema,
    pub websocket: AppSchema,
    parsed: Arc<parsed::ParsedQueries>,
}

impl Schemas {
    pub fn new(state: AppState) -> Self {
        Schemas {
            http: build_schema(Some(state.clone()), Flavour::Http),
            http_validated: build_schema(Some(state.clone()), Flavour::HttpValidated),
            websocket: build_schema(Some(state), Flavour::WebSocket),
            parsed: Arc::default(),
        }
    }

    /// Runs a batch (or one request) over HTTP: parsed queries from the cache, the
    /// cost-only schema when every request passed validation before, error codes
    /// assigned, rows spliced into the answer.
    async fn execute(&self, mut batch: BatchRequest) -> Response {
        let prepared: Vec<_> = batch
            .iter_mut()
            .map(|request| self.parsed.prepare(request))
            .collect();
        let schema = if prepared.iter().all(|p| p.validated) {
            &self.http_validated
        } else {
            &self.http
        };
        let mut responses = schema
            .execute_batch(batch.data(response::SplicedRows))
            .await;
        let answers = match &mut responses {
            BatchResponse::Single(response) => std::slice::from_mut(response),
            BatchResponse::Batch(responses) => responses.as_mut_slice(),
        };
        for (prepared, answer) in prepared.into_iter().zip(answers.iter_mut()) {
            self.parsed.answered(prepared, answer);
            errors::assign_codes(answer);
        }
        response::into_http(responses)
    }
}

/// Which schema to build.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Full validation, no extensions.
    Http,
    /// Only the depth and complexity limits: for requests known to be valid.
    HttpValidated,
    /// Full validation and the error-code extension.
    WebSocket,
}

/// Builds the schema; `state` reaches resolvers through `ctx.data::<AppState>()`.
/// Per-request data: the caller's `Claims`, when authentication is on.
pub fn build_schema(state: Option<AppState>, flavour: Flavour) -> AppSchema {
    let mut builder = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    match flavour {
        Flavour::Http => {}
        Flavour::HttpValidated => builder = builder.validation_mode(ValidationMode::Fast),
        Flavour::WebSocket => builder = builder.extension(errors::ErrorCodes),
    }
    if let Some(state) = state {
        if !state.config.graphql_introspection {
            builder = builder.disable_introspection();
        }
        builder = builder.data(state.auth.clone()).data(state);
    }
    builder.finish()
}

/// The SDL that `log-sentinel schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(None, Flavour::Http).sdl()
}

/// Whether `GET /graphql` answers with the GraphiQL page (a browser, or a bare GET)
/// rather than running a query. The page is public; a query is not.
pub fn serves_graphiql(request: &Request) -> bool {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    wants_html || request.uri().query().is_none_or(str::is_empty)
}

/// A WebSocket handshake on `/graphql` (no query string: subscriptions arrive as
/// messages on the socket).
pub fn is_websocket_upgrade(request: &Request) -> bool {
    let has = |headers: &HeaderMap, name, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(token))
    };
    let headers = request.headers();
    has(headers, header::UPGRADE, "websocket")
        && has(headers, header::CONNECTION, "upgrade")
        && request.uri().query().is_none_or(str::is_empty)
}

/// `GET /graphql`: a WebSocket for subscriptions, GraphiQL for a browser (or a bare
/// GET), otherwise a query from the URL per GraphQL-over-HTTP.
pub async fn get_handler(State(schemas): State<Schemas>, request: Request) -> Response {
    // First: a handshake has no query string either, so it would get the page.
    if is_websocket_upgrade(&request) {
        return websocket(schemas.websocket, request).await;
    }
    if serves_graphiql(&request) {
        return Html(graphiql::page(&schemas.http)).into_response();
    }
    let claims = request.extensions().get::<Claims>().cloned();
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        request,
        &(),
    )
    .await
    {
        Ok(req) => {
            let req = req.into_inner();
            if is_mutation(&req) {
                // GraphQL-over-HTTP: GET must not change anything (caches, prefetchers).
                return (
                    axum::http::StatusCode::METHOD_NOT_ALLOWED,
                    [(header::ALLOW, "POST")],
                    axum::Json(serde_json::json!({ "detail": "mutations must be sent with POST" })),
                )
                    .into_response();
            }
            let req = match claims {
                Some(claims) => req.data(claims),
                None => req,
            };
            schemas.execute(BatchRequest::Single(req)).await
        }
        Err(rejection) => AppError::BadRequest(rejection.0.to_string()).into_response(),
    }
}

/// Whether the operation a request would run is a mutation.
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false; // execution reports the syntax error
    };
    let is_mut = |ty: OperationType| ty == OperationType::Mutation;
    match (&doc.operations, &request.operation_name) {
        (DocumentOperations::Single(op), _) => is_mut(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).is_some_and(|op| is_mut(op.node.ty))
        }
        (DocumentOperations::Multiple(ops), None) => ops.values().any(|op| is_mut(op.node.ty)),
    }
}

/// `POST /graphql`: one operation or a batch of at most `MAX_BATCH`.
pub async fn post_handler(
    State(schemas): State<Schemas>,
    claims: Option<Extension<Claims>>,
    request: Result<GraphQLBatchRequest<Unreadable>, Unreadable>,
) -> Response {
    let limit = schemas
        .http
        .data::<AppState>()
        .map_or(0, |state| state.config.max_body_bytes);
    let mut batch = match request {
        Ok(request) => request.into_inner(),
        Err(Unreadable(err)) => return unreadable(err, limit).into_response(),
    };
    if let BatchRequest::Batch(ops) = &batch {
        if ops.len() > MAX_BATCH {
            return AppError::BadRequest(format!(
                "a batch may hold at most {MAX_BATCH} operations, got {}",
                ops.len()
            ))
            .into_response();
        }
    }
    if let Some(Extension(claims)) = claims {
        batch = batch.data(claims);
    }
    schemas.execute(batch).await
}

/// A GraphQL body that could not be read, kept as is until the handler knows the
/// body limit to name.
pub struct Unreadable(ParseRequestError);

impl From<ParseRequestError> for Unreadable {
    fn from(err: ParseRequestError) -> Self {
        Unreadable(err)
    }
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        unreadable(self.0, 0).into_response()
    }
}

/// 413 for a body over the limit (sent without Content-Length, so only reading
/// finds out), 400 for anything else, in the service's error shape.
fn unreadable(err: ParseRequestError, limit: usize) -> AppError {
    match err {
        ParseRequestError::PayloadTooLarge => AppError::PayloadTooLarge(limit),
        ParseRequestError::Io(e) if e.to_string().contains("length limit exceeded") => {
            AppError::PayloadTooLarge(limit)
        }
        other => AppError::BadRequest(format!("cannot read the GraphQL request: {other}")),
    }
}

/// The WebSocket handshake: GraphQL over `graphql-transport-ws`, or the legacy
/// `graphql-ws` (subscriptions-transport-ws), whichever the client offers first.
async fn websocket(schema: AppSchema, request: Request) -> Response {
    // Set by the auth middleware when the handshake carried a valid Authorization
    // header; `connection_init` may then leave the token out.
    let from_upgrade = request.extensions().get::<Claims>().cloned();
    let (mut parts, _body) = request.into_parts();
    let (Some(name), Ok(protocol)) = (
        subprotocol(&parts.headers),
        GraphQLProtocol::from_request_parts(&mut parts, &()).await,
    ) else {
        return AppError::BadRequest(
            "a GraphQL WebSocket needs `Sec-WebSocket-Protocol: graphql-transport-ws` (or the legacy `graphql-ws`)".into(),
        )
        .into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let (Some(auth), Some(state)) = (schema.data::<Auth>(), schema.data::<AppState>()) else {
        return AppError::Internal(anyhow::anyhow!("the schema was built without its state"))
            .into_response();
    };
    let auth = auth.clone();
    // Taken before the upgrade, so a server stopping meanwhile still waits for it.
    let going_away = state.shutdown.subscribe();
    upgrade
        // Named here rather than async-graphql-axum's fixed preference list, so the
        // answer names the protocol `GraphQLProtocol` picked.
        .protocols([name.sec_websocket_protocol()])
        .max_message_size(state.config.max_body_bytes)
        .on_upgrade(move |socket| {
            serve_websocket(socket, schema, protocol, auth, from_upgrade, going_away)
        })
}

/// The client's first GraphQL subprotocol, chosen as `GraphQLProtocol` chooses.
fn subprotocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|name| name.trim().parse().ok())
}

/// Runs one connection: `connection_init` must carry a token (see
/// `Auth::authenticate_connection_init`) whose claims the subscription guards then
/// see; without one the socket is closed with 4403. When the server stops, the
/// client gets a close frame 1001 (going away) rather than a dropped connection.
async fn serve_websocket(
    socket: WebSocket,
    schema: AppSchema,
    protocol: GraphQLProtocol,
    auth: Auth,
    from_upgrade: Option<Claims>,
    mut going_away: crate::startup::ShutdownListener,
) {
    /// RFC 6455 has the closing side wait for the peer's close frame; not for ever.
    const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
    let refusal = Arc::new(OnceLock::<String>::new());
    // Lent to async-graphql rather than given, so the close frame can still be sent.
    let (mut sink, mut stream) = socket.split();
    let graphql_sink = (&mut sink).with({
        let refusal = Arc::clone(&refusal);
        move |message| future::ready(Ok::<_, axum::Error>(forbidden_close(message, &refusal)))
    });
    let serve = GraphQLWebSocket::new_with_pair(graphql_sink, &mut stream, schema, protocol)
        .on_connection_init(move |payload| async move {
            match auth.authenticate_connection_init(&payload, from_upgrade) {
                Ok(claims) => {
                    let mut data = Data::default();
                    if let Some(claims) = claims {
                        data.insert(claims);
                    }
                    Ok(data)
                }
                Err(err) => {
                    let message = err.public_message();
                    let _ = refusal.set(message.clone());
                    Err(async_graphql::Error::new(message))
                }
            }
        })
        .serve();
    tokio::select! {
        () = serve => return,
        () = going_away.requested() => {}
    }
    let close = Message::Close(Some(CloseFrame {
        code: 1001,
        reason: "server shutting down".into(),
    }));
    if sink.send(close).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// async-graphql closes a refused `connection_init` with 1002 (protocol error);
/// graphql-transport-ws defines 4403 Forbidden for it, so that is what clients get.
fn forbidden_close(message: Message, refusal: &OnceLock<String>) -> Message {
    match (message, refusal.get()) {
        (Message::Close(Some(_)), Some(why)) => Message::Close(Some(CloseFrame {
            code: 4403,
            reason: close_reason(&format!("Forbidden: {why}")).into(),
        })),
        (message, _) => message,
    }
}

/// A close frame's reason is at most 123 bytes (RFC 6455 5.5): clients reject a
/// longer one as a protocol error and never see the code.
fn close_reason(text: &str) -> String {
    let mut end = text.len().min(123);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mutations_are_recognised() {
        let req = async_graphql::Request::new(
            "mutation { ingestLogs(entries: [{message: \"x\"}]) { accepted } }",
        );
        assert!(super::is_mutation(&req));
        let req = async_graphql::Request::new("{ status { status } }");
        assert!(!super::is_mutation(&req));
    }

    #[test]
    fn close_reasons_fit_a_frame() {
        let long = "é".repeat(100);
        let reason = super::close_reason(&long);
        assert!(
            reason.len() <= 123 && reason.len() >= 121,
            "{}",
            reason.len()
        );
        assert_eq!(super::close_reason("short"), "short");
    }
}
