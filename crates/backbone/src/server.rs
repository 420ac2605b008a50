//! The HTTP/1.1 accept loop, with the limits a public server needs.
//!
//! `axum::serve` gives no handle on hyper's timers, and one client that never
//! finishes its headers kept the process alive after SIGTERM. Here:
//!
//! - request headers must arrive within [`HEADER_TIMEOUT`] (hyper's
//!   `header_read_timeout`), else the connection is closed;
//! - a request (body included) must be answered within [`REQUEST_TIMEOUT`]
//!   (a 408 from the router's timeout layer, see `web::router`);
//! - at most [`MAX_CONNECTIONS`] connections are served at once; beyond that the
//!   loop stops accepting until one closes (the kernel's backlog queues the rest);
//! - on SIGTERM or Ctrl-C the listener closes, idle connections close, requests
//!   in flight finish, and after [`SHUTDOWN_DEADLINE`] whatever is left is cut.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
pub const MAX_CONNECTIONS: usize = 4096;

/// Serve `app` on `listener` until `shutdown` resolves, then drain within the
/// deadline.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("semaphore open"),
            _ = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let svc = app.map_request(move |req: axum::http::Request<Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(remote));
                req
            });
            let svc = TowerToHyperService::new(svc.map_err(|e: Infallible| match e {}));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|s| *s) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing requests in flight");
    let _ = stop_tx.send(true);
    // Every connection task holds a permit: all returned = all connections closed.
    let drained = tokio::time::timeout(
        SHUTDOWN_DEADLINE,
        slots.acquire_many(MAX_CONNECTIONS as u32),
    )
    .await;
    if drained.is_err() {
        tracing::warn!(
            deadline_s = SHUTDOWN_DEADLINE.as_secs(),
            "connections still open at the shutdown deadline; closing them"
        );
    }
}
