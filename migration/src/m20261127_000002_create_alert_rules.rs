use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum AlertRules {
    Table,
    Id,
    Name,
    Enabled,
    MinLevel,
    Source,
    Pattern,
    Threshold,
    WindowSeconds,
    Severity,
    Webhook,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertRules::Id))
                    .col(string_len_uniq(AlertRules::Name, 255))
                    .col(boolean(AlertRules::Enabled).default(true))
                    .col(string_len(AlertRules::MinLevel, 16))
                    .col(string_len_null(AlertRules::Source, 255))
                    .col(text_null(AlertRules::Pattern))
                    .col(integer(AlertRules::Threshold).default(1))
                    .col(integer(AlertRules::WindowSeconds).default(60))
                    .col(string_len(AlertRules::Severity, 16))
                    .col(text_null(AlertRules::Webhook))
                    .col(big_integer(AlertRules::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // A fresh database raises an alert for every ERROR or CRITICAL log, per source.
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or_default();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AlertRules::Table)
                    .columns([
                        AlertRules::Name,
                        AlertRules::Enabled,
                        AlertRules::MinLevel,
                        AlertRules::Threshold,
                        AlertRules::WindowSeconds,
                        AlertRules::Severity,
                        AlertRules::CreatedAt,
                    ])
                    .values_panic([
                        "errors".into(),
                        true.into(),
                        "ERROR".into(),
                        1.into(),
                        60.into(),
                        "ERROR".into(),
                        now_us.into(),
                    ])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlertRules::Table).to_owned())
            .await
    }
}
