//! The binary's subcommands, run as a user would.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
}

fn run(args: &[&str], database_url: &str) -> (bool, String) {
    let out = bin()
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run binary");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn schema_subcommand_prints_the_sdl() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        log_sentinel::graphql::sdl()
    );
}

#[test]
fn migrate_up_down_status_and_the_old_sqlite_url_form() {
    let dir = tempfile::tempdir().unwrap();
    // The old service's SQLAlchemy form, relative to the working directory.
    let url = "sqlite:///./old-style.db";
    let in_dir = |args: &[&str]| {
        let out = bin()
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, status) = in_dir(&["migrate", "status"]);
    assert!(ok);
    assert_eq!(status.matches("Pending").count(), 3, "{status}");
    assert!(in_dir(&["migrate", "up"]).0);
    assert!(
        dir.path().join("old-style.db").exists(),
        "created beside the working directory"
    );
    let (_, status) = in_dir(&["migrate", "status"]);
    assert_eq!(status.matches("Applied").count(), 3, "{status}");
    assert!(in_dir(&["migrate", "down"]).0);
    let (_, status) = in_dir(&["migrate", "status"]);
    assert_eq!(status.matches("Applied").count(), 2, "{status}");
    assert_eq!(status.matches("Pending").count(), 1, "{status}");
}

#[test]
fn seed_adds_to_what_the_database_holds() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("seed.db").display());
    let (ok, out) = run(&["seed", "--logs", "1200", "--alerts", "30"], &url);
    assert!(ok, "{out}");
    assert!(out.contains("seeded 1200 logs"), "{out}");
    let (ok, out) = run(&["seed", "--logs", "800", "--alerts", "10"], &url);
    assert!(ok, "{out}");

    let count = |table: &str| count_rows(&dir.path().join("seed.db"), table);
    assert_eq!(count("log_entries"), 2000);
    assert_eq!(count("alerts"), 40);
}

/// Counts a table's rows straight from the SQLite file.
fn count_rows(path: &std::path::Path, table: &str) -> i64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let db = Database::connect(format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    })
}

#[test]
fn serving_on_a_public_address_without_secret_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = bin()
        .args(["serve", "--host", "0.0.0.0", "--port", "0"])
        .env("DATABASE_URL", url)
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_KEY"));
}
