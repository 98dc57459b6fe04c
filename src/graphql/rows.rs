//! Rows (logs, alerts) resolved in one synchronous pass over the selection set.
//!
//! async-graphql resolves a derived object field by field, each field a boxed future
//! joined with the others, and a list item by item the same way: for a 100-row page
//! of six fields that is some 700 futures, and it ran `logs(first: 100)` at a third
//! of the REST shim's speed. A row's fields are plain values already in memory, so
//! here they are read straight into the response: over HTTP as finished JSON text
//! (see `response`), over the WebSocket as values. The schema does not change: each
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

use super::response::SplicedRows;

/// A type whose fields are read without resolvers.
pub trait Row: Send + Sync {
    /// The GraphQL type name, for `__typename`.
    const TYPE_NAME: &'static str;
    /// The fields it serves; `value` takes a position in this list.
    const FIELDS: &'static [&'static str];

    /// The value of field `FIELDS[field]`.
    fn value(&self, field: usize) -> Value;

    /// The same value written as JSON (see `response`). Types with large pages write
    /// their fields directly rather than through a `Value`.
    fn write_json(&self, field: usize, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &self.value(field))
    }
}

/// What one selected field reads, worked out once per selection.
#[derive(Clone, Copy)]
enum Slot {
    TypeName,
    Field(usize),
}

/// The response keys a selection set asks for and what each reads, in order.
struct Plan(Vec<(Name, Slot)>);

impl Plan {
    fn new<R: Row>(ctx: &ContextSelectionSet<'_>) -> ServerResult<Self> {
        let mut selected = Vec::new();
        collect(ctx, &ctx.item.node, &mut selected);
        let mut keys: Vec<(Name, Slot)> = Vec::with_capacity(selected.len());
        for field in selected {
            let key = &field.node.response_key().node;
            // A key selected twice is one field (validation checks they agree).
            if keys.iter().any(|(k, _)| k == key) {
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
            keys.push((key.clone(), slot));
        }
        Ok(Plan(keys))
    }

    /// Each row's object starts as a copy of an empty one with the response keys
    /// already in place, so no row pays for hashing keys.
    fn values<R: Row>(&self, rows: &[R]) -> Vec<Value> {
        let template: IndexMap<Name, Value> = self
            .0
            .iter()
            .map(|(key, _)| (key.clone(), Value::Null))
            .collect();
        rows.iter()
            .map(|row| {
                let mut object = template.clone();
                for (value, (_, slot)) in object.values_mut().zip(&self.0) {
                    *value = match *slot {
                        Slot::TypeName => Value::String(R::TYPE_NAME.to_owned()),
                        Slot::Field(field) => row.value(field),
                    };
                }
                Value::Object(object)
            })
            .collect()
    }

    /// The objects as one JSON array (or, with `single`, the first object alone).
    fn json<R: Row>(&self, rows: &[R], single: bool) -> serde_json::Result<Vec<u8>> {
        // `"key":` for each field, escaped once.
        let mut prefixes = Vec::with_capacity(self.0.len());
        for (key, _) in &self.0 {
            let mut prefix = serde_json::to_vec(key.as_str())?;
            prefix.push(b':');
            prefixes.push(prefix);
        }
        // About 64 bytes a field; past a megabyte the buffer grows as it must.
        let mut out = Vec::with_capacity((64 + rows.len() * 64 * self.0.len()).min(1 << 20));
        if !single {
            out.push(b'[');
        }
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'{');
            for (j, (prefix, (_, slot))) in prefixes.iter().zip(&self.0).enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(prefix);
                match *slot {
                    Slot::TypeName => serde_json::to_writer(&mut out, R::TYPE_NAME)?,
                    Slot::Field(field) => row.write_json(field, &mut out)?,
                }
            }
            out.push(b'}');
        }
        if !single {
            out.push(b']');
        }
        Ok(out)
    }
}

/// The object a selection set asks of `row`.
pub fn object<R: Row>(row: &R, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
    let rows = std::slice::from_ref(row);
    let plan = Plan::new::<R>(ctx)?;
    if ctx.data_opt::<SplicedRows>().is_some() {
        return spliced(plan.json(rows, true), ctx);
    }
    Ok(plan.values(rows).pop().unwrap_or_default())
}

/// The objects a selection set asks of each row, the selection walked once.
pub fn list<R: Row>(rows: &[R], ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
    let plan = Plan::new::<R>(ctx)?;
    if ctx.data_opt::<SplicedRows>().is_some() {
        return spliced(plan.json(rows, false), ctx);
    }
    Ok(Value::List(plan.values(rows)))
}

fn spliced(
    json: serde_json::Result<Vec<u8>>,
    ctx: &ContextSelectionSet<'_>,
) -> ServerResult<Value> {
    json.map(|bytes| Value::Binary(bytes.into()))
        .map_err(|err| {
            ServerError::new(format!("cannot serialise rows: {err}"), Some(ctx.item.pos))
        })
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
        list(self.0, ctx)
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
