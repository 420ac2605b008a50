//! Who holds which role: per initiative, network leads, and what a user sees.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

use domain::access::{Grants, Role};
use domain::partnership::Initiative;
use domain::resource::Record;

use crate::records::{count, insert_id};
use crate::{Result, Store, audit};

use super::{User, a, read_user, user_columns};

impl Store {
    /// Give a user a role in an initiative (idempotent).
    pub async fn grant_role(
        &self,
        actor: Option<i64>,
        user_id: i64,
        initiative_id: i64,
        role: Role,
    ) -> Result<()> {
        self.grant_role_for(actor, user_id, initiative_id, role, None)
            .await
    }

    /// Give a user a role in an initiative, speaking for `organization` (a
    /// partner's: see `domain::access::decide_owned`). Idempotent; an existing
    /// grant takes the organization given, when one is.
    pub async fn grant_role_for(
        &self,
        actor: Option<i64>,
        user_id: i64,
        initiative_id: i64,
        role: Role,
        organization: Option<i64>,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        grant_role_for_in(&txn, actor, user_id, initiative_id, role, organization).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The organization each account speaks for in an initiative:
    /// (user id, organization id), for the Access page.
    pub async fn spoken_for(&self, initiative_id: i64) -> Result<Vec<(i64, i64)>> {
        let q = Query::select()
            .columns([a("user_id"), a("organization_id")])
            .from(a("role_grants"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
            .and_where(Expr::col(a("organization_id")).is_not_null())
            .order_by(a("id"), Order::Asc)
            .to_owned();
        let mut out = vec![];
        for r in self.db.query_all(&q).await? {
            out.push((r.try_get("", "user_id")?, r.try_get("", "organization_id")?));
        }
        Ok(out)
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

    /// Make a user lead of a network: they read all its initiatives (idempotent).
    pub async fn grant_network_lead(&self, user_id: i64, network_id: i64) -> Result<()> {
        self.grant_network_lead_by(None, user_id, network_id).await
    }

    /// [`Store::grant_network_lead`], recording who granted it.
    pub async fn grant_network_lead_by(
        &self,
        actor: Option<i64>,
        user_id: i64,
        network_id: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let exists = count(
            &txn,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("network_leads"))
                .and_where(Expr::col(a("user_id")).eq(user_id))
                .and_where(Expr::col(a("network_id")).eq(network_id))
                .to_owned(),
        )
        .await?;
        if exists > 0 {
            return Ok(());
        }
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
            actor,
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

    /// The leads of a network, by name.
    pub async fn network_leads(&self, network_id: i64) -> Result<Vec<User>> {
        let mut q = Query::select();
        for c in user_columns() {
            q.column((a("users"), c));
        }
        q.from(a("users"))
            .inner_join(
                a("network_leads"),
                Expr::col((a("network_leads"), a("user_id"))).equals((a("users"), a("id"))),
            )
            .and_where(Expr::col((a("network_leads"), a("network_id"))).eq(network_id))
            .order_by((a("users"), a("display_name")), Order::Asc);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(|r| read_user(r, "")).collect()
    }

    /// Take a network's lead role from a user (idempotent).
    pub async fn revoke_network_lead(
        &self,
        actor: Option<i64>,
        user_id: i64,
        network_id: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let res = txn
            .execute(
                &Query::delete()
                    .from_table(a("network_leads"))
                    .and_where(Expr::col(a("user_id")).eq(user_id))
                    .and_where(Expr::col(a("network_id")).eq(network_id))
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() > 0 {
            let before = serde_json::json!({"user_id": user_id, "network_id": network_id});
            audit::append(
                &txn,
                actor,
                None,
                "network_lead",
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

    /// The id of a live network by its slug.
    pub async fn network_id_by_slug(&self, slug: &str) -> Result<i64> {
        let q = Query::select()
            .column(a("id"))
            .from(a("networks"))
            .and_where(Expr::col(a("slug")).eq(slug))
            .and_where(Expr::col(a("archived_at")).is_null())
            .to_owned();
        let row = self
            .db
            .query_one(&q)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        Ok(row.try_get_by_index(0)?)
    }

    /// What a user holds over one initiative (one query).
    pub async fn grants(&self, user: &User, initiative: &Record<Initiative>) -> Result<Grants> {
        let q = Query::select()
            .column(a("role"))
            .expr_as(Expr::col(a("organization_id")), a("role_organization_id"))
            .from(a("role_grants"))
            .and_where(Expr::col(a("user_id")).eq(user.id))
            .and_where(Expr::col(a("initiative_id")).eq(initiative.id))
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        let roles = rows
            .iter()
            .filter_map(|r| {
                r.try_get::<String>("", "role")
                    .ok()
                    .and_then(|s| Role::parse(&s))
            })
            .collect();
        let organizations = crate::partnership::organizations_of(&rows)?;
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
            organizations,
        })
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
}

/// Give a user a role in an initiative inside a caller's transaction (idempotent).
pub(crate) async fn grant_role_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: Option<i64>,
    user_id: i64,
    initiative_id: i64,
    role: Role,
) -> Result<()> {
    grant_role_for_in(txn, actor, user_id, initiative_id, role, None).await
}

/// [`grant_role_in`], speaking for `organization` when one is given (an
/// existing grant takes it; audited as a change of the grant).
pub(crate) async fn grant_role_for_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: Option<i64>,
    user_id: i64,
    initiative_id: i64,
    role: Role,
    organization: Option<i64>,
) -> Result<()> {
    let existing = txn
        .query_one(
            &Query::select()
                .columns([a("id"), a("organization_id")])
                .from(a("role_grants"))
                .and_where(Expr::col(a("user_id")).eq(user_id))
                .and_where(Expr::col(a("initiative_id")).eq(initiative_id))
                .and_where(Expr::col(a("role")).eq(role.as_str()))
                .to_owned(),
        )
        .await?;
    if let Some(row) = existing {
        let id: i64 = row.try_get("", "id")?;
        let before: Option<i64> = row.try_get("", "organization_id")?;
        if organization.is_some() && organization != before {
            txn.execute(
                &Query::update()
                    .table(a("role_grants"))
                    .value(a("organization_id"), organization)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
            let was =
                serde_json::json!({"user_id": user_id, "role": role, "organization_id": before});
            let now = serde_json::json!({"user_id": user_id, "role": role, "organization_id": organization});
            audit::append(
                txn,
                actor,
                Some(initiative_id),
                "role_grant",
                id,
                "update",
                Some(&was),
                Some(&now),
            )
            .await?;
        }
    } else {
        let q = Query::insert()
            .into_table(a("role_grants"))
            .columns([
                a("user_id"),
                a("initiative_id"),
                a("role"),
                a("organization_id"),
                a("created_at"),
            ])
            .values_panic([
                user_id.into(),
                initiative_id.into(),
                role.as_str().into(),
                organization.into(),
                crate::now().into(),
            ])
            .returning_col(a("id"))
            .to_owned();
        let id = insert_id(txn, &q).await?;
        let mut after = serde_json::json!({"user_id": user_id, "role": role});
        if let Some(o) = organization {
            after["organization_id"] = o.into();
        }
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
