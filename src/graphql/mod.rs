//! The GraphQL API: schema construction and the transport glue for `/graphql`.

mod connection;
mod errors;
mod query;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLRequest, GraphQLResponse};
use axum::{
    extract::{FromRequest, Request, State},
    http::header,
    response::{Html, IntoResponse, Response},
};

use crate::{error::AppError, state::AppState};

pub use query::QueryRoot;

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Deep enough for any real query (`logs → edges → node → field` is 4), far short of
/// what a hostile nesting needs to hurt.
const MAX_DEPTH: usize = 12;
/// Page sizes multiply the cost of what is selected under them (see `query.rs`), so
/// this admits a full 1000-row page with every field and refuses alias floods.
const MAX_COMPLEXITY: usize = 50_000;
/// Operations in one batched POST.
const MAX_BATCH: usize = 16;

/// Builds the schema; `state` reaches resolvers through `ctx.data::<AppState>()`.
pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let mut builder = Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(errors::ErrorCodes);
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL that `log-sentinel schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

/// `GET /graphql`: GraphiQL for a browser (or a bare GET), otherwise a query from
/// the URL per GraphQL-over-HTTP.
pub async fn get_handler(State(schema): State<AppSchema>, request: Request) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html || request.uri().query().is_none_or(str::is_empty) {
        return Html(graphiql()).into_response();
    }
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        request,
        &(),
    )
    .await
    {
        Ok(req) => GraphQLResponse::from(schema.execute(req.into_inner()).await).into_response(),
        Err(rejection) => AppError::BadRequest(rejection.0.to_string()).into_response(),
    }
}

/// `POST /graphql`: one operation or a batch of at most `MAX_BATCH`.
pub async fn post_handler(
    State(schema): State<AppSchema>,
    request: GraphQLBatchRequest,
) -> Response {
    let batch = request.into_inner();
    if let async_graphql::BatchRequest::Batch(ops) = &batch {
        if ops.len() > MAX_BATCH {
            return AppError::BadRequest(format!(
                "a batch may hold at most {MAX_BATCH} operations, got {}",
                ops.len()
            ))
            .into_response();
        }
    }
    GraphQLResponse::from(schema.execute_batch(batch).await).into_response()
}

fn graphiql() -> String {
    async_graphql::http::GraphiQLSource::build()
        .endpoint("/graphql")
        .title("Log Sentinel")
        .finish()
}
