//! Turning request bodies into logs ready to store: JSON objects and arrays, NDJSON
//! and the Loki push formats. Pure parsing: nothing here touches the database or
//! knows about HTTP beyond the bytes it is given.

pub mod entry;
pub mod json;
pub mod labels;
pub mod loki;

pub use entry::{EntryError, parse_entry};
