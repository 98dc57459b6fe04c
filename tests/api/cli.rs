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

const SECRET: &str = crate::common::SECRET;

/// Runs `token` with SECRET_KEY (and `envs`), returning success and the output.
fn token(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = bin();
    command
        .arg("token")
        .args(args)
        .env_remove("SECRET_KEY")
        .env_remove("ALGORITHM")
        .env_remove("ACCESS_TOKEN_EXPIRE_MINUTES");
    for (name, value) in envs {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn decode(token: &str, algorithm: jsonwebtoken::Algorithm) -> log_sentinel::auth::Claims {
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.leeway = 0;
    jsonwebtoken::decode(
        token,
        &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    )
    .expect("a valid token")
    .claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_subcommand_mints_a_token_the_server_accepts() {
    let (ok, minted, err) = token(
        &[
            "--scope",
            "read ingest",
            "--expires-in",
            "30d",
            "--subject",
            "ci-runner",
        ],
        &[("SECRET_KEY", SECRET)],
    );
    assert!(ok, "{err}");
    assert_eq!(minted.lines().count(), 1, "the token alone, for $(…)");
    let claims = decode(&minted, jsonwebtoken::Algorithm::HS256);
    assert_eq!(claims.scope, "read ingest");
    assert_eq!(claims.sub.as_deref(), Some("ci-runner"));
    assert_eq!(claims.exp - claims.iat.unwrap(), 30 * 86_400);

    // Default lifetime: ACCESS_TOKEN_EXPIRE_MINUTES; the algorithm follows ALGORITHM.
    let (ok, short, err) = token(
        &[],
        &[
            ("SECRET_KEY", SECRET),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "5"),
            ("ALGORITHM", "HS384"),
        ],
    );
    assert!(ok, "{err}");
    let claims = decode(&short, jsonwebtoken::Algorithm::HS384);
    assert_eq!(claims.exp - claims.iat.unwrap(), 300);
    assert_eq!(claims.scope, "read", "least privilege by default");
    let (_, twelve_hours, _) = token(&["--expires-in", "12h"], &[("SECRET_KEY", SECRET)]);
    let claims = decode(&twelve_hours, jsonwebtoken::Algorithm::HS256);
    assert_eq!(claims.exp - claims.iat.unwrap(), 12 * 3600);

    let app = crate::common::spawn_protected(crate::common::Backend::Sqlite)
        .await
        .unwrap();
    let response = app
        .client
        .get(app.url("/logs"))
        .bearer_auth(&minted)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .client
        .post(app.url("/logs"))
        .bearer_auth(&minted)
        .json(&serde_json::json!({"message": "m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    // An HS384 token is not accepted by an HS256 server.
    let response = app
        .client
        .get(app.url("/logs"))
        .bearer_auth(&short)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[test]
fn token_subcommand_needs_secret_key_known_scopes_and_a_readable_lifetime() {
    let (ok, out, err) = token(&["--scope", "read"], &[]);
    assert!(!ok && out.is_empty());
    assert!(err.contains("SECRET_KEY is not set"), "{err}");
    let (ok, _, err) = token(&["--scope", "read write"], &[("SECRET_KEY", SECRET)]);
    assert!(!ok);
    assert!(err.contains("unknown scope \"write\""), "{err}");
    let (ok, _, err) = token(&["--expires-in", "soon"], &[("SECRET_KEY", SECRET)]);
    assert!(!ok);
    assert!(err.contains("30m, 12h or 30d"), "{err}");
}

/// `serve` on a fresh SQLite database with `envs`; its exit status and stderr.
fn serve_once(args: &[&str], envs: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = bin();
    command
        .arg("serve")
        .args(args)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .env_remove("SECRET_KEY")
        .env_remove("ALGORITHM");
    for (name, value) in envs {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_algorithm_outside_the_allow_list_or_a_blank_key_refuses_to_start() {
    for algorithm in ["RS256", "none", "hs256x"] {
        let (ok, err) = serve_once(
            &["--port", "0"],
            &[("SECRET_KEY", SECRET), ("ALGORITHM", algorithm)],
        );
        assert!(!ok, "{algorithm}");
        assert!(
            err.contains("ALGORITHM") && err.contains("HS256, HS384, HS512"),
            "{algorithm}: {err}"
        );
    }
    let (ok, err) = serve_once(&["--port", "0"], &[("SECRET_KEY", "   ")]);
    assert!(!ok);
    assert!(err.contains("SECRET_KEY is set but empty"), "{err}");
}

/// A `serve` process, its port and everything it has written to stderr so far.
struct Server {
    child: std::process::Child,
    port: u16,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut command = bin();
        command
            .arg("serve")
            .args(["--port", "0"])
            .args(args)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("x.db").display()),
            )
            .env_remove("SECRET_KEY")
            .env("LOG_FORMAT", "text")
            .stderr(std::process::Stdio::piped());
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let sink = std::sync::Arc::clone(&stderr);
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(port) = line.split("address=http://").nth(1).and_then(|a| {
                    a.split_whitespace()
                        .next()?
                        .rsplit(':')
                        .next()?
                        .parse::<u16>()
                        .ok()
                }) {
                    let _ = port_tx.send(port);
                }
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let port = port_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("the server did not start: {}", stderr.lock().unwrap())
            });
        Server {
            child,
            port,
            stderr,
            reader: Some(reader),
            _dir: dir,
        }
    }

    /// Stops the server and returns all it wrote to stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_secret_key_a_public_address_is_served_and_protected() {
    let server = Server::start(&["--host", "0.0.0.0"], &[("SECRET_KEY", SECRET)]);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", server.port);
    assert_eq!(
        client
            .get(format!("{base}/status"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        client
            .get(format!("{base}/logs"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_the_secret_key_never_reach_the_server_logs() {
    use base64::{
        Engine,
        engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    };
    let server = Server::start(&[], &[("SECRET_KEY", SECRET), ("RUST_LOG", "trace")]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let (ok, valid, err) = token(&["--scope", "read ingest"], &[("SECRET_KEY", SECRET)]);
    assert!(ok, "{err}");
    // Forged: a real-looking payload with a signature that does not match.
    let forged = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(r#"{"exp":99999999999,"scope":"read admin","sub":"forger"}"#),
        URL_SAFE_NO_PAD.encode("not-the-signature-0123456789")
    );
    let calls = [
        client.get(format!("{base}/logs")).bearer_auth(&forged),
        client.get(format!("{base}/logs")).bearer_auth(&valid),
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(&forged)
            .json(&serde_json::json!({"query": "{ status { status } }"})),
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(&valid)
            .json(&serde_json::json!({"query": "{ logs { totalCount } }"})),
        client
            .post(format!("{base}/loki/api/v1/push"))
            .header(
                "authorization",
                format!("Basic {}", STANDARD.encode(format!("promtail:{valid}"))),
            )
            .json(&serde_json::json!({"streams": []})),
        client
            .post(format!("{base}/logs"))
            .bearer_auth(format!("{valid}x"))
            .json(&serde_json::json!({"message": "m"})),
    ];
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 200, 401, 200, 204, 401]);
    let stderr = server.stop();
    assert!(
        stderr.contains("/logs"),
        "requests are logged at this level: {stderr}"
    );
    for (what, secret) in [
        ("a valid token", valid.as_str()),
        (
            "a valid token's signature",
            valid.rsplit('.').next().unwrap(),
        ),
        ("a forged token", forged.as_str()),
        (
            "a forged token's signature",
            forged.rsplit('.').next().unwrap(),
        ),
        ("SECRET_KEY", SECRET),
    ] {
        assert!(!stderr.contains(secret), "{what} was logged");
    }
}

#[test]
fn database_passwords_never_reach_the_output() {
    let password = "Pa55-SECRET-word";
    let runs: Vec<_> = [
        (
            "serve",
            format!("postgres://sentinel:{password}@127.0.0.1:1/logs"),
        ),
        (
            "serve",
            format!("mysql://sentinel:{password}@127.0.0.1:1/logs"),
        ),
        (
            "migrate",
            format!("postgres://sentinel:{password}@127.0.0.1:notaport/logs"),
        ),
        (
            "migrate",
            format!("postgres://sentinel:{password}@127.0.0.1:1/logs?sslmode=bogus"),
        ),
        (
            "migrate",
            format!("oracle://sentinel:{password}@127.0.0.1:1/logs"),
        ),
    ]
    .into_iter()
    .map(|(command, url)| {
        // Each waits out the pool's connect timeout; run them side by side.
        std::thread::spawn(move || {
            let mut cmd = bin();
            cmd.arg(command);
            if command == "migrate" {
                cmd.arg("status");
            }
            let out = cmd
                .env("DATABASE_URL", &url)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            (url, out)
        })
    })
    .collect();
    for run in runs {
        let (url, out) = run.join().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}");
        assert!(!text.contains(password), "{url}: {text}");
        assert!(
            text.contains("sentinel:***@"),
            "the redacted URL is named: {text}"
        );
    }
    // Nor does --help show the values of secret variables.
    let out = bin()
        .arg("--help")
        .env("SECRET_KEY", SECRET)
        .env("DATABASE_URL", format!("postgres://u:{password}@h/d"))
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("SECRET_KEY"));
    assert!(!help.contains(SECRET) && !help.contains(password), "{help}");
}

#[test]
fn the_schema_is_printed_even_with_introspection_off() {
    let out = bin()
        .arg("schema")
        .env("GRAPHQL_INTROSPECTION", "false")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        log_sentinel::graphql::sdl()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_fills_an_empty_server_and_prints_status_logs_alerts_and_csv() {
    let app = crate::common::spawn_app(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
        .args(["demo", "--base-url", &app.base])
        .output()
        .await
        .expect("run demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for heading in [
        "sending 4 sample logs",
        "== /status",
        "== /logs?limit=5",
        "== /alerts?limit=5",
        "== /report/csv",
    ] {
        assert!(text.contains(heading), "{heading} in {text}");
    }
    assert!(text.contains("payment gateway timeout after 30s"));
    assert!(text.contains("id,timestamp,level,message"));
    assert!(text.contains("... 4 data rows"), "{text}");
    assert_eq!(app.count("log_entries").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_stops_quietly_when_its_reader_goes_away() {
    let app = crate::common::spawn_app(crate::common::Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    // `log-sentinel demo | head -0`: the pipe is closed before the first line.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_log-sentinel"))
        .args(["demo", "--base-url", &app.base])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run demo");
    drop(child.stdout.take());
    let out = child.wait_with_output().await.expect("demo ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
