//! The agenda's own rows: which ideas a round holds, the ballots cast in it and
//! the answers members give for its systems map.
//!
//! These are not registry records (no version, no archive): a ballot is
//! replaced whole, an answer is given, revised or withdrawn. Each write runs in
//! one transaction with its audit entry, and the rules that decide whether it
//! may happen (the round is open, at most *k* picks, the answer does not
//! contradict earlier ones) are checked inside that transaction, so two members
//! answering at once cannot slip a contradiction past each other.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use domain::agenda::rounds::{self, BallotError};
use domain::agenda::{Idea, IdeaStatus, Round};
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::records::{count, get_in};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// One answer to "would progress on `from` significantly help progress on `to`?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapAnswer {
    pub from: i64,
    pub to: i64,
    pub influences: bool,
    pub user_id: Option<i64>,
    pub answered_at: DateTime<Utc>,
}

/// How many ballots a round has and the ideas they picked (one entry per pick).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ballots {
    pub ballots: i64,
    pub picks: Vec<i64>,
}

fn refused(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

async fn round_in(txn: &DatabaseTransaction, initiative: i64, round: i64) -> Result<Record<Round>> {
    get_in::<Round>(txn, Some(initiative), round)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn ideas_of(conn: &impl ConnectionTrait, round: i64) -> Result<Vec<i64>> {
    let q = Query::select()
        .column(a("idea_id"))
        .from(a("round_ideas"))
        .and_where(Expr::col(a("round_id")).eq(round))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&q).await?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
        .collect()
}

async fn answers_of(conn: &impl ConnectionTrait, round: i64) -> Result<Vec<MapAnswer>> {
    let q = Query::select()
        .columns([
            a("from_idea"),
            a("to_idea"),
            a("influences"),
            a("user_id"),
            a("answered_at"),
        ])
        .from(a("map_answers"))
        .and_where(Expr::col(a("round_id")).eq(round))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&q).await?;
    rows.iter()
        .map(|r| {
            Ok(MapAnswer {
                from: r.try_get("", "from_idea")?,
                to: r.try_get("", "to_idea")?,
                influences: r.try_get("", "influences")?,
                user_id: r.try_get("", "user_id")?,
                answered_at: r.try_get::<DateTime<Utc>>("", "answered_at")?,
            })
        })
        .collect()
}

async fn has_ballots_or_answers(txn: &DatabaseTransaction, round: i64) -> Result<bool> {
    for table in ["ballots", "map_answers"] {
        let q = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a(table))
            .and_where(Expr::col(a("round_id")).eq(round))
            .to_owned();
        if count(txn, &q).await? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Store {
    /// The ideas of a round, in the order they were added.
    pub async fn round_ideas(&self, round: i64) -> Result<Vec<i64>> {
        ideas_of(&self.db, round).await
    }

    /// Set which ideas a round holds. Only accepted, live ideas of the
    /// initiative; and only before anyone has voted or answered, since a ballot
    /// or an answer about an idea that left the round would lose its meaning.
    pub async fn set_round_ideas(
        &self,
        actor: Option<i64>,
        initiative: i64,
        round: i64,
        ideas: &[i64],
    ) -> Result<Vec<i64>> {
        let txn = self.write_txn().await?;
        round_in(&txn, initiative, round).await?;
        let before = ideas_of(&txn, round).await?;
        let mut wanted: Vec<i64> = vec![];
        for id in ideas {
            if !wanted.contains(id) {
                wanted.push(*id);
            }
        }
        if before == wanted {
            return Ok(before);
        }
        if has_ballots_or_answers(&txn, round).await? {
            return Err(refused(
                "idea_ids",
                "round_started",
                "ballots or map answers exist for this round: its ideas can no longer change",
            ));
        }
        for id in &wanted {
            let idea = get_in::<Idea>(&txn, Some(initiative), *id).await?;
            match idea {
                Some(i) if !i.archived && i.data.status == IdeaStatus::Accepted => {}
                _ => {
                    return Err(refused(
                        "idea_ids",
                        "idea_not_accepted",
                        format!("idea {id} is not an accepted idea of this initiative"),
                    ));
                }
            }
        }
        write_round_ideas(&txn, actor, initiative, round, &before, &wanted).await?;
        txn.commit().await?;
        Ok(wanted)
    }

    /// Cast (or replace) `user`'s ballot in a round on `today`.
    pub async fn cast_ballot(
        &self,
        user: i64,
        initiative: i64,
        round: i64,
        picks: &[i64],
        today: NaiveDate,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let r = round_in(&txn, initiative, round).await?;
        if r.archived {
            return Err(StoreError::NotFound);
        }
        let ideas = ideas_of(&txn, round).await?;
        if let Err(e) = rounds::check_ballot(&r.data, &ideas, picks, today) {
            let code = match e {
                BallotError::NotOpenYet(_) => "round_not_open",
                BallotError::Closed(_) => "round_closed",
                BallotError::Empty => "required",
                BallotError::TooMany { .. } => "too_many_picks",
                BallotError::NotInRound(_) => "not_in_round",
                BallotError::Repeated(_) => "repeated_pick",
            };
            return Err(refused("idea_ids", code, e.to_string()));
        }
        let existing = match ballot_of(&txn, round, user).await? {
            Some(id) => Some((id, picks_of_ballot(&txn, id).await?)),
            None => None,
        };
        write_ballot(&txn, user, initiative, round, existing, picks, crate::now()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The ideas `user` picked in a round (empty when they have not voted).
    pub async fn my_ballot(&self, round: i64, user: i64) -> Result<Vec<i64>> {
        match ballot_of(&self.db, round, user).await? {
            Some(id) => picks_of_ballot(&self.db, id).await,
            None => Ok(vec![]),
        }
    }

    /// Every pick of every ballot of a round, and how many ballots there are.
    pub async fn ballots(&self, round: i64) -> Result<Ballots> {
        let n = count(
            &self.db,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("ballots"))
                .and_where(Expr::col(a("round_id")).eq(round))
                .to_owned(),
        )
        .await?;
        let q = Query::select()
            .column((a("ballot_picks"), a("idea_id")))
            .from(a("ballot_picks"))
            .inner_join(
                a("ballots"),
                Expr::col((a("ballots"), a("id"))).equals((a("ballot_picks"), a("ballot_id"))),
            )
            .and_where(Expr::col((a("ballots"), a("round_id"))).eq(round))
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        let picks = rows
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<std::result::Result<_, _>>()?;
        Ok(Ballots { ballots: n, picks })
    }

    /// What members answered for a round's systems map, in the order given.
    pub async fn map_answers(&self, round: i64) -> Result<Vec<MapAnswer>> {
        answers_of(&self.db, round).await
    }

    /// Give, revise (`Some`) or withdraw (`None`) the answer for one pair.
    /// `check` sees every answer as it would be after the change, inside the
    /// write transaction, and may refuse it: then nothing is written and its
    /// error is returned as `Ok(Err(..))`.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer_map<E>(
        &self,
        user: Option<i64>,
        initiative: i64,
        round: i64,
        from: i64,
        to: i64,
        influences: Option<bool>,
        check: impl FnOnce(&[i64], &[MapAnswer]) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let txn = self.write_txn().await?;
        let r = round_in(&txn, initiative, round).await?;
        if r.archived {
            return Err(StoreError::NotFound);
        }
        let ideas = ideas_of(&txn, round).await?;
        if from == to || !ideas.contains(&from) || !ideas.contains(&to) {
            return Err(refused(
                "to",
                "not_in_round",
                "the question must be about two different ideas of this round",
            ));
        }
        let mut answers = answers_of(&txn, round).await?;
        let before = answers
            .iter()
            .find(|x| x.from == from && x.to == to)
            .map(|x| x.influences);
        if before == influences {
            return Ok(Ok(()));
        }
        answers.retain(|x| !(x.from == from && x.to == to));
        let now = crate::now();
        if let Some(yes) = influences {
            answers.push(MapAnswer {
                from,
                to,
                influences: yes,
                user_id: user,
                answered_at: now.get(),
            });
        }
        if let Err(e) = check(&ideas, &answers) {
            return Ok(Err(e));
        }
        write_map_answer(
            &txn,
            user,
            initiative,
            round,
            (from, to),
            before,
            influences,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(Ok(()))
    }
}

/// The id of `user`'s ballot in a round, if they voted.
async fn ballot_of(conn: &impl ConnectionTrait, round: i64, user: i64) -> Result<Option<i64>> {
    let row = conn
        .query_one(
            &Query::select()
                .column(a("id"))
                .from(a("ballots"))
                .and_where(Expr::col(a("round_id")).eq(round))
                .and_where(Expr::col(a("user_id")).eq(user))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?)
}

async fn picks_of_ballot(conn: &impl ConnectionTrait, ballot: i64) -> Result<Vec<i64>> {
    let q = Query::select()
        .column(a("idea_id"))
        .from(a("ballot_picks"))
        .and_where(Expr::col(a("ballot_id")).eq(ballot))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&q).await?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
        .collect()
}

/// Replace the ideas of a round (`before` is what it held), with its audit entry.
pub(crate) async fn write_round_ideas(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    round: i64,
    before: &[i64],
    ideas: &[i64],
) -> Result<()> {
    txn.execute(
        &Query::delete()
            .from_table(a("round_ideas"))
            .and_where(Expr::col(a("round_id")).eq(round))
            .to_owned(),
    )
    .await?;
    if !ideas.is_empty() {
        let mut q = Query::insert();
        q.into_table(a("round_ideas"))
            .columns([a("round_id"), a("idea_id")]);
        for id in ideas {
            q.values_panic([round.into(), (*id).into()]);
        }
        txn.execute(&q).await?;
    }
    audit::append(
        txn,
        actor,
        Some(initiative),
        "round",
        round,
        "set_ideas",
        Some(&serde_json::json!({ "idea_ids": before })),
        Some(&serde_json::json!({ "idea_ids": ideas })),
    )
    .await
}

/// Write `user`'s ballot (already checked) cast at `at`: a new one, or in
/// place of `existing` (its id and earlier picks), with its audit entry.
pub(crate) async fn write_ballot(
    txn: &DatabaseTransaction,
    user: i64,
    initiative: i64,
    round: i64,
    existing: Option<(i64, Vec<i64>)>,
    picks: &[i64],
    at: crate::Timestamp,
) -> Result<()> {
    let (ballot, before) = match existing {
        Some((id, before)) => {
            txn.execute(
                &Query::delete()
                    .from_table(a("ballot_picks"))
                    .and_where(Expr::col(a("ballot_id")).eq(id))
                    .to_owned(),
            )
            .await?;
            txn.execute(
                &Query::update()
                    .table(a("ballots"))
                    .value(a("cast_at"), at)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
            (id, Some(before))
        }
        None => {
            let q = Query::insert()
                .into_table(a("ballots"))
                .columns([a("round_id"), a("user_id"), a("cast_at")])
                .values_panic([round.into(), user.into(), at.into()])
                .returning_col(a("id"))
                .to_owned();
            (crate::records::insert_id(txn, &q).await?, None)
        }
    };
    let mut q = Query::insert();
    q.into_table(a("ballot_picks"))
        .columns([a("ballot_id"), a("idea_id")]);
    for id in picks {
        q.values_panic([ballot.into(), (*id).into()]);
    }
    txn.execute(&q).await?;
    audit::append(
        txn,
        Some(user),
        Some(initiative),
        "round",
        round,
        if before.is_some() { "revote" } else { "vote" },
        before
            .map(|b| serde_json::json!({ "idea_ids": b }))
            .as_ref(),
        Some(&serde_json::json!({ "idea_ids": picks })),
    )
    .await
}

/// Give, revise or withdraw (`influences` none) the answer for the pair
/// `(from, to)`, which was `before`, with its audit entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_map_answer(
    txn: &DatabaseTransaction,
    user: Option<i64>,
    initiative: i64,
    round: i64,
    (from, to): (i64, i64),
    before: Option<bool>,
    influences: Option<bool>,
    at: crate::Timestamp,
) -> Result<()> {
    if before.is_some() {
        txn.execute(
            &Query::delete()
                .from_table(a("map_answers"))
                .and_where(Expr::col(a("round_id")).eq(round))
                .and_where(Expr::col(a("from_idea")).eq(from))
                .and_where(Expr::col(a("to_idea")).eq(to))
                .to_owned(),
        )
        .await?;
    }
    if let Some(yes) = influences {
        txn.execute(
            &Query::insert()
                .into_table(a("map_answers"))
                .columns([
                    a("round_id"),
                    a("from_idea"),
                    a("to_idea"),
                    a("influences"),
                    a("user_id"),
                    a("answered_at"),
                ])
                .values_panic([
                    round.into(),
                    from.into(),
                    to.into(),
                    yes.into(),
                    user.into(),
                    at.into(),
                ])
                .to_owned(),
        )
        .await?;
    }
    let json =
        |v: Option<bool>| v.map(|b| serde_json::json!({ "from": from, "to": to, "influences": b }));
    audit::append(
        txn,
        user,
        Some(initiative),
        "round",
        round,
        match (before, influences) {
            (None, _) => "map_answer",
            (Some(_), Some(_)) => "map_revise",
            (Some(_), None) => "map_withdraw",
        },
        json(before).as_ref(),
        json(influences).as_ref(),
    )
    .await
}
