//! Who is asking: the session cookie, the language, CSRF protection.
//!
//! Browser sessions are server-side rows keyed by the SHA-256 of a random cookie
//! value. Every state-changing form carries the session's CSRF token in `_csrf`;
//! forms shown before login (login, accepting an invitation) use a double-submit
//! token in a short-lived cookie instead, issued by the server: a random nonce
//! signed with the server's key (HMAC-SHA256, see `store::accounts::SigningKey`),
//! so a value a client makes up is refused.

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use store::Store;
use store::accounts::{Session, User};

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{self, Tr};

pub const SESSION_COOKIE: &str = "bb_session";
pub const PRE_CSRF_COOKIE: &str = "bb_pre";
pub const LANG_COOKIE: &str = "lang";
/// A browser that has signed in to an account before (signed by the server):
/// lets its owner past the per-account sign-in limit, never past the per-address one.
pub const DEVICE_COOKIE: &str = "bb_device";

/// The value of a cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure behind TLS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The language this request asks for: the `lang` cookie, then a language
/// of `Accept-Language` the interface speaks.
pub fn asked_language(headers: &HeaderMap) -> Option<&'static str> {
    cookie(headers, LANG_COOKIE)
        .and_then(i18n::supported)
        .or_else(|| {
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(i18n::from_accept_language)
        })
}

/// The language of this request: the one it asks for, else English.
pub fn language(headers: &HeaderMap) -> Tr {
    Tr::new(asked_language(headers).unwrap_or("en"))
}

/// The language a published portal opens in for a visitor who asks for none
/// the interface speaks: the first of the initiative's languages that it
/// speaks. `None` for anything but a published portal.
async fn portal_language(state: &AppState, path: &str) -> Option<&'static str> {
    let slug = path.strip_prefix("/p/")?.split('/').next()?;
    if !domain::validation::is_slug(slug) {
        return None;
    }
    let i = state.store.initiative_by_slug(slug).await.ok()?;
    if !i.data.public {
        return None;
    }
    i.data.languages.split(',').find_map(i18n::supported)
}

/// Everything a page handler needs to know about the request.
pub struct Ctx {
    pub tr: Tr,
    pub session: Option<Session>,
    /// Path and query, to come back to after signing in.
    pub path: String,
    pub secure: bool,
    /// The double-submit cookie of pre-login forms, when the browser sent one.
    pre_cookie: Option<String>,
    pre_csrf: std::sync::OnceLock<(String, bool)>,
    /// On `/i/{slug}/…` pages: the initiative and the user's grants, read in the
    /// same query as the session.
    pub initiative: Option<store::partnership::InitiativeView>,
}

impl Ctx {
    /// The signed-in user, or a redirect to the login form.
    pub fn user(&self) -> Result<&User, AppError> {
        self.session
            .as_ref()
            .map(|s| &s.user)
            .ok_or_else(|| AppError::Unauthorized {
                next: self.path.clone(),
            })
    }

    /// The double-submit token for pre-login forms, and whether it is new (then
    /// the response must set the cookie). The browser's cookie is kept only when
    /// this server signed it. Made only when a page asks for it.
    pub async fn pre_csrf(&self, store: &Store) -> Result<&(String, bool), AppError> {
        if let Some(v) = self.pre_csrf.get() {
            return Ok(v);
        }
        let key = store.signing_key().await?;
        let v = match &self.pre_cookie {
            Some(c) if key.form_token_valid(c) => (c.clone(), false),
            _ => (key.new_form_token(), true),
        };
        Ok(self.pre_csrf.get_or_init(|| v))
    }

    /// Refuse a pre-login form unless its `_csrf` equals a cookie this server issued.
    pub async fn check_pre_csrf(
        &self,
        store: &Store,
        submitted: Option<&str>,
    ) -> Result<(), AppError> {
        let (token, new) = self.pre_csrf(store).await?;
        match submitted {
            Some(s) if !*new && constant_time_eq(s.as_bytes(), token.as_bytes()) => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }

    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or("")
    }

    /// Refuse a state-changing form whose `_csrf` is not this session's token.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<&User, AppError> {
        let user = self.user()?;
        let expected = self.csrf();
        match submitted {
            Some(s)
                if !expected.is_empty() && constant_time_eq(s.as_bytes(), expected.as_bytes()) =>
            {
                Ok(user)
            }
            _ => Err(AppError::Forbidden),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn is_secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

impl<S> FromRequestParts<S> for Ctx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let slug = parts
            .uri
            .path()
            .strip_prefix("/i/")
            .and_then(|rest| rest.split('/').next())
            .filter(|s| !s.is_empty());
        let (session, initiative) = match (cookie(&parts.headers, SESSION_COOKIE), slug) {
            (Some(secret), Some(slug)) => match state.store.session_view(secret, slug).await? {
                Some((s, view)) => (Some(s), view),
                None => (None, None),
            },
            (Some(secret), None) => (state.store.session(secret).await?, None),
            (None, _) => (None, None),
        };
        let pre_cookie = cookie(&parts.headers, PRE_CSRF_COOKIE)
            .filter(|v| !v.is_empty() && v.len() <= 200)
            .map(str::to_string);
        let tr = match asked_language(&parts.headers) {
            Some(code) => Tr::new(code),
            None => Tr::new(
                portal_language(&state, parts.uri.path())
                    .await
                    .unwrap_or("en"),
            ),
        };
        Ok(Ctx {
            tr,
            session,
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            secure: is_secure(&state, &parts.headers),
            pre_cookie,
            pre_csrf: std::sync::OnceLock::new(),
            initiative,
        })
    }
}

/// The client's socket address, when the server was started with connect info.
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The caller of a JSON API request: a bearer token, or a browser session (which
/// must then send its CSRF token in `X-CSRF-Token` for anything but a read).
pub struct ApiCaller {
    pub user: User,
}

impl<S> FromRequestParts<S> for ApiCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let unauthorized = || AppError::Unauthorized {
            next: String::new(),
        };
        if let Some(auth) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(unauthorized)?;
            let user = state
                .store
                .api_token_user(token.trim())
                .await?
                .ok_or_else(unauthorized)?;
            return Ok(ApiCaller { user });
        }
        let secret = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
        let session = state
            .store
            .session(secret)
            .await?
            .ok_or_else(unauthorized)?;
        let safe = matches!(parts.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(AppError::Forbidden);
            }
        }
        Ok(ApiCaller { user: session.user })
    }
}

impl<S> OptionalFromRequestParts<S> for ApiCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <ApiCaller as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(c) => Ok(Some(c)),
            Err(AppError::Unauthorized { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
