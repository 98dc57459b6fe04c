//! The GraphiQL page at `GET /graphql`, and its scripts and styles.
//!
//! Our own template rather than `async_graphql::http::GraphiQLSource`: that one
//! hard-codes unpkg.com URLs, so a machine without internet access gets a blank page.
//! By default the assets still come from unpkg.com; with `PLAYGROUND_ASSETS_DIR` set
//! they come from that directory, served at [`ASSETS_PATH`]. The directory must hold
//! the files of [`ASSETS`] under exactly those names (`scripts/graphiql-assets.sh
//! <dir>` fetches them from the npm registry):
//!
//! | file | npm package | path in the package |
//! |---|---|---|
//! | `react.production.min.js` | `react@18.3.1` | `umd/react.production.min.js` |
//! | `react-dom.production.min.js` | `react-dom@18.3.1` | `umd/react-dom.production.min.js` |
//! | `graphiql.min.js` | `graphiql@4.1.2` | `graphiql.min.js` |
//! | `graphiql.min.css` | `graphiql@4.1.2` | `graphiql.min.css` |
//!
//! GraphiQL 4 is what async-graphql 7.2 pins (`graphiql@4`), 4.1.2 its last release,
//! and the last major with a UMD build (v5 ships ES modules only). Its bundle includes
//! the `graphql-ws` client that subscriptions use, and its stylesheet inlines its
//! fonts, so these four files are the whole page.

use std::path::Path;

use axum::Router;
use tower_http::services::ServeDir;

use super::AppSchema;
use crate::{config::Config, state::AppState};

/// Where the assets are served when `PLAYGROUND_ASSETS_DIR` is set (the auth layer
/// leaves GETs under it open, like the page itself).
pub const ASSETS_PATH: &str = "/graphiql-assets";

/// One file the page loads.
pub struct Asset {
    /// Its name in `PLAYGROUND_ASSETS_DIR` and under [`ASSETS_PATH`].
    pub file: &'static str,
    /// The same file, same version, on the CDN.
    pub cdn: &'static str,
}

/// Order matters: GraphiQL's UMD bundle expects `React` and `ReactDOM` globals.
pub const ASSETS: [Asset; 4] = [
    Asset {
        file: "react.production.min.js",
        cdn: "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
    },
    Asset {
        file: "react-dom.production.min.js",
        cdn: "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
    },
    Asset {
        file: "graphiql.min.js",
        cdn: "https://unpkg.com/graphiql@4.1.2/graphiql.min.js",
    },
    Asset {
        file: "graphiql.min.css",
        cdn: "https://unpkg.com/graphiql@4.1.2/graphiql.min.css",
    },
];

/// `{{REACT}}` etc. are replaced with each asset's URL. The fetcher talks to
/// `/graphql` on the page's own origin, over ws:// or wss:// for subscriptions.
/// The empty favicon keeps the browser from asking for one elsewhere.
const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="origin">
    <title>Log Sentinel · GraphiQL</title>
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; }
    </style>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{{GRAPHIQL_CSS}}">
    <script crossorigin src="{{REACT}}"></script>
    <script crossorigin src="{{REACT_DOM}}"></script>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script crossorigin src="{{GRAPHIQL_JS}}"></script>
    <script>
      const url = (path, ws = false) => {
        const u = new URL(path, window.location.origin);
        if (ws) u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
        return u.toString();
      };
      ReactDOM.createRoot(document.getElementById('graphiql')).render(
        React.createElement(GraphiQL, {
          fetcher: GraphiQL.createFetcher({
            url: url('/graphql'),
            subscriptionUrl: url('/graphql', true),
            fetch: (input, init = {}) => fetch(input, { ...init, credentials: 'same-origin' }),
          }),
          defaultEditorToolsVisibility: true,
        }),
      );
    </script>
  </body>
</html>
"#;

/// The page, with local asset URLs when the schema's configuration names an assets
/// directory.
pub fn page(schema: &AppSchema) -> String {
    let local = schema
        .data::<AppState>()
        .is_some_and(|state| state.config.playground_assets_dir.is_some());
    render(local)
}

fn render(local: bool) -> String {
    let url = |asset: &Asset| {
        if local {
            format!("{ASSETS_PATH}/{}", asset.file)
        } else {
            asset.cdn.to_owned()
        }
    };
    let [react, react_dom, graphiql_js, graphiql_css] = &ASSETS;
    TEMPLATE
        .replace("{{REACT}}", &url(react))
        .replace("{{REACT_DOM}}", &url(react_dom))
        .replace("{{GRAPHIQL_JS}}", &url(graphiql_js))
        .replace("{{GRAPHIQL_CSS}}", &url(graphiql_css))
}

/// `GET /graphiql-assets/*` from `PLAYGROUND_ASSETS_DIR`; no route at all without it
/// (so those paths answer 404, as any unknown path).
pub fn assets<S: Clone + Send + Sync + 'static>(config: &Config) -> Router<S> {
    match config.playground_assets_dir.as_deref() {
        Some(dir) => Router::new().nest_service(ASSETS_PATH, serve_dir(dir)),
        None => Router::new(),
    }
}

/// Files only: the directory holds assets, not pages, so no index.html fallback.
fn serve_dir(dir: &Path) -> ServeDir {
    ServeDir::new(dir).append_index_html_on_directories(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdn_page_names_every_asset_on_unpkg() {
        let page = render(false);
        for asset in &ASSETS {
            assert!(
                page.contains(&format!("\"{}\"", asset.cdn)),
                "{}",
                asset.cdn
            );
            assert!(asset.cdn.ends_with(&format!("/{}", asset.file)));
        }
        assert!(!page.contains("{{"), "unreplaced placeholder:\n{page}");
    }

    #[test]
    fn local_page_has_no_outside_url() {
        let page = render(true);
        for asset in &ASSETS {
            assert!(page.contains(&format!("\"/graphiql-assets/{}\"", asset.file)));
        }
        assert!(!page.contains("https://"), "{page}");
        assert!(!page.contains("//unpkg"), "{page}");
    }
}
