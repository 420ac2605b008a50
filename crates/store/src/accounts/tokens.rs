//! API tokens for scripts: shown once, stored hashed.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

use crate::records::insert_id;
use crate::{Result, Store, StoreError, audit};

use super::{ApiToken, User, a, new_secret, read_user, sha256_hex, user_columns};

impl Store {
    /// A new API token for scripts; the secret is shown once and stored hashed.
    pub async fn create_api_token(&self, user_id: i64, name: &str) -> Result<(i64, String)> {
        let secret = format!("bb_{}", new_secret());
        let q = Query::insert()
            .into_table(a("api_tokens"))
            .columns([a("user_id"), a("name"), a("token_hash"), a("created_at")])
            .values_panic([
                user_id.into(),
                name.into(),
                sha256_hex(&secret).into(),
                crate::now().into(),
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
            Some(&serde_json::json!({"name": name})),
        )
        .await?;
        txn.commit().await?;
        Ok((id, secret))
    }

    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let q = Query::select()
            .columns([a("id"), a("name"), a("created_at"), a("revoked_at")])
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
                })
            })
            .collect()
    }

    /// Revoke one of a user's tokens; `NotFound` when it is not theirs.
    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<()> {
        let txn = self.write_txn().await?;
        let res = txn
            .execute(
                &Query::update()
                    .table(a("api_tokens"))
                    .value(a("revoked_at"), crate::now())
                    .and_where(Expr::col(a("id")).eq(token_id))
                    .and_where(Expr::col(a("user_id")).eq(user_id))
                    .and_where(Expr::col(a("revoked_at")).is_null())
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(
            &txn,
            Some(user_id),
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

    /// The user a live (unrevoked) API token belongs to.
    pub async fn api_token_user(&self, secret: &str) -> Result<Option<User>> {
        let q = Query::select()
            .columns(user_columns().map(|c| (a("users"), c)))
            .from(a("api_tokens"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("api_tokens"), a("user_id"))),
            )
            .and_where(Expr::col((a("api_tokens"), a("token_hash"))).eq(sha256_hex(secret)))
            .and_where(Expr::col((a("api_tokens"), a("revoked_at"))).is_null())
            .and_where(Expr::col((a("users"), a("disabled_at"))).is_null())
            .to_owned();
        self.db
            .query_one(&q)
            .await?
            .map(|r| read_user(&r, ""))
            .transpose()
    }
}
