//! Accounts: creating them, reading them, passwords, language, disabling.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use domain::validation::{FieldErrors, is_email};

use crate::records::{count, insert_id};
use crate::{Result, Store, StoreError, audit};

use super::tokens::revoke_all_tokens_in;
use super::{
    User, a, check_password, hash_password, read_user, sha256_hex, user_columns, verify_password,
};

impl Store {
    /// Create an account. `password` may be absent for an account that will set
    /// its password through a setup link.
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        password: Option<&str>,
        admin: bool,
    ) -> Result<User> {
        let (email, hash) = prepare_user(email, display_name, password).await?;
        let display_name = display_name.trim();
        let txn = self.write_txn().await?;
        let user = insert_user_in(&txn, &email, display_name, hash, admin).await?;
        txn.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let q = Query::select()
            .columns(user_columns())
            .from(a("users"))
            .and_where(Expr::col(a("id")).eq(id))
            .to_owned();
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        read_user(&row, "")
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let q = Query::select()
            .columns(user_columns())
            .from(a("users"))
            .and_where(Expr::col(a("email")).eq(email.trim().to_lowercase()))
            .and_where(Expr::col(a("disabled_at")).is_null())
            .to_owned();
        self.db
            .query_one(&q)
            .await?
            .map(|r| read_user(&r, ""))
            .transpose()
    }

    /// A live (not disabled) account by email with its password hash.
    pub(super) async fn login_row(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let q = Query::select()
            .columns(user_columns())
            .column(a("password_hash"))
            .from(a("users"))
            .and_where(Expr::col(a("email")).eq(email.trim().to_lowercase()))
            .and_where(Expr::col(a("disabled_at")).is_null())
            .to_owned();
        match self.db.query_one(&q).await? {
            Some(row) => Ok(Some((
                read_user(&row, "")?,
                row.try_get("", "password_hash")?,
            ))),
            None => Ok(None),
        }
    }

    /// The user whose password this is, or `None` (unknown email, disabled
    /// account and wrong password look the same to the caller, and take as
    /// long). Not throttled: sign-in goes through [`Store::attempt_login`].
    pub async fn check_login(&self, email: &str, password: &str) -> Result<Option<User>> {
        let (user, hash) = match self.login_row(email).await? {
            Some((u, h)) => (Some(u), h),
            None => (None, None),
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
            .await
            .expect("verify task");
        Ok(user.filter(|_| ok))
    }

    /// Set a new password and end everything the old one opened: every session
    /// of the account and every API token. See [`Store::change_password`] to
    /// keep the session that made the change.
    pub async fn set_password(&self, user_id: i64, password: &str) -> Result<()> {
        self.change_password(user_id, password, None).await
    }

    /// Set a new password; in the same transaction end the account's other
    /// sessions (all but `keep`, the secret of the session making the change)
    /// and revoke its API tokens: whoever knew the old password is out.
    pub async fn change_password(
        &self,
        user_id: i64,
        password: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        check_password("new_password", password).map_err(StoreError::Invalid)?;
        let p = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&p))
            .await
            .expect("hashing task");
        let txn = self.write_txn().await?;
        txn.execute(
            &Query::update()
                .table(a("users"))
                .value(a("password_hash"), hash)
                .and_where(Expr::col(a("id")).eq(user_id))
                .to_owned(),
        )
        .await?;
        let mut end = Query::delete();
        end.from_table(a("sessions"))
            .and_where(Expr::col(a("user_id")).eq(user_id));
        if let Some(k) = keep {
            end.and_where(Expr::col(a("id_hash")).ne(sha256_hex(k)));
        }
        txn.execute(&end).await?;
        revoke_all_tokens_in(&txn, user_id).await?;
        audit::append(
            &txn,
            Some(user_id),
            None,
            "user",
            user_id,
            "change_password",
            None::<&()>,
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// An account by email, disabled or not, with when it was disabled.
    pub async fn user_by_email_any(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<DateTime<Utc>>)>> {
        let q = Query::select()
            .columns(user_columns())
            .column(a("disabled_at"))
            .from(a("users"))
            .and_where(Expr::col(a("email")).eq(email.trim().to_lowercase()))
            .to_owned();
        match self.db.query_one(&q).await? {
            Some(r) => Ok(Some((read_user(&r, "")?, r.try_get("", "disabled_at")?))),
            None => Ok(None),
        }
    }

    /// Disable an account or enable it again. Disabling ends its sessions and
    /// revokes its API tokens at once (enabling does not bring them back); a
    /// disabled account cannot sign in.
    pub async fn set_disabled(
        &self,
        actor: Option<i64>,
        user_id: i64,
        disabled: bool,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let mut q = Query::update();
        q.table(a("users"))
            .and_where(Expr::col(a("id")).eq(user_id));
        if disabled {
            q.value(a("disabled_at"), crate::now())
                .and_where(Expr::col(a("disabled_at")).is_null());
        } else {
            q.value(a("disabled_at"), Option::<DateTime<Utc>>::None)
                .and_where(Expr::col(a("disabled_at")).is_not_null());
        }
        let changed = txn.execute(&q).await?.rows_affected() > 0;
        if disabled {
            txn.execute(
                &Query::delete()
                    .from_table(a("sessions"))
                    .and_where(Expr::col(a("user_id")).eq(user_id))
                    .to_owned(),
            )
            .await?;
            revoke_all_tokens_in(&txn, user_id).await?;
        }
        if changed {
            audit::append(
                &txn,
                actor,
                None,
                "user",
                user_id,
                if disabled { "disable" } else { "enable" },
                None::<&()>,
                None::<&()>,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    pub async fn set_language(&self, user_id: i64, language: Option<&str>) -> Result<()> {
        self.db
            .execute(
                &Query::update()
                    .table(a("users"))
                    .value(a("language"), language.map(str::to_string))
                    .and_where(Expr::col(a("id")).eq(user_id))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Accounts that can sign in: those with a password. The setup link, an
    /// invitation and `backbone user create` always set one; the demo's
    /// participants have none (they only carry its ballots and map answers),
    /// so a fresh server with the demo still prints the link for the first
    /// administrator, and that link stays valid until someone uses it.
    pub async fn user_count(&self) -> Result<i64> {
        count(
            &self.db,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("users"))
                .and_where(Expr::col(a("password_hash")).is_not_null())
                .to_owned(),
        )
        .await
    }
}

/// Insert a validated account (its password already hashed) in `txn`, with its
/// audit entry. An address that already has an account is a field error.
pub(crate) async fn insert_user_in(
    txn: &sea_orm::DatabaseTransaction,
    email: &str,
    display_name: &str,
    hash: Option<String>,
    admin: bool,
) -> Result<User> {
    let email = email.to_string();
    let taken = count(
        txn,
        &Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a("users"))
            .and_where(Expr::col(a("email")).eq(email.as_str()))
            .to_owned(),
    )
    .await?;
    if taken > 0 {
        return Err(StoreError::Invalid(FieldErrors::single(
            "email",
            "taken",
            "email: an account with this address exists",
        )));
    }
    let q = Query::insert()
        .into_table(a("users"))
        .columns([
            a("email"),
            a("display_name"),
            a("password_hash"),
            a("is_admin"),
            a("created_at"),
        ])
        .values_panic([
            email.as_str().into(),
            display_name.into(),
            hash.into(),
            admin.into(),
            crate::now().into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    let id: i64 = insert_id(txn, &q).await?;
    let user = User {
        id,
        email,
        display_name: display_name.to_string(),
        is_admin: admin,
        language: None,
    };
    audit::append(
        txn,
        None,
        None,
        "user",
        id,
        "create",
        None::<&()>,
        Some(&user),
    )
    .await?;
    Ok(user)
}

/// Check a new account's fields and hash its password (off the async threads).
pub(crate) async fn prepare_user(
    email: &str,
    display_name: &str,
    password: Option<&str>,
) -> Result<(String, Option<String>)> {
    let email = email.trim().to_lowercase();
    let display_name = display_name.trim();
    let mut errors = FieldErrors::default();
    if !is_email(&email) {
        errors.add("email", "invalid_email", "email is not an email address");
    }
    if display_name.is_empty() {
        errors.add("display_name", "required", "display_name is required");
    } else if display_name.chars().count() > 200 {
        errors.add(
            "display_name",
            "too_long",
            "display_name must be at most 200 characters",
        );
    }
    if let Some(p) = password
        && let Err(e) = check_password("password", p)
    {
        errors.0.extend(e.0);
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let hash = match password {
        Some(p) => {
            let p = p.to_string();
            Some(
                tokio::task::spawn_blocking(move || hash_password(&p))
                    .await
                    .expect("hashing task"),
            )
        }
        None => None,
    };
    Ok((email, hash))
}
