//! Invitations by link, and the one-time setup link for the first administrator.

use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use domain::access::{Action, Role};
use domain::partnership::Initiative;
use domain::validation::{FieldErrors, is_email};

use crate::records::insert_id;
use crate::{Result, Store, StoreError, audit};

use super::{INVITATION_DAYS, Invitation, User, a, new_secret, sha256_hex};

fn read_invitation(r: &QueryResult) -> Result<Invitation> {
    Ok(Invitation {
        id: r.try_get("", "id")?,
        email: r.try_get("", "email")?,
        initiative_id: r.try_get("", "initiative_id")?,
        role: r
            .try_get::<Option<String>>("", "role")?
            .and_then(|s| Role::parse(&s)),
        admin: r.try_get("", "admin")?,
        created_by: r.try_get("", "created_by")?,
        expires_at: r.try_get("", "expires_at")?,
        organization_id: r.try_get("", "organization_id")?,
    })
}

impl Store {
    /// An invitation by link: to an initiative with a role, or (with `admin`) the
    /// platform's first administrator. Returns the secret for the link.
    pub async fn create_invitation(
        &self,
        actor: Option<i64>,
        email: &str,
        initiative_id: Option<i64>,
        role: Option<Role>,
        admin: bool,
    ) -> Result<String> {
        self.create_invitation_for(actor, email, initiative_id, role, admin, None)
            .await
    }

    /// [`Store::create_invitation`] for someone who will speak for
    /// `organization` (a partner): the role granted on acceptance carries it.
    pub async fn create_invitation_for(
        &self,
        actor: Option<i64>,
        email: &str,
        initiative_id: Option<i64>,
        role: Option<Role>,
        admin: bool,
        organization: Option<i64>,
    ) -> Result<String> {
        let email = email.trim().to_lowercase();
        if !is_email(&email) {
            return Err(StoreError::Invalid(FieldErrors::single(
                "email",
                "invalid_email",
                "email is not an email address",
            )));
        }
        let secret = new_secret();
        let now = crate::now();
        let txn = self.write_txn().await?;
        let q = Query::insert()
            .into_table(a("invitations"))
            .columns([
                a("token_hash"),
                a("email"),
                a("initiative_id"),
                a("role"),
                a("admin"),
                a("created_by"),
                a("created_at"),
                a("expires_at"),
                a("organization_id"),
            ])
            .values_panic([
                sha256_hex(&secret).into(),
                email.as_str().into(),
                initiative_id.into(),
                role.map(|r| r.as_str().to_string()).into(),
                admin.into(),
                actor.into(),
                now.into(),
                (now + Duration::days(INVITATION_DAYS)).into(),
                organization.into(),
            ])
            .returning_col(a("id"))
            .to_owned();
        let id: i64 = insert_id(&txn, &q).await?;
        let mut after = serde_json::json!({"email": email, "role": role, "admin": admin});
        if let Some(o) = organization {
            after["organization_id"] = o.into();
        }
        audit::append(
            &txn,
            actor,
            initiative_id,
            "invitation",
            id,
            "create",
            None::<&()>,
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(secret)
    }

    /// A one-time link to create the first administrator account; the person
    /// chooses their email when they open it.
    pub async fn create_setup_link(&self) -> Result<String> {
        let secret = new_secret();
        let now = crate::now();
        // Only the newest setup link works: links printed by earlier starts die.
        self.db
            .execute(
                &Query::update()
                    .table(a("invitations"))
                    .value(a("expires_at"), now)
                    .and_where(Expr::col(a("email")).eq(""))
                    .and_where(Expr::col(a("accepted_at")).is_null())
                    .to_owned(),
            )
            .await?;
        let q = Query::insert()
            .into_table(a("invitations"))
            .columns([
                a("token_hash"),
                a("email"),
                a("admin"),
                a("created_at"),
                a("expires_at"),
            ])
            .values_panic([
                sha256_hex(&secret).into(),
                "".into(),
                true.into(),
                now.into(),
                (now + Duration::days(INVITATION_DAYS)).into(),
            ])
            .to_owned();
        self.db.execute(&q).await?;
        Ok(secret)
    }

    /// A live (unexpired, unused) invitation.
    pub async fn invitation(&self, secret: &str) -> Result<Option<Invitation>> {
        let q = Query::select()
            .columns([
                a("id"),
                a("email"),
                a("initiative_id"),
                a("role"),
                a("admin"),
                a("created_by"),
                a("expires_at"),
                a("organization_id"),
            ])
            .from(a("invitations"))
            .and_where(Expr::col(a("token_hash")).eq(sha256_hex(secret)))
            .and_where(Expr::col(a("accepted_at")).is_null())
            .and_where(Expr::col(a("expires_at")).gt(crate::now()))
            .to_owned();
        self.db
            .query_one(&q)
            .await?
            .as_ref()
            .map(read_invitation)
            .transpose()
    }

    /// Accept an invitation by creating a new account. A setup link (made by
    /// [`Store::create_setup_link`]) names no email: the person gives it here.
    ///
    /// The link is claimed atomically before anything is created, so it works
    /// once even when posted twice at the same moment; if creating the account
    /// then fails, the claim is released and nothing else is left behind.
    pub async fn accept_invitation(
        &self,
        secret: &str,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> Result<User> {
        let inv = self.invitation(secret).await?.ok_or(StoreError::NotFound)?;
        let email = if inv.email.is_empty() {
            email.trim().to_lowercase()
        } else {
            inv.email.clone()
        };
        if self.user_by_email(&email).await?.is_some() {
            // An invitation never touches an existing account's password: its owner
            // signs in and accepts as themselves (`accept_invitation_as`).
            return Err(StoreError::Invalid(FieldErrors::single(
                "email",
                "account_exists",
                "email: this address already has an account; sign in and open the link again",
            )));
        }
        self.check_still_valid(&inv).await?;
        let (email, hash) =
            super::users::prepare_user(&email, display_name, Some(password)).await?;
        // One transaction: the claim, the account and its role land together or
        // not at all, and a link posted twice at once works once.
        let txn = self.write_txn().await?;
        if !claim_invitation_in(&txn, inv.id).await? {
            return Err(StoreError::NotFound);
        }
        let user = super::users::insert_user_in(&txn, &email, display_name.trim(), hash, inv.admin)
            .await?;
        grant_invited_in(&txn, &inv, user.id).await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Accept an invitation addressed to the signed-in user's own account.
    pub async fn accept_invitation_as(&self, secret: &str, user: &User) -> Result<()> {
        let inv = self.invitation(secret).await?.ok_or(StoreError::NotFound)?;
        if inv.email.is_empty() || inv.email != user.email {
            return Err(StoreError::Invalid(FieldErrors::single(
                "email",
                "wrong_account",
                "email: this invitation is for another account",
            )));
        }
        self.check_still_valid(&inv).await?;
        let txn = self.write_txn().await?;
        if !claim_invitation_in(&txn, inv.id).await? {
            return Err(StoreError::NotFound);
        }
        grant_invited_in(&txn, &inv, user.id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A setup link is void once any account that can sign in exists (see
    /// [`Store::user_count`]); an invitation is void once its author may no
    /// longer manage access to the initiative.
    async fn check_still_valid(&self, inv: &Invitation) -> Result<()> {
        if inv.email.is_empty() {
            return if self.user_count().await? == 0 {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            };
        }
        if let (Some(initiative), Some(author)) = (inv.initiative_id, inv.created_by) {
            let author = self.user(author).await?;
            let i = self.get::<Initiative>(None, initiative).await?;
            if !self.grants(&author, &i).await?.allows(Action::ManageAccess) {
                return Err(StoreError::NotFound);
            }
        }
        Ok(())
    }

    /// Open invitations of an initiative, newest first (for the Access page).
    pub async fn open_invitations(&self, initiative_id: i64) -> Result<Vec<Invitation>> {
        let q = Query::select()
            .columns([
                a("id"),
                a("email"),
                a("initiative_id"),
                a("role"),
                a("admin"),
                a("created_by"),
                a("expires_at"),
                a("organization_id"),
            ])
            .from(a("invitations"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
            .and_where(Expr::col(a("accepted_at")).is_null())
            .and_where(Expr::col(a("expires_at")).gt(crate::now()))
            .order_by(a("id"), Order::Desc)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(read_invitation)
            .collect()
    }

    /// Withdraw an open invitation of an initiative.
    pub async fn revoke_invitation(
        &self,
        actor: Option<i64>,
        initiative_id: i64,
        id: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let res = txn
            .execute(
                &Query::update()
                    .table(a("invitations"))
                    .value(a("expires_at"), crate::now())
                    .and_where(Expr::col(a("id")).eq(id))
                    .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
                    .and_where(Expr::col(a("accepted_at")).is_null())
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(
            &txn,
            actor,
            Some(initiative_id),
            "invitation",
            id,
            "revoke",
            None::<&()>,
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

impl Store {
    /// A fresh link for an open invitation of an initiative: a new invitation
    /// (same address and role, valid for [`INVITATION_DAYS`] from now, made by
    /// `actor`) replaces it, and the old link stops working at once. Returns
    /// the new invitation's id and secret.
    pub async fn renew_invitation(
        &self,
        actor: Option<i64>,
        initiative_id: i64,
        id: i64,
    ) -> Result<(i64, String)> {
        let now = crate::now();
        let txn = self.write_txn().await?;
        let q = Query::select()
            .columns([
                a("id"),
                a("email"),
                a("initiative_id"),
                a("role"),
                a("admin"),
                a("created_by"),
                a("expires_at"),
                a("organization_id"),
            ])
            .from(a("invitations"))
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
            .and_where(Expr::col(a("accepted_at")).is_null())
            .and_where(Expr::col(a("expires_at")).gt(now))
            .to_owned();
        let old = txn
            .query_one(&q)
            .await?
            .as_ref()
            .map(read_invitation)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let res = txn
            .execute(
                &Query::update()
                    .table(a("invitations"))
                    .value(a("expires_at"), now)
                    .and_where(Expr::col(a("id")).eq(id))
                    .and_where(Expr::col(a("accepted_at")).is_null())
                    .and_where(Expr::col(a("expires_at")).gt(now))
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let secret = new_secret();
        let q = Query::insert()
            .into_table(a("invitations"))
            .columns([
                a("token_hash"),
                a("email"),
                a("initiative_id"),
                a("role"),
                a("admin"),
                a("created_by"),
                a("created_at"),
                a("expires_at"),
                a("organization_id"),
            ])
            .values_panic([
                sha256_hex(&secret).into(),
                old.email.as_str().into(),
                Some(initiative_id).into(),
                old.role.map(|r| r.as_str().to_string()).into(),
                old.admin.into(),
                actor.into(),
                now.into(),
                (now + Duration::days(INVITATION_DAYS)).into(),
                old.organization_id.into(),
            ])
            .returning_col(a("id"))
            .to_owned();
        let new_id: i64 = insert_id(&txn, &q).await?;
        let before = serde_json::json!({"replaces": id});
        let after = serde_json::json!({"email": old.email, "role": old.role, "admin": old.admin});
        audit::append(
            &txn,
            actor,
            Some(initiative_id),
            "invitation",
            new_id,
            "renew",
            Some(&before),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok((new_id, secret))
    }

    /// What the invitee is told on opening the link: the initiative's name and
    /// the display name of whoever invited them (when known).
    pub async fn invitation_context(
        &self,
        inv: &Invitation,
    ) -> Result<(Option<String>, Option<String>)> {
        let initiative = match inv.initiative_id {
            Some(i) => Some(self.get::<Initiative>(None, i).await?.data.name),
            None => None,
        };
        let inviter = match inv.created_by {
            Some(u) => Some(self.user(u).await?.display_name),
            None => None,
        };
        Ok((initiative, inviter))
    }
}

/// Mark an invitation used, if nobody did first (in the accepting transaction).
async fn claim_invitation_in(txn: &sea_orm::DatabaseTransaction, id: i64) -> Result<bool> {
    let res = txn
        .execute(
            &Query::update()
                .table(a("invitations"))
                .value(a("accepted_at"), crate::now())
                .and_where(Expr::col(a("id")).eq(id))
                .and_where(Expr::col(a("accepted_at")).is_null())
                .and_where(Expr::col(a("expires_at")).gt(crate::now()))
                .to_owned(),
        )
        .await?;
    Ok(res.rows_affected() == 1)
}

/// The role an accepted invitation carries (with the organization a partner
/// speaks for), granted to `user_id` by whoever invited.
async fn grant_invited_in(
    txn: &sea_orm::DatabaseTransaction,
    inv: &Invitation,
    user_id: i64,
) -> Result<()> {
    if let (Some(i), Some(r)) = (inv.initiative_id, inv.role) {
        super::grants::grant_role_for_in(txn, inv.created_by, user_id, i, r, inv.organization_id)
            .await?;
    }
    Ok(())
}
