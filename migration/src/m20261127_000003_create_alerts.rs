use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_create_log_entries::LogEntries;
use crate::m20261127_000002_create_alert_rules::AlertRules;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Id,
    Severity,
    Status,
    Message,
    Source,
    RuleId,
    Fingerprint,
    /// Equal to `fingerprint` while the alert is OPEN or ACKNOWLEDGED, NULL once
    /// RESOLVED. A plain UNIQUE index on it gives "one unresolved alert per
    /// fingerprint" on all three backends (MySQL has no partial indexes; NULLs never
    /// collide).
    ActiveFingerprint,
    Occurrences,
    FirstSeen,
    LastSeen,
    AcknowledgedAt,
    ResolvedAt,
    LogId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Alerts::Id))
                    .col(string_len(Alerts::Severity, 16))
                    .col(string_len(Alerts::Status, 16))
                    .col(text(Alerts::Message))
                    .col(string_len_null(Alerts::Source, 255))
                    .col(big_integer_null(Alerts::RuleId))
                    .col(string_len(Alerts::Fingerprint, 255))
                    .col(string_len_null(Alerts::ActiveFingerprint, 255))
                    .col(big_integer(Alerts::Occurrences).default(1))
                    .col(big_integer(Alerts::FirstSeen))
                    .col(big_integer(Alerts::LastSeen))
                    .col(big_integer_null(Alerts::AcknowledgedAt))
                    .col(big_integer_null(Alerts::ResolvedAt))
                    .col(big_integer_null(Alerts::LogId))
                    // Alerts outlive their rule and their log (rules get deleted, logs
                    // expire through retention), so both links fall back to NULL.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_rule")
                            .from(Alerts::Table, Alerts::RuleId)
                            .to(AlertRules::Table, AlertRules::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_log")
                            .from(Alerts::Table, Alerts::LogId)
                            .to(LogEntries::Table, LogEntries::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                "idx_alerts_status_id",
                &[Alerts::Status, Alerts::Id][..],
                false,
            ),
            ("idx_alerts_fingerprint", &[Alerts::Fingerprint], false),
            (
                "uq_alerts_active_fingerprint",
                &[Alerts::ActiveFingerprint],
                true,
            ),
            ("idx_alerts_rule_id", &[Alerts::RuleId], false),
            ("idx_alerts_log_id", &[Alerts::LogId], false),
            ("idx_alerts_source_id", &[Alerts::Source, Alerts::Id], false),
        ];
        for (name, cols, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(Alerts::Table).if_not_exists();
            if unique {
                index.unique();
            }
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await
    }
}
