//! Query-string parsing with FastAPI's error shape: every invalid parameter is
//! reported at once as `{"loc": ["query", name], "msg", "type", "input"}`.

use std::str::FromStr;

use axum::extract::{Path, rejection::PathRejection};
use utoipa::{IntoParams, ToSchema};

use crate::{
    domain::{Level, SortOrder, Timestamp, parse_timestamp},
    error::{AppError, FieldError},
    service::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest},
};

pub struct Params {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        // The decoder below would quietly turn invalid UTF-8 into U+FFFD and search
        // for that; say what is wrong instead.
        if let Some(raw) = raw {
            if percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .is_err()
            {
                return Err(AppError::BadRequest(
                    "the query string is not valid UTF-8 once percent-decoded".into(),
                ));
            }
        }
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or_default())
            .map_err(|e| AppError::BadRequest(format!("malformed query string: {e}")))?;
        Ok(Params {
            pairs,
            errors: Vec::new(),
        })
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The last value given for `name` (FastAPI keeps the last of repeated scalars).
    fn last(&self, name: &str) -> Option<String> {
        self.values(name).last().map(str::to_owned)
    }

    fn fail(&mut self, name: &str, kind: &str, msg: impl Into<String>, input: &str) {
        self.errors
            .push(FieldError::new(&["query", name], kind, msg).with_input(input));
    }

    /// An integer within `[min, max]`, or `default` when absent.
    pub fn int(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        self.opt_int(name, min, max).unwrap_or(default)
    }

    /// An optional integer within `[min, max]`.
    pub fn opt_int(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.last(name)?;
        match raw.trim().parse::<i128>() {
            Err(_) => {
                self.fail(
                    name,
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                    &raw,
                );
                None
            }
            Ok(n) if n < min as i128 => {
                self.fail(
                    name,
                    "greater_than_equal",
                    format!("Input should be greater than or equal to {min}"),
                    &raw,
                );
                None
            }
            Ok(n) if n > max as i128 => {
                self.fail(
                    name,
                    "less_than_equal",
                    format!("Input should be less than or equal to {max}"),
                    &raw,
                );
                None
            }
            Ok(n) => Some(n as i64),
        }
    }

    /// A non-empty string, taken literally.
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.last(name)
            .filter(|s| !s.is_empty())
            .map(crate::ingest::without_nul)
    }

    /// A value with a `FromStr` whose error explains itself.
    fn parsed<T: FromStr>(&mut self, name: &str, raw: &str, kind: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(name, kind, e.to_string(), raw);
                None
            }
        }
    }

    pub fn level(&mut self, name: &str) -> Option<Level> {
        let raw = self.last(name)?;
        self.parsed(name, &raw, "enum")
    }

    /// Repeated (`level=ERROR&level=WARNING`) or comma-separated.
    pub fn levels(&mut self, name: &str) -> Option<Vec<Level>> {
        self.list(name)
    }

    pub fn list<T: FromStr>(&mut self, name: &str) -> Option<Vec<T>>
    where
        T::Err: std::fmt::Display,
    {
        let raws: Vec<String> = self
            .values(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if raws.is_empty() {
            return None;
        }
        let parsed: Vec<T> = raws
            .iter()
            .filter_map(|raw| self.parsed(name, raw, "enum"))
            .collect();
        Some(parsed)
    }

    pub fn timestamp(&mut self, name: &str) -> Option<Timestamp> {
        let raw = self.last(name)?;
        match parse_timestamp(&raw) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.fail(name, "datetime_parsing", msg, &raw);
                None
            }
        }
    }

    pub fn order(&mut self) -> SortOrder {
        match self.last("order").map(|o| o.to_ascii_lowercase()) {
            None => SortOrder::Asc,
            Some(o) if o == "asc" => SortOrder::Asc,
            Some(o) if o == "desc" => SortOrder::Desc,
            Some(o) => {
                self.fail("order", "enum", "Input should be 'asc' or 'desc'", &o);
                SortOrder::Asc
            }
        }
    }

    /// `skip` ≥ 0 and `limit` in 1..=1000, as the old service checked them.
    pub fn page(&mut self) -> PageRequest {
        let skip = self.int("skip", 0, 0, i64::MAX);
        let limit = self.int("limit", DEFAULT_PAGE_SIZE as i64, 1, MAX_PAGE_SIZE as i64);
        PageRequest::Offset {
            skip: skip as u64,
            limit: limit as u64,
        }
    }

    /// All errors found, or nothing.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// A path id: a 422 naming `["path", "id"]` when it is not an integer.
/// The `{id}` of a path. A segment that does not even decode (invalid UTF-8 in
/// its percent-escapes) is as much "not an integer" as `abc`, so it gets the same
/// 422 rather than axum's plain-text 400.
pub fn path_id(segment: Result<Path<String>, PathRejection>) -> Result<i64, AppError> {
    let invalid = |input: Option<&str>| {
        let error = FieldError::new(
            &["path", "id"],
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        );
        AppError::Validation(vec![match input {
            Some(input) => error.with_input(input),
            None => error,
        }])
    };
    let Ok(Path(raw)) = segment else {
        return Err(invalid(None));
    };
    raw.parse::<i64>().map_err(|_| invalid(Some(&raw)))
}

// What `/openapi.json` says about the query strings parsed above. The handlers
// read parameters through `Params` (for FastAPI's error shape), so these types are
// never built; the OpenAPI test checks each one against the parser.

/// `skip` and `limit`, as the old service took them.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// Rows to leave out from the start of the ordering.
    #[param(minimum = 0, default = 0)]
    skip: Option<u64>,
    /// Rows to return (at most `MAX_PAGE_SIZE`).
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<u32>,
}

/// The sort direction of a listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OrderQuery {
    /// By `(timestamp, id)`: `asc` is oldest first. Case-insensitive.
    #[param(inline)]
    order: Option<Order>,
}

#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(default = "asc")]
#[allow(dead_code)]
pub enum Order {
    Asc,
    Desc,
}

/// The log filters of `/logs` and `/report/csv`; all given must match.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LogFilterQuery {
    /// Only these levels: repeat the parameter (`level=ERROR&level=CRITICAL`) or
    /// separate with commas (`level=error,critical`). Case-insensitive; aliases such
    /// as `warn`, `err`, `fatal` and syslog numbers 0-7 are accepted.
    #[param(style = Form, explode)]
    level: Option<Vec<Level>>,
    /// This level and above (same spellings as `level`).
    min_level: Option<Level>,
    /// Exact source (service or host).
    #[param(example = "api")]
    source: Option<String>,
    /// Case-insensitive substring of the message, taken literally.
    #[param(example = "timeout")]
    q: Option<String>,
    /// From this instant, inclusive: RFC 3339, or epoch seconds, milliseconds or
    /// nanoseconds.
    #[param(value_type = Option<String>, example = "2026-01-01T00:00:00Z")]
    since: Option<Timestamp>,
    /// Before this instant, exclusive; same forms as `since`.
    #[param(value_type = Option<String>, example = "2026-01-02T00:00:00Z")]
    until: Option<Timestamp>,
}

/// The alert filters of `/alerts`; all given must match.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AlertFilterQuery {
    /// Only these statuses: repeated or comma-separated, case-insensitive.
    #[param(style = Form, explode)]
    status: Option<Vec<crate::domain::AlertStatus>>,
    /// This severity and above.
    min_severity: Option<Level>,
    /// Exact source (service or host).
    #[param(example = "api")]
    source: Option<String>,
    /// Only alerts raised by this rule.
    #[param(minimum = 1)]
    rule_id: Option<i64>,
}
