use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum LogEntries {
    Table,
    Id,
    Timestamp,
    Level,
    Message,
    Source,
    Attributes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LogEntries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(LogEntries::Id))
                    // Microseconds since the Unix epoch, UTC.
                    .col(big_integer(LogEntries::Timestamp))
                    .col(string_len(LogEntries::Level, 16))
                    .col(text(LogEntries::Message))
                    .col(string_len_null(LogEntries::Source, 255))
                    // A JSON object kept as text: written once, returned as is.
                    .col(text_null(LogEntries::Attributes))
                    .to_owned(),
            )
            .await?;
        // Each index serves one filter of the query layer, ordered like its pages.
        for (name, cols) in [
            (
                "idx_log_entries_timestamp_id",
                &[LogEntries::Timestamp, LogEntries::Id][..],
            ),
            (
                "idx_log_entries_level_timestamp",
                &[LogEntries::Level, LogEntries::Timestamp, LogEntries::Id],
            ),
            (
                "idx_log_entries_source_timestamp",
                &[LogEntries::Source, LogEntries::Timestamp, LogEntries::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(LogEntries::Table).if_not_exists();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LogEntries::Table).to_owned())
            .await
    }
}
