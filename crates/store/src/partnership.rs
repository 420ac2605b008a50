//! Read models of the partnership registry.
//!
//! Each is one query (or a fixed few) whatever the size of the initiative: the
//! "who is at the table" view of all bodies loads every current seat in one join.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::Serialize;

use domain::partnership::{Body, Initiative, Position, Seat, Sector, Table, table};
use domain::resource::Record;

use crate::records::ListOptions;
use crate::{Result, Store, StoreError};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// A seat with the names it refers to, for listing a body's members.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub membership_id: i64,
    pub body_id: i64,
    pub person_id: i64,
    pub person: String,
    pub organization_id: Option<i64>,
    pub organization: Option<String>,
    pub sector: Option<Sector>,
    pub position: Position,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub stipend_hourly_cents: Option<i64>,
    pub stipend_currency: Option<String>,
}

impl Store {
    /// A live initiative by its slug.
    pub async fn initiative_by_slug(&self, slug: &str) -> Result<Record<Initiative>> {
        let q = Query::select()
            .column(a("id"))
            .from(a("initiatives"))
            .and_where(Expr::col(a("slug")).eq(slug))
            .and_where(Expr::col(a("archived_at")).is_null())
            .to_owned();
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        self.get::<Initiative>(None, row.try_get("", "id")?).await
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
                (m(), a("stipend_hourly_cents")),
                (m(), a("stipend_currency")),
            ])
            .expr_as(Expr::col((a("people"), a("name"))), a("person"))
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
            .left_join(
                a("organizations"),
                Expr::col((a("organizations"), a("id"))).equals((m(), a("organization_id"))),
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
                    organization_id: r.try_get("", "organization_id")?,
                    organization: r.try_get("", "organization")?,
                    sector: sector.as_deref().and_then(Sector::parse),
                    position: Position::parse(&position).unwrap_or(Position::Member),
                    start_date: r.try_get("", "start_date")?,
                    end_date: r.try_get("", "end_date")?,
                    stipend_hourly_cents: r.try_get("", "stipend_hourly_cents")?,
                    stipend_currency: r.try_get("", "stipend_currency")?,
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
            .list::<Body>(Some(initiative), ListOptions::default())
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

    /// Every live initiative the given ids allow (`None`: all), by name.
    pub async fn initiatives_among(&self, ids: Option<&[i64]>) -> Result<Vec<Record<Initiative>>> {
        let all = self
            .list::<Initiative>(None, ListOptions::default())
            .await?;
        let mut v: Vec<_> = match ids {
            None => all,
            Some(ids) => all.into_iter().filter(|i| ids.contains(&i.id)).collect(),
        };
        v.sort_by(|a, b| a.data.name.cmp(&b.data.name));
        Ok(v)
    }

    /// Raw connection check used by tests: run a statement on the current engine.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<()> {
        self.db.execute_unprepared(sql).await?;
        Ok(())
    }
}
