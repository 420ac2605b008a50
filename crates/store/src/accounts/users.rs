//! Accounts: creating them, reading them, passwords and language.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use domain::validation::{FieldErrors, is_email};

use crate::records::{count, insert_id};
use crate::{Result, Store, StoreError, audit};

use super::{User, a, check_password, hash_password, read_user, user_columns, verify_hash};

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
        let txn = self.write_txn().await?;
        let taken = count(
            &txn,
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
        let id: i64 = insert_id(&txn, &q).await?;
        let user = User {
            id,
            email,
            display_name: display_name.to_string(),
            is_admin: admin,
            language: None,
        };
        audit::append(
            &txn,
            None,
            None,
            "user",
            id,
            "create",
            None::<&()>,
            Some(&user),
        )
        .await?;
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

    /// The user whose password this is, or `None` (unknown email and wrong
    /// password look the same to the caller).
    pub async fn check_login(&self, email: &str, password: &str) -> Result<Option<User>> {
        let q = Query::select()
            .columns(user_columns())
            .column(a("password_hash"))
            .from(a("users"))
            .and_where(Expr::col(a("email")).eq(email.trim().to_lowercase()))
            .and_where(Expr::col(a("disabled_at")).is_null())
            .to_owned();
        let Some(row) = self.db.query_one(&q).await? else {
            return Ok(None);
        };
        let hash: Option<String> = row.try_get("", "password_hash")?;
        let Some(hash) = hash else { return Ok(None) };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_hash(&password, &hash))
            .await
            .expect("verify task");
        if ok {
            Ok(Some(read_user(&row, "")?))
        } else {
            Ok(None)
        }
    }

    pub async fn set_password(&self, user_id: i64, password: &str) -> Result<()> {
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

    pub async fn user_count(&self) -> Result<i64> {
        count(
            &self.db,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("users"))
                .to_owned(),
        )
        .await
    }
}
