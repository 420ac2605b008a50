//! Backbone's HTTP face: server-rendered pages, the public portal, the JSON API
//! and its OpenAPI document, and the operational endpoints.
//!
//! Handlers are thin: extract → authorize → call `store` (rules live in `domain`)
//! → render. Every route is registered in [`router`], in one place.
//!
//! Layout:
//! - [`i18n`]: Fluent bundles for English, Spanish and Hebrew (right-to-left).
//! - [`session`]: cookies, the signed-in user, CSRF tokens.
//! - [`kinds`]: how each kind of partnership record is shown and edited.
//! - [`pages`]: HTML pages; [`api`]: `/api/v1` and `/api/openapi.json`.
//! - [`ops`]: `/healthz`, `/metrics`, security headers, request metrics.

pub mod api;
pub mod cache;
pub mod error;
pub mod i18n;
pub mod input;
pub mod kinds;
pub mod ops;
pub mod pages;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use store::Store;

/// Settings the web layer needs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Mark cookies `Secure` (set when Backbone is served over TLS, e.g. behind a
    /// proxy). Requests that arrive with `X-Forwarded-Proto: https` get it anyway.
    pub secure_cookies: bool,
    /// Backbone runs behind a reverse proxy that appends the client's address to
    /// `X-Forwarded-For`; login throttling then uses the right-most address.
    /// Off by default: a client could otherwise choose its own address.
    pub trust_proxy: bool,
    /// `/metrics` answers only requests carrying `Authorization: Bearer` with this
    /// token. Without it (and on the main address) `/metrics` is a 404; see
    /// [`metrics_router`] for serving it on an address of its own.
    pub metrics_token: Option<String>,
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<ops::Metrics>,
    pub pages: Arc<cache::PageCache>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        Self {
            store,
            config: Arc::new(config),
            metrics: Arc::new(ops::Metrics::default()),
            pages: Arc::new(cache::PageCache::default()),
        }
    }
}

/// Every route of the product.
pub fn router(state: AppState) -> Router {
    use pages::{account, auth, initiative, portal, records};
    let mut r = Router::new()
        .route("/", get(initiative::dashboard))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/static/app.css", get(ops::stylesheet))
        .route("/lang", get(account::switch_language))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/invite/{token}",
            get(auth::invitation_form).post(auth::accept_invitation),
        )
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/language", post(account::set_language))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/networks",
            get(initiative::networks).post(initiative::create_network),
        )
        .route("/networks/new", get(initiative::new_network))
        .route("/networks/{id}", post(initiative::update_network))
        .route("/networks/{id}/edit", get(initiative::edit_network))
        .route("/networks/{id}/archive", post(initiative::archive_network))
        .route("/i/{slug}/archive", post(initiative::archive_initiative))
        .route("/initiatives", post(initiative::create_initiative))
        .route("/initiatives/new", get(initiative::new_initiative))
        .route("/i/{slug}", get(initiative::home))
        .route(
            "/i/{slug}/edit",
            get(initiative::edit_initiative).post(initiative::update_initiative),
        )
        .route("/i/{slug}/table", get(initiative::at_the_table))
        .route("/i/{slug}/audit", get(initiative::audit))
        .route(
            "/i/{slug}/access",
            get(initiative::access).post(initiative::invite),
        )
        .route("/i/{slug}/access/revoke", post(initiative::revoke))
        .route(
            "/i/{slug}/invitations/{id}/withdraw",
            post(initiative::withdraw_invitation),
        )
        .route("/i/{slug}/hsds.json", get(initiative::hsds))
        .route("/p/{slug}", get(portal::redirect_slash))
        .route("/p/{slug}/", get(portal::home));
    r = records::routes::<domain::partnership::Organization>(r);
    r = records::routes::<domain::partnership::Person>(r);
    r = records::routes::<domain::partnership::Body>(r);
    r = records::routes::<domain::partnership::Membership>(r);
    r = records::routes::<domain::partnership::Location>(r);
    r = records::routes::<domain::partnership::Service>(r);
    r = records::routes::<domain::partnership::Fact>(r);
    r = records::routes::<domain::partnership::StageReached>(r);
    r = api::routes(r);
    // Layers run outside in: the last added sees the request first.
    r.fallback(pages::not_found)
        .layer(axum::middleware::from_fn(input::refuse_control_characters))
        .layer(axum::middleware::from_fn(pages::error_pages))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(input::BODY_LIMIT))
        .with_state(state)
}

/// `/metrics` alone, without a token, for a listen address of its own
/// (`--metrics-addr`, e.g. reachable only from the monitoring network).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics_open))
        .with_state(state)
}
