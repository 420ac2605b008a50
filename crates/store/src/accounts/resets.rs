//! Password resets: one-time links that set a new password, sent to the
//! account's address or issued by an admin, valid for [`RESET_HOURS`].
//!
//! A link is stored by the SHA-256 of its secret. Using it sets the password,
//! ends every session of the account and revokes its API tokens (whoever held
//! the old password is out), and marks the link used, in one transaction; a
//! newer link for the same account voids the older ones.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};

use crate::{Result, Store, StoreError, audit};

use super::tokens::revoke_all_tokens_in;
use super::{
    MAX_LOGIN_FAILURES, RESET_HOURS, User, a, check_password, client_key, hash_password,
    new_secret, read_user, sha256_hex, user_columns,
};

/// Reset requests per account in the throttling window, whoever asks: an
/// address's inbox is not flooded by strangers.
pub const MAX_RESET_REQUESTS_PER_ACCOUNT: i64 = 3;

/// What became of a request for a reset link by email.
#[derive(Debug, Clone)]
pub enum ResetRequest {
    /// A live account has this address: here is the link's secret to send it.
    /// The caller answers exactly as for [`ResetRequest::Nothing`].
    Send(User, String),
    /// No live account has this address (or it was asked for too often):
    /// nothing to send, and nothing to tell.
    Nothing,
    /// Too many requests from this client address lately.
    Throttled,
}

/// An account's sign-in facts, for the admin's list of users.
#[derive(Debug, Clone)]
pub struct UserOverview {
    pub user: User,
    pub disabled_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// (initiative slug, initiative name, role) of every role the account holds.
    pub roles: Vec<(String, String, domain::access::Role)>,
}

impl Store {
    /// A one-time link to set a new password for a live (not disabled)
    /// account; `actor` is the admin who issued it (`None`: asked for by
    /// email). Earlier links of the account stop working. Returns the secret.
    pub async fn create_password_reset(&self, actor: Option<i64>, user_id: i64) -> Result<String> {
        let secret = new_secret();
        let now = crate::now();
        let txn = self.write_txn().await?;
        let live = crate::records::count(
            &txn,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("users"))
                .and_where(Expr::col(a("id")).eq(user_id))
                .and_where(Expr::col(a("disabled_at")).is_null())
                .to_owned(),
        )
        .await?;
        if live == 0 {
            return Err(StoreError::NotFound);
        }
        // Used and expired links of the account go; open ones are voided.
        txn.execute(
            &Query::delete()
                .from_table(a("password_resets"))
                .and_where(Expr::col(a("user_id")).eq(user_id))
                .cond_where(
                    Cond::any()
                        .add(Expr::col(a("used_at")).is_not_null())
                        .add(Expr::col(a("expires_at")).lte(now)),
                )
                .to_owned(),
        )
        .await?;
        txn.execute(
            &Query::update()
                .table(a("password_resets"))
                .value(a("expires_at"), now)
                .and_where(Expr::col(a("user_id")).eq(user_id))
                .and_where(Expr::col(a("used_at")).is_null())
                .to_owned(),
        )
        .await?;
        txn.execute(
            &Query::insert()
                .into_table(a("password_resets"))
                .columns([
                    a("user_id"),
                    a("token_hash"),
                    a("created_by"),
                    a("created_at"),
                    a("expires_at"),
                ])
                .values_panic([
                    user_id.into(),
                    sha256_hex(&secret).into(),
                    actor.into(),
                    now.into(),
                    (now + Duration::hours(RESET_HOURS)).into(),
                ])
                .to_owned(),
        )
        .await?;
        let after = serde_json::json!({ "by_admin": actor.is_some() });
        audit::append(
            &txn,
            actor,
            None,
            "user",
            user_id,
            "reset_link",
            None::<&()>,
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(secret)
    }

    /// Someone asks for a reset link by email from `client_ip`. Throttled per
    /// client address like sign-in ([`MAX_LOGIN_FAILURES`] in the window), and
    /// per address asked for; an unknown or disabled address costs the same
    /// slots and yields [`ResetRequest::Nothing`].
    pub async fn request_password_reset(
        &self,
        email: &str,
        client_ip: &str,
    ) -> Result<ResetRequest> {
        let email = email.trim().to_lowercase();
        let ip_key = format!("reset-ip:{}", client_key(client_ip));
        if !self.reserve_attempt(&ip_key, MAX_LOGIN_FAILURES).await? {
            return Ok(ResetRequest::Throttled);
        }
        let account_key = format!("reset-account:{email}");
        if !self
            .reserve_attempt(&account_key, MAX_RESET_REQUESTS_PER_ACCOUNT)
            .await?
        {
            return Ok(ResetRequest::Nothing);
        }
        let Some((user, _)) = self.login_row(&email).await? else {
            return Ok(ResetRequest::Nothing);
        };
        let secret = self.create_password_reset(None, user.id).await?;
        Ok(ResetRequest::Send(user, secret))
    }

    /// The account a live (unused, unexpired) reset link is for.
    pub async fn password_reset(&self, secret: &str) -> Result<Option<User>> {
        let q = Query::select()
            .columns(user_columns().map(|c| (a("users"), c)))
            .from(a("password_resets"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("password_resets"), a("user_id"))),
            )
            .and_where(Expr::col((a("password_resets"), a("token_hash"))).eq(sha256_hex(secret)))
            .and_where(Expr::col((a("password_resets"), a("used_at"))).is_null())
            .and_where(Expr::col((a("password_resets"), a("expires_at"))).gt(crate::now()))
            .and_where(Expr::col((a("users"), a("disabled_at"))).is_null())
            .to_owned();
        self.db
            .query_one(&q)
            .await?
            .map(|r| read_user(&r, ""))
            .transpose()
    }

    /// Set a new password with a reset link. The link is claimed atomically
    /// (it works once, even when posted twice at the same moment); every
    /// session of the account ends and its API tokens are revoked.
    pub async fn use_password_reset(&self, secret: &str, password: &str) -> Result<User> {
        let user = self
            .password_reset(secret)
            .await?
            .ok_or(StoreError::NotFound)?;
        check_password("password", password).map_err(StoreError::Invalid)?;
        let p = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&p))
            .await
            .expect("hashing task");
        let now = crate::now();
        let txn = self.write_txn().await?;
        let claimed = txn
            .execute(
                &Query::update()
                    .table(a("password_resets"))
                    .value(a("used_at"), now)
                    .and_where(Expr::col(a("token_hash")).eq(sha256_hex(secret)))
                    .and_where(Expr::col(a("used_at")).is_null())
                    .and_where(Expr::col(a("expires_at")).gt(now))
                    .to_owned(),
            )
            .await?
            .rows_affected();
        if claimed != 1 {
            return Err(StoreError::NotFound);
        }
        txn.execute(
            &Query::update()
                .table(a("users"))
                .value(a("password_hash"), hash)
                .and_where(Expr::col(a("id")).eq(user.id))
                .and_where(Expr::col(a("disabled_at")).is_null())
                .to_owned(),
        )
        .await?;
        txn.execute(
            &Query::delete()
                .from_table(a("sessions"))
                .and_where(Expr::col(a("user_id")).eq(user.id))
                .to_owned(),
        )
        .await?;
        revoke_all_tokens_in(&txn, user.id).await?;
        audit::append(
            &txn,
            Some(user.id),
            None,
            "user",
            user.id,
            "reset_password",
            None::<&()>,
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Note that an account signed in now (shown on the admin's list).
    pub async fn note_sign_in(&self, user_id: i64) -> Result<()> {
        self.db
            .execute(
                &Query::update()
                    .table(a("users"))
                    .value(a("last_sign_in_at"), crate::now())
                    .and_where(Expr::col(a("id")).eq(user_id))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Every account that can sign in or could (the demo's participants without
    /// a password are left out), by display name, with its roles, when it
    /// last signed in and whether it is disabled.
    pub async fn users_overview(&self) -> Result<Vec<UserOverview>> {
        let q = Query::select()
            .columns(user_columns())
            .columns([a("disabled_at"), a("last_sign_in_at")])
            .from(a("users"))
            .and_where(Expr::col(a("password_hash")).is_not_null())
            .order_by(a("display_name"), Order::Asc)
            .order_by(a("id"), Order::Asc)
            .to_owned();
        let mut out = vec![];
        for r in self.db.query_all(&q).await? {
            out.push(UserOverview {
                user: read_user(&r, "")?,
                disabled_at: r.try_get("", "disabled_at")?,
                last_sign_in_at: r.try_get("", "last_sign_in_at")?,
                roles: vec![],
            });
        }
        let q = Query::select()
            .column((a("role_grants"), a("user_id")))
            .column((a("role_grants"), a("role")))
            .column((a("initiatives"), a("slug")))
            .column((a("initiatives"), a("name")))
            .from(a("role_grants"))
            .inner_join(
                a("initiatives"),
                Expr::col((a("initiatives"), a("id")))
                    .equals((a("role_grants"), a("initiative_id"))),
            )
            .and_where(Expr::col((a("initiatives"), a("archived_at"))).is_null())
            .order_by((a("initiatives"), a("name")), Order::Asc)
            .to_owned();
        for r in self.db.query_all(&q).await? {
            let user_id: i64 = r.try_get("", "user_id")?;
            let role = r
                .try_get::<String>("", "role")
                .ok()
                .and_then(|s| domain::access::Role::parse(&s));
            if let (Some(role), Some(u)) = (role, out.iter_mut().find(|u| u.user.id == user_id)) {
                u.roles
                    .push((r.try_get("", "slug")?, r.try_get("", "name")?, role));
            }
        }
        Ok(out)
    }
}
