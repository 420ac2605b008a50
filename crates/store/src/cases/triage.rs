//! The prioritisation tool: questions, answers, scores.
//!
//! A change of weights recomputes every score of the list in the same
//! transaction; a person's answers recompute their score in the same
//! transaction. Audit entries name what changed (questions, how many scores),
//! never a person's answers.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use domain::cases::triage::{Question, score};

use super::{a, list_in};
use crate::{Result, Store, StoreError, audit};

/// A question as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionRow {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub weight: i64,
}

/// A question with one person's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerRow {
    pub question: QuestionRow,
    pub yes: bool,
}

async fn questions_in(conn: &impl ConnectionTrait, list: i64) -> Result<Vec<QuestionRow>> {
    let q = Query::select()
        .columns(["id", "position", "text", "weight"].map(a))
        .from(a("case_triage_questions"))
        .and_where(Expr::col(a("list_id")).eq(list))
        .and_where(Expr::col(a("archived_at")).is_null())
        .order_by(a("position"), Order::Asc)
        .order_by(a("id"), Order::Asc)
        .to_owned();
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(QuestionRow {
                id: r.try_get("", "id")?,
                position: r.try_get("", "position")?,
                text: r.try_get("", "text")?,
                weight: r.try_get("", "weight")?,
            })
        })
        .collect()
}

/// Recompute the scores of `people` (all the list's people when `None`):
/// one read of the people and one of their answers, then a write for each
/// person whose score changed.
async fn rescore(txn: &DatabaseTransaction, list: i64, people: Option<&[i64]>) -> Result<usize> {
    let questions = questions_in(txn, list).await?;
    let mut q = Query::select()
        .columns(["id", "triage_score"].map(a))
        .from(a("case_people"))
        .and_where(Expr::col(a("list_id")).eq(list))
        .to_owned();
    let mut ans = Query::select()
        .columns([
            (a("case_triage_answers"), a("person_id")),
            (a("case_triage_answers"), a("question_id")),
            (a("case_triage_answers"), a("yes")),
        ])
        .from(a("case_triage_answers"))
        .inner_join(
            a("case_people"),
            Expr::col((a("case_people"), a("id")))
                .equals((a("case_triage_answers"), a("person_id"))),
        )
        .and_where(Expr::col((a("case_people"), a("list_id"))).eq(list))
        .to_owned();
    if let Some(p) = people {
        q.and_where(Expr::col(a("id")).is_in(p.iter().copied()));
        ans.and_where(Expr::col((a("case_people"), a("id"))).is_in(p.iter().copied()));
    }
    let mut yes: HashMap<i64, HashMap<i64, bool>> = HashMap::new();
    for r in txn.query_all(&ans).await? {
        let person: i64 = r.try_get("", "person_id")?;
        yes.entry(person)
            .or_default()
            .insert(r.try_get("", "question_id")?, r.try_get("", "yes")?);
    }
    let rows = txn.query_all(&q).await?;
    for r in &rows {
        let id: i64 = r.try_get("", "id")?;
        let current: i64 = r.try_get("", "triage_score")?;
        let answered = yes.get(&id);
        let pairs: Vec<(i64, bool)> = questions
            .iter()
            .map(|q| {
                let y = answered.and_then(|m| m.get(&q.id)).copied();
                (q.weight, y.unwrap_or(false))
            })
            .collect();
        let new = score(&pairs);
        if new != current {
            txn.execute(
                &Query::update()
                    .table(a("case_people"))
                    .value(a("triage_score"), new)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
        }
    }
    Ok(rows.len())
}

/// The list a person of the initiative is on (another initiative's person is
/// not found).
pub(crate) async fn person_list(
    conn: &impl ConnectionTrait,
    initiative: i64,
    person: i64,
) -> Result<i64> {
    let q = Query::select()
        .column(a("list_id"))
        .from(a("case_people"))
        .and_where(Expr::col(a("id")).eq(person))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .to_owned();
    Ok(conn
        .query_one(&q)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("", "list_id")?)
}

/// Replace a list's questions (kept by position: a reworded question keeps
/// its answers; the ones past the new count are archived) and rescore the
/// list. Returns the questions before and after, and how many were rescored.
pub(crate) async fn set_questions_in(
    txn: &DatabaseTransaction,
    list: i64,
    questions: &[Question],
) -> Result<(Vec<QuestionRow>, Vec<QuestionRow>, usize)> {
    let before = questions_in(txn, list).await?;
    let now = crate::now();
    for (i, q) in questions.iter().enumerate() {
        if let Some(old) = before.get(i) {
            txn.execute(
                &Query::update()
                    .table(a("case_triage_questions"))
                    .values([
                        (a("position"), (i as i64).into()),
                        (a("text"), q.text.clone().into()),
                        (a("weight"), q.weight.into()),
                    ])
                    .and_where(Expr::col(a("id")).eq(old.id))
                    .to_owned(),
            )
            .await?;
        } else {
            txn.execute(
                &Query::insert()
                    .into_table(a("case_triage_questions"))
                    .columns(["list_id", "position", "text", "weight"].map(a))
                    .values_panic([
                        list.into(),
                        (i as i64).into(),
                        q.text.clone().into(),
                        q.weight.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        }
    }
    for old in before.iter().skip(questions.len()) {
        txn.execute(
            &Query::update()
                .table(a("case_triage_questions"))
                .value(a("archived_at"), now)
                .and_where(Expr::col(a("id")).eq(old.id))
                .to_owned(),
        )
        .await?;
    }
    let rescored = rescore(txn, list, None).await?;
    let after = questions_in(txn, list).await?;
    Ok((before, after, rescored))
}

/// Replace one person's answers (`yes`: the ids answered yes) and rescore
/// them. Returns how many questions the list has.
pub(crate) async fn answer_in(
    txn: &DatabaseTransaction,
    list: i64,
    person: i64,
    actor: Option<i64>,
    yes: &[i64],
) -> Result<usize> {
    let questions = questions_in(txn, list).await?;
    if let Some(bad) = yes.iter().find(|y| !questions.iter().any(|q| q.id == **y)) {
        return Err(StoreError::Invalid(
            domain::validation::FieldErrors::single(
                &format!("q_{bad}"),
                "unknown_question",
                "not a question of this list",
            ),
        ));
    }
    txn.execute(
        &Query::delete()
            .from_table(a("case_triage_answers"))
            .and_where(Expr::col(a("person_id")).eq(person))
            .to_owned(),
    )
    .await?;
    let now = crate::now();
    for q in &questions {
        txn.execute(
            &Query::insert()
                .into_table(a("case_triage_answers"))
                .columns(
                    [
                        "person_id",
                        "question_id",
                        "yes",
                        "answered_by",
                        "answered_at",
                    ]
                    .map(a),
                )
                .values_panic([
                    person.into(),
                    q.id.into(),
                    yes.contains(&q.id).into(),
                    actor.into(),
                    now.into(),
                ])
                .to_owned(),
        )
        .await?;
    }
    rescore(txn, list, Some(&[person])).await?;
    Ok(questions.len())
}

impl Store {
    /// The list's questions, in order.
    pub async fn triage_questions(&self, initiative: i64, list: i64) -> Result<Vec<QuestionRow>> {
        list_in(&self.db, initiative, list).await?;
        questions_in(&self.db, list).await
    }

    /// Replace the list's questions (position by position: a question keeps
    /// its id, and its answers, while it keeps its place) and recompute every
    /// score of the list, in one transaction with one audit entry.
    pub async fn set_triage_questions(
        &self,
        initiative: i64,
        list: i64,
        actor: Option<i64>,
        questions: &[Question],
    ) -> Result<Vec<QuestionRow>> {
        let txn = self.write_txn().await?;
        list_in(&txn, initiative, list).await?;
        let (before, after, rescored) = set_questions_in(&txn, list, questions).await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_triage",
            list,
            "update",
            Some(&before),
            Some(&serde_json::json!({ "questions": after, "rescored": rescored })),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    pub async fn triage_answers(
        &self,
        initiative: i64,
        person: i64,
    ) -> Result<(i64, Vec<AnswerRow>)> {
        let list = person_list(&self.db, initiative, person).await?;
        let questions = questions_in(&self.db, list).await?;
        let ans = Query::select()
            .columns(["question_id", "yes"].map(a))
            .from(a("case_triage_answers"))
            .and_where(Expr::col(a("person_id")).eq(person))
            .to_owned();
        let mut yes = std::collections::BTreeMap::new();
        for r in self.db.query_all(&ans).await? {
            let qid: i64 = r.try_get("", "question_id")?;
            let y: bool = r.try_get("", "yes")?;
            yes.insert(qid, y);
        }
        Ok((
            list,
            questions
                .into_iter()
                .map(|q| AnswerRow {
                    yes: yes.get(&q.id).copied().unwrap_or(false),
                    question: q,
                })
                .collect(),
        ))
    }

    /// Record a person's answers (question ids answered yes; every other
    /// question of the list is no) and store the new score, in one transaction
    /// with one audit entry naming how many questions were answered.
    pub async fn answer_triage(
        &self,
        initiative: i64,
        person: i64,
        actor: Option<i64>,
        yes: &[i64],
    ) -> Result<i64> {
        let txn = self.write_txn().await?;
        let list = person_list(&txn, initiative, person).await?;
        let questions = answer_in(&txn, list, person, actor, yes).await?;
        let s: i64 = txn
            .query_one(
                &Query::select()
                    .column(a("triage_score"))
                    .from(a("case_people"))
                    .and_where(Expr::col(a("id")).eq(person))
                    .to_owned(),
            )
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("", "triage_score")?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_triage",
            person,
            "answer",
            None::<&()>,
            Some(&serde_json::json!({ "fields": ["answers", "triage_score"], "questions": questions })),
        )
        .await?;
        txn.commit().await?;
        Ok(s)
    }
}
