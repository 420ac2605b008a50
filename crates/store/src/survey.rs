//! Survey responses: the volume side of surveys.
//!
//! A survey itself is a registry record (`domain::measurement::survey::Survey`,
//! written through [`crate::records`]). Its responses are not: they arrive by
//! the hundred, are never edited, and each is one row of `survey_responses`
//! with its answers as JSON text — no version, no per-row audit entry. A
//! response is checked (the survey takes answers today, every answer fits its
//! question) inside the transaction that writes it.
//!
//! **One response per person, or per browser.** Every row carries a
//! *responder key*, unique per survey (a unique index enforces it, so two
//! submissions at the same moment cannot both land). For a members-only
//! survey the responder is the signed-in account; for a public survey it is
//! the browser, identified by a token this server signed and gave it in a
//! cookie (`NONCE.SIGNATURE`, see [`Store::new_survey_browser_token`]). The key
//! is an HMAC of the survey and the responder under the server's signing key,
//! so the table names no account and no token: coordinators read what was
//! answered, never who answered it, and a copy of the database alone does not
//! tell either. A public link stops a second answer from the same browser; a
//! visitor who clears cookies or changes browser can answer again (the portal
//! also limits answers per address), which is the honest limit of an open
//! link without accounts.
//!
//! Responses keep the day they came (`submitted_on`), not the moment, for the
//! same reason.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use domain::measurement::survey::{
    self, Audience, Phase, RawAnswers, Survey, answers_json, check_answers,
};
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::records::{count, get_in};
use crate::{Result, Store, StoreError};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Purpose of the signature on a browser token.
const BROWSER: &str = "survey-browser";
/// Purpose of the responder keys.
const RESPONDER: &str = "survey-responder";

/// Who answers a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Responder {
    /// A signed-in account (members-only surveys).
    Member(i64),
    /// A browser holding a token this server issued (public surveys): the
    /// token's nonce.
    Browser(String),
}

/// One stored response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResponse {
    pub id: i64,
    pub submitted_on: NaiveDate,
    /// As [`survey::answers_json`] wrote them.
    pub answers: serde_json::Value,
}

fn refused(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

/// Why a survey does not take an answer today, as a refusal; `None` when it does.
pub fn not_taking_answers(s: &Survey, today: NaiveDate) -> Option<StoreError> {
    match survey::phase(s, today) {
        Phase::Open => None,
        Phase::Draft => Some(refused(
            "survey",
            "survey_draft",
            "the survey is still being prepared",
        )),
        Phase::Upcoming(d) => Some(refused(
            "survey",
            "survey_not_open",
            format!("the survey opens on {d}"),
        )),
        Phase::Closed(Some(d)) => Some(refused(
            "survey",
            "survey_closed",
            format!("the survey closed on {d}"),
        )),
        Phase::Closed(None) => Some(refused("survey", "survey_closed", "the survey is closed")),
    }
}

impl Store {
    /// A new browser token for public surveys: a random nonce and this
    /// server's signature of it, `NONCE.SIGNATURE`.
    pub async fn new_survey_browser_token(&self) -> Result<String> {
        let key = self.signing_key().await?;
        let nonce = crate::accounts::new_secret();
        let sig = key.sign(BROWSER, &nonce);
        Ok(format!("{nonce}.{sig}"))
    }

    /// The browser a token names, when this server issued it.
    pub async fn survey_browser(&self, token: &str) -> Result<Option<Responder>> {
        let Some((nonce, sig)) = token.split_once('.') else {
            return Ok(None);
        };
        if nonce.len() != 64 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let key = self.signing_key().await?;
        Ok(key
            .verify(BROWSER, nonce, sig)
            .then(|| Responder::Browser(nonce.to_string())))
    }

    async fn responder_key(&self, survey: i64, who: &Responder) -> Result<String> {
        let key = self.signing_key().await?;
        let message = match who {
            Responder::Member(user) => format!("{survey}:member:{user}"),
            Responder::Browser(nonce) => format!("{survey}:browser:{nonce}"),
        };
        Ok(key.sign(RESPONDER, &message))
    }

    /// Whether `who` has answered this survey.
    pub async fn survey_responded(&self, survey: i64, who: &Responder) -> Result<bool> {
        let key = self.responder_key(survey, who).await?;
        responded(&self.db, survey, &key).await
    }

    /// Record `who`'s answers to a survey of `initiative` on `today`. Refused,
    /// with nothing written, when the survey is archived or does not take
    /// answers today, when `who` is not its kind of responder (an account for
    /// a members-only survey, a browser for a public one), when an answer does
    /// not fit its question (errors keyed `q1`, `q2`, …), or when `who`
    /// answered it before (`already_answered`). Returns the response's id.
    pub async fn add_survey_response(
        &self,
        initiative: i64,
        survey: i64,
        who: &Responder,
        raw: &RawAnswers,
        today: NaiveDate,
    ) -> Result<i64> {
        let key = self.responder_key(survey, who).await?;
        let txn = self.write_txn().await?;
        let s = live_survey(&txn, initiative, survey).await?;
        let fits = matches!(
            (s.data.audience, who),
            (Audience::Members, Responder::Member(_)) | (Audience::Public, Responder::Browser(_))
        );
        if !fits {
            return Err(refused(
                "survey",
                "wrong_audience",
                match s.data.audience {
                    Audience::Public => "this survey is answered through its public link",
                    Audience::Members => "this survey is for the initiative's members",
                },
            ));
        }
        if let Some(e) = not_taking_answers(&s.data, today) {
            return Err(e);
        }
        let answers = check_answers(&s.data.question_list(), raw).map_err(StoreError::Invalid)?;
        if responded(&txn, survey, &key).await? {
            return Err(already_answered());
        }
        let id = write_response(
            &txn,
            initiative,
            survey,
            &key,
            &answers_json(&answers),
            today,
        )
        .await
        .map_err(|e| {
            let twice = matches!(&e, StoreError::Database(db) if matches!(
                db.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ));
            if twice { already_answered() } else { e }
        })?;
        txn.commit().await?;
        Ok(id)
    }

    /// Every response to a survey, oldest first.
    pub async fn survey_responses(&self, survey: i64) -> Result<Vec<StoredResponse>> {
        let q = Query::select()
            .columns([a("id"), a("submitted_on"), a("answers")])
            .from(a("survey_responses"))
            .and_where(Expr::col(a("survey_id")).eq(survey))
            .order_by(a("id"), Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("", "answers")?;
                Ok(StoredResponse {
                    id: r.try_get("", "id")?,
                    submitted_on: r.try_get("", "submitted_on")?,
                    answers: serde_json::from_str(&text).map_err(|e| {
                        StoreError::Database(sea_orm::DbErr::Custom(format!(
                            "stored answers are not JSON: {e}"
                        )))
                    })?,
                })
            })
            .collect()
    }

    /// How many responses a survey has.
    pub async fn survey_response_count(&self, survey: i64) -> Result<i64> {
        count(
            &self.db,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("survey_responses"))
                .and_where(Expr::col(a("survey_id")).eq(survey))
                .to_owned(),
        )
        .await
    }
}

fn already_answered() -> StoreError {
    refused(
        "survey",
        "already_answered",
        "this survey has been answered from here already: one response each",
    )
}

async fn live_survey(
    txn: &DatabaseTransaction,
    initiative: i64,
    survey: i64,
) -> Result<Record<Survey>> {
    match get_in::<Survey>(txn, Some(initiative), survey).await? {
        Some(s) if !s.archived => Ok(s),
        _ => Err(StoreError::NotFound),
    }
}

async fn responded(conn: &impl ConnectionTrait, survey: i64, key: &str) -> Result<bool> {
    let n = count(
        conn,
        &Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a("survey_responses"))
            .and_where(Expr::col(a("survey_id")).eq(survey))
            .and_where(Expr::col(a("responder_key")).eq(key))
            .to_owned(),
    )
    .await?;
    Ok(n > 0)
}

/// Write one response (already checked).
async fn write_response(
    txn: &DatabaseTransaction,
    initiative: i64,
    survey: i64,
    key: &str,
    answers: &serde_json::Value,
    on: NaiveDate,
) -> Result<i64> {
    let q = Query::insert()
        .into_table(a("survey_responses"))
        .columns([
            a("survey_id"),
            a("initiative_id"),
            a("responder_key"),
            a("answers"),
            a("submitted_on"),
        ])
        .values_panic([
            survey.into(),
            initiative.into(),
            key.into(),
            answers.to_string().into(),
            on.into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    crate::records::insert_id(txn, &q).await
}

/// Write a demo survey with `answers` already in (each from a made-up
/// responder), inside the demo loader's transaction.
async fn demo_survey(
    txn: &DatabaseTransaction,
    initiative: i64,
    s: &Survey,
    answers: &[RawAnswers],
) -> Result<i64> {
    let rec = crate::records::create_in(txn, None, Some(initiative), s).await?;
    let today = crate::now().get().date_naive();
    let questions = s.question_list();
    for (n, raw) in answers.iter().enumerate() {
        let checked = check_answers(&questions, raw).map_err(StoreError::Invalid)?;
        let key = format!("demo-{}-{n}", rec.id);
        write_response(
            txn,
            initiative,
            rec.id,
            &key,
            &answers_json(&checked),
            today,
        )
        .await?;
    }
    Ok(rec.id)
}

/// The demo's surveys for one initiative: the partnership-health check in
/// English, open to members, with `members` responses in; and an open public
/// survey of residents with `residents` responses.
pub async fn demo(
    txn: &DatabaseTransaction,
    initiative: i64,
    members: usize,
    residents: usize,
    seed: u64,
) -> Result<()> {
    let health = Survey {
        status: survey::SurveyStatus::Open,
        ..survey::partnership_health(demo_text)
    };
    demo_survey(txn, initiative, &health, &demo_answers(members, seed)).await?;
    let voice = residents_voice();
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let heard = [
        "A neighbour or friend",
        "The school or kindergarten",
        "The municipality",
        "Social media",
        "Other",
    ];
    let answers: Vec<RawAnswers> = (0..residents)
        .map(|_| {
            let mut raw = RawAnswers::new();
            raw.insert(1, vec![(2 + next(4)).to_string()]);
            raw.insert(2, vec![heard[next(5) as usize].to_string()]);
            raw
        })
        .collect();
    demo_survey(txn, initiative, &voice, &answers).await?;
    Ok(())
}

/// The demo's public survey of residents.
fn residents_voice() -> Survey {
    Survey {
        title: "Residents' voice: services for young families".into(),
        description: "Tell the partners how the services for families with young children work for you. No account needed; your answers are saved without your name.".into(),
        audience: Audience::Public,
        status: survey::SurveyStatus::Open,
        opens_on: None,
        closes_on: None,
        questions: "scale 1-5: I know where to turn when my family needs help. | Strongly disagree | Disagree | Neither agree nor disagree | Agree | Strongly agree\n\
            single: How did you hear about the services? | A neighbour or friend | The school or kindergarten | The municipality | Social media | Other\n\
            text optional: What would make the services better for your family?"
            .into(),
    }
}

/// Plausible answers for the demo's health check: `n` responses where trust
/// runs a little ahead of communication (seeded by `seed`, the same every time).
fn demo_answers(n: usize, seed: u64) -> Vec<RawAnswers> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    (0..n)
        .map(|_| {
            let mut raw = RawAnswers::new();
            for q in 1..=10usize {
                if q == 7 {
                    let choices = ["Never", "Once", "Two or three times", "Every week or more"];
                    raw.insert(q, vec![choices[next(4) as usize].to_string()]);
                    continue;
                }
                // Trust questions lean to agreement, the others a little less.
                let base = if q <= 4 { 3 } else { 2 };
                let v = std::cmp::min(base + next(3), 5);
                raw.insert(q, vec![v.to_string()]);
            }
            if next(2) == 0 {
                raw.insert(11, vec!["Communication".to_string()]);
            }
            raw
        })
        .collect()
}

/// The English texts of the health check, for the demo (the product takes
/// them from its translations).
fn demo_text(key: &str) -> String {
    use survey::health::*;
    let text = match key {
        TITLE => "Partnership health check",
        DESCRIPTION => "How are we working together? Trust, communication and our shared agenda.",
        PART_TRUST => "Trust",
        PART_COMMUNICATION => "Communication",
        PART_AGENDA => "Shared agenda",
        PART_OVERALL => "Overall",
        "survey-health-trust-commitments" => {
            "I trust the other partners at the table to keep their commitments."
        }
        "survey-health-trust-transparency" => {
            "Partners are open about their decisions, budgets and data."
        }
        "survey-health-trust-residents" => "Residents are full partners in our decisions.",
        "survey-health-trust-disagree" => {
            "When we disagree, we can say so and keep working together."
        }
        "survey-health-communication-information" => {
            "I receive the information I need about the initiative's work, on time."
        }
        "survey-health-communication-listening" => {
            "We listen to residents and to those who do the work."
        }
        CONTACT => {
            "In the last month, how often were you in touch with another partner outside formal meetings?"
        }
        "survey-health-contact-never" => "Never",
        "survey-health-contact-once" => "Once",
        "survey-health-contact-few" => "Two or three times",
        "survey-health-contact-weekly" => "Every week or more",
        "survey-health-agenda-understand" => {
            "I understand our common agenda and the joint objectives."
        }
        "survey-health-agenda-aligned" => {
            "My organization's work is aligned with the joint objectives."
        }
        "survey-health-agenda-roles" => {
            "Roles are clear, including what each funder supports and how funding priorities are decided."
        }
        FOCUS => "Which of these most needs our attention now?",
        "survey-health-focus-trust" => "Trust",
        "survey-health-focus-communication" => "Communication",
        "survey-health-focus-agenda" => "Shared agenda",
        "survey-health-focus-measurement" => "Shared measurement",
        "survey-health-focus-activities" => "Coordinated activities",
        "survey-health-focus-backbone" => "Support from the backbone team",
        OPEN => "What one thing would most strengthen trust between us?",
        "survey-health-agree-1" => "Strongly disagree",
        "survey-health-agree-2" => "Disagree",
        "survey-health-agree-3" => "Neither agree nor disagree",
        "survey-health-agree-4" => "Agree",
        "survey-health-agree-5" => "Strongly agree",
        other => other,
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::resource::Resource;

    #[test]
    fn the_demo_answers_fit_the_demo_survey() {
        let s = survey::partnership_health(demo_text);
        let q = s.question_list();
        assert_eq!(q.len(), 12);
        for raw in demo_answers(20, 7) {
            check_answers(&q, &raw).unwrap();
        }
        assert_eq!(demo_answers(3, 1), demo_answers(3, 1));
        let voice = Survey::parse(&residents_voice().stored_values()).unwrap();
        assert_eq!(voice.question_list().len(), 3);
        assert_eq!(voice.questions, residents_voice().questions);
    }
}
