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
    ContextSelectionSet, OutputType, Positioned, ServerError, ServerResult, Value,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// A type whose fields are read without resolvers.
pub trait Row: Send + Sync {
    /// The GraphQL type name, for `__typename`.
    const TYPE_NAME: &'static str;
    /// The fields it serves; `value` takes a position in this list.
    const FIELDS: &'static [&'static str];

    /// The value of field `FIELDS[field]`.
    fn value(&self, field: usize) -> Value;
}

/// What one selected field reads, worked out once per selection.
#[derive(Clone, Copy)]
enum Slot {
    TypeName,
    Field(usize),
}

/// The object a selection set asks of `row`.
pub fn object<R: Row>(row: &R, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
    let mut objects = objects(std::slice::from_ref(row), ctx)?;
    Ok(objects.pop().unwrap_or_default())
}

/// The objects a selection set asks of each row. The selection is walked once; each
/// row's object starts as a copy of an empty one with the response keys already in
/// place, so no row pays for hashing keys or walking fragments again.
pub fn objects<R: Row>(rows: &[R], ctx: &ContextSelectionSet<'_>) -> ServerResult<Vec<Value>> {
    let mut selected = Vec::new();
    collect(ctx, &ctx.item.node, &mut selected);
    let mut template = IndexMap::with_capacity(selected.len());
    let mut slots = Vec::with_capacity(selected.len());
    for field in selected {
        let key = field.node.response_key().node.clone();
        // A key selected twice is one field (validation checks they agree).
        if template.contains_key(&key) {
            continue;
        }
        let slot = match field.node.name.node.as_str() {
            "__typename" => Slot::TypeName,
            name => Slot::Field(
                R::FIELDS
                    .iter()
                    .position(|f| *f == name)
                    .ok_or_else(|| unknown::<R>(field))?,
            ),
        };
        slots.push((template.len(), slot));
        template.insert(key, Value::Null);
    }
    Ok(rows
        .iter()
        .map(|row| {
            let mut object = template.clone();
            for &(index, slot) in &slots {
                if let Some((_, value)) = object.get_index_mut(index) {
                    *value = match slot {
                        Slot::TypeName => Value::String(R::TYPE_NAME.to_owned()),
                        Slot::Field(field) => row.value(field),
                    };
                }
            }
            Value::Object(object)
        })
        .collect())
}

fn unknown<R: Row>(field: &Positioned<Field>) -> ServerError {
    ServerError::new(
        format!(
            "Cannot query field \"{}\" on type \"{}\".",
            field.node.name.node,
            R::TYPE_NAME
        ),
        Some(field.pos),
    )
}

/// The fields of a selection set in order, fragments flattened.
fn collect<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
    out: &mut Vec<&'a Positioned<Field>>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => out.push(field),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = ctx.query_env.fragments.get(&spread.node.fragment_name.node)
                {
                    collect(ctx, &fragment.node.selection_set.node, out);
                }
            }
            Selection::InlineFragment(inline) => {
                collect(ctx, &inline.node.selection_set.node, out);
            }
        }
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
        objects(self.0, ctx).map(Value::List)
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
