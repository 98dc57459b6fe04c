//! The one authorisation layer: an axum middleware over the whole router (REST,
//! GraphQL, Loki, and whatever is added later). Open routes are an explicit list;
//! every other request needs a token, and the scope its route needs.

use axum::{
    extract::{Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{Auth, Scope};
use crate::error::AppError;

/// What a request must bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// Nothing: health checks, API descriptions, the GraphiQL page.
    Open,
    /// A valid token; `scope: None` leaves the scope check to the GraphQL schema,
    /// which knows what each operation needs. `basic`: the token may also come as
    /// the HTTP Basic password (Loki shippers can send nothing else).
    Token { scope: Option<Scope>, basic: bool },
    /// A WebSocket upgrade on `/graphql`: browsers cannot set headers there, so the
    /// token comes in `connection_init` (see `Auth::authenticate_connection_init`);
    /// a token sent as a header anyway is checked here.
    WebSocket,
}

/// The policy, as one table. Anything not listed needs a token: `read` for
/// GET/HEAD, `admin` for other methods; so a route added later is protected until
/// someone decides otherwise here. Paths arrive with the trailing slash trimmed.
pub fn requirement(request: &Request) -> Requirement {
    let read_only = matches!(*request.method(), Method::GET | Method::HEAD);
    let path = request.uri().path();
    let token = |scope, basic| Requirement::Token {
        scope: Some(scope),
        basic,
    };
    match (read_only, path) {
        (true, "/status" | "/ready" | "/openapi.json" | "/docs") => Requirement::Open,
        // The API description page's and GraphiQL's static files.
        (true, p) if p.starts_with("/docs/") || p.starts_with("/graphiql-assets/") => {
            Requirement::Open
        }
        (true, "/graphql") if crate::graphql::is_websocket_upgrade(request) => {
            Requirement::WebSocket
        }
        (true, "/graphql") if crate::graphql::serves_graphiql(request) => Requirement::Open,
        (_, "/graphql") => Requirement::Token {
            scope: None,
            basic: false,
        },
        (false, "/logs") => token(Scope::Ingest, false),
        (false, "/loki/api/v1/push" | "/api/prom/push") => token(Scope::Ingest, true),
        (true, _) => token(Scope::Read, false),
        (false, _) => token(Scope::Admin, false),
    }
}

/// The middleware. In open mode it lets everything through; otherwise it answers
/// 401/403 itself, or passes the request on with its `Claims` in the extensions.
pub async fn authorize(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    if !auth.is_enabled() {
        return next.run(request).await;
    }
    let graphql = request.uri().path() == "/graphql";
    let (scope, basic) = match requirement(&request) {
        Requirement::Open => return next.run(request).await,
        // No header: the socket handler checks `connection_init` instead.
        Requirement::WebSocket if !request.headers().contains_key(header::AUTHORIZATION) => {
            return next.run(request).await;
        }
        Requirement::WebSocket => (None, false),
        Requirement::Token { scope, basic } => (scope, basic),
    };
    let claims = match auth.authenticate(request.headers(), basic) {
        Ok(Some(claims)) => claims,
        Ok(None) => return next.run(request).await,
        Err(err) => return reject(err, graphql),
    };
    if let Some(scope) = scope {
        if !claims.has(scope) {
            return reject(AppError::Forbidden(scope), graphql);
        }
    }
    request.extensions_mut().insert(claims);
    next.run(request).await
}

/// GraphQL clients read `errors[].extensions.code`, so `/graphql` gets its 401 in
/// that shape too (with the same status and `WWW-Authenticate`).
fn reject(err: AppError, graphql: bool) -> Response {
    if graphql {
        err.into_graphql_response()
    } else {
        err.into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn req(method: Method, uri: &str, accept: Option<&str>) -> Request {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(accept) = accept {
            builder = builder.header("accept", accept);
        }
        builder.body(Body::empty()).unwrap()
    }

    fn needs(method: Method, uri: &str) -> Requirement {
        requirement(&req(method, uri, None))
    }

    fn scope(scope: Scope) -> Requirement {
        Requirement::Token {
            scope: Some(scope),
            basic: false,
        }
    }

    #[test]
    fn only_listed_routes_are_open() {
        for path in ["/status", "/ready", "/openapi.json", "/docs", "/graphql"] {
            assert_eq!(needs(Method::GET, path), Requirement::Open, "{path}");
        }
        assert_eq!(
            requirement(&req(
                Method::GET,
                "/graphql?query=%7Bx%7D",
                Some("text/html")
            )),
            Requirement::Open,
            "a browser gets the page, never the query's result"
        );
        assert_eq!(
            needs(Method::GET, "/graphql?query=%7Bx%7D"),
            Requirement::Token {
                scope: None,
                basic: false
            }
        );
        assert_eq!(needs(Method::POST, "/status"), scope(Scope::Admin));
        assert_eq!(needs(Method::GET, "/status/x"), scope(Scope::Read));
    }

    #[test]
    fn each_route_needs_its_scope_and_unknown_routes_are_protected() {
        for path in [
            "/logs",
            "/logs/1",
            "/alerts",
            "/report/csv",
            "/metrics",
            "/new",
        ] {
            assert_eq!(needs(Method::GET, path), scope(Scope::Read), "{path}");
        }
        assert_eq!(needs(Method::POST, "/logs"), scope(Scope::Ingest));
        for path in ["/loki/api/v1/push", "/api/prom/push"] {
            assert_eq!(
                needs(Method::POST, path),
                Requirement::Token {
                    scope: Some(Scope::Ingest),
                    basic: true
                }
            );
        }
        assert_eq!(needs(Method::DELETE, "/alerts/1"), scope(Scope::Admin));
        assert_eq!(needs(Method::PUT, "/new"), scope(Scope::Admin));
    }
}
