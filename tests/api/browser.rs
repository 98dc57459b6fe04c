//! The pages a person opens in a browser — GraphiQL at `/graphql` and the API docs at
//! `/docs` — must work on a machine without internet access. Headless Debian Chromium
//! (driven by `tests/browser/*.mjs`, installed by `tests/browser/setup.sh`) loads them
//! with every request off this machine aborted, and must still run a query / show the
//! operations. Screenshots land in `target/artifacts/`. The first tests need no
//! browser: what the page links to, and how the assets are served.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use log_sentinel::graphql::graphiql::ASSETS;
use serde_json::{Value, json};

use crate::common::{Backend, JAN_1, SECRET, TestApp, sample_logs, spawn_app, spawn_app_with};

const CHROMIUM: &str = "/usr/bin/chromium";
const SETUP: &str = "apt-get install -y chromium && bash tests/browser/setup.sh";
const QUERY: &str = "{ logs(first: 5) { nodes { id message } } }";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What `tests/browser/setup.sh` fetches for `PLAYGROUND_ASSETS_DIR`.
fn assets_dir() -> PathBuf {
    browser_dir().join("graphiql-assets")
}

/// `target/artifacts/` (beside `target/tmp/`, wherever the target dir is).
fn artifact(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .join("artifacts");
    std::fs::create_dir_all(&dir).expect("create target/artifacts");
    dir.join(name)
}

/// Whether Chromium, playwright-core and (for GraphiQL) the assets are installed; if
/// not, says how to install them, and the test returns (tests never install
/// anything themselves; CI does, and fails on any `skipped:` line).
fn installed(needs_assets: bool) -> bool {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM.to_owned());
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        missing.push("tests/browser/node_modules/playwright-core".to_owned());
    }
    if needs_assets && !assets_dir().join(".versions").exists() {
        missing.push("tests/browser/graphiql-assets/".to_owned());
    }
    if !missing.is_empty() {
        eprintln!(
            "skipped: {} not installed, so this browser test did not run; run `{SETUP}`",
            missing.join(", ")
        );
    }
    missing.is_empty()
}

/// Runs `node tests/browser/<script> <base> <screenshot>` (bounded in time) and
/// returns the JSON line it printed; panics with everything it printed if it failed.
async fn run_script(app: &TestApp, script: &str, screenshot: &Path) -> Value {
    // A stale file from an earlier run must not pass the screenshot checks.
    let _ = std::fs::remove_file(screenshot);
    let run = tokio::process::Command::new("node")
        .arg(script)
        .arg(&app.base)
        .arg(screenshot)
        .current_dir(browser_dir())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within 120 s"))
        .unwrap_or_else(|e| panic!("cannot start node {script}: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let printed = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        output.status.success(),
        "{script} failed ({}); screenshot {}\n{printed}",
        output.status,
        screenshot.display()
    );
    let line = stdout.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{script} printed no JSON line ({e})\n{printed}"));
    assert_eq!(report["ok"], true, "{report:#}");
    // For the log (`--nocapture`): what the browser saw.
    println!("{script}: {report}");
    report
}

/// A real PNG of the viewport the scripts set (1400×900), with something on it.
fn assert_screenshot(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be32 = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((be32(16), be32(20)), (1400, 900), "IHDR width × height");
    // A blank 1400×900 page compresses to a few KB; a rendered one is far larger.
    assert!(
        bytes.len() > 30_000,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
}

/// The record every script reports: nothing may have tried to leave the machine,
/// nothing local may have failed, and the page logged no error.
fn assert_offline_clean(report: &Value) {
    assert_eq!(report["blocked"], json!([]), "tried to leave: {report:#}");
    assert_eq!(report["failed"], json!([]), "failed requests: {report:#}");
    assert_eq!(
        report["consoleErrors"],
        json!([]),
        "page errors: {report:#}"
    );
}

async fn graphiql_page(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.expect("page")
}

/// A stand-in assets directory with recognisable contents, and a file beside it that
/// must never be served.
fn fake_assets() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("assets");
    std::fs::create_dir(&dir).expect("assets dir");
    for asset in &ASSETS {
        std::fs::write(dir.join(asset.file), format!("/* {} */", asset.file)).expect("write");
    }
    std::fs::write(root.path().join("secret.txt"), "not an asset").expect("write");
    (root, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_uses_the_cdn_by_default() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let page = graphiql_page(&app).await;
    for (asset, cdn) in ASSETS.iter().zip([
        "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
        "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
        "https://unpkg.com/graphiql@4.1.2/graphiql.min.js",
        "https://unpkg.com/graphiql@4.1.2/graphiql.min.css",
    ]) {
        assert_eq!(asset.cdn, cdn);
        assert!(
            page.contains(&format!("src=\"{cdn}\"")) || page.contains(&format!("href=\"{cdn}\"")),
            "{cdn} in\n{page}"
        );
    }
    assert!(!page.contains("/graphiql-assets/"), "{page}");
    // Nothing is served locally without the setting.
    let response = app.get("/graphiql-assets/graphiql.min.js").await;
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_serves_its_assets_from_playground_assets_dir() {
    let (_root, dir) = fake_assets();
    let app = spawn_app_with(Backend::Sqlite, |c| c.playground_assets_dir = Some(dir))
        .await
        .expect("sqlite always runs");
    let page = graphiql_page(&app).await;
    assert!(!page.contains("https://"), "an outside URL in\n{page}");
    assert!(!page.contains("unpkg"), "{page}");
    assert!(
        page.contains("<title>Log Sentinel · GraphiQL</title>"),
        "{page}"
    );

    for (file, content_type) in [
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
    ] {
        let url = format!("/graphiql-assets/{file}");
        let attribute = if file.ends_with(".css") {
            "href"
        } else {
            "src"
        };
        assert!(
            page.contains(&format!("{attribute}=\"{url}\"")),
            "{url} in\n{page}"
        );
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], content_type, "{url}");
        assert_eq!(response.text().await.unwrap(), format!("/* {file} */"));
    }

    assert_eq!(app.get("/graphiql-assets/missing.js").await.status(), 404);
    // The directory itself is not listed, and nothing outside it is reachable.
    assert_eq!(app.get("/graphiql-assets/").await.status(), 404);
    for path in [
        "/graphiql-assets/..%2fsecret.txt",
        "/graphiql-assets/%2e%2e/secret.txt",
    ] {
        let answer = app
            .raw(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
                Duration::from_secs(5),
            )
            .await;
        assert!(answer.starts_with("HTTP/1.1 404"), "{path}: {answer}");
        assert!(!answer.contains("not an asset"), "{path}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_assets_need_no_token() {
    let (_root, dir) = fake_assets();
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.secret_key = Some(SECRET.into());
        c.playground_assets_dir = Some(dir);
    })
    .await
    .expect("sqlite always runs");
    // The page and what it loads open without a token; queries still need one.
    assert!(
        graphiql_page(&app)
            .await
            .contains("/graphiql-assets/graphiql.min.js")
    );
    let response = app.get("/graphiql-assets/graphiql.min.js").await;
    assert_eq!(response.status(), 200);
    let query = app.graphql("{ status { status } }", json!({})).await;
    assert_eq!(
        query["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{query}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_query_with_the_network_blocked() {
    if !installed(true) {
        return;
    }
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.playground_assets_dir = Some(assets_dir());
    })
    .await
    .expect("sqlite always runs");
    app.insert_logs(sample_logs(8, JAN_1)).await;
    // What the page must show: the same query, over the API.
    let expected = app.graphql(QUERY, json!({})).await;
    let nodes = expected["data"]["logs"]["nodes"].as_array().expect("nodes");
    let seeded: Vec<&str> = nodes
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        seeded,
        [
            "message 0",
            "message 1",
            "message 2",
            "message 3",
            "message 4"
        ]
    );

    let screenshot = artifact("graphiql.png");
    let report = run_script(&app, "graphiql.mjs", &screenshot).await;
    assert_offline_clean(&report);
    assert_eq!(report["title"], "Log Sentinel · GraphiQL", "{report:#}");
    assert_eq!(report["query"], QUERY, "{report:#}");
    assert_eq!(report["response"], expected, "{report:#}");
    assert_eq!(report["messages"], json!(seeded), "{report:#}");
    // On screen, not only in the editor's model: every row, id and message.
    let text = report["resultText"].as_str().expect("resultText");
    for node in nodes {
        assert!(
            text.contains(&format!(
                "\"message\": \"{}\"",
                node["message"].as_str().unwrap()
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("\"id\": \"{}\"", node["id"].as_str().unwrap())),
            "{text}"
        );
    }
    assert!(
        !text.contains("message 5"),
        "first: 5 shows five rows\n{text}"
    );
    assert_screenshot(&screenshot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_render_with_the_network_blocked() {
    if !installed(false) {
        return;
    }
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let screenshot = artifact("docs.png");
    let report = run_script(&app, "docs.mjs", &screenshot).await;
    assert_offline_clean(&report);
    let operations: Vec<&str> = report["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|op| op.as_str().unwrap())
        .collect();
    for op in ["GET /logs", "GET /alerts", "GET /report/csv", "GET /status"] {
        assert!(operations.contains(&op), "{op} not shown: {report:#}");
    }
    // Swagger UI's heading is the OpenAPI title (the crate's name), then its version.
    let heading = report["heading"].as_str().expect("heading");
    assert!(heading.starts_with("log-sentinel"), "{report:#}");
    assert!(
        !report["title"].as_str().expect("title").is_empty(),
        "{report:#}"
    );
    assert_screenshot(&screenshot);
}
