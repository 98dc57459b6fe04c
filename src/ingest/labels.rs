//! Prometheus/Loki stream selectors as shippers send them: `{job="api", env="prod"}`.
//! Loki's protobuf push and its legacy JSON push carry a stream's labels this way.
//! Only `=` matchers are allowed; values are Go-quoted strings (or backtick raw
//! strings), as Loki's own parser accepts.

use std::{collections::BTreeMap, fmt};

/// Why a selector was refused, with the byte offset where parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub at: usize,
    pub msg: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.msg, self.at)
    }
}

impl std::error::Error for SelectorError {}

/// The labels of `{name="value", ...}`. A trailing comma and whitespace anywhere
/// between tokens are accepted; a repeated name is refused (Loki refuses it too).
pub fn parse_selector(input: &str) -> Result<BTreeMap<String, String>, SelectorError> {
    let mut p = Parser {
        s: input.as_bytes(),
        pos: 0,
    };
    let mut labels = BTreeMap::new();
    p.skip_ws();
    p.expect(b'{', "expected '{' to open the label set")?;
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let name_at = p.pos;
        let name = p.name()?;
        p.skip_ws();
        match p.peek() {
            Some(b'=') if p.s.get(p.pos + 1) == Some(&b'~') => {
                return Err(p.err("only '=' matchers are allowed in a stream's labels"));
            }
            Some(b'=') => p.pos += 1,
            Some(b'!') => return Err(p.err("only '=' matchers are allowed in a stream's labels")),
            _ => return Err(p.err(format!("expected '=' after label name {name:?}"))),
        }
        p.skip_ws();
        let value = p.quoted()?;
        if labels.insert(name.clone(), value).is_some() {
            return Err(SelectorError {
                at: name_at,
                msg: format!("duplicate label name {name:?}"),
            });
        }
        p.skip_ws();
        if p.eat(b',') {
            continue;
        }
        p.expect(b'}', "expected ',' or '}' after a label value")?;
        break;
    }
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after '}'"));
    }
    Ok(labels)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>) -> SelectorError {
        SelectorError {
            at: self.pos,
            msg: msg.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, b: u8, msg: &str) -> Result<(), SelectorError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.err(msg))
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, or a quoted string (Prometheus 3's UTF-8 names).
    fn name(&mut self) -> Result<String, SelectorError> {
        if matches!(self.peek(), Some(b'"' | b'`')) {
            return self.quoted();
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        let name = &self.s[start..self.pos];
        if name.is_empty() || name[0].is_ascii_digit() {
            self.pos = start;
            return Err(self.err("expected a label name ([A-Za-z_][A-Za-z0-9_]*)"));
        }
        // Only ASCII bytes were taken, so this is valid UTF-8.
        Ok(String::from_utf8_lossy(name).into_owned())
    }

    /// A double-quoted Go string with its escapes, or a backtick raw string.
    fn quoted(&mut self) -> Result<String, SelectorError> {
        let start = self.pos;
        let quote = match self.peek() {
            Some(q @ (b'"' | b'`')) => q,
            _ => return Err(self.err("expected a quoted string")),
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(SelectorError {
                    at: start,
                    msg: "unterminated string".into(),
                });
            };
            self.pos += 1;
            match b {
                _ if b == quote => break,
                b'\\' if quote == b'"' => self.escape(&mut out)?,
                b'\n' if quote == b'"' => {
                    return Err(SelectorError {
                        at: start,
                        msg: "unterminated string".into(),
                    });
                }
                _ => out.push(b),
            }
        }
        // The input is UTF-8; only \x and octal escapes can break that.
        String::from_utf8(out).map_err(|_| SelectorError {
            at: start,
            msg: "string is not valid UTF-8 once unescaped".into(),
        })
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), SelectorError> {
        let at = self.pos - 1;
        let Some(c) = self.peek() else {
            return Err(SelectorError {
                at,
                msg: "unterminated string".into(),
            });
        };
        self.pos += 1;
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'"' | b'\'' => Some(c),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        let bad = |msg: String| SelectorError { at, msg };
        match c {
            b'x' => out.push(
                self.digits(2, 16)
                    .ok_or_else(|| bad("\\x needs two hex digits".into()))? as u8,
            ),
            b'0'..=b'7' => {
                self.pos -= 1;
                let n = self
                    .digits(3, 8)
                    .filter(|n| *n <= 0xff)
                    .ok_or_else(|| bad("octal escape needs three digits, at most \\377".into()))?;
                out.push(n as u8);
            }
            b'u' | b'U' => {
                let width = if c == b'u' { 4 } else { 8 };
                let ch = self
                    .digits(width, 16)
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        bad(format!(
                            "\\{} needs {width} hex digits naming a Unicode scalar value",
                            c as char
                        ))
                    })?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => {
                let shown =
                    String::from_utf8_lossy(&self.s[at..self.pos.min(self.s.len())]).into_owned();
                return Err(bad(format!("invalid escape {shown}")));
            }
        }
        Ok(())
    }

    /// Exactly `n` digits in `radix`, consumed.
    fn digits(&mut self, n: usize, radix: u32) -> Option<u32> {
        let digits = self.s.get(self.pos..self.pos + n)?;
        let text = std::str::from_utf8(digits).ok()?;
        let value = u32::from_str_radix(text, radix)
            .ok()
            .filter(|_| text.bytes().all(|b| b.is_ascii_alphanumeric()))?;
        self.pos += n;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(input: &str) -> Vec<(String, String)> {
        parse_selector(input).unwrap().into_iter().collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_selectors_with_any_spacing_and_a_trailing_comma() {
        assert_eq!(
            labels(r#"{job="api", env="prod"}"#),
            pairs(&[("env", "prod"), ("job", "api")])
        );
        assert_eq!(
            labels(r#" { job = "api" ,env="prod", } "#),
            pairs(&[("env", "prod"), ("job", "api")])
        );
        assert_eq!(labels("{}"), vec![]);
        assert_eq!(labels("{ }"), vec![]);
        assert_eq!(
            labels(r#"{_a1="",B="x"}"#),
            pairs(&[("B", "x"), ("_a1", "")])
        );
    }

    #[test]
    fn go_escapes_are_decoded() {
        assert_eq!(labels(r#"{a="say \"hi\""}"#), pairs(&[("a", "say \"hi\"")]));
        assert_eq!(
            labels(r#"{a="C:\\temp\\x"}"#),
            pairs(&[("a", "C:\\temp\\x")])
        );
        assert_eq!(
            labels(r#"{a="l1\nl2\tt\r"}"#),
            pairs(&[("a", "l1\nl2\tt\r")])
        );
        assert_eq!(
            labels(r#"{a="\x41\101\u00e9\U0001F600"}"#),
            pairs(&[("a", "AAé😀")])
        );
        assert_eq!(
            labels(r#"{a="ünïcode, {braces} = and, commas"}"#),
            pairs(&[("a", "ünïcode, {braces} = and, commas")])
        );
        assert_eq!(
            labels(r#"{a=`raw \n "quoted"`}"#),
            pairs(&[("a", r#"raw \n "quoted""#)])
        );
        assert_eq!(
            labels(r#"{"service.name"="api"}"#),
            pairs(&[("service.name", "api")])
        );
    }

    #[test]
    fn garbage_is_refused_with_a_position() {
        let cases = [
            ("", "expected '{'"),
            ("job=\"api\"", "expected '{'"),
            ("{job=\"api\"", "expected ',' or '}'"),
            ("{job=\"api}", "unterminated string"),
            ("{job=api}", "expected a quoted string"),
            ("{job}", "expected '='"),
            ("{=\"x\"}", "expected a label name"),
            ("{1a=\"x\"}", "expected a label name"),
            ("{a-b=\"x\"}", "expected '='"),
            ("{a!=\"x\"}", "only '='"),
            ("{a=~\"x\"}", "only '='"),
            ("{a=\"x\" b=\"y\"}", "expected ',' or '}'"),
            ("{a=\"x\"} extra", "unexpected text"),
            ("{a=\"x\",a=\"y\"}", "duplicate label name \"a\""),
            ("{a=\"\\q\"}", "invalid escape \\q"),
            ("{a=\"\\x4\"}", "\\x needs two hex digits"),
            ("{a=\"\\xff\"}", "not valid UTF-8"),
            ("{a=\"\\uD800\"}", "\\u needs 4 hex digits"),
            ("{a=\"\\\"}", "unterminated string"),
            ("{a=\"x\\", "unterminated string"),
            ("{a=\"line\nbreak\"}", "unterminated string"),
        ];
        for (input, expected) in cases {
            let err = parse_selector(input).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(expected), "{input:?}: {text}");
            assert!(err.at <= input.len(), "{input:?}: {err:?}");
        }
        assert_eq!(parse_selector("{job=api}").unwrap_err().at, 5);
    }
}
