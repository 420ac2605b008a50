//! Browser sessions: rows keyed by the SHA-256 of the cookie secret.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use crate::{Result, Store};

use super::{SESSION_DAYS, Session, a, new_secret, read_user, sha256_hex, user_columns};

impl Store {
    /// Open a session; returns the secret for the cookie and the CSRF token.
    pub async fn create_session(&self, user_id: i64) -> Result<(String, String)> {
        let secret = new_secret();
        let csrf = new_secret();
        let now = crate::now();
        self.db
            .execute(
                &Query::insert()
                    .into_table(a("sessions"))
                    .columns([
                        a("id_hash"),
                        a("user_id"),
                        a("csrf_token"),
                        a("created_at"),
                        a("expires_at"),
                    ])
                    .values_panic([
                        sha256_hex(&secret).into(),
                        user_id.into(),
                        csrf.as_str().into(),
                        now.into(),
                        (now + Duration::days(SESSION_DAYS)).into(),
                    ])
                    .to_owned(),
            )
            .await?;
        Ok((secret, csrf))
    }

    /// The live session a cookie secret names.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let q = Query::select()
            .columns(user_columns().map(|c| (a("users"), c)))
            .column((a("sessions"), a("csrf_token")))
            .from(a("sessions"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("sessions"), a("user_id"))),
            )
            .and_where(Expr::col((a("sessions"), a("id_hash"))).eq(sha256_hex(secret)))
            .and_where(Expr::col((a("sessions"), a("expires_at"))).gt(crate::now()))
            .and_where(Expr::col((a("users"), a("disabled_at"))).is_null())
            .to_owned();
        match self.db.query_one(&q).await? {
            Some(r) => Ok(Some(Session {
                user: read_user(&r, "")?,
                csrf_token: r.try_get("", "csrf_token")?,
            })),
            None => Ok(None),
        }
    }

    pub async fn end_session(&self, secret: &str) -> Result<()> {
        self.db
            .execute(
                &Query::delete()
                    .from_table(a("sessions"))
                    .and_where(Expr::col(a("id_hash")).eq(sha256_hex(secret)))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// End every session of a user but `keep` (after a password change).
    pub async fn end_other_sessions(&self, user_id: i64, keep: &str) -> Result<()> {
        self.db
            .execute(
                &Query::delete()
                    .from_table(a("sessions"))
                    .and_where(Expr::col(a("user_id")).eq(user_id))
                    .and_where(Expr::col(a("id_hash")).ne(sha256_hex(keep)))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
