//! Start-up: open and migrate the database, bind the listener, serve until a
//! shutdown signal, then stop gracefully. Binding happens in `build` so callers
//! (tests) learn the port before serving starts.

use std::{future::Future, pin::pin, time::Duration};

use axum::{body::Body, extract::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::watch};
use tower::{Layer, ServiceExt};
use tower_http::normalize_path::NormalizePathLayer;

use crate::{auth::Auth, config::Config, db, error::AppError, service::retention, state::AppState};

/// How long queued webhook notifications may take to go out once the server stops.
/// Within what `docker stop` and Kubernetes allow by default (10 s and 30 s).
const WEBHOOK_DRAIN: Duration = Duration::from_secs(10);
/// How long WebSocket clients get to answer the server's close frame.
const WEBSOCKET_CLOSE: Duration = Duration::from_secs(5);

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
        if config.retention_days == Some(0) {
            return Err(AppError::Config(
                "RETENTION_DAYS must be at least 1 (unset it to keep every log)".into(),
            ));
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
        let reader = db::reads::Reader::open(&db).await?;
        let state = AppState::new(db, reader, config, auth);
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

    /// Serves until `shutdown` resolves, then stops gracefully: no new connections,
    /// in-flight requests (a CSV download too) run to the end, GraphQL WebSockets get
    /// a close frame (1001, going away), and queued webhook notifications get up to
    /// `WEBHOOK_DRAIN` to go out. Retention, when configured, runs meanwhile.
    ///
    /// The accept loop is hyper's own rather than `axum::serve` for one setting:
    /// a header read timeout (it needs a timer, which `axum::serve` does not give
    /// hyper), so a client that trickles its headers in cannot hold a connection
    /// open for ever. HTTP/1 and HTTP/2, with upgrades for WebSockets, as before.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        if let Some(days) = state.config.retention_days {
            retention::spawn(state.db.clone(), days, state.shutdown.subscribe());
        }
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
        // Closed first, so that new connections are refused rather than left waiting.
        drop(self.listener);
        state.shutdown.begin();
        // hyper's graceful shutdown covers HTTP connections only: an upgraded one
        // (a WebSocket) left its watch at the upgrade, so those are awaited apart.
        let websockets = async {
            if tokio::time::timeout(WEBSOCKET_CLOSE, state.shutdown.connections_closed())
                .await
                .is_err()
            {
                tracing::warn!("some WebSocket clients did not close in time");
            }
        };
        tokio::join!(graceful.shutdown(), websockets);
        // Last: the requests that just finished may have raised alerts.
        match state.sentinel.notifier.drain(WEBHOOK_DRAIN).await {
            0 => tracing::info!("stopped"),
            left => tracing::warn!(
                undelivered = left,
                "stopped with webhook notifications still undelivered"
            ),
        }
        Ok(())
    }
}

/// Tells long-lived connections (GraphQL WebSockets) and background jobs that the
/// server is stopping, and lets the server wait until the connections are gone.
#[derive(Clone)]
pub struct Shutdown(watch::Sender<bool>);

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown(watch::channel(false).0)
    }
}

impl Shutdown {
    /// One listener per connection or job, held for as long as it runs: the server
    /// waits for every listener to be dropped.
    pub fn subscribe(&self) -> ShutdownListener {
        ShutdownListener(self.0.subscribe())
    }

    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once every listener has been dropped.
    pub async fn connections_closed(&self) {
        self.0.closed().await;
    }
}

pub struct ShutdownListener(watch::Receiver<bool>);

impl ShutdownListener {
    /// Resolves once the server is stopping (at once if it already is).
    pub async fn requested(&mut self) {
        // An error means the sender is gone, which only happens when the server is.
        let _ = self.0.wait_for(|stopping| *stopping).await;
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

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. A second one while the server is still
/// finishing what was in flight (a download to a client that stopped reading can
/// take for ever) exits at once, with status 1.
pub async fn shutdown_signal() {
    let mut signals = Signals::new();
    signals.next().await;
    tracing::info!("shutting down: finishing requests in flight (signal again to stop at once)");
    tokio::spawn(async move {
        signals.next().await;
        tracing::warn!("second signal: stopping at once");
        std::process::exit(1);
    });
}

/// SIGINT and SIGTERM, listened to from creation on, so one arriving between two
/// `next` calls is not missed.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
            let received = match signal {
                Some(signal) => signal.recv().await.is_some(),
                None => false,
            };
            // `None` from `recv` means the runtime is going away: not a signal.
            if !received {
                std::future::pending::<()>().await;
            }
        }
        tokio::select! {
            () = recv(&mut self.interrupt) => {}
            () = recv(&mut self.terminate) => {}
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
