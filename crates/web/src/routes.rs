//! Every route with the access it needs, in one table.
//!
//! Routes are added only through [`Routes::add`], which records the method, the
//! path and the [`Access`] next to the handler. The router is built from this
//! table, and the access matrix test walks the same table: a route cannot exist
//! without a declared access, and a declared access is proven for every role.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use domain::access::Action;

use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without an account: the portal, sign-in, health, the stylesheet.
    Public,
    /// Any signed-in account; what it shows is limited to what that account may see.
    Account,
    /// Platform admins only: networks, new initiatives.
    Admin,
    /// The initiative named by `{slug}` in the path: this action on this kind
    /// of record, as `domain::access::decide` rules (see [`crate::access`]).
    Initiative(Action, &'static str),
    /// As `Initiative`, on a kind whose records may belong to an organization
    /// (see `domain::access::partner_keeps`): a partner who speaks for an
    /// organization is let through, and each record is decided with its owner
    /// (`domain::access::decide_owned`).
    Owned(Action, &'static str),
}

impl Access {
    /// The access of a route that does `action` on one record of `kind`.
    pub fn record(action: Action, kind: &'static str) -> Access {
        if domain::access::partner_keeps(action, kind) {
            Access::Owned(action, kind)
        } else {
            Access::Initiative(action, kind)
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
    pub access: Access,
}

/// The router under construction and its table.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            table: vec![],
        }
    }
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push(RouteInfo {
            method,
            path: path.to_string(),
            access,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &str,
        access: Access,
        h: H,
    ) -> Self {
        self.add(Method::GET, path, access, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &str,
        access: Access,
        h: H,
    ) -> Self {
        self.add(Method::POST, path, access, h)
    }

    /// A POST route that reads a body of up to `limit` bytes (an upload),
    /// instead of the product's default limit.
    pub fn post_with_limit<H: Handler<T, AppState>, T: 'static>(
        mut self,
        path: &str,
        access: Access,
        h: H,
        limit: usize,
    ) -> Self {
        let route = on(MethodFilter::POST, h).layer(axum::extract::DefaultBodyLimit::max(limit));
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo {
            method: Method::POST,
            path: path.to_string(),
            access,
        });
        self
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &str,
        access: Access,
        h: H,
    ) -> Self {
        self.add(Method::PUT, path, access, h)
    }

    pub fn table(&self) -> &[RouteInfo] {
        &self.table
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}
