use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub enabled: bool,
    pub min_level: String,
    pub source: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub pattern: Option<String>,
    pub threshold: i32,
    pub window_seconds: i32,
    pub severity: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
