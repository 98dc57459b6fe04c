//! Access tokens: HMAC-signed JWTs, minted by `log-sentinel token` and checked on
//! every protected call. `jsonwebtoken` does the cryptography and the standard
//! checks; this module pins the algorithm, requires `exp`, and turns each failure
//! into a fixed sentence that never quotes the token.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use super::{Algorithm, Scope};
use crate::error::AppError;

/// What a token says about its bearer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who the token was minted for (free text, for logs and audits); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Expiry, seconds since the epoch. Required: the `default` only lets a token
    /// without it reach validation, which refuses it by name.
    #[serde(default)]
    pub exp: u64,
    /// Minted at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Space-separated scopes (`read ingest admin`), as OAuth 2 writes them.
    #[serde(default)]
    pub scope: String,
}

impl Claims {
    /// Whether the token grants `scope`. Scopes are independent: `admin` does not
    /// imply `read`, so a token carries exactly what it was minted with.
    pub fn has(&self, scope: Scope) -> bool {
        self.scope.split_whitespace().any(|s| s == scope.as_str())
    }
}

/// The signing key and the one algorithm tokens must use.
pub struct Keys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Keys {
    pub fn new(secret: &str, algorithm: Algorithm) -> Self {
        // `new` pins the accepted `alg` to exactly this one (so `none`, RS256 or a
        // sibling HS* are refused) and requires `exp`, with a minute of clock skew.
        let validation = Validation::new(algorithm.into());
        Keys {
            algorithm,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// A signed token granting `scopes` for `lifetime`.
    pub fn mint(
        &self,
        scopes: &[Scope],
        lifetime: Duration,
        subject: Option<String>,
    ) -> Result<String, AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject,
            exp: now.saturating_add(lifetime.as_secs()),
            iat: Some(now),
            scope: scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm.into()), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot sign a token: {e}")))
    }

    /// The claims of a valid token; a 401 saying what was wrong otherwise.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| AppError::invalid_token(self.explain(e.kind())))
    }

    /// A fixed sentence per failure: error texts from the JWT library may quote
    /// parts of the token, which must not reach responses or logs.
    fn explain(&self, kind: &ErrorKind) -> String {
        match kind {
            ErrorKind::ExpiredSignature => "the token has expired".into(),
            ErrorKind::InvalidSignature => "the token's signature does not match".into(),
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => format!(
                "the token is not signed with {}, the only algorithm accepted",
                self.algorithm.as_str()
            ),
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("the token has no `{claim}` claim")
            }
            ErrorKind::InvalidClaimFormat(claim) => {
                format!("the token's `{claim}` claim has the wrong type")
            }
            ErrorKind::ImmatureSignature => "the token is not valid yet".into(),
            // Includes `alg: none` and any other `alg` the library does not know,
            // which fail while reading the header.
            _ => format!(
                "the token is malformed (a JWT signed with {} is expected)",
                self.algorithm.as_str()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;

    fn keys() -> Keys {
        Keys::new("test-secret", Algorithm::Hs256)
    }

    #[test]
    fn a_minted_token_verifies_with_its_scopes_and_subject() {
        let token = keys()
            .mint(
                &[Scope::Read, Scope::Ingest],
                Duration::from_secs(60),
                Some("ci".into()),
            )
            .unwrap();
        let claims = keys().verify(&token).unwrap();
        assert!(claims.has(Scope::Read) && claims.has(Scope::Ingest));
        assert!(!claims.has(Scope::Admin));
        assert_eq!(claims.sub.as_deref(), Some("ci"));
        assert_eq!(claims.exp - claims.iat.unwrap(), 60);
    }

    #[test]
    fn other_algorithms_keys_and_none_are_refused() {
        let hs512 = Keys::new("test-secret", Algorithm::Hs512)
            .mint(&[Scope::Read], Duration::from_secs(60), None)
            .unwrap();
        let err = keys().verify(&hs512).unwrap_err().to_string();
        assert!(err.contains("HS256"), "{err}");

        let other_key = Keys::new("another", Algorithm::Hs256)
            .mint(&[Scope::Read], Duration::from_secs(60), None)
            .unwrap();
        assert!(
            keys()
                .verify(&other_key)
                .unwrap_err()
                .to_string()
                .contains("signature")
        );

        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"exp":99999999999,"scope":"read admin"}"#)
        );
        assert!(keys().verify(&none).is_err());
    }

    #[test]
    fn scopes_match_whole_words_only() {
        let claims = Claims {
            sub: None,
            exp: 0,
            iat: None,
            scope: "reader  ingest".into(),
        };
        assert!(!claims.has(Scope::Read));
        assert!(claims.has(Scope::Ingest));
    }
}
