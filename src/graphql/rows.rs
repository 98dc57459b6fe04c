//! Rows (logs, alerts) resolved in one synchronous pass over the selection set.
//!
//! async-graphql resolves a derived object field by field, each field a boxed future
//! joined with the others, and a list item by item the same way: for a 100-row page
//! of six fields that is some 700 futures, and it ran `logs(first: 100)` at a third
//! of the REST shim's speed. A row's fields are plain values already in memory, so
//! here they are read straight into the response. The schema does not change: each
//! row type takes its description (fields, docs) from a derived twin in `types`.
//!
//! Execution has already removed `@skip`/`@include` selections and validation has
//! refused unknown fields and directives, so walking the selection set only has to
//! follow fragments.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult, Value,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// A type whose fields are read without resolvers.
pub trait Row: Send + Sync {
    /// The GraphQL type name, for `__typename`.
    const TYPE_NAME: &'static str;

    /// The value of the field named `name`; `None` if the type has no such field.
    fn field(&self, name: &str) -> Option<Value>;
}

/// The object a selection set asks of `row`.
pub fn object<R: Row>(row: &R, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
    let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
    collect(row, ctx, &ctx.item.node, &mut fields)?;
    Ok(Value::Object(fields))
}

fn collect<R: Row>(
    row: &R,
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    out: &mut IndexMap<Name, Value>,
) -> ServerResult<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let value = value(row, &field.node).ok_or_else(|| {
                    ServerError::new(
                        format!(
                            "Cannot query field \"{}\" on type \"{}\".",
                            field.node.name.node,
                            R::TYPE_NAME
                        ),
                        Some(field.pos),
                    )
                })?;
                out.insert(field.node.response_key().node.clone(), value);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = ctx.query_env.fragments.get(&spread.node.fragment_name.node)
                {
                    collect(row, ctx, &fragment.node.selection_set.node, out)?;
                }
            }
            Selection::InlineFragment(inline) => {
                collect(row, ctx, &inline.node.selection_set.node, out)?;
            }
        }
    }
    Ok(())
}

fn value<R: Row>(row: &R, field: &Field) -> Option<Value> {
    match field.name.node.as_str() {
        "__typename" => Some(Value::String(R::TYPE_NAME.to_owned())),
        name => row.field(name),
    }
}

/// `[T!]!` for a list of rows, resolved in one pass rather than item by item.
pub struct Rows<'a, T>(pub &'a [T]);

impl<T: Row + OutputType> OutputType for Rows<'_, T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0
            .iter()
            .map(|row| object(row, ctx))
            .collect::<ServerResult<Vec<_>>>()
            .map(Value::List)
    }
}

/// Makes a `Row` a GraphQL object type described by `$twin`, a derived
/// `SimpleObject` with the same name and fields that is never resolved.
macro_rules! row_output_type {
    ($row:ty, $twin:ty) => {
        impl async_graphql::OutputType for $row {
            fn type_name() -> std::borrow::Cow<'static, str> {
                <$twin as async_graphql::OutputType>::type_name()
            }

            fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
                <$twin as async_graphql::OutputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                ctx: &async_graphql::ContextSelectionSet<'_>,
                _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                $crate::graphql::rows::object(self, ctx)
            }
        }
    };
}
pub(crate) use row_output_type;
