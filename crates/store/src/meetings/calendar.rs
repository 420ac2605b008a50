//! The calendar: scheduling a series (the series record, every meeting and
//! which occurrence each one is, in one transaction), its exceptions (skip,
//! move, end early), what a calendar feed holds, the feeds' secret tokens, and
//! the cadence warning of each body.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::meetings::records::{Meeting, MeetingSeries, MeetingStatus, format_local, parse_local};
use domain::meetings::recurrence::{
    CadenceWarning, FeedData, cadence_days, cadence_warnings, expand,
};
use domain::partnership::Body;
use domain::resource::{Record, Resource};
use domain::validation::FieldErrors;

use crate::records::{create_in, get_in, read_record, select, update_in};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// What a calendar feed's secret token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOwner {
    Body { initiative: i64, body: i64 },
    User(i64),
}

/// A series and the ids of its meetings, in order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scheduled {
    pub series: Record<MeetingSeries>,
    pub meeting_ids: Vec<i64>,
}

impl Store {
    /// Create a series and all its meetings (planned, with the series' title,
    /// place and link) and record which occurrence each meeting is, in one
    /// transaction.
    pub async fn schedule_series(
        &self,
        actor: Option<i64>,
        initiative: i64,
        series: &MeetingSeries,
    ) -> Result<Scheduled> {
        let txn = self.write_txn().await?;
        let out = schedule_series_in(&txn, actor, initiative, series).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// The ids of a series' meetings, by original start.
    pub async fn series_meeting_ids(&self, initiative: i64, series: i64) -> Result<Vec<i64>> {
        let q = Query::select()
            .column(a("meeting_id"))
            .from(a("series_meetings"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("series_id")).eq(series))
            .order_by(a("original_start"), Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
            .collect()
    }

    /// Which series a meeting belongs to and the local start it gave it.
    pub async fn series_of_meeting(
        &self,
        initiative: i64,
        meeting: i64,
    ) -> Result<Option<(i64, String)>> {
        let q = Query::select()
            .columns([a("series_id"), a("original_start")])
            .from(a("series_meetings"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("meeting_id")).eq(meeting))
            .to_owned();
        Ok(match self.db.query_one(&q).await? {
            Some(r) => Some((
                r.try_get("", "series_id")?,
                r.try_get("", "original_start")?,
            )),
            None => None,
        })
    }

    /// Skip one meeting: it is cancelled (and stays, with its place in the
    /// series). Skipping a cancelled meeting changes nothing; a held one is
    /// refused.
    pub async fn skip_meeting(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting: i64,
        expected_version: Option<i64>,
    ) -> Result<Record<Meeting>> {
        let txn = self.write_txn().await?;
        let out = skip_meeting_in(&txn, actor, initiative, meeting, expected_version).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Move one meeting to a new local start and end (in its time zone). It
    /// keeps its place in its series (the original start).
    pub async fn move_meeting(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting: i64,
        starts_at: &str,
        ends_at: &str,
        expected_version: Option<i64>,
    ) -> Result<Record<Meeting>> {
        let txn = self.write_txn().await?;
        let out = move_meeting_in(
            &txn,
            actor,
            initiative,
            meeting,
            starts_at,
            ends_at,
            expected_version,
        )
        .await?;
        txn.commit().await?;
        Ok(out)
    }

    /// End a series early: its last day becomes `until` and its planned
    /// meetings after that day are cancelled (none is deleted). Returns the
    /// series and the ids of the meetings cancelled.
    pub async fn end_series(
        &self,
        actor: Option<i64>,
        initiative: i64,
        series: i64,
        until: NaiveDate,
    ) -> Result<(Record<MeetingSeries>, Vec<i64>)> {
        let txn = self.write_txn().await?;
        let before = get_in::<MeetingSeries>(&txn, Some(initiative), series)
            .await?
            .filter(|s| !s.archived)
            .ok_or(StoreError::NotFound)?;
        if until < before.data.first_start_local().date() {
            return Err(StoreError::Invalid(FieldErrors::single(
                "until",
                "ends_before_start",
                "until must not be before the first meeting",
            )));
        }
        if until > before.data.until {
            return Err(StoreError::Invalid(FieldErrors::single(
                "until",
                "later_than_series",
                format!(
                    "until must not be after the series' last day ({}); schedule a new series to go on",
                    before.data.until
                ),
            )));
        }
        let mut s = before.data.clone();
        s.until = until;
        let after = if s.until == before.data.until {
            before.clone()
        } else {
            update_in(&txn, actor, Some(initiative), series, before.version, &s).await?
        };
        let q = Query::select()
            .columns([a("meeting_id"), a("original_start")])
            .from(a("series_meetings"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("series_id")).eq(series))
            .to_owned();
        let mut cancelled = vec![];
        for r in txn.query_all(&q).await? {
            let id: i64 = r.try_get("", "meeting_id")?;
            let original: String = r.try_get("", "original_start")?;
            if parse_local(&original).is_none_or(|o| o.date() <= until) {
                continue;
            }
            let Some(m) = get_in::<Meeting>(&txn, Some(initiative), id).await? else {
                continue;
            };
            if m.archived || m.data.status != MeetingStatus::Planned {
                continue;
            }
            let mut d = m.data.clone();
            d.status = MeetingStatus::Cancelled;
            update_in(&txn, actor, Some(initiative), id, m.version, &d).await?;
            cancelled.push(id);
        }
        txn.commit().await?;
        Ok((after, cancelled))
    }

    /// A body's feed: its series and meetings (private bodies too: the token
    /// holder was given it by a coordinator).
    pub async fn body_feed(&self, initiative: i64, body: i64) -> Result<FeedData> {
        let b = self.get::<Body>(Some(initiative), body).await?;
        let i = self
            .get::<domain::partnership::Initiative>(None, initiative)
            .await;
        let name = match i {
            Ok(i) => format!("{} — {}", b.data.name, i.data.name),
            Err(_) => b.data.name.clone(),
        };
        self.feed_of_bodies(name, &[body]).await
    }

    /// The meetings of every body of an initiative (or one of them): what the
    /// calendar page lists.
    pub async fn initiative_feed(&self, initiative: i64, body: Option<i64>) -> Result<FeedData> {
        let mut q = Query::select();
        q.column(a("id"))
            .from(a("bodies"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null());
        if let Some(b) = body {
            q.and_where(Expr::col(a("id")).eq(b));
        }
        let ids: Vec<i64> = self
            .db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<std::result::Result<_, _>>()?;
        self.feed_of_bodies(String::new(), &ids).await
    }

    /// A user's feed: the meetings of every body where the user's person
    /// holds a current membership, in every initiative.
    pub async fn user_feed(&self, user: i64, today: NaiveDate) -> Result<FeedData> {
        let q = Query::select()
            .distinct()
            .column((a("memberships"), a("body_id")))
            .from(a("memberships"))
            .inner_join(
                a("people"),
                Expr::col((a("people"), a("id"))).equals((a("memberships"), a("person_id"))),
            )
            .and_where(Expr::col((a("people"), a("user_id"))).eq(user))
            .and_where(Expr::col((a("people"), a("archived_at"))).is_null())
            .and_where(Expr::col((a("memberships"), a("archived_at"))).is_null())
            .and_where(Expr::col((a("memberships"), a("start_date"))).lte(today))
            .and_where(
                Expr::col((a("memberships"), a("end_date")))
                    .is_null()
                    .or(Expr::col((a("memberships"), a("end_date"))).gte(today)),
            )
            .to_owned();
        let ids: Vec<i64> = self
            .db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<std::result::Result<_, _>>()?;
        self.feed_of_bodies("Backbone".to_string(), &ids).await
    }

    /// Everything a feed needs for these bodies, in six queries.
    async fn feed_of_bodies(&self, name: String, bodies: &[i64]) -> Result<FeedData> {
        let mut feed = FeedData {
            name,
            ..Default::default()
        };
        if bodies.is_empty() {
            return Ok(feed);
        }
        let ids: Vec<i64> = bodies.to_vec();
        // Bodies' names and initiatives' slugs.
        let q = Query::select()
            .column((a("bodies"), a("id")))
            .column((a("bodies"), a("name")))
            .column((a("bodies"), a("initiative_id")))
            .column((a("initiatives"), a("slug")))
            .from(a("bodies"))
            .inner_join(
                a("initiatives"),
                Expr::col((a("initiatives"), a("id"))).equals((a("bodies"), a("initiative_id"))),
            )
            .and_where(Expr::col((a("bodies"), a("id"))).is_in(ids.clone()))
            .to_owned();
        for r in self.db.query_all(&q).await? {
            feed.bodies
                .insert(r.try_get("", "id")?, r.try_get::<String>("", "name")?);
            feed.slugs.insert(
                r.try_get("", "initiative_id")?,
                r.try_get::<String>("", "slug")?,
            );
        }
        // Series.
        let mut q = select::<MeetingSeries>();
        q.and_where(Expr::col(a("body_id")).is_in(ids.clone()))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("id"), Order::Asc);
        for r in self.db.query_all(&q).await? {
            feed.series.push(read_record::<MeetingSeries>(&r)?);
        }
        // Meetings.
        let mut q = select::<Meeting>();
        q.and_where(Expr::col(a("body_id")).is_in(ids.clone()))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("starts_at"), Order::Asc)
            .order_by(a("id"), Order::Asc);
        for r in self.db.query_all(&q).await? {
            feed.meetings.push(read_record::<Meeting>(&r)?);
        }
        let meetings_of_bodies = || {
            Query::select()
                .column(a("id"))
                .from(a("meetings"))
                .and_where(Expr::col(a("body_id")).is_in(ids.clone()))
                .to_owned()
        };
        // Which occurrence each meeting is.
        let q = Query::select()
            .columns([a("meeting_id"), a("series_id"), a("original_start")])
            .from(a("series_meetings"))
            .and_where(Expr::col(a("meeting_id")).in_subquery(meetings_of_bodies()))
            .to_owned();
        for r in self.db.query_all(&q).await? {
            let original: String = r.try_get("", "original_start")?;
            if let Some(o) = parse_local(&original) {
                feed.links.insert(
                    r.try_get("", "meeting_id")?,
                    (r.try_get("", "series_id")?, o),
                );
            }
        }
        // Agendas' titles.
        let q = Query::select()
            .columns([a("meeting_id"), a("title")])
            .from(a("agenda_items"))
            .and_where(Expr::col(a("meeting_id")).in_subquery(meetings_of_bodies()))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("meeting_id"), Order::Asc)
            .order_by(a("position"), Order::Asc)
            .order_by(a("id"), Order::Asc)
            .to_owned();
        for r in self.db.query_all(&q).await? {
            feed.agendas
                .entry(r.try_get("", "meeting_id")?)
                .or_default()
                .push(r.try_get("", "title")?);
        }
        Ok(feed)
    }

    /// Whether a person of the registry is linked to this user (a user's
    /// feed lists the meetings of that person's bodies).
    pub async fn user_has_person(&self, user: i64) -> Result<bool> {
        let q = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a("people"))
            .and_where(Expr::col(a("user_id")).eq(user))
            .and_where(Expr::col(a("archived_at")).is_null())
            .to_owned();
        Ok(crate::records::count(&self.db, &q).await? > 0)
    }

    /// The secret token of a body's feed, made on first use.
    pub async fn body_feed_token(
        &self,
        actor: Option<i64>,
        initiative: i64,
        body: i64,
    ) -> Result<String> {
        self.get::<Body>(Some(initiative), body).await?;
        self.feed_token(actor, Some(initiative), "body_id", body, false)
            .await
    }

    /// The secret token of a user's own feed, made on first use.
    pub async fn user_feed_token(&self, user: i64) -> Result<String> {
        self.feed_token(Some(user), None, "user_id", user, false)
            .await
    }

    /// A new token for a body's feed; the old address stops working.
    pub async fn regenerate_body_feed_token(
        &self,
        actor: Option<i64>,
        initiative: i64,
        body: i64,
    ) -> Result<String> {
        self.get::<Body>(Some(initiative), body).await?;
        self.feed_token(actor, Some(initiative), "body_id", body, true)
            .await
    }

    /// A new token for a user's feed; the old address stops working.
    pub async fn regenerate_user_feed_token(&self, user: i64) -> Result<String> {
        self.feed_token(Some(user), None, "user_id", user, true)
            .await
    }

    async fn feed_token(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        column: &str,
        owner: i64,
        regenerate: bool,
    ) -> Result<String> {
        let txn = self.write_txn().await?;
        let existing = token_of(&txn, column, owner).await?;
        if let Some(t) = &existing
            && !regenerate
        {
            return Ok(t.clone());
        }
        if existing.is_some() {
            txn.execute(
                &Query::delete()
                    .from_table(a("calendar_feeds"))
                    .and_where(Expr::col(a(column)).eq(owner))
                    .to_owned(),
            )
            .await?;
        }
        let token = crate::accounts::new_secret();
        txn.execute(
            &Query::insert()
                .into_table(a("calendar_feeds"))
                .columns([a("token"), a(column), a("created_at")])
                .values_panic([token.clone().into(), owner.into(), crate::now().into()])
                .to_owned(),
        )
        .await?;
        // The token itself is a secret: the log says only that one was made.
        let kind = if column == "body_id" {
            "body_calendar_feed"
        } else {
            "user_calendar_feed"
        };
        audit::append(
            &txn,
            actor,
            initiative,
            kind,
            owner,
            if existing.is_some() {
                "regenerate_token"
            } else {
                "create_token"
            },
            None::<&()>,
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// What a feed token opens; an unknown token opens nothing.
    pub async fn feed_owner(&self, token: &str) -> Result<Option<FeedOwner>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let q = Query::select()
            .column((a("calendar_feeds"), a("body_id")))
            .column((a("calendar_feeds"), a("user_id")))
            .column((a("bodies"), a("initiative_id")))
            .from(a("calendar_feeds"))
            .left_join(
                a("bodies"),
                Expr::col((a("bodies"), a("id"))).equals((a("calendar_feeds"), a("body_id"))),
            )
            .and_where(Expr::col((a("calendar_feeds"), a("token"))).eq(token))
            .to_owned();
        let Some(r) = self.db.query_one(&q).await? else {
            return Ok(None);
        };
        let body: Option<i64> = r.try_get("", "body_id")?;
        let user: Option<i64> = r.try_get("", "user_id")?;
        let initiative: Option<i64> = r.try_get("", "initiative_id")?;
        Ok(match (body, initiative, user) {
            (Some(body), Some(initiative), _) => Some(FeedOwner::Body { initiative, body }),
            (_, _, Some(u)) => Some(FeedOwner::User(u)),
            _ => None,
        })
    }

    /// The feed a token opens, with the calendar's name.
    pub async fn feed_by_token(&self, token: &str, today: NaiveDate) -> Result<Option<FeedData>> {
        Ok(match self.feed_owner(token).await? {
            Some(FeedOwner::Body { initiative, body }) => {
                Some(self.body_feed(initiative, body).await?)
            }
            Some(FeedOwner::User(u)) => Some(self.user_feed(u, today).await?),
            None => None,
        })
    }

    /// The cadence warnings of every body of an initiative, by body.
    pub async fn cadence_warnings(
        &self,
        initiative: i64,
        feed: &FeedData,
        today: NaiveDate,
    ) -> Result<Vec<(Record<Body>, Vec<CadenceWarning>)>> {
        let bodies = self
            .list::<Body>(Some(initiative), crate::records::ListOptions::all())
            .await?;
        let mut by_body: HashMap<i64, Vec<&Meeting>> = HashMap::new();
        for m in &feed.meetings {
            by_body.entry(m.data.body_id).or_default().push(&m.data);
        }
        Ok(bodies
            .into_iter()
            .filter(|b| feed.bodies.contains_key(&b.id))
            .map(|b| {
                let days = cadence_days(by_body.get(&b.id).into_iter().flatten().copied());
                let w = cadence_warnings(b.data.cadence_max_days, &days, today);
                (b, w)
            })
            .collect())
    }
}

async fn live_meeting(
    txn: &DatabaseTransaction,
    initiative: i64,
    id: i64,
) -> Result<Record<Meeting>> {
    get_in::<Meeting>(txn, Some(initiative), id)
        .await?
        .filter(|m| !m.archived)
        .ok_or(StoreError::NotFound)
}

async fn token_of(txn: &DatabaseTransaction, column: &str, owner: i64) -> Result<Option<String>> {
    let q = Query::select()
        .column(a("token"))
        .from(a("calendar_feeds"))
        .and_where(Expr::col(a(column)).eq(owner))
        .to_owned();
    Ok(match txn.query_one(&q).await? {
        Some(r) => Some(r.try_get("", "token")?),
        None => None,
    })
}

/// [`Store::schedule_series`] inside a caller's transaction (the demo loader, benches).
pub async fn schedule_series_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    series: &MeetingSeries,
) -> Result<Scheduled> {
    let rec = create_in(txn, actor, Some(initiative), series).await?;
    let mut ids = vec![];
    let length = Duration::minutes(series.duration_minutes);
    for o in expand(series) {
        let m = Meeting {
            body_id: series.body_id,
            title: series.title.clone(),
            starts_at: format_local(o.original_start),
            ends_at: format_local(o.original_start + length),
            time_zone: series.time_zone.clone(),
            place: series.place.clone(),
            online_url: series.online_url.clone(),
            status: MeetingStatus::Planned,
        };
        let m = create_in(txn, actor, Some(initiative), &m).await?;
        txn.execute(
            &Query::insert()
                .into_table(a("series_meetings"))
                .columns([
                    a("meeting_id"),
                    a("series_id"),
                    a("initiative_id"),
                    a("original_start"),
                ])
                .values_panic([
                    m.id.into(),
                    rec.id.into(),
                    initiative.into(),
                    format_local(o.original_start).into(),
                ])
                .to_owned(),
        )
        .await?;
        ids.push(m.id);
    }
    audit::append(
        txn,
        actor,
        Some(initiative),
        <MeetingSeries as Resource>::KIND,
        rec.id,
        "schedule",
        None::<&()>,
        Some(&serde_json::json!({ "meeting_ids": ids })),
    )
    .await?;
    Ok(Scheduled {
        series: rec,
        meeting_ids: ids,
    })
}

/// [`Store::skip_meeting`] inside a caller's transaction (the demo loader, benches).
pub async fn skip_meeting_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting: i64,
    expected_version: Option<i64>,
) -> Result<Record<Meeting>> {
    let before = live_meeting(txn, initiative, meeting).await?;
    let version = expected_version.unwrap_or(before.version);
    match before.data.status {
        MeetingStatus::Cancelled => return Ok(before),
        MeetingStatus::Held => {
            return Err(StoreError::Invalid(FieldErrors::single(
                "status",
                "already_held",
                "a meeting that was held cannot be skipped",
            )));
        }
        MeetingStatus::Planned => {}
    }
    let mut m = before.data.clone();
    m.status = MeetingStatus::Cancelled;
    let after = update_in(txn, actor, Some(initiative), meeting, version, &m).await?;
    Ok(after)
}

/// [`Store::move_meeting`] inside a caller's transaction (the demo loader, benches).
pub async fn move_meeting_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting: i64,
    starts_at: &str,
    ends_at: &str,
    expected_version: Option<i64>,
) -> Result<Record<Meeting>> {
    let mut errors = FieldErrors::default();
    let start = parse_local(starts_at);
    let end = parse_local(ends_at);
    if start.is_none() {
        errors.add(
            "starts_at",
            "invalid_datetime",
            "starts_at must be a local date and time as YYYY-MM-DDTHH:MM",
        );
    }
    if end.is_none() {
        errors.add(
            "ends_at",
            "invalid_datetime",
            "ends_at must be a local date and time as YYYY-MM-DDTHH:MM",
        );
    }
    let (Some(start), Some(end)) = (start, end) else {
        return Err(StoreError::Invalid(errors));
    };
    if end <= start {
        return Err(StoreError::Invalid(FieldErrors::single(
            "ends_at",
            "ends_before_start",
            "ends_at must be after starts_at",
        )));
    }
    if end - start > Duration::hours(24) {
        return Err(StoreError::Invalid(FieldErrors::single(
            "ends_at",
            "too_long",
            "a meeting lasts at most 24 hours",
        )));
    }
    let before = live_meeting(txn, initiative, meeting).await?;
    let version = expected_version.unwrap_or(before.version);
    let mut m = before.data.clone();
    m.starts_at = format_local(start);
    m.ends_at = format_local(end);
    if m.starts_at == before.data.starts_at && m.ends_at == before.data.ends_at {
        return Ok(before);
    }
    let after = update_in(txn, actor, Some(initiative), meeting, version, &m).await?;
    Ok(after)
}
