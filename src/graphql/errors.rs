//! Gives every GraphQL error an `extensions.code`, in one place: resolvers just use
//! `?` on `AppError` and this maps it (and hides internal details); errors raised
//! by parsing, validation or argument coercion (too deep, too complex, wrong
//! argument type) become `BAD_USER_INPUT`.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
    futures_util::stream::{BoxStream, StreamExt},
};

use crate::error::AppError;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        assign_codes(&mut response);
        response
    }

    /// The same for every item of a subscription (WebSocket), including the errors
    /// raised while it starts (a guard, a bad filter).
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                assign_codes(&mut response);
                response
            })
            .boxed()
    }
}

/// Gives each error of a finished response its code.
pub fn assign_codes(response: &mut Response) {
    response.errors.iter_mut().for_each(assign_code);
}

/// Parse errors quote the offending line, and a hostile query may be one line of
/// megabytes: keep messages readable and the answer small.
const MAX_MESSAGE_CHARS: usize = 500;

fn assign_code(error: &mut ServerError) {
    if let Some((cut, _)) = error.message.char_indices().nth(MAX_MESSAGE_CHARS) {
        error.message.truncate(cut);
        error.message.push_str(" …");
    }
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let app_error = error
        .source
        .as_ref()
        .and_then(|s| s.downcast_ref::<AppError>());
    let code = match app_error {
        Some(app_error) => {
            app_error.log_if_internal();
            error.message = app_error.public_message();
            if let AppError::Validation(fields) = app_error {
                let names: Vec<String> = fields.iter().map(|f| f.path()).collect();
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("fields", names);
            }
            app_error.graphql_code()
        }
        // Every resolver fails with an `AppError`; anything else comes from
        // async-graphql refusing the request itself (syntax, validation, limits,
        // an argument that does not coerce to its type).
        None => "BAD_USER_INPUT",
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
