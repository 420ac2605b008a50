//! Operations: health, Prometheus metrics, security headers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::AppState;

/// Latency buckets in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Request counters and latency histograms by route, method and status, with the
/// `metrics` crate and its Prometheus exporter. Kept in the process (each server
/// process exposes its own, as Prometheus expects) and per application state, not
/// in a global recorder, so two routers in one process (tests) count apart.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    observed: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("latency buckets are valid")
            .build_recorder();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!(
                "backbone_http_requests_total",
                "HTTP requests by route, method and status."
            );
            metrics::describe_histogram!(
                "backbone_http_request_duration_seconds",
                "Time to answer, by route."
            );
            metrics::describe_gauge!(
                "backbone_db_pool_connections",
                "Database connections open in the pool."
            );
            metrics::describe_gauge!(
                "backbone_db_pool_idle",
                "Idle database connections in the pool."
            );
        });
        let handle = recorder.handle();
        Metrics {
            recorder,
            handle,
            observed: AtomicU64::new(0),
        }
    }
}

/// The method as a static name (anything unusual counts as "OTHER").
pub fn method_name(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        metrics::with_local_recorder(&self.recorder, || {
            metrics::counter!(
                "backbone_http_requests_total",
                "route" => route.to_string(),
                "method" => method,
                "status" => status.to_string()
            )
            .increment(1);
            metrics::histogram!(
                "backbone_http_request_duration_seconds",
                "route" => route.to_string(),
                "method" => method
            )
            .record(seconds);
        });
        // Histogram samples wait in buffers until rendered; fold them in now and
        // then so a process nobody scrapes does not grow.
        if self.observed.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.handle.run_upkeep();
        }
    }

    pub fn render(&self, pool: (u32, usize)) -> String {
        let (size, idle) = pool;
        metrics::with_local_recorder(&self.recorder, || {
            metrics::gauge!("backbone_db_pool_connections").set(size as f64);
            metrics::gauge!("backbone_db_pool_idle").set(idle as f64);
        });
        self.handle.render()
    }
}

/// Count and time every request under its route template (never the raw path,
/// which could carry personal data or explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // MatchedPath holds its template behind an Arc: cloning it allocates nothing.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_name(req.method());
    let start = Instant::now();
    let res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let route = route
        .as_ref()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let status = res.status().as_u16();
    state.metrics.observe(route, method, status, secs);
    if res.status().is_server_error() {
        tracing::warn!(%route, %method, status, secs, "request failed");
    } else {
        tracing::debug!(%route, %method, status, secs, "request");
    }
    res
}

/// Headers every response carries.
///
/// `Cache-Control: no-store` goes on everything that may hold non-public data —
/// signed-in pages, every `/api/` answer, invitation and login pages, errors —
/// unless the handler chose its own (the stylesheet). Only the public portal seen
/// without a session is left to the usual caching rules.
/// `Strict-Transport-Security` is sent when Backbone is served over TLS (secure
/// cookies configured, or `X-Forwarded-Proto: https` from the proxy).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let signed_in = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("bb_session="));
    let public = !signed_in && req.uri().path().starts_with("/p/");
    let tls = crate::session::is_secure(&state, req.headers());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !public && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// 200 when the database serves a real read of a real table within 2 s; 503
/// otherwise (unreachable, locked, damaged, or missing its schema).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let check = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.health());
    match check.await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
        Err(_) => {
            tracing::warn!("health check timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `/metrics` on the main address: only with the metrics token
/// (`--metrics-token`); without one configured it does not exist (404).
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return crate::error::PageError(crate::error::AppError::NotFound).into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::session::constant_time_eq(sent.trim().as_bytes(), expected.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "the metrics token is required\n",
        )
            .into_response();
    }
    metrics_open(State(state)).await
}

/// `/metrics` without a token, on the metrics address (`--metrics-addr`).
pub async fn metrics_open(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.store.pool_stats());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}
