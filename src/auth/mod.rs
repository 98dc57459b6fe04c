//! Authentication and authorisation, in one place for every surface.
//!
//! - No `SECRET_KEY`: open mode, everything is allowed (and `startup` only listens
//!   on loopback).
//! - `SECRET_KEY` set: `layer::authorize` (one axum middleware over the whole
//!   router) demands a valid bearer token on every route that `layer::requirement`
//!   does not list as open, and the scope that route needs. Routes are protected
//!   by default: a route added later needs `read` (GET) or `admin` (anything else)
//!   until it is listed.
//! - GraphQL: the middleware authenticates and hands the claims to the schema;
//!   guards on each root type (`graphql::guard`) check the scope per operation
//!   type and per field.
//! - WebSocket subscriptions read the token from the `connection_init` payload
//!   through [`Auth::authenticate_connection_init`].

pub mod layer;
mod token;

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::STANDARD};

pub use token::{Claims, Keys};

use crate::{config::Config, error::AppError};

/// What a token may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Queries, GET routes, the CSV report, subscriptions, metrics.
    Read,
    /// `POST /logs`, the Loki push endpoints, `ingestLogs`.
    Ingest,
    /// Alert and rule mutations.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Ingest, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
        }
    }

    /// Parses a space- (or comma-) separated list, refusing unknown names so a
    /// typo does not mint a token that silently cannot do what was meant.
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for name in list.split(|c: char| c.is_whitespace() || c == ',') {
            if name.is_empty() {
                continue;
            }
            let scope = Scope::ALL
                .into_iter()
                .find(|s| s.as_str() == name)
                .ok_or_else(|| format!("unknown scope {name:?}: use read, ingest or admin"))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("no scope given: use read, ingest or admin".into());
        }
        Ok(scopes)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signing algorithms `ALGORITHM` may name: HMAC only, since the one secret
/// both signs and verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "HS384")]
    Hs384,
    #[value(name = "HS512")]
    Hs512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
        }
    }
}

impl From<Algorithm> for jsonwebtoken::Algorithm {
    fn from(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Hs256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::Hs384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::Hs512 => jsonwebtoken::Algorithm::HS512,
        }
    }
}

/// The server's authentication settings, shared by every surface.
#[derive(Clone, Default)]
pub struct Auth {
    /// `None`: open mode.
    keys: Option<Arc<Keys>>,
}

impl Auth {
    /// From `SECRET_KEY` and `ALGORITHM`; refuses a blank key, which would let
    /// anyone sign tokens.
    pub fn from_config(config: &Config) -> Result<Auth, AppError> {
        let Some(secret) = config.secret_key.as_deref() else {
            return Ok(Auth::default());
        };
        if secret.trim().is_empty() {
            return Err(AppError::Config(
                "SECRET_KEY is set but empty: give it a long random value (e.g. `openssl rand -hex 32`), or unset it for open mode".into(),
            ));
        }
        if secret.len() < 32 {
            tracing::warn!(
                "SECRET_KEY is shorter than 32 bytes; a longer random key makes tokens harder to forge"
            );
        }
        Ok(Auth {
            keys: Some(Arc::new(Keys::new(secret, config.algorithm))),
        })
    }

    /// Whether tokens are required at all.
    pub fn is_enabled(&self) -> bool {
        self.keys.is_some()
    }

    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_deref()
    }

    /// The claims of the request's token: `Authorization: Bearer <JWT>`, or, where
    /// `allow_basic` (Loki shippers), the JWT as the HTTP Basic password with any
    /// user name. `Ok(None)` in open mode.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        allow_basic: bool,
    ) -> Result<Option<Claims>, AppError> {
        let Some(keys) = self.keys() else {
            return Ok(None);
        };
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(AppError::missing_token)?
            .to_str()
            .map_err(|_| AppError::invalid_token("the Authorization header is not ASCII"))?;
        let token = bearer_token(value)
            .or_else(|| allow_basic.then(|| basic_password(value)).flatten())
            .ok_or_else(|| {
                AppError::invalid_token(if allow_basic {
                    "send `Authorization: Bearer <token>`, or the token as the Basic password"
                } else {
                    "send `Authorization: Bearer <token>`"
                })
            })?;
        keys.verify(&token).map(Some)
    }

    /// For the `graphql-transport-ws` handler: checks the `connection_init`
    /// payload `{"Authorization": "Bearer <JWT>"}` (browsers cannot set headers on
    /// a WebSocket). The handler calls this from `on_connection_init`, closes the
    /// socket with 4403 on `Err`, and otherwise puts the claims (if any) into the
    /// connection's data so the subscription guards see them. A token already
    /// checked on the upgrade request (an `Authorization` header) may be passed as
    /// `from_upgrade` and is used when the payload has none.
    pub fn authenticate_connection_init(
        &self,
        payload: &serde_json::Value,
        from_upgrade: Option<Claims>,
    ) -> Result<Option<Claims>, AppError> {
        let Some(keys) = self.keys() else {
            return Ok(None);
        };
        let value = payload.as_object().and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .map(|(_, value)| value)
        });
        match value {
            Some(value) => {
                let token = value.as_str().and_then(bearer_token).ok_or_else(|| {
                    AppError::invalid_token("`Authorization` must be \"Bearer <token>\"")
                })?;
                keys.verify(&token).map(Some)
            }
            None => from_upgrade.map(Some).ok_or_else(AppError::missing_token),
        }
    }
}

/// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 7235).
fn bearer_token(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The password of `Basic base64(user:password)`.
fn basic_password(value: &str) -> Option<String> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

/// A token's default lifetime: `ACCESS_TOKEN_EXPIRE_MINUTES`.
pub fn default_lifetime(config: &Config) -> Duration {
    Duration::from_secs(config.access_token_expire_minutes.saturating_mul(60))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn protected() -> (Auth, String) {
        let mut config = Config::for_database("sqlite::memory:");
        config.secret_key = Some("k".repeat(32));
        let auth = Auth::from_config(&config).unwrap();
        let token = auth
            .keys()
            .unwrap()
            .mint(&[Scope::Ingest], Duration::from_secs(60), None)
            .unwrap();
        (auth, token)
    }

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_passwords_count_only_where_allowed() {
        let (auth, token) = protected();
        let basic = format!("Basic {}", STANDARD.encode(format!("promtail:{token}")));
        assert!(
            auth.authenticate(&with_authorization(&basic), true)
                .unwrap()
                .is_some()
        );
        assert!(
            auth.authenticate(&with_authorization(&basic), false)
                .is_err()
        );
        let bearer = format!("bearer {token}");
        assert!(
            auth.authenticate(&with_authorization(&bearer), false)
                .is_ok()
        );
        assert!(auth.authenticate(&HeaderMap::new(), true).is_err());
    }

    #[test]
    fn connection_init_payloads_carry_the_token() {
        let (auth, token) = protected();
        let ok = serde_json::json!({ "Authorization": format!("Bearer {token}") });
        assert!(
            auth.authenticate_connection_init(&ok, None)
                .unwrap()
                .is_some()
        );
        let lower = serde_json::json!({ "authorization": format!("Bearer {token}") });
        assert!(auth.authenticate_connection_init(&lower, None).is_ok());
        assert!(
            auth.authenticate_connection_init(&serde_json::json!({}), None)
                .is_err()
        );
        let bad = serde_json::json!({ "Authorization": "Bearer nope" });
        assert!(auth.authenticate_connection_init(&bad, None).is_err());
        assert!(
            Auth::default()
                .authenticate_connection_init(&serde_json::Value::Null, None)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn blank_secrets_are_refused_and_scope_lists_are_checked() {
        let mut config = Config::for_database("sqlite::memory:");
        config.secret_key = Some("  ".into());
        assert!(Auth::from_config(&config).is_err());
        assert_eq!(
            Scope::parse_list("read, ingest read").unwrap(),
            vec![Scope::Read, Scope::Ingest]
        );
        assert!(Scope::parse_list("read write").is_err());
        assert!(Scope::parse_list(" ").is_err());
    }
}
