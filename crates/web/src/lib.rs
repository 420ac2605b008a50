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

pub mod access;
pub mod agenda;
pub mod api;
pub mod cache;
pub mod error;
pub mod i18n;
pub mod imports;
pub mod input;
pub mod kinds;
pub mod measurement;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod session;

use std::sync::Arc;

use axum::Router;

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
    /// The address people reach Backbone at (`https://backbone.example.org`),
    /// for links in emails. Without it, a link made during a request uses that
    /// request's `Host`, and scheduled notifications the address served on.
    pub public_url: Option<String>,
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<ops::Metrics>,
    pub pages: Arc<cache::PageCache>,
    /// Spreadsheet imports started from the upload page.
    pub imports: Arc<pages::measurement_import::Jobs>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        Self {
            store,
            config: Arc::new(config),
            metrics: Arc::new(ops::Metrics::default()),
            pages: Arc::new(cache::PageCache::default()),
            imports: pages::measurement_import::jobs(),
        }
    }
}

/// Every route of the product with the access it needs (see [`routes`]).
pub fn route_table() -> Vec<routes::RouteInfo> {
    all_routes().into_parts().1
}

fn all_routes() -> routes::Routes {
    use domain::access::Action;
    use pages::{access, account, audit, auth, initiative, networks, portal};
    use routes::Access::{Account, Admin, Public};
    #[allow(non_snake_case)]
    let In = |action| routes::Access::Initiative(action, "initiative");
    let r = routes::Routes::default()
        .get("/", Account, initiative::dashboard)
        .get("/healthz", Public, ops::healthz)
        .get("/metrics", Public, ops::metrics)
        .get("/static/app.css", Public, ops::stylesheet)
        .get("/lang", Public, account::switch_language)
        .get("/login", Public, auth::login_form)
        .post("/login", Public, auth::login)
        .post("/logout", Account, auth::logout)
        .get("/invite/{token}", Public, auth::invitation_form)
        .post("/invite/{token}", Public, auth::accept_invitation)
        .get("/forgot", Public, auth::forgot_form)
        .post("/forgot", Public, auth::forgot)
        .get("/reset/{token}", Public, auth::reset_form)
        .post("/reset/{token}", Public, auth::reset)
        .get("/account", Account, account::show)
        .post("/account/password", Account, account::change_password)
        .post("/account/language", Account, account::set_language)
        .post("/account/tokens", Account, account::create_token)
        .post(
            "/account/tokens/{id}/revoke",
            Account,
            account::revoke_token,
        )
        .get("/networks", Account, networks::networks)
        .post("/networks", Admin, networks::create_network)
        .get("/networks/new", Admin, networks::new_network)
        .post("/networks/{id}", Admin, networks::update_network)
        .get("/networks/{id}/edit", Admin, networks::edit_network)
        .post("/networks/{id}/archive", Admin, networks::archive_network)
        .get("/networks/{id}/leads", Admin, networks::network_leads)
        .post("/networks/{id}/leads", Admin, networks::grant_network_lead)
        .post(
            "/networks/{id}/leads/revoke",
            Admin,
            networks::revoke_network_lead,
        )
        .get(
            "/networks/{id}/archive",
            Admin,
            networks::confirm_archive_network,
        )
        .post("/networks/{id}/restore", Admin, networks::restore_network)
        .post(
            "/initiatives/{slug}/restore",
            Admin,
            initiative::restore_initiative,
        )
        .get(
            "/i/{slug}/archive",
            In(Action::Archive),
            initiative::confirm_archive_initiative,
        )
        .post("/initiatives", Admin, initiative::create_initiative)
        .get("/initiatives/new", Admin, initiative::new_initiative)
        .get("/i/{slug}", In(Action::Read), initiative::home)
        .post(
            "/i/{slug}/archive",
            In(Action::Archive),
            initiative::archive_initiative,
        )
        .get(
            "/i/{slug}/edit",
            In(Action::Update),
            initiative::edit_initiative,
        )
        .post(
            "/i/{slug}/edit",
            In(Action::Update),
            initiative::update_initiative,
        )
        .get(
            "/i/{slug}/table",
            In(Action::Read),
            initiative::at_the_table,
        )
        .get("/i/{slug}/audit", In(Action::ReadAudit), audit::audit)
        .get("/i/{slug}/access", In(Action::ManageAccess), access::access)
        .post("/i/{slug}/access", In(Action::ManageAccess), access::invite)
        .post(
            "/i/{slug}/access/revoke",
            In(Action::ManageAccess),
            access::revoke,
        )
        .post(
            "/i/{slug}/invitations/{id}/withdraw",
            In(Action::ManageAccess),
            access::withdraw_invitation,
        )
        .post(
            "/i/{slug}/invitations/{id}/renew",
            In(Action::ManageAccess),
            access::renew_invitation,
        )
        .get("/i/{slug}/hsds.json", In(Action::Read), initiative::hsds)
        .get("/p/{slug}", Public, portal::redirect_slash)
        .get("/p/{slug}/", Public, portal::home);
    let r = kinds::KINDS.iter().fold(r, |r, k| (k.pages)(r));
    let r = pages::agenda::routes(r);
    let r = pages::work_plans::routes(r);
    let r = pages::measurement::routes(r);
    let r = pages::measurement_import::routes(r);
    let r = pages::network_measurement::routes(r);
    let r = pages::surveys::routes(r);
    let r = pages::funding::routes(r);
    let r = pages::funding_transitions::routes(r);
    let r = pages::fund::routes(r);
    let r = pages::meetings::routes(r);
    let r = pages::meeting_room::routes(r);
    let r = pages::decisions::routes(r);
    let r = pages::mail::routes(r);
    let r = pages::portal_meetings::routes(r);
    let r = pages::cases::routes(r);
    let r = pages::cases_import::routes(r);
    let r = pages::case_conference::routes(r);
    let r = pages::referrals::routes(r);
    let r = pages::portal_cases::routes(r);
    let r = pages::users::routes(r);
    api::routes(r)
}

/// Every route of the product.
pub fn router(state: AppState) -> Router {
    let (r, _) = all_routes().into_parts();
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
        .route("/metrics", axum::routing::get(ops::metrics_open))
        .with_state(state)
}
