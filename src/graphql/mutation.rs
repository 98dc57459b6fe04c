//! Root mutation fields.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use serde_json::{Map, Value};

use super::{
    guard::RequireScope,
    query::{DB_CALL_COST, parse_id},
    rules::{AlertRule, AlertRuleInput, AlertRulePatch, DeletedRule},
    types::Alert,
};
use crate::{
    auth::Scope,
    domain::Timestamp,
    error::{AppError, FieldError},
    ingest::parse_entry,
    service::rules,
    state::AppState,
};

/// One log to store. `level` takes the same names and aliases as the REST API
/// (`warn`, `err`, syslog numbers as text…); it defaults to INFO and `timestamp` to now.
#[derive(InputObject)]
pub struct LogInput {
    pub message: String,
    pub level: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub source: Option<String>,
    pub attributes: Option<Json<Value>>,
}

impl LogInput {
    /// The JSON shape `POST /logs` takes, so both paths share one validation.
    fn into_value(self) -> Value {
        let mut map = Map::new();
        map.insert("message".into(), Value::String(self.message));
        if let Some(level) = self.level {
            map.insert("level".into(), Value::String(level));
        }
        if let Some(ts) = self.timestamp {
            map.insert("timestamp".into(), Value::String(ts.to_string()));
        }
        if let Some(source) = self.source {
            map.insert("source".into(), Value::String(source));
        }
        if let Some(Json(attributes)) = self.attributes {
            map.insert("attributes".into(), attributes);
        }
        Value::Object(map)
    }
}

#[derive(SimpleObject)]
pub struct IngestResult {
    /// Logs stored (all of them: a batch is all-or-nothing).
    pub accepted: i64,
}

#[derive(Default)]
pub struct MutationRoot;

// Mutations change alerts and rules unless they say otherwise, so the type's guard
// makes `admin` the default (see `guard`); a field's own guard replaces it.
/// Changes. With authentication on, `ingestLogs` needs a token with the `ingest`
/// scope and every other mutation `admin`.
#[Object(guard = "RequireScope(Scope::Admin)")]
impl MutationRoot {
    /// Stores logs in one transaction; one invalid entry rejects them all, naming it.
    #[graphql(
        guard = "RequireScope(Scope::Ingest)",
        complexity = "DB_CALL_COST + child_complexity"
    )]
    async fn ingest_logs(
        &self,
        ctx: &Context<'_>,
        entries: Vec<LogInput>,
    ) -> async_graphql::Result<IngestResult> {
        let state = ctx.data::<AppState>()?;
        let now = Timestamp::now();
        let logs = entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                parse_entry(entry.into_value(), now).map_err(|e| {
                    let mut err =
                        FieldError::in_body(i, e.field, e.kind, format!("entry {i}: {}", e.msg));
                    err.loc[0] = "entries".into();
                    AppError::Validation(vec![err])
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let accepted = state.ingestor.write(logs).await?;
        Ok(IngestResult {
            accepted: accepted as i64,
        })
    }

    /// OPEN → ACKNOWLEDGED: someone is on it. Idempotent; an alert in any other
    /// status is returned unchanged.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id")?;
        Ok(state.sentinel.acknowledge(id).await?.into())
    }

    /// Any status → RESOLVED; new matches then raise a new alert. Idempotent.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn resolve_alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id")?;
        Ok(state.sentinel.resolve(id).await?.into())
    }

    /// A new rule; it applies to logs stored from now on.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertRuleInput,
    ) -> async_graphql::Result<AlertRule> {
        let state = ctx.data::<AppState>()?;
        let rule = rules::create(&state.db, input.into()).await?;
        state.sentinel.rules_changed().await?;
        Ok(rule.into())
    }

    /// Changes the given fields of a rule.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AlertRulePatch,
    ) -> async_graphql::Result<AlertRule> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id")?;
        let rule = rules::update(&state.db, id, input.into()).await?;
        state.sentinel.rules_changed().await?;
        Ok(rule.into())
    }

    /// Deletes a rule; its alerts stay, with `ruleId` null.
    #[graphql(complexity = "DB_CALL_COST + child_complexity")]
    async fn delete_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedRule> {
        let state = ctx.data::<AppState>()?;
        let key = parse_id(&id, "id")?;
        if !rules::delete(&state.db, key).await? {
            return Err(AppError::NotFound(format!("rule {key} not found")).into());
        }
        state.sentinel.rules_changed().await?;
        Ok(DeletedRule { id })
    }
}
