use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub severity: String,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub source: Option<String>,
    pub rule_id: Option<i64>,
    pub fingerprint: String,
    /// `fingerprint` while unresolved, NULL once resolved; unique (see migration).
    pub active_fingerprint: Option<String>,
    pub occurrences: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub log_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
