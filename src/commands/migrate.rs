//! `log-sentinel migrate up|down|status`.

use migration::{Migrator, MigratorTrait};

use crate::{cli::MigrateAction, config::Config, db, error::AppError};

pub async fn run(config: &Config, action: MigrateAction) -> Result<(), AppError> {
    let conn = db::connect(&config.database_url).await?;
    match action {
        MigrateAction::Up => {
            Migrator::up(&conn, None).await?;
            println!("all migrations applied");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&conn, Some(steps)).await?;
            println!("reverted {steps} migration(s)");
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&conn).await? {
                println!("{:<50} {}", m.name(), m.status());
            }
        }
    }
    Ok(())
}
