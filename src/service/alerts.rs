//! Alert queries: filter, page, count, fetch one.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select,
};

use super::page::{self, CursorKey, Keyset, Page, PageRequest};
use crate::{
    domain::{AlertStatus, Level, SortOrder},
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
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AlertFilter,
    order: SortOrder,
    request: &PageRequest,
) -> Result<Page<alert::Model>> {
    page::fetch(db, filter.select(), order, request).await
}

pub async fn count<C: ConnectionTrait>(db: &C, filter: &AlertFilter) -> Result<u64> {
    Ok(filter.select().count(db).await?)
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
