//! Alert queries: filter, page, count, fetch one.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select, sea_query::Expr,
};

use super::page::{self, CursorKey, Keyset, Page, PageRequest};
use crate::{
    db::reads::Reader,
    domain::{AlertStatus, Level, SortOrder, Timestamp},
    entities::alert::{self, Column, Entity as Alert},
    error::Result,
};

/// Which alerts a listing or count covers. Every field narrows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub status: Option<Vec<AlertStatus>>,
    pub min_severity: Option<Level>,
    pub source: Option<String>,
    pub rule_id: Option<i64>,
}

impl AlertFilter {
    fn select(&self) -> Select<Alert> {
        let mut cond = Condition::all();
        if let Some(status) = &self.status {
            cond = cond.add(Column::Status.is_in(status.iter().map(|s| s.as_str())));
        }
        if let Some(min) = self.min_severity {
            cond = cond.add(Column::Severity.is_in(min.and_above().map(|l| l.as_str())));
        }
        if let Some(source) = &self.source {
            cond = cond.add(Column::Source.eq(source.as_str()));
        }
        if let Some(rule_id) = self.rule_id {
            cond = cond.add(Column::RuleId.eq(rule_id));
        }
        Alert::find().filter(cond)
    }

    /// The same test as the query, on an alert in memory (subscriptions).
    pub fn matches(&self, alert: &alert::Model) -> bool {
        self.status
            .as_ref()
            .is_none_or(|status| status.iter().any(|s| s.as_str() == alert.status))
            && self
                .min_severity
                .is_none_or(|min| alert.severity.parse::<Level>().is_ok_and(|l| l >= min))
            && self
                .source
                .as_ref()
                .is_none_or(|s| alert.source.as_deref() == Some(s.as_str()))
            && self.rule_id.is_none_or(|id| alert.rule_id == Some(id))
    }
}

impl Keyset for Alert {
    const KIND: &'static str = "alert";

    fn key_columns() -> Vec<Column> {
        vec![Column::Id]
    }

    fn key_values(key: CursorKey) -> Option<Vec<i64>> {
        match key {
            CursorKey::Alert { id } => Some(vec![id]),
            CursorKey::Log { .. } => None,
        }
    }

    fn key_of(model: &alert::Model) -> CursorKey {
        CursorKey::Alert { id: model.id }
    }
}

/// One page of alerts in `id` order (the order they were raised).
#[tracing::instrument(skip(db), level = "debug")]
pub async fn list(
    db: &Reader,
    filter: &AlertFilter,
    order: SortOrder,
    request: &PageRequest,
) -> Result<Page<alert::Model>> {
    page::fetch(db, filter.select(), order, request).await
}

pub async fn count(db: &Reader, filter: &AlertFilter) -> Result<u64> {
    db.count(filter.select()).await
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<alert::Model>> {
    Ok(Alert::find_by_id(id).one(db).await?)
}

/// An alert's identity: its rule and source, hashed to 16 hex digits (the shape of an
/// Alertmanager fingerprint). FNV-1a: stable across versions and platforms.
pub fn fingerprint(rule_id: i64, source: Option<&str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = rule_id.to_le_bytes();
    for b in bytes
        .iter()
        .chain([0xffu8].iter())
        .chain(source.unwrap_or_default().as_bytes())
    {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// OPEN → ACKNOWLEDGED. Returns the alert and whether this call changed it; `None`
/// when there is no such alert. Conditional updates keep it right under races.
pub async fn acknowledge<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<(alert::Model, bool)>> {
    let Some(current) = get(db, id).await? else {
        return Ok(None);
    };
    let changed = match &current.active_fingerprint {
        Some(fp) if current.status == AlertStatus::Open.as_str() => {
            Alert::update_many()
                .col_expr(
                    Column::Status,
                    Expr::value(AlertStatus::Acknowledged.as_str()),
                )
                .col_expr(Column::AcknowledgedAt, Expr::value(Timestamp::now().0))
                .filter(unresolved(fp, id))
                .filter(Column::Status.eq(AlertStatus::Open.as_str()))
                .exec(db)
                .await?
                .rows_affected
                > 0
        }
        _ => false,
    };
    Ok(get(db, id).await?.map(|a| (a, changed)))
}

/// Any status → RESOLVED, freeing the fingerprint for a new alert. Returns the
/// alert and whether this call changed it; `None` when there is no such alert.
pub async fn resolve<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<(alert::Model, bool)>> {
    let Some(current) = get(db, id).await? else {
        return Ok(None);
    };
    let changed = match &current.active_fingerprint {
        Some(fp) => {
            Alert::update_many()
                .col_expr(Column::Status, Expr::value(AlertStatus::Resolved.as_str()))
                .col_expr(Column::ResolvedAt, Expr::value(Timestamp::now().0))
                .col_expr(
                    Column::ActiveFingerprint,
                    Expr::value(Option::<String>::None),
                )
                .filter(unresolved(fp, id))
                .exec(db)
                .await?
                .rows_affected
                > 0
        }
        None => false,
    };
    Ok(get(db, id).await?.map(|a| (a, changed)))
}

/// The alert `id` while it still holds `fp`. Found through the unique
/// `active_fingerprint` index, which is also how ingest finds it: both lock the
/// index entry before the row, so they cannot deadlock each other (MySQL).
fn unresolved(fp: &str, id: i64) -> Condition {
    Condition::all()
        .add(Column::ActiveFingerprint.eq(fp))
        .add(Column::Id.eq(id))
}
