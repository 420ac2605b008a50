//! Hostile input is refused at the door, before it reaches a handler or the
//! database, the same way on both engines.
//!
//! - A path or query string that decodes to a control character (`%00`, `%0A`,
//!   `%7F`, …) is a **400**: no slug, id or query value of Backbone contains one,
//!   and PostgreSQL cannot even store a NUL byte in text.
//! - A form field or JSON string value holding a NUL byte is a **422** naming the
//!   field. Other control characters in bodies are judged by the field's own
//!   rules (`domain::validation`): line breaks are fine in a description.
//!
//! Both answer in the format of where they were sent: JSON under `/api/`, a
//! translated HTML page elsewhere (see [`crate::pages::error_pages`]).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use domain::validation::FieldErrors;

use crate::error::{AppError, PageError};

/// The largest body Backbone reads (also the extractors' limit).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Whether a path belongs to the JSON API (errors answer in JSON).
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Decode `%XX` escapes (and `+` in query strings) into bytes.
fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether URL text decodes to a control character.
pub fn has_control(s: &str, plus_is_space: bool) -> bool {
    if !s.contains('%') && !s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false; // the common case costs one scan
    }
    String::from_utf8_lossy(&percent_decode(s, plus_is_space))
        .chars()
        .any(char::is_control)
}

fn refuse(api: bool, e: AppError) -> Response {
    if api {
        e.into_response()
    } else {
        PageError(e).into_response()
    }
}

/// Refuse control characters in the path and query, and NUL bytes in form and
/// JSON bodies.
pub async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    if has_control(req.uri().path(), false) {
        return refuse(
            api,
            AppError::BadRequest("the path contains control characters".into()),
        );
    }
    if let Some(q) = req.uri().query()
        && has_control(q, true)
    {
        return refuse(
            api,
            AppError::BadRequest("the query string contains control characters".into()),
        );
    }
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(req).await;
    }
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let json = ct.starts_with("application/json") || ct.contains("+json");
    if !form && !json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return refuse(api, AppError::TooLarge),
    };
    let field = if form {
        nul_in_form(&bytes)
    } else {
        nul_in_json(&bytes)
    };
    if let Some(field) = field {
        let name = if field.chars().any(char::is_control) {
            "(field name)".to_string()
        } else {
            field
        };
        return refuse(
            api,
            AppError::Invalid(FieldErrors::single(
                &name,
                "invalid_characters",
                format!("{name} contains a NUL character"),
            )),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The first form field whose name or value holds a NUL byte.
fn nul_in_form(bytes: &[u8]) -> Option<String> {
    if !bytes.contains(&0) && !bytes.windows(3).any(|w| w == b"%00") {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs
        .into_iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k)
}

/// The first top-level member of a JSON body whose name or (nested) string
/// values hold a NUL character. JSON can only carry one as the `\u0000` escape.
fn nul_in_json(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return None;
    }
    fn has_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(has_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(bytes).ok()? {
        serde_json::Value::Object(o) => o
            .iter()
            .find(|(k, v)| k.contains('\0') || has_nul(v))
            .map(|(k, _)| k.clone()),
        v if has_nul(&v) => Some("body".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_after_decoding() {
        assert!(has_control("/p/%00/", false));
        assert!(has_control("/api/v1/initiatives/%0a", false));
        assert!(has_control("kind=%7F", true));
        assert!(has_control("kind=%C2%85", true), "C1 control");
        assert!(!has_control("/p/kiryat-malachi/", false));
        assert!(!has_control("page=2&per_page=10", true));
        assert!(!has_control("q=caf%C3%A9+au+lait", true));
        assert!(!has_control("x=%", true));
        assert!(!has_control("x=%0", true));
        assert!(!has_control("x=%zz", true));
    }

    #[test]
    fn nul_bytes_in_bodies_name_their_field() {
        assert_eq!(nul_in_form(b"_csrf=a&name=x%00y"), Some("name".into()));
        assert_eq!(nul_in_form(b"name=ok&note=fine"), None);
        assert_eq!(
            nul_in_json(br#"{"name":"ok","sector":"a\u0000b"}"#),
            Some("sector".into())
        );
        assert_eq!(
            nul_in_json(br#"{"name":"a\\u0000b"}"#),
            None,
            "an escaped backslash"
        );
        assert_eq!(nul_in_json(br#"{"name":"ok"}"#), None);
    }
}
