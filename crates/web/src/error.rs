//! One error type that knows HTTP.
//!
//! The JSON API answers `{ "error": code, "message": …, "fields": {…} }` with the
//! right status. Pages return the same error; [`crate::pages::error_pages`] turns
//! it into a translated HTML page. Internal details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use domain::validation::FieldErrors;
use store::StoreError;

#[derive(Debug, Clone)]
pub enum AppError {
    /// Not signed in: pages redirect to the login form, the API answers 401.
    Unauthorized {
        next: String,
    },
    Forbidden,
    NotFound,
    Conflict {
        current: serde_json::Value,
    },
    Invalid(FieldErrors),
    BadRequest(String),
    TooManyRequests,
    TooLarge,
    Internal,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable snake_case code, translated by the UI (`error-{code}`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized { .. } => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooManyRequests => "too_many_requests",
            AppError::TooLarge => "too_large",
            AppError::Internal => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::Unauthorized { .. } => {
                "sign in first: a session or a bearer token is required".into()
            }
            AppError::Forbidden => "you may not do this".into(),
            AppError::NotFound => "no such resource".into(),
            AppError::Conflict { .. } => {
                "the record was changed by someone else since you read it; nothing was saved".into()
            }
            AppError::Invalid(e) => {
                let names: Vec<&str> = e.0.keys().map(String::as_str).collect();
                format!("invalid input in: {}", names.join(", "))
            }
            AppError::BadRequest(m) => m.clone(),
            AppError::TooManyRequests => "too many attempts; wait a few minutes".into(),
            AppError::TooLarge => "the request body is larger than 1 MiB".into(),
            AppError::Internal => "internal error".into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { current } => AppError::Conflict { current },
            StoreError::Invalid(f) => AppError::Invalid(f),
            StoreError::Database(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        }
    }
}

/// The JSON form, used by the API.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code(), "message": self.message() });
        match &self {
            AppError::Invalid(f) => {
                body["fields"] = json!(
                    f.0.iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.message.clone())))
                        .collect::<serde_json::Map<_, _>>()
                );
                let existing: serde_json::Map<_, _> =
                    f.0.iter()
                        .filter_map(|(k, v)| Some((k.clone(), json!(v.existing.as_ref()?))))
                        .collect();
                if !existing.is_empty() {
                    body["existing"] = existing.into();
                }
            }
            AppError::Conflict { current } => body["current"] = current.clone(),
            _ => {}
        }
        let mut res = (self.status(), Json(body)).into_response();
        if matches!(self, AppError::Unauthorized { .. }) {
            res.headers_mut()
                .insert("www-authenticate", "Bearer".parse().expect("static header"));
        }
        res
    }
}

/// The HTML form, used by pages: an empty response carrying the error, which the
/// `error_pages` middleware renders in the visitor's language.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Unauthorized { next } = &self.0 {
            let to = format!("/login?next={}", urlencode(next));
            return Redirect::to(&to).into_response();
        }
        let mut res = self.0.status().into_response();
        res.extensions_mut().insert(self.0);
        res
    }
}

pub type PageResult = Result<Response, PageError>;
pub type ApiResult<T> = Result<T, AppError>;

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
