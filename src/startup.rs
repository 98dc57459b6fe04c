//! Start-up: open and migrate the database, bind the listener, serve until a
//! shutdown signal. Binding happens in `build` so callers (tests) learn the port
//! before serving starts.

use std::future::Future;

use axum::{ServiceExt, extract::Request};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::{config::Config, db, error::AppError, state::AppState};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, AppError> {
        if config.secret_key.is_none() && !config.host.is_loopback() {
            return Err(AppError::Config(format!(
                "refusing to listen on {}: without SECRET_KEY anyone who can reach the port could read and write every log. Set SECRET_KEY to turn authentication on, or listen on 127.0.0.1",
                config.host
            )));
        }
        let db = db::connect(&config.database_url).await?;
        db::migrate(&db).await?;
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .map_err(|e| {
                AppError::Config(format!(
                    "cannot listen on {}:{}: {e}",
                    config.host, config.port
                ))
            })?;
        Ok(Application {
            listener,
            state: AppState::new(db, config),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = crate::build_router(self.state);
        // Trailing slashes are trimmed before routing, so `/logs/` is `/logs`.
        let app = NormalizePathLayer::trim_trailing_slash().layer(router);
        axum::serve(self.listener, ServiceExt::<Request>::into_make_service(app))
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
