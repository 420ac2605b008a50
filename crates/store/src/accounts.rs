//! Users, sessions, API tokens, role grants, invitations and login throttling.
//!
//! Secrets are stored only as hashes: passwords with argon2id, session ids,
//! API tokens and invitation links with SHA-256 (they are long random values, so a
//! fast hash is enough and lets us look them up by hash). Sessions live in the
//! database so they survive restarts and work across several server processes.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use sha2::{Digest, Sha256};

use domain::access::{Action, Grants, Role};
use domain::partnership::Initiative;
use domain::resource::Record;
use domain::validation::{FieldErrors, is_email};

use crate::records::{count, insert_id};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// How long a browser session lasts without logging in again.
pub const SESSION_DAYS: i64 = 14;
/// How long an invitation or setup link stays valid.
pub const INVITATION_DAYS: i64 = 7;
/// Failed logins allowed per account and per client address in [`THROTTLE_MINUTES`].
pub const MAX_LOGIN_FAILURES: i64 = 5;
pub const THROTTLE_MINUTES: i64 = 15;
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
}

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
    })
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

    /// Give a user a role in an initiative (idempotent).
    pub async fn grant_role(
        &self,
        actor: Option<i64>,
        user_id: i64,
        initiative_id: i64,
        role: Role,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        grant_role_in(&txn, actor, user_id, initiative_id, role).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Create an initiative; whoever creates it coordinates it until they hand
    /// it over. Both in one transaction: no initiative is left without one.
    pub async fn create_initiative(
        &self,
        creator: &User,
        value: &Initiative,
    ) -> Result<Record<Initiative>> {
        let txn = self.write_txn().await?;
        let rec = crate::records::create_in(&txn, Some(creator.id), None, value).await?;
        grant_role_in(
            &txn,
            Some(creator.id),
            creator.id,
            rec.id,
            Role::Coordinator,
        )
        .await?;
        txn.commit().await?;
        Ok(rec)
    }

    pub async fn revoke_role(
        &self,
        actor: Option<i64>,
        user_id: i64,
        initiative_id: i64,
        role: Role,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let res = txn
            .execute(
                &Query::delete()
                    .from_table(a("role_grants"))
                    .and_where(Expr::col(a("user_id")).eq(user_id))
                    .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
                    .and_where(Expr::col(a("role")).eq(role.as_str()))
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() > 0 {
            let before = serde_json::json!({"user_id": user_id, "role": role});
            audit::append(
                &txn,
                actor,
                Some(initiative_id),
                "role_grant",
                user_id,
                "revoke",
                Some(&before),
                None::<&()>,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    pub async fn grant_network_lead(&self, user_id: i64, network_id: i64) -> Result<()> {
        let txn = self.write_txn().await?;
        let q = Query::insert()
            .into_table(a("network_leads"))
            .columns([a("user_id"), a("network_id"), a("created_at")])
            .values_panic([user_id.into(), network_id.into(), crate::now().into()])
            .returning_col(a("id"))
            .to_owned();
        let id: i64 = insert_id(&txn, &q).await?;
        let after = serde_json::json!({"user_id": user_id, "network_id": network_id});
        audit::append(
            &txn,
            None,
            None,
            "network_lead",
            id,
            "create",
            None::<&()>,
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// What a user holds over one initiative (one query).
    pub async fn grants(&self, user: &User, initiative: &Record<Initiative>) -> Result<Grants> {
        let q = Query::select()
            .column(a("role"))
            .from(a("role_grants"))
            .and_where(Expr::col(a("user_id")).eq(user.id))
            .and_where(Expr::col(a("initiative_id")).eq(initiative.id))
            .to_owned();
        let roles = self
            .db
            .query_all(&q)
            .await?
            .iter()
            .filter_map(|r| {
                r.try_get::<String>("", "role")
                    .ok()
                    .and_then(|s| Role::parse(&s))
            })
            .collect();
        let network_lead = match initiative.data.network_id {
            Some(n) => {
                count(
                    &self.db,
                    &Query::select()
                        .expr(Expr::cust("COUNT(*)"))
                        .from(a("network_leads"))
                        .and_where(Expr::col(a("user_id")).eq(user.id))
                        .and_where(Expr::col(a("network_id")).eq(n))
                        .to_owned(),
                )
                .await?
                    > 0
            }
            None => false,
        };
        Ok(Grants {
            admin: user.is_admin,
            network_lead,
            roles,
        })
    }

    /// The initiatives a user can see: by role, as network lead, or all for an admin.
    pub async fn visible_initiative_ids(&self, user: &User) -> Result<Option<Vec<i64>>> {
        if user.is_admin {
            return Ok(None);
        }
        let by_role = Query::select()
            .column(a("initiative_id"))
            .from(a("role_grants"))
            .and_where(Expr::col(a("user_id")).eq(user.id))
            .to_owned();
        let by_network = Query::select()
            .column((a("initiatives"), a("id")))
            .from(a("initiatives"))
            .inner_join(
                a("network_leads"),
                Expr::col((a("network_leads"), a("network_id")))
                    .equals((a("initiatives"), a("network_id"))),
            )
            .and_where(Expr::col((a("network_leads"), a("user_id"))).eq(user.id))
            .to_owned();
        let mut ids: Vec<i64> = vec![];
        for q in [by_role, by_network] {
            for r in self.db.query_all(&q).await? {
                ids.push(r.try_get_by_index(0)?);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }

    /// Members of an initiative and their roles, by name.
    pub async fn initiative_users(&self, initiative_id: i64) -> Result<Vec<(User, Vec<Role>)>> {
        let q = Query::select()
            .columns(user_columns().map(|c| (a("users"), c)))
            .column((a("role_grants"), a("role")))
            .from(a("role_grants"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("role_grants"), a("user_id"))),
            )
            .and_where(Expr::col((a("role_grants"), a("initiative_id"))).eq(initiative_id))
            .order_by((a("users"), a("display_name")), Order::Asc)
            .to_owned();
        let mut out: Vec<(User, Vec<Role>)> = vec![];
        for r in self.db.query_all(&q).await? {
            let u = read_user(&r, "")?;
            let role = r
                .try_get::<String>("", "role")
                .ok()
                .and_then(|s| Role::parse(&s));
            match out.iter_mut().find(|(x, _)| x.id == u.id) {
                Some((_, roles)) => roles.extend(role),
                None => out.push((u, role.into_iter().collect())),
            }
        }
        Ok(out)
    }

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
            ])
            .returning_col(a("id"))
            .to_owned();
        let id: i64 = insert_id(&txn, &q).await?;
        let after = serde_json::json!({"email": email, "role": role, "admin": admin});
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
        if !self.claim_invitation(inv.id).await? {
            return Err(StoreError::NotFound);
        }
        let created = async {
            let user = self
                .create_user(&email, display_name, Some(password), inv.admin)
                .await?;
            if let (Some(i), Some(r)) = (inv.initiative_id, inv.role) {
                self.grant_role(inv.created_by, user.id, i, r).await?;
            }
            Ok(user)
        }
        .await;
        if created.is_err() {
            self.release_invitation(inv.id).await?;
        }
        created
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
        if !self.claim_invitation(inv.id).await? {
            return Err(StoreError::NotFound);
        }
        if let (Some(i), Some(r)) = (inv.initiative_id, inv.role) {
            self.grant_role(inv.created_by, user.id, i, r).await?;
        }
        Ok(())
    }

    /// A setup link is void once any account exists; an invitation is void once
    /// its author may no longer manage access to the initiative.
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

    /// Mark an invitation used, if nobody did first.
    async fn claim_invitation(&self, id: i64) -> Result<bool> {
        let res = self
            .db
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

    async fn release_invitation(&self, id: i64) -> Result<()> {
        self.db
            .execute(
                &Query::update()
                    .table(a("invitations"))
                    .value(a("accepted_at"), Option::<chrono::DateTime<Utc>>::None)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
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

/// Give a user a role in an initiative inside a caller's transaction (idempotent).
async fn grant_role_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: Option<i64>,
    user_id: i64,
    initiative_id: i64,
    role: Role,
) -> Result<()> {
    let exists = count(
        txn,
        &Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a("role_grants"))
            .and_where(Expr::col(a("user_id")).eq(user_id))
            .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
            .and_where(Expr::col(a("role")).eq(role.as_str()))
            .to_owned(),
    )
    .await?;
    if exists == 0 {
        let q = Query::insert()
            .into_table(a("role_grants"))
            .columns([a("user_id"), a("initiative_id"), a("role"), a("created_at")])
            .values_panic([
                user_id.into(),
                initiative_id.into(),
                role.as_str().into(),
                crate::now().into(),
            ])
            .returning_col(a("id"))
            .to_owned();
        let id = insert_id(txn, &q).await?;
        let after = serde_json::json!({"user_id": user_id, "role": role});
        audit::append(
            txn,
            actor,
            Some(initiative_id),
            "role_grant",
            id,
            "create",
            None::<&()>,
            Some(&after),
        )
        .await?;
    }
    Ok(())
}
