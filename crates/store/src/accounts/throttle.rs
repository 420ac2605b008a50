//! Login throttling: how many password checks a client address and an account
//! may cost in [`THROTTLE_MINUTES`].
//!
//! Each key (client address, account) has one counter row. An attempt first
//! *reserves* a slot with a single conditional `UPDATE` — it succeeds only while
//! the counter is under the limit (or its window has passed) — and only then is
//! the password checked; a correct password gives its slots back. Because the
//! reservation is one statement, parallel attempts cannot all slip past the
//! check: at most the limit is ever verified, on SQLite and PostgreSQL alike.
//! Keys are stored as SHA-256 hashes, so the table holds no emails or addresses.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{CaseStatement, Cond, Expr, ExprTrait, OnConflict, Query};

use crate::{Result, Store};

use super::{
    MAX_ACCOUNT_FAILURES, MAX_LOGIN_FAILURES, THROTTLE_MINUTES, User, a, sha256_hex,
    verify_password,
};

/// What became of a sign-in attempt.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// The password is right.
    Success(User),
    /// Unknown email, disabled account or wrong password (indistinguishable).
    Wrong,
    /// Too many attempts lately: the password was not checked.
    Throttled,
}

/// The throttling key of a client address: an IPv4 address as it is, an IPv6
/// address by its /64 network (one subscriber usually holds a whole /64).
pub fn client_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

impl Store {
    /// Reserve one attempt under `key`: `true` when the key had fewer than
    /// `limit` attempts in the current window (now counted), `false` when it is
    /// throttled (nothing changes). Atomic on both engines.
    pub async fn reserve_attempt(&self, key: &str, limit: i64) -> Result<bool> {
        let hash = sha256_hex(key);
        let now = crate::now();
        let cutoff = now - Duration::minutes(THROTTLE_MINUTES);
        self.db
            .execute(
                &Query::insert()
                    .into_table(a("login_throttle"))
                    .columns([a("key_hash"), a("window_start"), a("attempts")])
                    .values_panic([hash.as_str().into(), now.into(), 0i64.into()])
                    .on_conflict(OnConflict::column(a("key_hash")).do_nothing().to_owned())
                    .to_owned(),
            )
            .await?;
        let stale = || Expr::col(a("window_start")).lte(cutoff);
        let res = self
            .db
            .execute(
                &Query::update()
                    .table(a("login_throttle"))
                    .value(
                        a("attempts"),
                        CaseStatement::new()
                            .case(stale(), 1i64)
                            .finally(Expr::col(a("attempts")).add(1i64)),
                    )
                    .value(
                        a("window_start"),
                        CaseStatement::new()
                            .case(stale(), now)
                            .finally(Expr::col(a("window_start"))),
                    )
                    .cond_where(
                        Cond::all()
                            .add(Expr::col(a("key_hash")).eq(hash.as_str()))
                            .add(
                                Cond::any()
                                    .add(stale())
                                    .add(Expr::col(a("attempts")).lt(limit)),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Give back an attempt reserved under `key` (the password was right, or it
    /// was never checked).
    pub async fn release_attempt(&self, key: &str) -> Result<()> {
        self.db
            .execute(
                &Query::update()
                    .table(a("login_throttle"))
                    .value(a("attempts"), Expr::col(a("attempts")).sub(1i64))
                    .and_where(Expr::col(a("key_hash")).eq(sha256_hex(key)))
                    .and_where(Expr::col(a("attempts")).gt(0i64))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Sign in with email and password from a client address, throttled.
    ///
    /// Limits: [`MAX_LOGIN_FAILURES`] per client address (strict, whatever the
    /// account) and [`MAX_ACCOUNT_FAILURES`] per account — the latter skipped for
    /// a browser presenting a valid known-device mark for this account (see
    /// [`super::SigningKey::new_device_mark`]), so attempts from elsewhere never
    /// lock the owner out of a browser they have used before. Slots are reserved
    /// before argon2 runs; an unknown email is checked against a dummy hash and
    /// counted like any other.
    pub async fn attempt_login(
        &self,
        email: &str,
        password: &str,
        client_ip: &str,
        device_mark: Option<&str>,
    ) -> Result<LoginOutcome> {
        let email = email.trim().to_lowercase();
        let found = self.login_row(&email).await?;
        let known_device = match (&found, device_mark) {
            (Some((user, _)), Some(mark)) => {
                self.signing_key().await?.device_mark_valid(mark, user.id)
            }
            _ => false,
        };
        let mut keys = vec![(format!("ip:{}", client_key(client_ip)), MAX_LOGIN_FAILURES)];
        if !known_device {
            keys.push((format!("account:{email}"), MAX_ACCOUNT_FAILURES));
        }
        let mut taken: Vec<&str> = vec![];
        for (key, limit) in &keys {
            if !self.reserve_attempt(key, *limit).await? {
                for k in taken {
                    self.release_attempt(k).await?;
                }
                return Ok(LoginOutcome::Throttled);
            }
            taken.push(key);
        }
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, None),
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
            .await
            .expect("verify task");
        match user {
            Some(user) if ok => {
                for k in taken {
                    self.release_attempt(k).await?;
                }
                Ok(LoginOutcome::Success(user))
            }
            _ => Ok(LoginOutcome::Wrong),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn ipv6_clients_are_counted_by_network() {
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1"),
            client_key("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("unknown"), "unknown");
    }
}
