//! Start-up: open and migrate the database, bind the listener, serve until a
//! shutdown signal. Binding happens in `build` so callers (tests) learn the port
//! before serving starts.

use std::{future::Future, pin::pin, time::Duration};

use axum::{body::Body, extract::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};
use tower_http::normalize_path::NormalizePathLayer;

use crate::{auth::Auth, config::Config, db, error::AppError, state::AppState};

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
        let auth = Auth::from_config(&config)?;
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
        let mut config = config;
        // PORT=0 picks a free port; links this server sends name the real one.
        if let Ok(addr) = listener.local_addr() {
            config.port = addr.port();
        }
        let state = AppState::new(db, config, auth);
        state.sentinel.start().await?;
        Ok(Application { listener, state })
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
    ///
    /// The accept loop is hyper's own rather than `axum::serve` for one setting:
    /// a header read timeout (it needs a timer, which `axum::serve` does not give
    /// hyper), so a client that trickles its headers in cannot hold a connection
    /// open for ever. HTTP/1 and HTTP/2, with upgrades for WebSockets, as before.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let timeout = self.state.config.request_timeout();
        let router = crate::build_router(self.state);
        // Trailing slashes are trimmed before routing, so `/logs/` is `/logs`.
        let app = NormalizePathLayer::trim_trailing_slash().layer(router);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(timeout);
        builder.http2().enable_connect_protocol();
        let graceful = GracefulShutdown::new();
        let mut shutdown = pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        accept_failed(err).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = app
                .clone()
                .map_request(|request: Request<Incoming>| request.map(Body::new));
            let connection = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(stream),
                    TowerToHyperService::new(service),
                )
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    // Clients hanging up and header timeouts end up here: not our error.
                    tracing::debug!(error = %err, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}

/// Accept errors are about one connection (reset before accept) or about the
/// process (out of file descriptors); for the latter, pause instead of spinning.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "cannot accept connections; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
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
