//! API tokens for scripts: shown once, stored hashed, optionally expiring.
//!
//! A token's `last_used_at` is written when it is used, at most once every
//! [`TOKEN_TOUCH_SECONDS`], so the hot path of an API request stays one read.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::validation::FieldErrors;

use crate::records::insert_id;
use crate::{Result, Store, StoreError, audit};

use super::{
    ApiToken, TOKEN_TOUCH_SECONDS, User, a, new_secret, read_user, sha256_hex, user_columns,
};

/// Revoke every live token of a user inside a caller's transaction; returns how many.
pub(super) async fn revoke_all_tokens_in(txn: &DatabaseTransaction, user_id: i64) -> Result<u64> {
    Ok(txn
        .execute(
            &Query::update()
                .table(a("api_tokens"))
                .value(a("revoked_at"), crate::now())
                .and_where(Expr::col(a("user_id")).eq(user_id))
                .and_where(Expr::col(a("revoked_at")).is_null())
                .to_owned(),
        )
        .await?
        .rows_affected())
}

fn live() -> Cond {
    Cond::all()
        .add(Expr::col((a("api_tokens"), a("revoked_at"))).is_null())
        .add(
            Cond::any()
                .add(Expr::col((a("api_tokens"), a("expires_at"))).is_null())
                .add(Expr::col((a("api_tokens"), a("expires_at"))).gt(crate::now())),
        )
}

impl Store {
    /// A new API token for scripts that does not expire; the secret is shown
    /// once and stored hashed.
    pub async fn create_api_token(&self, user_id: i64, name: &str) -> Result<(i64, String)> {
        self.create_api_token_until(user_id, name, None).await
    }

    /// A new API token that is refused after `expires_at` (when given).
    pub async fn create_api_token_until(
        &self,
        user_id: i64,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(i64, String)> {
        let name = name.trim();
        let mut errors = FieldErrors::default();
        if name.is_empty() {
            errors.add("name", "required", "name is required");
        } else if name.chars().count() > 100 {
            errors.add("name", "too_long", "name must be at most 100 characters");
        }
        if expires_at.is_some_and(|e| e <= crate::now().get()) {
            errors.add(
                "expires_at",
                "in_the_past",
                "expires_at must be in the future",
            );
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let secret = format!("bb_{}", new_secret());
        let q = Query::insert()
            .into_table(a("api_tokens"))
            .columns([
                a("user_id"),
                a("name"),
                a("token_hash"),
                a("created_at"),
                a("expires_at"),
            ])
            .values_panic([
                user_id.into(),
                name.into(),
                sha256_hex(&secret).into(),
                crate::now().into(),
                expires_at.into(),
            ])
            .returning_col(a("id"))
            .to_owned();
        let txn = self.write_txn().await?;
        let id: i64 = insert_id(&txn, &q).await?;
        audit::append(
            &txn,
            Some(user_id),
            None,
            "api_token",
            id,
            "create",
            None::<&()>,
            Some(&serde_json::json!({"name": name, "expires_at": expires_at})),
        )
        .await?;
        txn.commit().await?;
        Ok((id, secret))
    }

    /// A user's tokens, oldest first, revoked and expired ones included.
    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let q = Query::select()
            .columns([
                a("id"),
                a("name"),
                a("created_at"),
                a("revoked_at"),
                a("last_used_at"),
                a("expires_at"),
            ])
            .from(a("api_tokens"))
            .and_where(Expr::col(a("user_id")).eq(user_id))
            .order_by(a("id"), Order::Asc)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    created_at: r.try_get("", "created_at")?,
                    revoked: r
                        .try_get::<Option<DateTime<Utc>>>("", "revoked_at")?
                        .is_some(),
                    last_used_at: r.try_get("", "last_used_at")?,
                    expires_at: r.try_get("", "expires_at")?,
                })
            })
            .collect()
    }

    /// Revoke one of a user's tokens; `NotFound` when it is not theirs.
    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<()> {
        self.revoke_token_where(Some(user_id), Some(user_id), token_id)
            .await
    }

    /// Revoke any user's token by id, as `actor`: an administrator may revoke
    /// anyone's, others only their own (`NotFound` otherwise, as for a token
    /// that does not exist or is already revoked).
    pub async fn revoke_api_token_as(&self, actor: &User, token_id: i64) -> Result<()> {
        let owner = (!actor.is_admin).then_some(actor.id);
        self.revoke_token_where(Some(actor.id), owner, token_id)
            .await
    }

    /// Revoke a token by id from the command line (an operator: no owner check).
    pub async fn revoke_api_token_by_id(&self, token_id: i64) -> Result<()> {
        self.revoke_token_where(None, None, token_id).await
    }

    async fn revoke_token_where(
        &self,
        actor: Option<i64>,
        owner: Option<i64>,
        token_id: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let mut q = Query::update();
        q.table(a("api_tokens"))
            .value(a("revoked_at"), crate::now())
            .and_where(Expr::col(a("id")).eq(token_id))
            .and_where(Expr::col(a("revoked_at")).is_null());
        if let Some(u) = owner {
            q.and_where(Expr::col(a("user_id")).eq(u));
        }
        if txn.execute(&q).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(
            &txn,
            actor,
            None,
            "api_token",
            token_id,
            "revoke",
            None::<&()>,
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Revoke every live token of a user; returns how many were revoked.
    pub async fn revoke_all_api_tokens(&self, actor: Option<i64>, user_id: i64) -> Result<u64> {
        let txn = self.write_txn().await?;
        let n = revoke_all_tokens_in(&txn, user_id).await?;
        if n > 0 {
            audit::append(
                &txn,
                actor,
                None,
                "user",
                user_id,
                "revoke_api_tokens",
                None::<&()>,
                Some(&serde_json::json!({"revoked": n})),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(n)
    }

    /// The user a live (unrevoked, unexpired) API token belongs to; notes that
    /// the token was used (at most once every [`TOKEN_TOUCH_SECONDS`]).
    pub async fn api_token_user(&self, secret: &str) -> Result<Option<User>> {
        let q = Query::select()
            .columns(user_columns().map(|c| (a("users"), c)))
            .expr_as(Expr::col((a("api_tokens"), a("id"))), a("token_id"))
            .column((a("api_tokens"), a("last_used_at")))
            .from(a("api_tokens"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("api_tokens"), a("user_id"))),
            )
            .and_where(Expr::col((a("api_tokens"), a("token_hash"))).eq(sha256_hex(secret)))
            .cond_where(live())
            .and_where(Expr::col((a("users"), a("disabled_at"))).is_null())
            .to_owned();
        let Some(row) = self.db.query_one(&q).await? else {
            return Ok(None);
        };
        let now = crate::now();
        let stale = now.get() - Duration::seconds(TOKEN_TOUCH_SECONDS);
        let last: Option<DateTime<Utc>> = row.try_get("", "last_used_at")?;
        if last.is_none_or(|t| t < stale) {
            let id: i64 = row.try_get("", "token_id")?;
            // Conditional, so several processes touching at once write once.
            self.db
                .execute(
                    &Query::update()
                        .table(a("api_tokens"))
                        .value(a("last_used_at"), now)
                        .and_where(Expr::col(a("id")).eq(id))
                        .cond_where(
                            Cond::any()
                                .add(Expr::col(a("last_used_at")).is_null())
                                .add(Expr::col(a("last_used_at")).lt(stale)),
                        )
                        .to_owned(),
                )
                .await?;
        }
        Ok(Some(read_user(&row, "")?))
    }
}
