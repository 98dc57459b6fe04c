use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub timestamp: i64,
    pub level: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub source: Option<String>,
    /// A JSON object, stored as text.
    #[sea_orm(column_type = "Text", nullable)]
    pub attributes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
