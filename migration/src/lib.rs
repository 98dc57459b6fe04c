//! Schema migrations for Log Sentinel, run at start-up and by `log-sentinel migrate`.
//!
//! Timestamps are stored as BIGINT microseconds since the Unix epoch (UTC) on every
//! backend: ordering, keyset cursors and time bucketing then use the same SQL and the
//! same compact indexes on SQLite, PostgreSQL and MySQL/MariaDB.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_log_entries;
mod m20261127_000002_create_alert_rules;
mod m20261127_000003_create_alerts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_log_entries::Migration),
            Box::new(m20261127_000002_create_alert_rules::Migration),
            Box::new(m20261127_000003_create_alerts::Migration),
        ]
    }
}
