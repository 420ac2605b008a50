//! The prioritisation tool: questions, answers, scores.
//! Case conferencing: the weekly agenda, notes and next steps.
//!
//! A list has questions, each with a weight; a person's score is the sum of the
//! weights of the questions answered yes. The weekly agenda is built from the
//! list as it stands on the conference date, in three groups.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

/// The most questions a list may have.
pub const MAX_QUESTIONS: usize = 50;
/// Weights run from 0 to this.
pub const MAX_WEIGHT: i64 = 100;
/// How many people the "highest priority not housed" group shows by default.
pub const DEFAULT_TOP: usize = 10;
/// Note and next steps are at most this long.
pub const MAX_NOTE: usize = 2000;

/// One question of a list's tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub text: String,
    pub weight: i64,
}

/// The score: the sum of the weights of the questions answered yes.
/// `answers` pairs each question's weight with the answer.
pub fn score(answers: &[(i64, bool)]) -> i64 {
    answers.iter().filter(|(_, yes)| *yes).map(|(w, _)| w).sum()
}

/// The questions from a form: `text_0`, `weight_0`, `text_1`, … up to
/// [`MAX_QUESTIONS`]. A row with empty text and weight is skipped; a row with a
/// weight and no text is refused by field. At least one question is required.
pub fn parse_questions(input: &FieldMap) -> Result<Vec<Question>, FieldErrors> {
    let mut p = Parser::new(input);
    let mut out = vec![];
    for i in 0..MAX_QUESTIONS {
        let tf = format!("text_{i}");
        let wf = format!("weight_{i}");
        let blank = |f: &str| input.get(f).is_none_or(|s| s.trim().is_empty());
        if blank(&tf) && blank(&wf) {
            continue;
        }
        let text = p.name(&tf, MAX_NAME);
        let weight = p.int(&wf, 0, MAX_WEIGHT);
        out.push(Question { text, weight });
    }
    if out.is_empty() && p.errors.is_empty() {
        p.errors
            .add("text_0", "required", "at least one question is required");
    }
    p.errors.finish(out)
}

/// One person as the agenda sees them (no name: the caller joins names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub person_id: i64,
    /// Whether the person has an active spell on the conference date.
    pub active: bool,
    /// Start of the active spell.
    pub identified_on: Option<NaiveDate>,
    pub last_activity_on: Option<NaiveDate>,
    pub score: i64,
}

impl Standing {
    /// Days from identification to the conference date.
    pub fn days_active(&self, on: NaiveDate) -> Option<i64> {
        self.identified_on
            .filter(|_| self.active)
            .map(|d| (on - d).num_days())
    }
}

/// The agenda's three groups, each a list of person ids in the order shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Agenda {
    /// Active spell identified within the 7 days ending on the conference date.
    pub new_this_week: Vec<i64>,
    /// Active, the top `top` by score then days active (both highest first).
    pub highest_priority: Vec<i64>,
    /// Active, and conference date − last activity > 30 days.
    pub no_contact: Vec<i64>,
}

/// Build the agenda for the conference on `on`.
pub fn agenda(people: &[Standing], on: NaiveDate, top: usize) -> Agenda {
    let week_start = on - chrono::Days::new(6);
    let mut active: Vec<&Standing> = people.iter().filter(|s| s.active).collect();
    active.sort_by_key(|s| {
        (
            std::cmp::Reverse(s.score),
            std::cmp::Reverse(s.days_active(on).unwrap_or(-1)),
            s.person_id,
        )
    });
    let new_this_week = active
        .iter()
        .filter(|s| s.identified_on.is_some_and(|d| d >= week_start && d <= on))
        .map(|s| s.person_id)
        .collect();
    let highest_priority = active.iter().take(top).map(|s| s.person_id).collect();
    let no_contact = active
        .iter()
        .filter(|s| s.last_activity_on.is_some_and(|d| (on - d).num_days() > 30))
        .map(|s| s.person_id)
        .collect();
    Agenda {
        new_this_week,
        highest_priority,
        no_contact,
    }
}

/// A note and next steps for one person at one conference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConferenceNote {
    pub person_id: i64,
    pub conference_on: NaiveDate,
    pub note: String,
    pub next_steps: String,
}

impl ConferenceNote {
    /// From a form or JSON: `person_id`, `conference_on`, `note`, `next_steps`
    /// (at least one of note and next steps).
    pub fn parse(input: &FieldMap) -> Result<ConferenceNote, FieldErrors> {
        let mut p = Parser::new(input);
        let person_id = p.id("person_id");
        let on = p.date("conference_on");
        let note = p.opt_text("note", MAX_NOTE, true);
        let next = p.opt_text("next_steps", MAX_NOTE, true);
        if note.is_none() && next.is_none() && p.errors.get("note").is_none() {
            p.errors
                .add("note", "required", "a note or next steps are required");
        }
        let on = on.unwrap_or_default();
        p.errors.finish(ConferenceNote {
            person_id,
            conference_on: on,
            note: note.unwrap_or_default(),
            next_steps: next.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn score_sums_yes_weights() {
        assert_eq!(score(&[(3, true), (5, false), (2, true)]), 5);
        assert_eq!(score(&[]), 0);
        assert_eq!(score(&[(4, false)]), 0);
    }

    #[test]
    fn questions_parse_by_field() {
        let mut m = FieldMap::new();
        m.insert("text_0".into(), "Chronic health condition".into());
        m.insert("weight_0".into(), "5".into());
        m.insert("text_2".into(), "Over 60".into());
        m.insert("weight_2".into(), "3".into());
        let q = parse_questions(&m).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[1].weight, 3);
        m.insert("weight_3".into(), "101".into());
        let e = parse_questions(&m).unwrap_err();
        assert!(e.get("text_3").is_some());
        assert!(e.get("weight_3").is_some());
        assert!(
            parse_questions(&FieldMap::new())
                .unwrap_err()
                .get("text_0")
                .is_some()
        );
    }

    fn st(id: i64, active: bool, ident: &str, last: &str, score: i64) -> Standing {
        Standing {
            person_id: id,
            active,
            identified_on: Some(d(ident)),
            last_activity_on: Some(d(last)),
            score,
        }
    }

    #[test]
    fn agenda_groups() {
        let on = d("2026-03-10");
        let people = vec![
            st(1, true, "2026-03-04", "2026-03-04", 1), // first day of the week
            st(2, true, "2026-03-03", "2026-03-03", 9), // 8 days: not new
            st(3, true, "2026-03-10", "2026-03-10", 0), // today
            st(4, false, "2026-03-08", "2026-03-08", 50), // housed: nowhere
            st(5, true, "2026-01-01", "2026-02-07", 9), // 31 days: no contact
            st(6, true, "2026-01-01", "2026-02-08", 2), // 30 days: contacted
            st(7, true, "2026-03-11", "2026-03-11", 0), // after the date
        ];
        let a = agenda(&people, on, 2);
        assert_eq!(a.new_this_week, vec![1, 3]);
        // 5 and 2 both score 9: 5 has more days active.
        assert_eq!(a.highest_priority, vec![5, 2]);
        assert_eq!(a.no_contact, vec![5]);
        let a = agenda(&people, on, DEFAULT_TOP);
        assert_eq!(a.highest_priority.len(), 6);
    }

    #[test]
    fn note_needs_text() {
        let mut m = FieldMap::new();
        m.insert("person_id".into(), "3".into());
        m.insert("conference_on".into(), "2026-03-10".into());
        assert!(ConferenceNote::parse(&m).unwrap_err().get("note").is_some());
        m.insert("next_steps".into(), "Call the clinic".into());
        assert_eq!(
            ConferenceNote::parse(&m).unwrap().next_steps,
            "Call the clinic"
        );
        assert!(
            ConferenceNote::parse(&FieldMap::new())
                .unwrap_err()
                .get("person_id")
                .is_some()
        );
    }
}
