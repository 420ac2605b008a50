//! Read models of the partnership registry.
//!
//! Each is one query (or a fixed few) whatever the size of the initiative: the
//! "who is at the table" view of all bodies loads every current seat in one join.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::Serialize;

use domain::access::{Grants, Role};
use domain::partnership::{Body, Initiative, Position, Seat, Sector, Table, table};
use domain::resource::Record;

use crate::accounts::{Session, User};
use crate::records::{ListOptions, read_record, select};
use crate::{Result, Store, StoreError};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// 1 when `user` leads the network of the joined `initiatives` row, else 0.
fn is_lead(user: Expr) -> Expr {
    let lead = Query::select()
        .expr(Expr::val(1))
        .from(a("network_leads"))
        .and_where(Expr::col((a("network_leads"), a("user_id"))).eq(user))
        .and_where(
            Expr::col((a("network_leads"), a("network_id")))
                .equals((a("initiatives"), a("network_id"))),
        )
        .to_owned();
    Expr::case(Expr::exists(lead), 1).finally(0).into()
}

/// The roles in the `role` column of joined rows. A role the code does not
/// know is an error, never silently dropped.
fn roles_of(rows: &[sea_orm::QueryResult]) -> Result<Vec<Role>> {
    let mut roles = vec![];
    for r in rows {
        if let Some(s) = r.try_get::<Option<String>>("", "role")? {
            roles.push(Role::parse(&s).ok_or_else(|| {
                StoreError::Database(sea_orm::DbErr::Custom(format!(
                    "unknown role {s:?} in role_grants"
                )))
            })?);
        }
    }
    Ok(roles)
}

/// The organizations a `partner` role in the joined rows speaks for (columns
/// `role` and `role_organization_id`).
pub(crate) fn organizations_of(rows: &[sea_orm::QueryResult]) -> Result<Vec<i64>> {
    let mut out = vec![];
    for r in rows {
        let role = r.try_get::<Option<String>>("", "role")?;
        let org = r.try_get::<Option<i64>>("", "role_organization_id")?;
        if let (Some(Role::Partner), Some(o)) = (role.as_deref().and_then(Role::parse), org)
            && !out.contains(&o)
        {
            out.push(o);
        }
    }
    Ok(out)
}

/// An `initiatives` row `user` holds a role in or leads the network of.
fn visible_to(user: &User) -> Expr {
    let by_role = Query::select()
        .column(a("initiative_id"))
        .from(a("role_grants"))
        .and_where(Expr::col(a("user_id")).eq(user.id))
        .to_owned();
    let by_network = Query::select()
        .column(a("network_id"))
        .from(a("network_leads"))
        .and_where(Expr::col(a("user_id")).eq(user.id))
        .to_owned();
    Expr::col((a("initiatives"), a("id")))
        .in_subquery(by_role)
        .or(Expr::col((a("initiatives"), a("network_id"))).in_subquery(by_network))
}

/// A seat with the names it refers to, for listing a body's members.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub membership_id: i64,
    pub body_id: i64,
    pub person_id: i64,
    pub person: String,
    /// The person agreed to be named on the public portal.
    pub named_publicly: bool,
    pub organization_id: Option<i64>,
    pub organization: Option<String>,
    pub sector: Option<Sector>,
    pub position: Position,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// An initiative as one request sees it: the record, how often it has changed,
/// and what the asking user holds over it.
#[derive(Debug, Clone)]
pub struct InitiativeView {
    pub initiative: Record<Initiative>,
    /// Increases with every change to the initiative or anything in it.
    pub generation: i64,
    pub grants: Grants,
}

impl Store {
    /// A live initiative by slug with the user's grants over it, in one query
    /// (this runs on every initiative page, so it is kept to one round trip).
    pub async fn initiative_view(&self, slug: &str, user: Option<&User>) -> Result<InitiativeView> {
        let i = || a("initiatives");
        let mut q = select::<Initiative>();
        q.column((i(), a("generation")))
            .and_where(Expr::col((i(), a("slug"))).eq(slug))
            .and_where(Expr::col((i(), a("archived_at"))).is_null());
        let uid = user.map(|u| u.id).unwrap_or(0);
        q.expr_as(is_lead(Expr::val(uid)), a("is_lead"))
            .expr_as(Expr::col((a("role_grants"), a("role"))), a("role"))
            .expr_as(
                Expr::col((a("role_grants"), a("organization_id"))),
                a("role_organization_id"),
            )
            .left_join(
                a("role_grants"),
                Expr::col((a("role_grants"), a("initiative_id")))
                    .equals((i(), a("id")))
                    .and(Expr::col((a("role_grants"), a("user_id"))).eq(uid)),
            );
        let rows = self.db.query_all(&q).await?;
        let first = rows.first().ok_or(StoreError::NotFound)?;
        let initiative = read_record::<Initiative>(first)?;
        let generation: i64 = first.try_get("", "generation")?;
        let lead: i32 = first.try_get("", "is_lead")?;
        let roles = roles_of(&rows)?;
        let grants = match user {
            Some(u) => Grants {
                admin: u.is_admin,
                network_lead: lead == 1,
                roles,
                organizations: organizations_of(&rows)?,
            },
            None => Grants::default(),
        };
        Ok(InitiativeView {
            initiative,
            generation,
            grants,
        })
    }

    /// The live session a cookie secret names and, in the same round trip, the
    /// initiative `slug` with the session user's grants over it (`None` when there
    /// is no such live initiative). Every signed-in initiative page starts here.
    pub async fn session_view(
        &self,
        secret: &str,
        slug: &str,
    ) -> Result<Option<(Session, Option<InitiativeView>)>> {
        let (s, u, i, rg) = (
            || a("sessions"),
            || a("users"),
            || a("initiatives"),
            || a("role_grants"),
        );
        let mut q = select::<Initiative>();
        q.from_clear();
        q.from(s())
            .inner_join(u(), Expr::col((u(), a("id"))).equals((s(), a("user_id"))))
            .left_join(
                i(),
                Expr::col((i(), a("slug")))
                    .eq(slug)
                    .and(Expr::col((i(), a("archived_at"))).is_null()),
            )
            .left_join(
                rg(),
                Expr::col((rg(), a("initiative_id")))
                    .equals((i(), a("id")))
                    .and(Expr::col((rg(), a("user_id"))).equals((u(), a("id")))),
            )
            .column((i(), a("generation")))
            .expr_as(Expr::col((u(), a("id"))), a("u_id"))
            .expr_as(Expr::col((u(), a("email"))), a("u_email"))
            .expr_as(Expr::col((u(), a("display_name"))), a("u_display_name"))
            .expr_as(Expr::col((u(), a("is_admin"))), a("u_is_admin"))
            .expr_as(Expr::col((u(), a("language"))), a("u_language"))
            .column((s(), a("csrf_token")))
            .expr_as(Expr::col((rg(), a("role"))), a("role"))
            .expr_as(
                Expr::col((rg(), a("organization_id"))),
                a("role_organization_id"),
            )
            .expr_as(is_lead(Expr::col((u(), a("id")))), a("is_lead"))
            .and_where(Expr::col((s(), a("id_hash"))).eq(crate::accounts::sha256_hex(secret)))
            .and_where(Expr::col((s(), a("expires_at"))).gt(crate::now()))
            .and_where(Expr::col((u(), a("disabled_at"))).is_null());
        let rows = self.db.query_all(&q).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let user = User {
            id: first.try_get("", "u_id")?,
            email: first.try_get("", "u_email")?,
            display_name: first.try_get("", "u_display_name")?,
            is_admin: first.try_get("", "u_is_admin")?,
            language: first.try_get("", "u_language")?,
        };
        let session = Session {
            user: user.clone(),
            csrf_token: first.try_get("", "csrf_token")?,
        };
        let found: Option<i64> = first.try_get("", "id")?;
        if found.is_none() {
            return Ok(Some((session, None)));
        }
        let initiative = read_record::<Initiative>(first)?;
        let lead: i32 = first.try_get("", "is_lead")?;
        let roles = roles_of(&rows)?;
        let grants = Grants {
            admin: user.is_admin,
            network_lead: lead == 1,
            roles,
            organizations: organizations_of(&rows)?,
        };
        let generation = first.try_get("", "generation")?;
        Ok(Some((
            session,
            Some(InitiativeView {
                initiative,
                generation,
                grants,
            }),
        )))
    }

    /// A live initiative by its slug.
    pub async fn initiative_by_slug(&self, slug: &str) -> Result<Record<Initiative>> {
        let mut q = select::<Initiative>();
        q.and_where(Expr::col(a("slug")).eq(slug))
            .and_where(Expr::col(a("archived_at")).is_null());
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        read_record::<Initiative>(&row)
    }

    /// Archived initiatives, most recently archived first (for admins to restore).
    pub async fn archived_initiatives(&self) -> Result<Vec<Record<Initiative>>> {
        let mut q = select::<Initiative>();
        q.and_where(Expr::col(a("archived_at")).is_not_null())
            .order_by(a("archived_at"), Order::Desc)
            .limit(200);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(read_record::<Initiative>).collect()
    }

    /// An archived initiative by its slug (to restore it).
    pub async fn archived_initiative_by_slug(&self, slug: &str) -> Result<Record<Initiative>> {
        let mut q = select::<Initiative>();
        q.and_where(Expr::col(a("slug")).eq(slug))
            .and_where(Expr::col(a("archived_at")).is_not_null())
            .order_by(a("id"), Order::Desc);
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        read_record::<Initiative>(&row)
    }

    /// Live seats of an initiative's live bodies (optionally one body), with names.
    /// `current_on` keeps only seats held on that day.
    pub async fn members(
        &self,
        initiative: i64,
        body: Option<i64>,
        current_on: Option<NaiveDate>,
    ) -> Result<Vec<MemberRow>> {
        let m = || a("memberships");
        let mut q = Query::select();
        q.expr_as(Expr::col((m(), a("id"))), a("membership_id"))
            .columns([
                (m(), a("body_id")),
                (m(), a("person_id")),
                (m(), a("organization_id")),
                (m(), a("position")),
                (m(), a("start_date")),
                (m(), a("end_date")),
            ])
            .expr_as(Expr::col((a("people"), a("name"))), a("person"))
            .expr_as(
                Expr::col((a("people"), a("public_name_consent_on"))),
                a("consent_on"),
            )
            .expr_as(
                Expr::col((a("organizations"), a("name"))),
                a("organization"),
            )
            .expr_as(Expr::col((a("organizations"), a("sector"))), a("sector"))
            .from(m())
            .inner_join(
                a("people"),
                Expr::col((a("people"), a("id"))).equals((m(), a("person_id"))),
            )
            .inner_join(
                a("bodies"),
                Expr::col((a("bodies"), a("id"))).equals((m(), a("body_id"))),
            )
            // An archived organization no longer sits at the table: its seats show
            // no organization and its sector counts as missing.
            .left_join(
                a("organizations"),
                Expr::col((a("organizations"), a("id")))
                    .equals((m(), a("organization_id")))
                    .and(Expr::col((a("organizations"), a("archived_at"))).is_null()),
            )
            .and_where(Expr::col((m(), a("initiative_id"))).eq(initiative))
            .and_where(Expr::col((m(), a("archived_at"))).is_null())
            .and_where(Expr::col((a("bodies"), a("archived_at"))).is_null())
            .and_where(Expr::col((a("people"), a("archived_at"))).is_null())
            .order_by((m(), a("body_id")), Order::Asc)
            .order_by((a("people"), a("name")), Order::Asc);
        if let Some(b) = body {
            q.and_where(Expr::col((m(), a("body_id"))).eq(b));
        }
        if let Some(day) = current_on {
            q.and_where(Expr::col((m(), a("start_date"))).lte(day));
            q.and_where(
                Expr::col((m(), a("end_date")))
                    .is_null()
                    .or(Expr::col((m(), a("end_date"))).gte(day)),
            );
        }
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| {
                let position: String = r.try_get("", "position")?;
                let sector: Option<String> = r.try_get("", "sector")?;
                Ok(MemberRow {
                    membership_id: r.try_get("", "membership_id")?,
                    body_id: r.try_get("", "body_id")?,
                    person_id: r.try_get("", "person_id")?,
                    person: r.try_get("", "person")?,
                    named_publicly: r.try_get::<Option<NaiveDate>>("", "consent_on")?.is_some(),
                    organization_id: r.try_get("", "organization_id")?,
                    organization: r.try_get("", "organization")?,
                    sector: sector.as_deref().and_then(Sector::parse),
                    position: Position::parse(&position).unwrap_or(Position::Member),
                    start_date: r.try_get("", "start_date")?,
                    end_date: r.try_get("", "end_date")?,
                })
            })
            .collect()
    }

    /// "Who is at the table": every live body with its current seats by sector and
    /// the sectors it is missing. Two queries in all.
    pub async fn at_the_table(
        &self,
        initiative: i64,
        today: NaiveDate,
    ) -> Result<Vec<(Record<Body>, Table)>> {
        let bodies = self
            .list::<Body>(Some(initiative), ListOptions::all())
            .await?;
        let members = self.members(initiative, None, Some(today)).await?;
        Ok(bodies
            .into_iter()
            .map(|b| {
                let seats = members
                    .iter()
                    .filter(|m| m.body_id == b.id)
                    .map(|m| {
                        (
                            Seat {
                                person: m.person.clone(),
                                named_publicly: m.named_publicly,
                                organization: m.organization.clone(),
                                position: m.position,
                            },
                            m.sector,
                        )
                    })
                    .collect();
                (b, table(seats))
            })
            .collect())
    }

    /// One page of the initiatives `user` may see (all for an admin), by name,
    /// and how many there are in all. Paged in the database: no list is ever cut
    /// short silently.
    pub async fn visible_initiatives(
        &self,
        user: &User,
        opts: ListOptions,
    ) -> Result<(Vec<Record<Initiative>>, i64)> {
        let visible = (!user.is_admin).then(|| visible_to(user));
        self.page_by_name::<Initiative>(visible, opts).await
    }

    /// One page of the networks `user` may see (all for an admin; otherwise the
    /// networks of the initiatives they may see), by name, and the total.
    pub async fn visible_networks(
        &self,
        user: &User,
        opts: ListOptions,
    ) -> Result<(Vec<Record<domain::partnership::Network>>, i64)> {
        let visible = (!user.is_admin).then(|| {
            let mine = Query::select()
                .column((a("initiatives"), a("network_id")))
                .from(a("initiatives"))
                .and_where(Expr::col((a("initiatives"), a("archived_at"))).is_null())
                .cond_where(visible_to(user))
                .to_owned();
            Expr::col((a("networks"), a("id"))).in_subquery(mine)
        });
        self.page_by_name::<domain::partnership::Network>(visible, opts)
            .await
    }

    /// A page of a global kind by name, filtered by `cond`, with the total.
    async fn page_by_name<T: domain::resource::Resource>(
        &self,
        cond: Option<Expr>,
        opts: ListOptions,
    ) -> Result<(Vec<Record<T>>, i64)> {
        let t = || a(T::TABLE);
        let mut q = select::<T>();
        let mut c = Query::select();
        c.expr(Expr::cust("COUNT(*)")).from(t());
        for q in [&mut q, &mut c] {
            if !opts.include_archived {
                q.and_where(Expr::col((t(), a("archived_at"))).is_null());
            }
            if let Some(cond) = &cond {
                q.cond_where(cond.clone());
            }
        }
        q.order_by((t(), a("name")), Order::Asc)
            .order_by((t(), a("id")), Order::Asc)
            .limit(opts.limit)
            .offset(opts.offset);
        let rows = self.db.query_all(&q).await?;
        let items = rows
            .iter()
            .map(read_record::<T>)
            .collect::<Result<Vec<_>>>()?;
        let total = self
            .db
            .query_one(&c)
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        Ok((items, total))
    }

    /// The live initiatives of some networks that `user` may see, by name (for
    /// the networks page). One query.
    pub async fn initiatives_of_networks(
        &self,
        user: &User,
        networks: &[i64],
    ) -> Result<Vec<Record<Initiative>>> {
        if networks.is_empty() {
            return Ok(vec![]);
        }
        let i = || a("initiatives");
        let mut q = select::<Initiative>();
        q.and_where(Expr::col((i(), a("archived_at"))).is_null())
            .and_where(Expr::col((i(), a("network_id"))).is_in(networks.iter().copied()))
            .order_by((i(), a("name")), Order::Asc)
            .order_by((i(), a("id")), Order::Asc);
        if !user.is_admin {
            q.cond_where(visible_to(user));
        }
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(read_record::<Initiative>).collect()
    }
}
