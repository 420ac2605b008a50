//! Users, sessions, API tokens, role grants, invitations and login throttling.
//!
//! Secrets are stored only as hashes: passwords with argon2id, session ids,
//! API tokens and invitation links with SHA-256 (they are long random values, so a
//! fast hash is enough and lets us look them up by hash). Sessions live in the
//! database so they survive restarts and work across several server processes.

mod grants;
mod invitations;
mod sessions;
mod throttle;
mod tokens;
mod users;

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::QueryResult;
use sea_orm::sea_query::Alias;
use serde::Serialize;
use sha2::{Digest, Sha256};

use domain::access::Role;
use domain::validation::FieldErrors;

use crate::Result;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// How long a browser session lasts without logging in again.
pub const SESSION_DAYS: i64 = 14;
/// How long an invitation or setup link stays valid.
pub const INVITATION_DAYS: i64 = 7;
/// Failed logins allowed per account and per client address in [`THROTTLE_MINUTES`].
pub const MAX_LOGIN_FAILURES: i64 = 5;
pub const THROTTLE_MINUTES: i64 = 15;
pub const MIN_PASSWORD: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub language: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub initiative_id: Option<i64>,
    pub role: Option<Role>,
    pub admin: bool,
    pub created_by: Option<i64>,
    pub expires_at: DateTime<Utc>,
}

/// A new random secret: 32 bytes as 64 hex characters.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters")
        .to_string()
}

fn verify_hash(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password is at least [`MIN_PASSWORD`] characters and at most 1,000.
pub fn check_password(field: &str, password: &str) -> Result<(), FieldErrors> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        Err(FieldErrors::single(
            field,
            "password_too_short",
            format!("{field} must be at least {MIN_PASSWORD} characters"),
        ))
    } else if n > 1000 {
        Err(FieldErrors::single(
            field,
            "too_long",
            format!("{field} must be at most 1000 characters"),
        ))
    } else {
        Ok(())
    }
}

fn user_columns() -> [Alias; 5] {
    [
        a("id"),
        a("email"),
        a("display_name"),
        a("is_admin"),
        a("language"),
    ]
}

fn read_user(r: &QueryResult, prefix: &str) -> Result<User> {
    Ok(User {
        id: r.try_get(prefix, "id")?,
        email: r.try_get(prefix, "email")?,
        display_name: r.try_get(prefix, "display_name")?,
        is_admin: r.try_get(prefix, "is_admin")?,
        language: r.try_get(prefix, "language")?,
    })
}
