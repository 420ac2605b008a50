//! Login throttling: failed attempts counted per key in the database.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use crate::records::count;
use crate::{Result, Store};

use super::{MAX_LOGIN_FAILURES, THROTTLE_MINUTES, a, sha256_hex};

impl Store {
    /// Record a failed login under a key (account or client address), hashed so
    /// that the table holds no email addresses.
    pub async fn record_login_failure(&self, key: &str) -> Result<()> {
        self.db
            .execute(
                &Query::insert()
                    .into_table(a("login_failures"))
                    .columns([a("key_hash"), a("at")])
                    .values_panic([sha256_hex(key).into(), crate::now().into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Whether a key has failed too often lately.
    pub async fn login_throttled(&self, key: &str) -> Result<bool> {
        let since = crate::now() - Duration::minutes(THROTTLE_MINUTES);
        let n = count(
            &self.db,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("login_failures"))
                .and_where(Expr::col(a("key_hash")).eq(sha256_hex(key)))
                .and_where(Expr::col(a("at")).gt(since))
                .to_owned(),
        )
        .await?;
        Ok(n >= MAX_LOGIN_FAILURES)
    }
}
