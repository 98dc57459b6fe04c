//! JSON text written by hand where pages of rows are serialised (REST `/logs`,
//! GraphQL row lists). serde_json escapes every string byte by byte, keys included,
//! which was a sixth of a `/logs` page; here keys are constants, timestamps and
//! levels need no escaping, and a string is checked in one pass that the compiler
//! vectorises before serde_json is asked to escape it.

use serde_json::value::RawValue;

use crate::domain::Timestamp;

/// Appends `s` as a JSON string.
pub fn string(out: &mut Vec<u8>, s: &str) {
    // No early exit and no branch per byte, so the loop is vectorised.
    let escapes = s.bytes().fold(0u8, |seen, b| {
        seen | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    });
    if escapes == 0 {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out, s);
    }
}

/// Appends `s` as a JSON string, or `null`.
pub fn optional_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends a timestamp as its quoted RFC 3339 text (digits and separators only).
pub fn timestamp(out: &mut Vec<u8>, t: Timestamp) {
    out.push(b'"');
    out.extend_from_slice(t.rfc3339().as_str().as_bytes());
    out.push(b'"');
}

/// Appends stored JSON text as it is, once it is checked to be JSON (a row written
/// by another tool must not break the whole answer), or `null`.
pub fn stored(out: &mut Vec<u8>, json: Option<&str>) {
    match json.and_then(|j| serde_json::from_str::<&RawValue>(j).ok()) {
        Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends an integer.
pub fn integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_what_serde_json_writes() {
        let mut cases: Vec<String> = [
            "",
            "plain text",
            "quote \" here",
            "back\\slash",
            "new\nline",
            "tab\t",
            "\u{0}",
            "\u{1f}",
            "\u{7f} del",
            "é 日本 😀",
            "\u{2028}\u{2029}",
            "</script>",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every byte value below 0x80 at the start, middle and end of a long string.
        for c in (0u8..0x80).map(char::from) {
            cases.push(format!("{c}{}{c}{}{c}", "x".repeat(40), "y".repeat(40)));
        }
        for case in cases {
            let mut out = Vec::new();
            string(&mut out, &case);
            assert_eq!(out, serde_json::to_vec(&case).unwrap(), "{case:?}");
        }
    }

    #[test]
    fn stored_json_passes_through_once_checked() {
        let write = |s: Option<&str>| {
            let mut out = Vec::new();
            stored(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(write(Some(r#"{"a": [1, "x"]}"#)), r#"{"a": [1, "x"]}"#);
        assert_eq!(write(Some(" {\"a\":1} ")), r#"{"a":1}"#);
        assert_eq!(write(Some(r#"{"a": "#)), "null");
        assert_eq!(write(Some("{} trailing")), "null");
        assert_eq!(write(None), "null");
    }
}
