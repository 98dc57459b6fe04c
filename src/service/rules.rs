//! Alert rules: validation and storage. A rule matches logs at or above `min_level`,
//! optionally from one `source` and whose message matches `pattern`; `threshold`
//! matches within `window_seconds` raise (or feed) an alert.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, SqlErr,
};

use crate::{
    domain::{Level, Timestamp},
    entities::alert_rule::{self, Entity as AlertRule},
    error::{AppError, FieldError, Result},
};

/// Longest regex source accepted, and the compiled-size cap that keeps a hostile
/// pattern from eating memory.
const MAX_PATTERN_LEN: usize = 1024;
const MAX_COMPILED_PATTERN_BYTES: usize = 1 << 20;
/// A week: windows longer than that are more a report than an alert.
const MAX_WINDOW_SECONDS: i32 = 7 * 86_400;

/// What a caller may set on a rule. `None` leaves a field as it is (update) or at
/// its default (create); `Some(None)` clears an optional field.
#[derive(Clone, Debug, Default)]
pub struct RuleChanges {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub min_level: Option<String>,
    pub source: Option<Option<String>>,
    pub pattern: Option<Option<String>>,
    pub threshold: Option<i32>,
    pub window_seconds: Option<i32>,
    pub severity: Option<String>,
    pub webhook: Option<Option<String>>,
}

/// Compiles a rule's pattern as the evaluator will, so a pattern that cannot run is
/// refused when it is saved rather than ignored later.
pub fn compile_pattern(pattern: &str) -> std::result::Result<regex::Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!("pattern must be at most {MAX_PATTERN_LEN} bytes"));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_COMPILED_PATTERN_BYTES)
        .build()
        .map_err(|e| format!("pattern is not a valid regular expression: {e}"))
}

fn level_field(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<Level> {
    match raw.parse::<Level>() {
        Ok(level) => Some(level),
        Err(e) => {
            errors.push(FieldError::new(&["input", field], "enum", e.to_string()));
            None
        }
    }
}

/// Checks every given field, reporting all problems at once.
fn validate(changes: &RuleChanges) -> Result<(Option<Level>, Option<Level>)> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, kind: &str, msg: String| {
        errors.push(FieldError::new(&["input", field], kind, msg))
    };
    if let Some(name) = &changes.name {
        if name.trim().is_empty() || name.len() > 255 {
            fail(
                "name",
                "string_length",
                "name must be 1 to 255 characters".into(),
            );
        }
    }
    if let Some(threshold) = changes.threshold {
        if threshold < 1 {
            fail(
                "threshold",
                "greater_than_equal",
                format!("threshold must be at least 1, got {threshold}"),
            );
        }
    }
    if let Some(window) = changes.window_seconds {
        if !(1..=MAX_WINDOW_SECONDS).contains(&window) {
            fail(
                "windowSeconds",
                "range",
                format!("windowSeconds must be between 1 and {MAX_WINDOW_SECONDS}, got {window}"),
            );
        }
    }
    if let Some(Some(pattern)) = &changes.pattern {
        if let Err(msg) = compile_pattern(pattern) {
            fail("pattern", "regex", msg);
        }
    }
    if let Some(Some(source)) = &changes.source {
        if source.len() > 255 {
            fail(
                "source",
                "string_too_long",
                "source must be at most 255 bytes".into(),
            );
        }
    }
    if let Some(Some(webhook)) = &changes.webhook {
        let ok = reqwest::Url::parse(webhook).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            fail(
                "webhook",
                "url_parsing",
                format!("webhook must be an http(s) URL, got {webhook:?}"),
            );
        }
    }
    let min_level = changes
        .min_level
        .as_deref()
        .and_then(|raw| level_field(&mut errors, "minLevel", raw));
    let severity = changes
        .severity
        .as_deref()
        .and_then(|raw| level_field(&mut errors, "severity", raw));
    if errors.is_empty() {
        Ok((min_level, severity))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A unique-name clash reads as a validation error on `name`, not a 500.
fn name_taken(err: sea_orm::DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::invalid(
            &["input", "name"],
            "unique",
            "a rule with this name already exists",
        ),
        _ => AppError::Db(err),
    }
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<alert_rule::Model>> {
    Ok(AlertRule::find()
        .order_by_asc(alert_rule::Column::Id)
        .all(db)
        .await?)
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<alert_rule::Model>> {
    Ok(AlertRule::find_by_id(id).one(db).await?)
}

pub async fn create<C: ConnectionTrait>(db: &C, changes: RuleChanges) -> Result<alert_rule::Model> {
    if changes.name.is_none() {
        return Err(AppError::invalid(
            &["input", "name"],
            "missing",
            "name is required",
        ));
    }
    let (min_level, severity) = validate(&changes)?;
    let min_level = min_level.unwrap_or(Level::Error);
    let rule = alert_rule::ActiveModel {
        name: Set(changes.name.unwrap_or_default().trim().to_owned()),
        enabled: Set(changes.enabled.unwrap_or(true)),
        min_level: Set(min_level.as_str().to_owned()),
        source: Set(changes.source.flatten()),
        pattern: Set(changes.pattern.flatten()),
        threshold: Set(changes.threshold.unwrap_or(1)),
        window_seconds: Set(changes.window_seconds.unwrap_or(60)),
        severity: Set(severity.unwrap_or(min_level).as_str().to_owned()),
        webhook: Set(changes.webhook.flatten()),
        created_at: Set(Timestamp::now().0),
        ..Default::default()
    };
    rule.insert(db).await.map_err(name_taken)
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    changes: RuleChanges,
) -> Result<alert_rule::Model> {
    let (min_level, severity) = validate(&changes)?;
    let existing = get(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("rule {id} not found")))?;
    let mut rule: alert_rule::ActiveModel = existing.into();
    if let Some(name) = changes.name {
        rule.name = Set(name.trim().to_owned());
    }
    if let Some(enabled) = changes.enabled {
        rule.enabled = Set(enabled);
    }
    if let Some(level) = min_level {
        rule.min_level = Set(level.as_str().to_owned());
    }
    if let Some(source) = changes.source {
        rule.source = Set(source);
    }
    if let Some(pattern) = changes.pattern {
        rule.pattern = Set(pattern);
    }
    if let Some(threshold) = changes.threshold {
        rule.threshold = Set(threshold);
    }
    if let Some(window) = changes.window_seconds {
        rule.window_seconds = Set(window);
    }
    if let Some(level) = severity {
        rule.severity = Set(level.as_str().to_owned());
    }
    if let Some(webhook) = changes.webhook {
        rule.webhook = Set(webhook);
    }
    rule.update(db).await.map_err(name_taken)
}

/// Deletes a rule; its alerts stay, with `rule_id` cleared by the foreign key.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i64) -> Result<bool> {
    Ok(AlertRule::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_invalid_field_is_named_and_all_are_reported() {
        let changes = RuleChanges {
            name: Some(" ".into()),
            min_level: Some("LOUD".into()),
            pattern: Some(Some("(unclosed".into())),
            threshold: Some(0),
            window_seconds: Some(0),
            webhook: Some(Some("ftp://x".into())),
            ..Default::default()
        };
        let Err(AppError::Validation(errors)) = validate(&changes) else {
            panic!("invalid")
        };
        let fields: Vec<String> = errors.iter().map(FieldError::path).collect();
        assert_eq!(
            fields,
            [
                "input.name",
                "input.threshold",
                "input.windowSeconds",
                "input.pattern",
                "input.webhook",
                "input.minLevel"
            ]
        );
    }

    #[test]
    fn valid_changes_parse_their_levels() {
        let changes = RuleChanges {
            min_level: Some("warn".into()),
            severity: Some("crit".into()),
            pattern: Some(Some("timeout|refused".into())),
            ..Default::default()
        };
        assert_eq!(
            validate(&changes).unwrap(),
            (Some(Level::Warning), Some(Level::Critical))
        );
    }
}
