//! The test harness: a real server on port 0 over a fresh database of its own, on
//! SQLite always and on PostgreSQL / MariaDB when `TEST_POSTGRES_URL` /
//! `TEST_MYSQL_URL` are set. `db_test!` turns one test body into one test per
//! backend (`name::sqlite`, `name::postgres`, `name::mysql`).
#![allow(dead_code)]

use log_sentinel::{
    config::Config,
    domain::{Level, Timestamp},
    service::logs::{self, NewLog},
    startup::Application,
    state::AppState,
};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    fn env_var(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => "TEST_POSTGRES_URL",
            Backend::Mysql => "TEST_MYSQL_URL",
        }
    }
}

/// A fresh database for one test, dropped afterwards.
pub struct TestDb {
    pub url: String,
    backend: Backend,
    admin_url: String,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// `None` (with the reason printed) when the backend's URL is not configured;
    /// with `TEST_REQUIRE_ALL_DATABASES=1` (as CI sets) a missing URL fails instead.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        if backend == Backend::Sqlite {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            return Some(TestDb {
                url,
                backend,
                admin_url: String::new(),
                name: String::new(),
                _dir: Some(dir),
            });
        }
        let var = backend.env_var();
        let Ok(admin_url) = std::env::var(var) else {
            if std::env::var("TEST_REQUIRE_ALL_DATABASES").is_ok_and(|v| v == "1") {
                panic!("{var} is not set but TEST_REQUIRE_ALL_DATABASES=1");
            }
            eprintln!("skipped: {var} is not set, so this {backend:?} test did not run");
            return None;
        };
        let name = format!("ls_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("connect to the admin database");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        Some(TestDb {
            url,
            backend,
            admin_url,
            name,
            _dir: None,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let (admin_url, name, backend) = (self.admin_url.clone(), self.name.clone(), self.backend);
        // Drop runs inside the test's runtime; use a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await.ok()?;
                let sql = match backend {
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                admin.execute_unprepared(&sql).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub backend: Backend,
    stop: Option<oneshot::Sender<()>>,
    // Dropped last: the database outlives the server.
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// The SECRET_KEY of `spawn_protected` servers.
pub const SECRET: &str = "integration-test-secret-0123456789abcdef";

/// A server with authentication on.
pub async fn spawn_protected(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |config| config.secret_key = Some(SECRET.into())).await
}

/// As `spawn_app`, with a chance to adjust the configuration.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    if std::env::var("TEST_LOG").is_ok() {
        log_sentinel::telemetry::init();
    }
    let db = TestDb::create(backend).await?;
    let mut config = Config::for_database(db.url.clone());
    adjust(&mut config);
    let app = Application::build(config).await.expect("server starts");
    let port = app.port();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    Some(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: log_sentinel::http_client::builder()
            .build()
            .expect("HTTP client"),
        state,
        backend,
        stop: Some(stop),
        db,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A valid ten-minute token for this (protected) server granting `scopes`
    /// (space-separated; `""` for a token with no scope at all).
    pub fn token(&self, scopes: &str) -> String {
        let scopes = if scopes.trim().is_empty() {
            Vec::new()
        } else {
            log_sentinel::auth::Scope::parse_list(scopes).expect("known scopes")
        };
        self.state
            .auth
            .keys()
            .expect("a protected server")
            .mint(
                &scopes,
                std::time::Duration::from_secs(600),
                Some("test".into()),
            )
            .expect("mint")
    }

    /// Sends `request` byte for byte over a fresh TCP connection (no client-side
    /// normalisation of paths or headers) and returns everything the server
    /// answers until it closes the connection or `wait` passes.
    pub async fn raw(&self, request: &[u8], wait: std::time::Duration) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        // The server may answer (and close) before taking the whole request.
        let _ = stream.write_all(request).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Fails unless both tables still hold what they held, and `/status` answers.
    pub async fn assert_unchanged(&self, logs: i64, alerts: i64) {
        assert_eq!(self.count("log_entries").await, logs, "log rows changed");
        assert_eq!(self.count("alerts").await, alerts, "alert rows changed");
        assert_eq!(
            self.get("/status").await.status().as_u16(),
            200,
            "server still answers"
        );
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Runs a GraphQL operation and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        self.client
            .post(self.url("/graphql"))
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("GraphQL JSON")
    }

    /// Stores logs directly through the query layer, in one transaction.
    pub async fn insert_logs(&self, logs: Vec<NewLog>) {
        let txn = self.state.db.begin().await.expect("begin");
        logs::insert_many(&txn, &logs).await.expect("insert");
        txn.commit().await.expect("commit");
    }

    /// Row count of a table, straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count value")
    }
}

/// `n` logs, one second apart from `start`, cycling through levels and sources.
pub fn sample_logs(n: usize, start: i64) -> Vec<NewLog> {
    let levels = [
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Debug,
        Level::Critical,
    ];
    let sources = ["api", "db", "worker"];
    (0..n)
        .map(|i| NewLog {
            timestamp: Timestamp(start + i as i64 * 1_000_000),
            level: levels[i % levels.len()],
            message: format!("message {i}"),
            source: Some(sources[i % sources.len()].to_owned()),
            attributes: Some(format!(r#"{{"i":{i}}}"#)),
        })
        .collect()
}

/// 2026-01-01T00:00:00Z in microseconds.
pub const JAN_1: i64 = 1_767_225_600_000_000;

#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::common::spawn_app($crate::common::Backend::Sqlite).await {
                    run(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::spawn_app($crate::common::Backend::Postgres).await {
                    run(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(app) = $crate::common::spawn_app($crate::common::Backend::Mysql).await {
                    run(app).await;
                }
            }
        }
    };
}

/// Three alerts: OPEN/ERROR on api, ACKNOWLEDGED/CRITICAL on db, RESOLVED/ERROR on db.
pub async fn insert_alerts(app: &TestApp) {
    use log_sentinel::entities::alert;
    use sea_orm::{
        ActiveValue::{NotSet, Set},
        EntityTrait,
    };
    let rows = [
        ("OPEN", "ERROR", "api"),
        ("ACKNOWLEDGED", "CRITICAL", "db"),
        ("RESOLVED", "ERROR", "db"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (status, severity, source))| {
        let fingerprint = format!("fp-{i}");
        alert::ActiveModel {
            id: NotSet,
            severity: Set(severity.into()),
            status: Set(status.into()),
            message: Set(format!("alert {i}")),
            source: Set(Some(source.into())),
            rule_id: Set(None),
            active_fingerprint: Set((status != "RESOLVED").then(|| fingerprint.clone())),
            fingerprint: Set(fingerprint),
            occurrences: Set(3),
            first_seen: Set(JAN_1 + i as i64),
            last_seen: Set(JAN_1 + 10 + i as i64),
            acknowledged_at: Set((status == "ACKNOWLEDGED").then_some(JAN_1 + 5)),
            resolved_at: Set((status == "RESOLVED").then_some(JAN_1 + 5)),
            log_id: Set(None),
        }
    });
    alert::Entity::insert_many(rows)
        .exec_without_returning(&app.state.db)
        .await
        .expect("insert alerts");
}
