//! Operations: health, Prometheus metrics, security headers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Latency buckets in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request counters and latency histograms by route, method and status. Kept in
/// the process: each server process exposes its own, as Prometheus expects.
#[derive(Default)]
pub struct Metrics {
    /// route template → (method, status) → series. Keyed so that recording a
    /// request allocates nothing once its series exists.
    series: Mutex<HashMap<String, ByMethodStatus>>,
}

/// Series of one route, by (method, status).
type ByMethodStatus = HashMap<(&'static str, u16), Series>;

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
        let mut map = self.series.lock().expect("metrics lock");
        let by_route = match map.get_mut(route) {
            Some(r) => r,
            None => map.entry(route.to_string()).or_default(),
        };
        let s = by_route.entry((method, status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn render(&self, pool: (u32, usize)) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let map = self.series.lock().expect("metrics lock");
        let mut flat: Vec<(&str, &str, u16, &Series)> = map
            .iter()
            .flat_map(|(route, inner)| {
                inner
                    .iter()
                    .map(move |((m, st), s)| (route.as_str(), *m, *st, s))
            })
            .collect();
        flat.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        out.push_str(
            "# HELP backbone_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE backbone_http_requests_total counter\n");
        for (route, method, status, s) in &flat {
            let _ = writeln!(
                out,
                "backbone_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
                esc(route),
                s.count
            );
        }
        out.push_str("# HELP backbone_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE backbone_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(&str, &str), Series> = BTreeMap::new();
        for (route, method, _, s) in &flat {
            let t = by_route.entry((route, method)).or_default();
            t.count += s.count;
            t.sum += s.sum;
            for i in 0..BUCKETS.len() {
                t.buckets[i] += s.buckets[i];
            }
        }
        for ((route, method), s) in by_route {
            let labels = format!("route=\"{}\",method=\"{method}\"", esc(route));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "backbone_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "backbone_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "backbone_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "backbone_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        let (size, idle) = pool;
        out.push_str(
            "# HELP backbone_db_pool_connections Database connections open in the pool.\n",
        );
        out.push_str("# TYPE backbone_db_pool_connections gauge\n");
        let _ = writeln!(out, "backbone_db_pool_connections {size}");
        out.push_str("# HELP backbone_db_pool_idle Idle database connections in the pool.\n");
        out.push_str("# TYPE backbone_db_pool_idle gauge\n");
        let _ = writeln!(out, "backbone_db_pool_idle {idle}");
        out
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
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

/// 200 when the database serves a real read of real tables within 2 s; 503
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
