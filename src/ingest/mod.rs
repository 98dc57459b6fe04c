//! Turning request bodies into logs ready to store: JSON objects and arrays, NDJSON
//! and the Loki push formats. Pure parsing: nothing here touches the database or
//! knows about HTTP beyond the bytes it is given.

pub mod entry;
mod fast;
pub mod json;
pub mod labels;
pub mod loki;

pub use entry::{EntryError, parse_entry};

/// PostgreSQL `text` cannot hold U+0000 (the insert fails) and SQLite's `LIKE`
/// stops reading at it, so a NUL in a message, a source or a filter is read as
/// U+FFFD on every backend: stored rows and searches agree, and the rest of the
/// text is kept. Attributes need nothing: JSON escapes it as `\u0000`.
pub fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}
