//! Scope checks inside the schema. Each root type carries a default guard
//! (`#[Object(guard = ...)]`): every query field needs `read`, every mutation
//! `admin`; a field that needs something else says so with its own guard, which
//! replaces the type's. A field added later is therefore guarded without anyone
//! remembering to.

use async_graphql::{Context, Guard};

use crate::{
    auth::{Auth, Claims, Scope},
    error::AppError,
};

/// Lets the field run when authentication is off or the token grants the scope;
/// `UNAUTHENTICATED` without a token, `FORBIDDEN` naming the scope otherwise.
pub struct RequireScope(pub Scope);

impl Guard for RequireScope {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if !ctx.data::<Auth>()?.is_enabled() {
            return Ok(());
        }
        match ctx.data_opt::<Claims>() {
            None => Err(AppError::missing_token().into()),
            Some(claims) if claims.has(self.0) => Ok(()),
            Some(_) => Err(AppError::Forbidden(self.0).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptySubscription, Object, Request, Schema};

    use super::*;
    use crate::config::Config;

    struct Query;

    #[Object]
    impl Query {
        async fn x(&self) -> i32 {
            1
        }
    }

    /// Shaped like `MutationRoot`: a type guard and one field that overrides it.
    struct Mutation;

    #[Object(guard = "RequireScope(Scope::Admin)")]
    impl Mutation {
        #[graphql(guard = "RequireScope(Scope::Ingest)")]
        async fn ingest(&self) -> i32 {
            1
        }

        async fn added_later(&self) -> i32 {
            2
        }
    }

    async fn run(auth: Auth, scope: Option<&str>, query: &str) -> Result<(), String> {
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .data(auth)
            .finish();
        let mut request = Request::new(query);
        if let Some(scope) = scope {
            request = request.data(Claims {
                sub: None,
                exp: 0,
                iat: None,
                scope: scope.into(),
            });
        }
        let response = schema.execute(request).await;
        match response.errors.first() {
            None => Ok(()),
            Some(error) => Err(error.message.clone()),
        }
    }

    fn protected() -> Auth {
        let mut config = Config::for_database("sqlite::memory:");
        config.secret_key = Some("k".repeat(32));
        Auth::from_config(&config).unwrap()
    }

    #[tokio::test]
    async fn the_type_guard_covers_new_fields_and_a_field_guard_replaces_it() {
        assert_eq!(
            run(protected(), Some("ingest"), "mutation { ingest }").await,
            Ok(())
        );
        let err = run(protected(), Some("ingest"), "mutation { addedLater }")
            .await
            .unwrap_err();
        assert!(err.contains("`admin`"), "{err}");
        let err = run(protected(), Some("admin"), "mutation { ingest }")
            .await
            .unwrap_err();
        assert!(err.contains("`ingest`"), "{err}");
        let err = run(protected(), None, "mutation { addedLater }")
            .await
            .unwrap_err();
        assert!(err.contains("authentication required"), "{err}");
        // Open mode: no token, no checks.
        assert_eq!(
            run(Auth::default(), None, "mutation { ingest addedLater }").await,
            Ok(())
        );
    }
}
