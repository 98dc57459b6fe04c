//! `POST /logs` bodies: one JSON object, a JSON array of objects, or NDJSON.

use serde_json::Value;

use super::entry::{EntryError, parse_entry};
use crate::{domain::Timestamp, service::logs::NewLog};

/// Why a body was refused, with where: the request is then rejected whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// 400: the bytes are not UTF-8 or not JSON.
    Malformed(String),
    /// 422: entry number `position` (0-based array index, or 1-based NDJSON line) is
    /// not a valid log.
    Entry { position: usize, error: EntryError },
}

/// Where the first byte that is not UTF-8 sits, for a 400 that points at it.
pub fn check_utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "body is not valid UTF-8: invalid byte at offset {}",
            e.valid_up_to()
        )
    })
}

/// A JSON object (one log) or array (many).
pub fn parse_json(body: &[u8], now: Timestamp) -> Result<Vec<NewLog>, BodyError> {
    let text = check_utf8(body).map_err(BodyError::Malformed)?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        BodyError::Malformed(format!(
            "malformed JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                parse_entry(item, now).map_err(|error| BodyError::Entry { position: i, error })
            })
            .collect(),
        object @ Value::Object(_) => {
            Ok(vec![parse_entry(object, now).map_err(|error| {
                BodyError::Entry { position: 0, error }
            })?])
        }
        _ => Err(BodyError::Malformed(
            "expected a JSON object or an array of objects".into(),
        )),
    }
}

/// Parses NDJSON as it arrives: feed chunks with `push`, then `finish`. Only the
/// unfinished last line is held back, never the whole body.
#[derive(Debug)]
pub struct NdjsonParser {
    partial: Vec<u8>,
    line_no: usize,
    now: Timestamp,
    logs: Vec<NewLog>,
}

impl NdjsonParser {
    pub fn new(now: Timestamp) -> Self {
        NdjsonParser {
            partial: Vec::new(),
            line_no: 0,
            now,
            logs: Vec::new(),
        }
    }

    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), BodyError> {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            let (line, rest) = chunk.split_at(end);
            chunk = &rest[1..];
            if self.partial.is_empty() {
                self.line(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole)?;
            }
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<NewLog>, BodyError> {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line(&last)?;
        }
        Ok(self.logs)
    }

    fn line(&mut self, line: &[u8]) -> Result<(), BodyError> {
        self.line_no += 1;
        let n = self.line_no;
        let text = check_utf8(line).map_err(|e| BodyError::Malformed(format!("line {n}: {e}")))?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        if let Some(log) = super::fast::parse_line(text, self.now) {
            self.logs.push(log);
            return Ok(());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            BodyError::Malformed(format!(
                "line {n}: malformed JSON at column {}: {e}",
                e.column()
            ))
        })?;
        let log = parse_entry(value, self.now)
            .map_err(|error| BodyError::Entry { position: n, error })?;
        self.logs.push(log);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(0);

    #[test]
    fn objects_and_arrays_are_accepted() {
        assert_eq!(parse_json(br#"{"message":"a"}"#, NOW).unwrap().len(), 1);
        assert_eq!(
            parse_json(br#"[{"message":"a"},{"message":"b"}]"#, NOW)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(parse_json(b"[]", NOW).unwrap().len(), 0);
    }

    #[test]
    fn a_bad_entry_is_named_by_its_index() {
        let err = parse_json(br#"[{"message":"a"},{"message":"b","level":"x"}]"#, NOW).unwrap_err();
        assert!(
            matches!(err, BodyError::Entry { position: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_json_and_bad_utf8_report_a_position() {
        let BodyError::Malformed(msg) = parse_json(b"{\"message\": \n oops}", NOW).unwrap_err()
        else {
            panic!()
        };
        assert!(msg.contains("line 2"), "{msg}");
        let BodyError::Malformed(msg) = parse_json(b"{\"message\":\"\xff\"}", NOW).unwrap_err()
        else {
            panic!()
        };
        assert!(msg.contains("offset 12"), "{msg}");
    }

    #[test]
    fn ndjson_lines_split_across_chunks_are_joined_and_numbered_from_one() {
        let mut p = NdjsonParser::new(NOW);
        p.push(b"{\"message\":\"a\"}\n{\"mess").unwrap();
        p.push(b"age\":\"b\"}\n\n").unwrap();
        p.push(b"{\"message\":\"c\"}").unwrap();
        let logs = p.finish().unwrap();
        assert_eq!(
            logs.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );

        let mut p = NdjsonParser::new(NOW);
        let err = p
            .push(b"{\"message\":\"a\"}\n{\"level\":\"INFO\"}\n")
            .unwrap_err();
        assert!(
            matches!(err, BodyError::Entry { position: 2, .. }),
            "{err:?}"
        );
    }
}
