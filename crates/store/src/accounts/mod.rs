//! Users, sessions, API tokens, role grants, invitations and login throttling.
//!
//! Secrets are stored only as hashes: passwords with argon2id, session ids,
//! API tokens and invitation links with SHA-256 (they are long random values, so a
//! fast hash is enough and lets us look them up by hash). Sessions live in the
//! database so they survive restarts and work across several server processes.
//!
//! - users: accounts, passwords, disabling.
//! - resets: one-time password reset links, sign-in times, the list of users.
//! - sessions, API tokens, role grants, invitations: one module each.
//! - throttle: how many sign-in attempts are checked, reserved atomically.
//! - signing: the server's HMAC key (in the database) and what it signs.

mod grants;
mod invitations;
mod resets;
mod sessions;
mod signing;
mod throttle;
mod tokens;
mod users;

pub use resets::{MAX_RESET_REQUESTS_PER_ACCOUNT, ResetRequest, UserOverview};
pub use signing::SigningKey;
pub use throttle::{LoginOutcome, client_key};

/// For the demo, which creates its participants' accounts in its own transaction.
pub(crate) use grants::grant_role_in;
pub(crate) use users::{insert_user_in, prepare_user};

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
/// How long a password reset link stays valid (it also works only once).
pub const RESET_HOURS: i64 = 2;
/// Password checks allowed per client address in [`THROTTLE_MINUTES`] (failed
/// ones; a success gives its slot back).
pub const MAX_LOGIN_FAILURES: i64 = 5;
/// Password checks allowed per account in [`THROTTLE_MINUTES`] from browsers that
/// have not signed in to it before. Much higher than the per-address limit, so
/// that guessing from many addresses is slowed without locking the owner out; a
/// browser holding a known-device mark for the account is not counted here.
pub const MAX_ACCOUNT_FAILURES: i64 = 50;
pub const THROTTLE_MINUTES: i64 = 15;
/// An API token's `last_used_at` is written at most this often.
pub const TOKEN_TOUCH_SECONDS: i64 = 60;
/// Used or expired invitations and old throttle rows are pruned after this many days.
pub const PRUNE_AFTER_DAYS: i64 = 30;
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
    /// Written on use, at most once a minute ([`TOKEN_TOUCH_SECONDS`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// After this the token is refused; `None`: it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn expired(&self) -> bool {
        self.expires_at.is_some_and(|e| e <= crate::now().get())
    }
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
    /// The organization the invitee will speak for (a partner's).
    pub organization_id: Option<i64>,
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

/// How many passwords this process has checked with argon2 (for tests and
/// metrics: every sign-in attempt that is not throttled adds one, whether or not
/// the email is known).
pub fn password_verifications() -> u64 {
    VERIFICATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An argon2 hash made with the same parameters as real ones, checked when the
/// email is unknown (or the account has no password) so that the answer takes
/// as long as for a known account.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password"))
}

/// Check a password against a stored hash, or against [`dummy_hash`] when there
/// is none: both paths cost one argon2 verification. Blocking; run it on a
/// blocking thread.
fn verify_password(password: &str, hash: Option<&str>) -> bool {
    VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match hash {
        Some(h) => verify_hash(password, h),
        None => {
            let _ = verify_hash(password, dummy_hash());
            false
        }
    }
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

/// What [`Store::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub sessions: u64,
    pub login_failures: u64,
    pub throttle_counters: u64,
    pub invitations: u64,
}

impl crate::Store {
    /// Delete what is no longer needed: expired sessions, throttle rows whose
    /// window has passed, and invitations used or expired more than
    /// [`PRUNE_AFTER_DAYS`] ago. Cheap indexed DELETEs; `serve` runs it hourly.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<Pruned> {
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::{Cond, Expr, ExprTrait, Query};
        let window = now - chrono::Duration::minutes(THROTTLE_MINUTES);
        let old = now - chrono::Duration::days(PRUNE_AFTER_DAYS);
        let del = |table: &str, cond: Cond| {
            Query::delete()
                .from_table(a(table))
                .cond_where(cond)
                .to_owned()
        };
        let sessions = del(
            "sessions",
            Cond::all().add(Expr::col(a("expires_at")).lte(now)),
        );
        let failures = del(
            "login_failures",
            Cond::all().add(Expr::col(a("at")).lte(window)),
        );
        let throttle = del(
            "login_throttle",
            Cond::all().add(Expr::col(a("window_start")).lte(window)),
        );
        let invitations = del(
            "invitations",
            Cond::any()
                .add(Expr::col(a("accepted_at")).lte(old))
                .add(Expr::col(a("expires_at")).lte(old)),
        );
        Ok(Pruned {
            sessions: self.db.execute(&sessions).await?.rows_affected(),
            login_failures: self.db.execute(&failures).await?.rows_affected(),
            throttle_counters: self.db.execute(&throttle).await?.rows_affected(),
            invitations: self.db.execute(&invitations).await?.rows_affected(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown email costs the same as a known one: the dummy hash has the
    /// parameters of a real hash, and checking against "no hash" runs argon2.
    #[test]
    fn unknown_accounts_still_run_argon2() {
        use argon2::password_hash::PasswordHash;
        let real = hash_password("a real password here");
        let (r, d) = (
            PasswordHash::new(&real).unwrap(),
            PasswordHash::new(dummy_hash()).unwrap(),
        );
        assert_eq!(r.algorithm, d.algorithm);
        assert_eq!(r.version, d.version);
        assert_eq!(
            r.params.iter().collect::<Vec<_>>(),
            d.params.iter().collect::<Vec<_>>()
        );
        let before = password_verifications();
        assert!(!verify_password("no account has this password", None));
        assert!(verify_password("a real password here", Some(&real)));
        assert!(!verify_password("a wrong password here", Some(&real)));
        assert!(password_verifications() >= before + 3);
    }
}
