//! Surveys: questions, answers, results, and the value a question's results
//! give an indicator for a period ("% who agree").
//!
//! A survey is a registry record (title, audience, status, dates and its
//! questions). Its questions are kept as text in a notation people can type —
//! one question per line, the form, the API and the template all go through
//! the same parser ([`parse_questions`]):
//!
//! ```text
//! # Trust
//! scale 1-5: I trust the other partners to keep their commitments. | Strongly disagree | Disagree | Neither | Agree | Strongly agree
//! single: How long have you been part of the initiative? | Less than a year | One to three years | Longer
//! multiple optional: Which areas need attention now? | Trust | Communication | Shared agenda
//! number 0-100: How many meetings did you attend this year?
//! text optional: What one thing would most strengthen our work together?
//! ```
//!
//! A line is `KIND [RANGE] [optional]: PROMPT | ITEM | ITEM …`. Kinds are
//! `single` and `multiple` (choices: two or more items), `scale` (whole
//! numbers from RANGE such as `1-5`; no items, two items naming its ends, or
//! one item per point), `number` (any number, within RANGE when one is given)
//! and `text`. A question must be answered unless marked `optional`. A line
//! starting with `#` heads the questions after it. Questions are numbered from
//! 1 in order; answers refer to them by number.
//!
//! Answers are kept as JSON keyed by question number: a choice as its text, a
//! multiple choice as a list of texts, a scale point as a whole number, a
//! number as a decimal string (exact) and a text as a string.
//!
//! Results follow exact rules: a share is `100 × k ÷ n` and a mean `Σ ÷ n`,
//! where `n` counts the responses that answered the question, both rounded
//! half away from zero to six decimals (the precision an indicator value
//! keeps); no value when nobody answered.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::indicator::{VALUE_SCALE, parse_value};
use crate::resource::{Column, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, MAX_TEXT, Parser};

choices! {
    /// Who may answer: anyone with the public link, or the initiative's members.
    Audience { Public = "public", Members = "members" }
}

choices! {
    /// Where a survey is in its life: prepared, taking answers, done.
    SurveyStatus { Draft = "draft", Open = "open", Closed = "closed" }
}

choices! {
    /// What a question asks for.
    QuestionKind { Single = "single", Multiple = "multiple", Scale = "scale", Number = "number", Text = "text" }
}

/// The longest questions text a survey may hold.
pub const MAX_QUESTIONS_TEXT: usize = 10_000;
/// The most questions in one survey.
pub const MAX_QUESTIONS: usize = 60;
/// The longest prompt of a question.
pub const MAX_PROMPT: usize = 500;
/// The most items (choices or scale labels) of one question.
pub const MAX_ITEMS: usize = 30;
/// The longest item of a question.
pub const MAX_ITEM: usize = 200;
/// The most points a scale may have (0–10 has eleven).
pub const MAX_SCALE_POINTS: i64 = 11;
/// The longest text answer.
pub const MAX_ANSWER_TEXT: usize = 2000;
/// Members who are not coordinators see a survey's results once at least this
/// many responses arrived, so that no one's answers can be singled out.
pub const MIN_RESPONSES_SHOWN: i64 = 5;

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// 1, 2, 3… in the survey's order.
    pub number: usize,
    pub kind: QuestionKind,
    pub prompt: String,
    pub required: bool,
    /// The choices of a single or multiple choice; a scale's labels (none,
    /// its two ends, or one per point).
    pub items: Vec<String>,
    /// A scale's range (always), a number's bounds (when given).
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The heading of the part of the survey it is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

impl Question {
    /// The points of a scale, lowest first.
    pub fn points(&self) -> Vec<i64> {
        match (self.kind, self.min, self.max) {
            (QuestionKind::Scale, Some(lo), Some(hi)) => (lo..=hi).collect(),
            _ => vec![],
        }
    }

    /// The label of a scale point, when the question names it.
    pub fn point_label(&self, point: i64) -> Option<&str> {
        let points = self.points();
        let at = points.iter().position(|p| *p == point)?;
        if self.items.len() == points.len() {
            return self.items.get(at).map(String::as_str);
        }
        if self.items.len() == 2 {
            if at == 0 {
                return Some(&self.items[0]);
            }
            if at + 1 == points.len() {
                return Some(&self.items[1]);
            }
        }
        None
    }

    /// The declared spelling of a choice, matched ignoring case and spaces around it.
    pub fn choice(&self, text: &str) -> Option<&str> {
        let t = text.trim();
        self.items
            .iter()
            .find(|i| i.to_lowercase() == t.to_lowercase())
            .map(String::as_str)
    }

    fn head(&self) -> String {
        let mut h = self.kind.as_str().to_string();
        if let (Some(lo), Some(hi)) = (self.min, self.max) {
            h.push_str(&format!(" {lo}-{hi}"));
        }
        if !self.required {
            h.push_str(" optional");
        }
        h
    }
}

/// Why a questions text was refused: the line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionsError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for QuestionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn bad_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// `1-5` → (1, 5); whole numbers from 0 up to 1,000,000,000.
fn parse_range(s: &str) -> Option<(i64, i64)> {
    let (lo, hi) = s.split_once('-')?;
    let num = |t: &str| -> Option<i64> {
        if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    Some((num(lo)?, num(hi)?))
}

/// Parse a survey's questions (see the module's documentation).
pub fn parse_questions(text: &str) -> Result<Vec<Question>, QuestionsError> {
    let mut out: Vec<Question> = Vec::new();
    let mut section: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| QuestionsError {
            line: line_no,
            message,
        };
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if bad_chars(line) {
            return Err(err("the line holds control characters".into()));
        }
        if let Some(heading) = line.strip_prefix('#') {
            let heading = heading.trim();
            if heading.chars().count() > MAX_NAME {
                return Err(err(format!(
                    "a heading may have at most {MAX_NAME} characters"
                )));
            }
            section = (!heading.is_empty()).then(|| heading.to_string());
            continue;
        }
        let Some((head, rest)) = line.split_once(':') else {
            return Err(err(format!(
                "{:?}: write a question as KIND: PROMPT, such as scale 1-5: I trust the other partners",
                short(line)
            )));
        };
        let mut words = head.split_whitespace();
        let kind_word = words.next().unwrap_or("").to_ascii_lowercase();
        let Some(kind) = QuestionKind::parse(&kind_word) else {
            return Err(err(format!(
                "{:?} is not a kind of question (single, multiple, scale, number or text)",
                short(&kind_word)
            )));
        };
        let mut range: Option<(i64, i64)> = None;
        let mut required = true;
        for w in words {
            let lw = w.to_ascii_lowercase();
            if lw == "optional" && required {
                required = false;
            } else if range.is_none() && parse_range(&lw).is_some() {
                range = parse_range(&lw);
            } else {
                return Err(err(format!(
                    "{:?} is not understood: after the kind come a range such as 1-5 and the word optional",
                    short(w)
                )));
            }
        }
        let mut parts = rest.split('|').map(str::trim);
        let prompt = parts.next().unwrap_or("").to_string();
        let items: Vec<String> = parts.map(str::to_string).collect();
        if prompt.is_empty() {
            return Err(err("the question has no text after the colon".into()));
        }
        if prompt.chars().count() > MAX_PROMPT {
            return Err(err(format!(
                "a question may have at most {MAX_PROMPT} characters"
            )));
        }
        if items.len() > MAX_ITEMS {
            return Err(err(format!(
                "a question may list at most {MAX_ITEMS} items"
            )));
        }
        for (n, item) in items.iter().enumerate() {
            if item.is_empty() {
                return Err(err(format!("item {} is empty", n + 1)));
            }
            if item.chars().count() > MAX_ITEM {
                return Err(err(format!(
                    "item {} is longer than {MAX_ITEM} characters",
                    n + 1
                )));
            }
            if items[..n]
                .iter()
                .any(|x| x.to_lowercase() == item.to_lowercase())
            {
                return Err(err(format!("{:?} is listed twice", short(item))));
            }
        }
        let (min, max) = match (kind, range) {
            (QuestionKind::Scale, None) => {
                return Err(err("a scale needs its range, such as scale 1-5".into()));
            }
            (QuestionKind::Scale, Some((lo, hi))) => {
                if hi <= lo || hi - lo + 1 > MAX_SCALE_POINTS {
                    return Err(err(format!(
                        "a scale runs from a lower to a higher whole number, with at most {MAX_SCALE_POINTS} points"
                    )));
                }
                let points = (hi - lo + 1) as usize;
                if !(items.is_empty() || items.len() == 2 || items.len() == points) {
                    return Err(err(format!(
                        "a scale {lo}-{hi} names no points, its two ends, or all {points} points"
                    )));
                }
                (Some(lo), Some(hi))
            }
            (QuestionKind::Number, Some((lo, hi))) => {
                if hi < lo {
                    return Err(err("the range of a number runs from low to high".into()));
                }
                (Some(lo), Some(hi))
            }
            (QuestionKind::Number, None) => (None, None),
            (_, Some(_)) => {
                return Err(err(format!(
                    "only a scale or a number has a range, not a {} question",
                    kind.as_str()
                )));
            }
            (_, None) => (None, None),
        };
        match kind {
            QuestionKind::Single | QuestionKind::Multiple if items.len() < 2 => {
                return Err(err(format!(
                    "a {} choice lists at least two choices after the question, separated by |",
                    kind.as_str()
                )));
            }
            QuestionKind::Number | QuestionKind::Text if !items.is_empty() => {
                return Err(err(format!("a {} question lists no items", kind.as_str())));
            }
            _ => {}
        }
        if out.len() == MAX_QUESTIONS {
            return Err(err(format!(
                "a survey has at most {MAX_QUESTIONS} questions"
            )));
        }
        out.push(Question {
            number: out.len() + 1,
            kind,
            prompt,
            required,
            items,
            min,
            max,
            section: section.clone(),
        });
    }
    Ok(out)
}

/// The questions as text, in the notation [`parse_questions`] reads.
pub fn format_questions(questions: &[Question]) -> String {
    let mut lines = vec![];
    let mut section: Option<&str> = None;
    for q in questions {
        if q.section.as_deref() != section {
            if let Some(s) = &q.section {
                lines.push(format!("# {s}"));
            }
            section = q.section.as_deref();
        }
        let mut line = format!("{}: {}", q.head(), q.prompt);
        for item in &q.items {
            line.push_str(" | ");
            line.push_str(item);
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// A survey: a registry record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Survey {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub audience: Audience,
    pub status: SurveyStatus,
    /// The first day it takes answers (when open); none: from the moment it opens.
    #[serde(default)]
    pub opens_on: Option<NaiveDate>,
    /// The last day it takes answers (inclusive); none: until it is closed.
    #[serde(default)]
    pub closes_on: Option<NaiveDate>,
    /// In the notation of [`parse_questions`].
    #[serde(default)]
    pub questions: String,
}

impl Survey {
    /// Its questions (stored text was checked when saved).
    pub fn question_list(&self) -> Vec<Question> {
        parse_questions(&self.questions).unwrap_or_default()
    }
}

impl Resource for Survey {
    const KIND: &'static str = "survey";
    const TABLE: &'static str = "surveys";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::text("description"),
            Column::text("audience"),
            Column::text("status"),
            Column::opt_date("opens_on"),
            Column::opt_date("closes_on"),
            Column::text("questions"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_NAME);
        let description = p
            .opt_text("description", MAX_TEXT, true)
            .unwrap_or_default();
        let audience = p.choice("audience", Audience::parse);
        let status = p.choice("status", SurveyStatus::parse);
        let opens_on = p.opt_date("opens_on");
        let closes_on = p.opt_date("closes_on");
        if let (Some(o), Some(c)) = (opens_on, closes_on)
            && c < o
        {
            p.errors.add(
                "closes_on",
                "ends_before_start",
                "closes_on must not be before opens_on",
            );
        }
        let raw = p
            .opt_text("questions", MAX_QUESTIONS_TEXT, true)
            .unwrap_or_default();
        let questions = match parse_questions(&raw) {
            Ok(q) => {
                if q.is_empty() && matches!(status, Some(SurveyStatus::Open | SurveyStatus::Closed))
                {
                    p.errors.add(
                        "questions",
                        "no_questions",
                        "a survey needs at least one question before it opens",
                    );
                }
                format_questions(&q)
            }
            Err(e) => {
                p.errors
                    .add("questions", "invalid_questions", e.to_string());
                String::new()
            }
        };
        match (audience, status) {
            (Some(audience), Some(status)) => p.errors.finish(Self {
                title,
                description,
                audience,
                status,
                opens_on,
                closes_on,
                questions,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// Whether a survey takes answers on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Still being prepared: nobody answers a draft.
    Draft,
    /// Open, from this day.
    Upcoming(NaiveDate),
    Open,
    /// Closed by a coordinator (no date) or since its last day passed.
    Closed(Option<NaiveDate>),
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Upcoming(_) => "upcoming",
            Phase::Open => "open",
            Phase::Closed(_) => "closed",
        }
    }
}

/// A survey's phase on `today` (the calendar date in UTC; both end days included).
pub fn phase(s: &Survey, today: NaiveDate) -> Phase {
    match s.status {
        SurveyStatus::Draft => Phase::Draft,
        SurveyStatus::Closed => Phase::Closed(None),
        SurveyStatus::Open => match (s.opens_on, s.closes_on) {
            (Some(o), _) if today < o => Phase::Upcoming(o),
            (_, Some(c)) if today > c => Phase::Closed(Some(c)),
            _ => Phase::Open,
        },
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Choice(String),
    Choices(Vec<String>),
    Scale(i64),
    /// Kept as a decimal string: exact.
    Number(Decimal),
    Text(String),
}

/// The answers of one response, by question number.
pub type Answers = BTreeMap<usize, Answer>;

/// What a person submitted, before it is checked: every value given for each
/// question number (a multiple choice gives several).
pub type RawAnswers = BTreeMap<usize, Vec<String>>;

/// The form field of question `n` (`q3`), which is also the key its errors use.
pub fn field_of(n: usize) -> String {
    format!("q{n}")
}

/// Check what a person submitted against the questions: every required
/// question answered, each answer of its kind. Blank values count as not
/// given. Errors are keyed by the question's field (`q3`); an empty response
/// is refused under `answers`.
pub fn check_answers(questions: &[Question], raw: &RawAnswers) -> Result<Answers, FieldErrors> {
    let mut errors = FieldErrors::default();
    for n in raw.keys() {
        if *n == 0 || *n > questions.len() {
            errors.add(
                &field_of(*n),
                "unknown_question",
                format!("the survey has no question {n}"),
            );
        }
    }
    let mut out = Answers::new();
    for q in questions {
        let field = field_of(q.number);
        let given: Vec<&str> = raw
            .get(&q.number)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if given.is_empty() {
            if q.required {
                errors.add(
                    &field,
                    "required",
                    format!("question {} needs an answer", q.number),
                );
            }
            continue;
        }
        if q.kind != QuestionKind::Multiple && given.len() > 1 {
            errors.add(
                &field,
                "one_answer",
                format!("question {} takes one answer", q.number),
            );
            continue;
        }
        let one = given[0];
        let answer = match q.kind {
            QuestionKind::Single => match q.choice(one) {
                Some(c) => Answer::Choice(c.to_string()),
                None => {
                    errors.add(
                        &field,
                        "unknown_choice",
                        format!("{:?} is not a choice of question {}", short(one), q.number),
                    );
                    continue;
                }
            },
            QuestionKind::Multiple => {
                let mut picked: Vec<String> = vec![];
                let mut bad = None;
                for g in &given {
                    match q.choice(g) {
                        Some(c) if !picked.iter().any(|p| p == c) => picked.push(c.to_string()),
                        Some(_) => {}
                        None => {
                            bad = Some(*g);
                            break;
                        }
                    }
                }
                if let Some(b) = bad {
                    errors.add(
                        &field,
                        "unknown_choice",
                        format!("{:?} is not a choice of question {}", short(b), q.number),
                    );
                    continue;
                }
                // In the question's order, whatever order they came in.
                picked.sort_by_key(|p| q.items.iter().position(|i| i == p));
                Answer::Choices(picked)
            }
            QuestionKind::Scale => match one.parse::<i64>() {
                Ok(v) if q.points().contains(&v) => Answer::Scale(v),
                _ => {
                    errors.add(
                        &field,
                        "out_of_scale",
                        format!(
                            "question {} takes a whole number from {} to {}",
                            q.number,
                            q.min.unwrap_or(0),
                            q.max.unwrap_or(0)
                        ),
                    );
                    continue;
                }
            },
            QuestionKind::Number => match parse_value(one) {
                Ok(v)
                    if q.min.is_none_or(|lo| v >= Decimal::from(lo))
                        && q.max.is_none_or(|hi| v <= Decimal::from(hi)) =>
                {
                    Answer::Number(v)
                }
                Ok(_) => {
                    errors.add(
                        &field,
                        "out_of_range",
                        format!(
                            "question {} takes a number from {} to {}",
                            q.number,
                            q.min.unwrap_or(0),
                            q.max.unwrap_or(0)
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    errors.add(
                        &field,
                        "invalid_number",
                        format!("question {}: {e}", q.number),
                    );
                    continue;
                }
            },
            QuestionKind::Text => {
                let text = one;
                if text.chars().count() > MAX_ANSWER_TEXT {
                    errors.add(
                        &field,
                        "too_long",
                        format!(
                            "the answer to question {} may have at most {MAX_ANSWER_TEXT} characters",
                            q.number
                        ),
                    );
                    continue;
                }
                if text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                {
                    errors.add(
                        &field,
                        "invalid_characters",
                        format!(
                            "the answer to question {} holds control characters",
                            q.number
                        ),
                    );
                    continue;
                }
                Answer::Text(text.to_string())
            }
        };
        out.insert(q.number, answer);
    }
    if errors.is_empty() && out.is_empty() {
        errors.add("answers", "empty_response", "answer at least one question");
    }
    errors.finish(out)
}

/// The stored form of a response's answers.
pub fn answers_json(answers: &Answers) -> Value {
    let mut obj = serde_json::Map::new();
    for (n, a) in answers {
        let v = match a {
            Answer::Choice(s) | Answer::Text(s) => json!(s),
            Answer::Choices(v) => json!(v),
            Answer::Scale(v) => json!(v),
            Answer::Number(d) => json!(d.to_string()),
        };
        obj.insert(n.to_string(), v);
    }
    Value::Object(obj)
}

/// Read stored answers back against the questions as they are now. An answer
/// that no longer fits its question (the questions were edited after people
/// answered) is left out and counted in the second value.
pub fn read_answers(questions: &[Question], stored: &Value) -> (Answers, usize) {
    let mut out = Answers::new();
    let mut stale = 0;
    let Some(obj) = stored.as_object() else {
        return (out, 0);
    };
    for (k, v) in obj {
        let q = k
            .parse::<usize>()
            .ok()
            .and_then(|n| questions.iter().find(|q| q.number == n));
        let read = q.and_then(|q| match (q.kind, v) {
            (QuestionKind::Single, Value::String(s)) => {
                q.choice(s).map(|c| Answer::Choice(c.to_string()))
            }
            (QuestionKind::Multiple, Value::Array(items)) => {
                let picked: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().and_then(|s| q.choice(s)).map(str::to_string))
                    .collect();
                picked.filter(|p| !p.is_empty()).map(Answer::Choices)
            }
            (QuestionKind::Scale, Value::Number(n)) => n
                .as_i64()
                .filter(|v| q.points().contains(v))
                .map(Answer::Scale),
            (QuestionKind::Number, Value::String(s)) => s
                .parse::<Decimal>()
                .ok()
                .map(|d| Answer::Number(d.normalize())),
            (QuestionKind::Text, Value::String(s)) => Some(Answer::Text(s.clone())),
            _ => None,
        });
        match (q, read) {
            (Some(q), Some(a)) => {
                out.insert(q.number, a);
            }
            _ => stale += 1,
        }
    }
    (out, stale)
}

/// `100 × k ÷ n`, rounded half away from zero to six decimals; none when n is 0.
pub fn share(k: i64, n: i64) -> Option<Decimal> {
    if n <= 0 {
        return None;
    }
    Some(round(
        Decimal::from(100) * Decimal::from(k) / Decimal::from(n),
    ))
}

/// `Σ ÷ n`, rounded half away from zero to six decimals; none when n is 0.
pub fn mean(sum: Decimal, n: i64) -> Option<Decimal> {
    if n <= 0 {
        return None;
    }
    Some(round(sum / Decimal::from(n)))
}

fn round(d: Decimal) -> Decimal {
    round_to(d, VALUE_SCALE)
}

/// `d` rounded half away from zero to `places` decimals, without trailing zeros.
pub fn round_to(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The results of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub number: usize,
    pub kind: QuestionKind,
    pub prompt: String,
    /// Responses that answered it.
    pub answered: i64,
    /// Choices, or scale points, with how many responses picked each, in the
    /// question's order.
    pub counts: Vec<(String, i64)>,
    /// A scale's or a number's mean.
    pub mean: Option<Decimal>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// The answers to a text question, in the order they came.
    pub texts: Vec<String>,
    /// Stored answers that no longer fit the question (it was edited since).
    pub stale: i64,
}

/// Every response's answers counted, question by question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    pub responses: i64,
    pub questions: Vec<QuestionResult>,
}

/// Count the answers (each read with [`read_answers`], so answers that no
/// longer fit are reported apart, per question, rather than miscounted).
pub fn tally(questions: &[Question], stored: &[Value]) -> Results {
    let mut results: Vec<QuestionResult> = questions
        .iter()
        .map(|q| QuestionResult {
            number: q.number,
            kind: q.kind,
            prompt: q.prompt.clone(),
            answered: 0,
            counts: match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    q.items.iter().map(|i| (i.clone(), 0)).collect()
                }
                QuestionKind::Scale => q.points().iter().map(|p| (p.to_string(), 0)).collect(),
                _ => vec![],
            },
            mean: None,
            min: None,
            max: None,
            texts: vec![],
            stale: 0,
        })
        .collect();
    let mut sums: Vec<Decimal> = vec![Decimal::ZERO; questions.len()];
    for value in stored {
        let (answers, _) = read_answers(questions, value);
        if let Some(obj) = value.as_object() {
            for k in obj.keys() {
                let n = k.parse::<usize>().unwrap_or(0);
                if !answers.contains_key(&n)
                    && let Some(r) = results.iter_mut().find(|r| r.number == n)
                {
                    r.stale += 1;
                }
            }
        }
        for (n, a) in answers {
            let Some(at) = questions.iter().position(|q| q.number == n) else {
                continue;
            };
            let r = &mut results[at];
            r.answered += 1;
            let mut bump = |label: &str| {
                if let Some(c) = r.counts.iter_mut().find(|(l, _)| l == label) {
                    c.1 += 1;
                }
            };
            let number = match a {
                Answer::Choice(c) => {
                    bump(&c);
                    None
                }
                Answer::Choices(cs) => {
                    for c in cs {
                        bump(&c);
                    }
                    None
                }
                Answer::Scale(v) => {
                    bump(&v.to_string());
                    Some(Decimal::from(v))
                }
                Answer::Number(d) => Some(d),
                Answer::Text(t) => {
                    r.texts.push(t);
                    None
                }
            };
            if let Some(d) = number {
                sums[at] += d;
                r.min = Some(r.min.map_or(d, |m| m.min(d)));
                r.max = Some(r.max.map_or(d, |m| m.max(d)));
            }
        }
    }
    for (r, sum) in results.iter_mut().zip(sums) {
        if matches!(r.kind, QuestionKind::Scale | QuestionKind::Number) {
            r.mean = mean(sum, r.answered);
        }
    }
    Results {
        responses: stored.len() as i64,
        questions: results,
    }
}

choices! {
    /// How a question's results become one indicator value.
    RuleKind { ShareAtLeast = "share_at_least", ShareAtMost = "share_at_most", ShareOf = "share_of", Mean = "mean", Count = "count" }
}

/// A rule that turns one question's results into a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// % of those who answered a scale with this point or higher ("% who agree").
    ShareAtLeast { point: i64 },
    /// % of those who answered a scale with this point or lower.
    ShareAtMost { point: i64 },
    /// % of those who answered a choice (single or multiple) who picked this one.
    ShareOf { choice: String },
    /// The mean of a scale or a number.
    Mean,
    /// How many responses answered the question.
    Count,
}

impl Rule {
    /// Build a rule for a question from its kind and the point or choice it
    /// needs; the error says what is missing or wrong.
    pub fn for_question(q: &Question, kind: RuleKind, arg: &str) -> Result<Rule, String> {
        let arg = arg.trim();
        let point = || -> Result<i64, String> {
            if q.kind != QuestionKind::Scale {
                return Err(format!(
                    "{} applies to a scale; question {} is a {} question",
                    kind.as_str(),
                    q.number,
                    q.kind.as_str()
                ));
            }
            match arg.parse::<i64>() {
                Ok(p) if q.points().contains(&p) => Ok(p),
                _ => Err(format!(
                    "give a point of the scale, from {} to {}",
                    q.min.unwrap_or(0),
                    q.max.unwrap_or(0)
                )),
            }
        };
        match kind {
            RuleKind::ShareAtLeast => Ok(Rule::ShareAtLeast { point: point()? }),
            RuleKind::ShareAtMost => Ok(Rule::ShareAtMost { point: point()? }),
            RuleKind::ShareOf => {
                if !matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple) {
                    return Err(format!(
                        "share_of applies to a choice; question {} is a {} question",
                        q.number,
                        q.kind.as_str()
                    ));
                }
                match q.choice(arg) {
                    Some(c) => Ok(Rule::ShareOf {
                        choice: c.to_string(),
                    }),
                    None => Err(format!(
                        "give one of the choices of question {}: {}",
                        q.number,
                        q.items.join(", ")
                    )),
                }
            }
            RuleKind::Mean => {
                if matches!(q.kind, QuestionKind::Scale | QuestionKind::Number) {
                    Ok(Rule::Mean)
                } else {
                    Err(format!(
                        "a mean applies to a scale or a number; question {} is a {} question",
                        q.number,
                        q.kind.as_str()
                    ))
                }
            }
            RuleKind::Count => Ok(Rule::Count),
        }
    }

    /// The value of this rule over one question's results; none when nobody
    /// answered it (a share or a mean of nothing is not 0).
    pub fn value(&self, r: &QuestionResult) -> Option<Decimal> {
        let count_where = |keep: &dyn Fn(i64) -> bool| -> i64 {
            r.counts
                .iter()
                .filter(|(l, _)| l.parse::<i64>().is_ok_and(keep))
                .map(|(_, c)| c)
                .sum()
        };
        match self {
            Rule::ShareAtLeast { point } => share(count_where(&|p| p >= *point), r.answered),
            Rule::ShareAtMost { point } => share(count_where(&|p| p <= *point), r.answered),
            Rule::ShareOf { choice } => {
                let k = r
                    .counts
                    .iter()
                    .find(|(l, _)| l == choice)
                    .map(|(_, c)| *c)
                    .unwrap_or(0);
                share(k, r.answered)
            }
            Rule::Mean => r.mean,
            Rule::Count => (r.answered > 0).then(|| Decimal::from(r.answered)),
        }
    }

    /// A short description for the record of where a value came from.
    pub fn describe(&self) -> String {
        match self {
            Rule::ShareAtLeast { point } => format!("% answering {point} or higher"),
            Rule::ShareAtMost { point } => format!("% answering {point} or lower"),
            Rule::ShareOf { choice } => format!("% choosing {choice}"),
            Rule::Mean => "mean".into(),
            Rule::Count => "number of answers".into(),
        }
    }
}

/// The keys of the partnership-health template's texts (its prompts, choices
/// and scale labels), for the translations to provide.
pub mod health {
    /// Questions on a five-point agreement scale, by part: trust,
    /// communication, shared agenda.
    pub const TRUST: &[&str] = &[
        "survey-health-trust-commitments",
        "survey-health-trust-transparency",
        "survey-health-trust-residents",
        "survey-health-trust-disagree",
    ];
    pub const COMMUNICATION: &[&str] = &[
        "survey-health-communication-information",
        "survey-health-communication-listening",
    ];
    pub const AGENDA: &[&str] = &[
        "survey-health-agenda-understand",
        "survey-health-agenda-aligned",
        "survey-health-agenda-roles",
    ];
    /// The five points of the agreement scale, from strongly disagree.
    pub const AGREE: &[&str] = &[
        "survey-health-agree-1",
        "survey-health-agree-2",
        "survey-health-agree-3",
        "survey-health-agree-4",
        "survey-health-agree-5",
    ];
    /// "How often were you in touch with another partner outside meetings?"
    pub const CONTACT: &str = "survey-health-communication-contact";
    pub const CONTACT_CHOICES: &[&str] = &[
        "survey-health-contact-never",
        "survey-health-contact-once",
        "survey-health-contact-few",
        "survey-health-contact-weekly",
    ];
    /// "Which most needs our attention now?"
    pub const FOCUS: &str = "survey-health-focus";
    pub const FOCUS_CHOICES: &[&str] = &[
        "survey-health-focus-trust",
        "survey-health-focus-communication",
        "survey-health-focus-agenda",
        "survey-health-focus-measurement",
        "survey-health-focus-activities",
        "survey-health-focus-backbone",
    ];
    /// "What one thing would most strengthen trust between us?"
    pub const OPEN: &str = "survey-health-open";
    pub const TITLE: &str = "survey-health-title";
    pub const DESCRIPTION: &str = "survey-health-description";
    pub const PART_TRUST: &str = "survey-health-part-trust";
    pub const PART_COMMUNICATION: &str = "survey-health-part-communication";
    pub const PART_AGENDA: &str = "survey-health-part-agenda";
    pub const PART_OVERALL: &str = "survey-health-part-overall";
}

/// The partnership-health survey: trust, communication and a shared agenda,
/// mostly on a five-point agreement scale (so "% who agree" is the share
/// answering 4 or 5), a question on informal contact between partners, what
/// needs attention most, and one open question. Trust comes first: the
/// partnerships Backbone serves name it the thing most worth tending, built
/// by transparent behaviour, personal connections beyond formal meetings,
/// listening to residents and to those who do the work, and clear roles.
///
/// `t` gives the text of each key of [`health`] in the language wanted. The
/// survey is a members-only draft, for a coordinator to review and open.
pub fn partnership_health(t: impl Fn(&str) -> String) -> Survey {
    let clean = |key: &str| -> String {
        t(key)
            .replace(['|', '\n', '\r'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let agree: Vec<String> = health::AGREE.iter().map(|k| clean(k)).collect();
    let mut questions: Vec<Question> = vec![];
    let mut push =
        |kind: QuestionKind, prompt: &str, items: Vec<String>, required: bool, section: &str| {
            let (min, max) = if kind == QuestionKind::Scale {
                (Some(1), Some(5))
            } else {
                (None, None)
            };
            questions.push(Question {
                number: questions.len() + 1,
                kind,
                prompt: clean(prompt),
                required,
                items,
                min,
                max,
                section: Some(clean(section)),
            });
        };
    for k in health::TRUST {
        push(
            QuestionKind::Scale,
            k,
            agree.clone(),
            true,
            health::PART_TRUST,
        );
    }
    for k in health::COMMUNICATION {
        push(
            QuestionKind::Scale,
            k,
            agree.clone(),
            true,
            health::PART_COMMUNICATION,
        );
    }
    push(
        QuestionKind::Single,
        health::CONTACT,
        health::CONTACT_CHOICES.iter().map(|k| clean(k)).collect(),
        true,
        health::PART_COMMUNICATION,
    );
    for k in health::AGENDA {
        push(
            QuestionKind::Scale,
            k,
            agree.clone(),
            true,
            health::PART_AGENDA,
        );
    }
    push(
        QuestionKind::Multiple,
        health::FOCUS,
        health::FOCUS_CHOICES.iter().map(|k| clean(k)).collect(),
        false,
        health::PART_OVERALL,
    );
    push(
        QuestionKind::Text,
        health::OPEN,
        vec![],
        false,
        health::PART_OVERALL,
    );
    Survey {
        title: clean(health::TITLE),
        description: t(health::DESCRIPTION).trim().to_string(),
        audience: Audience::Members,
        status: SurveyStatus::Draft,
        opens_on: None,
        closes_on: None,
        questions: format_questions(&questions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TEXT: &str = "# Trust\n\
        scale 1-5: I trust the partners | Strongly disagree | Strongly agree\n\
        single: How long? | Under a year | Longer\n\
        # Overall\n\
        multiple optional: Needs attention | Trust | Communication | Agenda\n\
        number 0-100: Meetings attended\n\
        text optional: One thing to change";

    fn raw(pairs: &[(usize, &[&str])]) -> RawAnswers {
        pairs
            .iter()
            .map(|(n, v)| (*n, v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn questions_read_and_print_their_notation() {
        let q = parse_questions(TEXT).unwrap();
        assert_eq!(q.len(), 5);
        assert_eq!(q[0].kind, QuestionKind::Scale);
        assert_eq!((q[0].min, q[0].max), (Some(1), Some(5)));
        assert_eq!(q[0].point_label(1), Some("Strongly disagree"));
        assert_eq!(q[0].point_label(3), None);
        assert_eq!(q[0].point_label(5), Some("Strongly agree"));
        assert_eq!(q[0].section.as_deref(), Some("Trust"));
        assert!(!q[2].required && q[3].required);
        assert_eq!(q[2].section.as_deref(), Some("Overall"));
        assert_eq!(q[3].number, 4);
        let printed = format_questions(&q);
        assert_eq!(parse_questions(&printed).unwrap(), q);
        // Case and spacing of the head do not matter.
        let loose = parse_questions("  SCALE   0-10  Optional :  How likely?  ").unwrap();
        assert_eq!(format_questions(&loose), "scale 0-10 optional: How likely?");
    }

    #[test]
    fn bad_questions_are_refused_with_their_line() {
        for (text, line) in [
            ("single: Only one | A", 1),
            ("text: Fine\nscale: No range", 2),
            ("scale 5-1: Backwards", 1),
            ("scale 0-20: Too many points", 1),
            ("scale 1-5: Three labels | a | b | c", 1),
            ("multiple: Twice | A | a", 1),
            ("essay: What?", 1),
            ("text 1-5: Ranged text", 1),
            ("number: Items | a | b", 1),
            ("no colon here", 1),
            ("text:", 1),
            ("single: Empty item | A | | B", 1),
            ("text optional optional: Twice", 1),
        ] {
            let e = parse_questions(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
        }
        let many = "text: q\n".repeat(MAX_QUESTIONS + 1);
        assert!(parse_questions(&many).is_err());
        assert!(parse_questions("").unwrap().is_empty());
    }

    #[test]
    fn a_survey_parses_and_needs_questions_to_open() {
        let mut f: FieldMap = [
            ("title", "Health check"),
            ("audience", "members"),
            ("status", "open"),
            ("questions", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let e = Survey::parse(&f).unwrap_err();
        assert_eq!(e.get("questions").unwrap().code, "no_questions");
        f.insert("status".into(), "draft".into());
        assert!(Survey::parse(&f).is_ok());
        f.insert("questions".into(), "single: x | a".into());
        assert_eq!(
            Survey::parse(&f)
                .unwrap_err()
                .get("questions")
                .unwrap()
                .code,
            "invalid_questions"
        );
        f.insert("questions".into(), "TEXT: Why?".into());
        f.insert("opens_on".into(), "2026-03-02".into());
        f.insert("closes_on".into(), "2026-03-01".into());
        let e = Survey::parse(&f).unwrap_err();
        assert!(e.get("closes_on").is_some());
        f.remove("closes_on");
        assert_eq!(Survey::parse(&f).unwrap().questions, "text: Why?");
    }

    #[test]
    fn a_survey_is_open_between_its_days_while_its_status_is_open() {
        let mut s = partnership_health(|k| k.to_string());
        assert_eq!(phase(&s, d("2026-01-01")), Phase::Draft);
        s.status = SurveyStatus::Open;
        assert_eq!(phase(&s, d("2026-01-01")), Phase::Open);
        s.opens_on = Some(d("2026-03-01"));
        s.closes_on = Some(d("2026-03-31"));
        assert_eq!(phase(&s, d("2026-02-28")), Phase::Upcoming(d("2026-03-01")));
        assert_eq!(phase(&s, d("2026-03-01")), Phase::Open);
        assert_eq!(phase(&s, d("2026-03-31")), Phase::Open);
        assert_eq!(
            phase(&s, d("2026-04-01")),
            Phase::Closed(Some(d("2026-03-31")))
        );
        s.status = SurveyStatus::Closed;
        assert_eq!(phase(&s, d("2026-03-15")), Phase::Closed(None));
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let q = parse_questions(TEXT).unwrap();
        let ok = check_answers(
            &q,
            &raw(&[
                (1, &["4"]),
                (2, &["under A YEAR"]),
                (3, &["Agenda", "trust", "Agenda"]),
                (4, &["12.50"]),
                (5, &["  "]),
            ]),
        )
        .unwrap();
        assert_eq!(ok[&1], Answer::Scale(4));
        assert_eq!(ok[&2], Answer::Choice("Under a year".into()));
        assert_eq!(
            ok[&3],
            Answer::Choices(vec!["Trust".into(), "Agenda".into()])
        );
        assert_eq!(ok[&4], Answer::Number(Decimal::new(125, 1)));
        assert!(!ok.contains_key(&5));
        let json = answers_json(&ok);
        assert_eq!(json["4"], "12.5");
        assert_eq!(json["1"], 4);
        assert_eq!(read_answers(&q, &json), (ok, 0));

        let e = check_answers(
            &q,
            &raw(&[
                (1, &["6"]),
                (2, &["Never"]),
                (3, &["Trust", "Budget"]),
                (4, &["101"]),
                (9, &["x"]),
            ]),
        )
        .unwrap_err();
        for (field, code) in [
            ("q1", "out_of_scale"),
            ("q2", "unknown_choice"),
            ("q3", "unknown_choice"),
            ("q4", "out_of_range"),
            ("q9", "unknown_question"),
        ] {
            assert_eq!(e.get(field).map(|x| x.code), Some(code), "{field}: {e:?}");
        }
        let e = check_answers(&q, &raw(&[(2, &["Longer", "Under a year"])])).unwrap_err();
        assert_eq!(e.get("q2").unwrap().code, "one_answer");
        assert_eq!(e.get("q1").unwrap().code, "required");
        let optional = parse_questions("text optional: Anything?").unwrap();
        let e = check_answers(&optional, &RawAnswers::new()).unwrap_err();
        assert_eq!(e.get("answers").unwrap().code, "empty_response");
    }

    fn responses(q: &[Question], scale: &[&str]) -> Vec<Value> {
        scale
            .iter()
            .map(|v| {
                answers_json(
                    &check_answers(q, &raw(&[(1, &[v]), (2, &["Longer"]), (4, &["3"])])).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn results_count_exactly() {
        let q = parse_questions(TEXT).unwrap();
        let mut stored = responses(&q, &["5", "4", "2"]);
        stored.push(answers_json(
            &check_answers(
                &q,
                &raw(&[
                    (1, &["1"]),
                    (2, &["Under a year"]),
                    (3, &["Communication", "Trust"]),
                    (4, &["0.5"]),
                    (5, &["Meet more often"]),
                ]),
            )
            .unwrap(),
        ));
        let r = tally(&q, &stored);
        assert_eq!(r.responses, 4);
        let scale = &r.questions[0];
        assert_eq!(scale.answered, 4);
        assert_eq!(
            scale.counts,
            vec![
                ("1".into(), 1),
                ("2".into(), 1),
                ("3".into(), 0),
                ("4".into(), 1),
                ("5".into(), 1)
            ]
        );
        // (5 + 4 + 2 + 1) / 4 = 3
        assert_eq!(scale.mean, Some(Decimal::from(3)));
        assert_eq!(
            Rule::ShareAtLeast { point: 4 }.value(scale),
            Some(Decimal::from(50))
        );
        assert_eq!(
            Rule::ShareAtMost { point: 1 }.value(scale),
            Some(Decimal::from(25))
        );
        let choice = &r.questions[1];
        assert_eq!(
            choice.counts,
            vec![("Under a year".into(), 1), ("Longer".into(), 3)]
        );
        assert_eq!(
            Rule::ShareOf {
                choice: "Longer".into()
            }
            .value(choice),
            Some(Decimal::from(75))
        );
        let multiple = &r.questions[2];
        assert_eq!(multiple.answered, 1);
        assert_eq!(
            multiple.counts,
            vec![
                ("Trust".into(), 1),
                ("Communication".into(), 1),
                ("Agenda".into(), 0)
            ]
        );
        let number = &r.questions[3];
        // (3 + 3 + 3 + 0.5) / 4 = 2.375
        assert_eq!(number.mean, Some(Decimal::new(2375, 3)));
        assert_eq!(number.min, Some(Decimal::new(5, 1)));
        assert_eq!(number.max, Some(Decimal::from(3)));
        assert_eq!(r.questions[4].texts, vec!["Meet more often".to_string()]);
        assert_eq!(Rule::Count.value(multiple), Some(Decimal::ONE));
        assert_eq!(Rule::Count.value(&tally(&q, &[]).questions[0]), None);
    }

    #[test]
    fn shares_and_means_round_half_away_from_zero_to_six_decimals() {
        assert_eq!(share(2, 3).unwrap().to_string(), "66.666667");
        assert_eq!(share(1, 3).unwrap().to_string(), "33.333333");
        assert_eq!(share(1, 8).unwrap().to_string(), "12.5");
        assert_eq!(share(0, 0), None);
        assert_eq!(mean(Decimal::from(10), 3).unwrap().to_string(), "3.333333");
        assert_eq!(mean(Decimal::new(5, 7), 1).unwrap().to_string(), "0.000001");
        assert_eq!(mean(Decimal::ZERO, 0), None);
    }

    #[test]
    fn answers_that_no_longer_fit_are_counted_apart() {
        let q = parse_questions(TEXT).unwrap();
        let stored = responses(&q, &["5"]);
        // The choices of question 2 were edited after people answered.
        let edited = parse_questions(&TEXT.replace("Longer", "Over a year")).unwrap();
        let r = tally(&edited, &stored);
        assert_eq!(r.questions[1].answered, 0);
        assert_eq!(r.questions[1].stale, 1);
        assert_eq!(r.questions[0].answered, 1);
    }

    #[test]
    fn rules_fit_their_questions() {
        let q = parse_questions(TEXT).unwrap();
        assert_eq!(
            Rule::for_question(&q[0], RuleKind::ShareAtLeast, "4"),
            Ok(Rule::ShareAtLeast { point: 4 })
        );
        assert!(Rule::for_question(&q[0], RuleKind::ShareAtLeast, "6").is_err());
        assert!(Rule::for_question(&q[1], RuleKind::ShareAtLeast, "1").is_err());
        assert_eq!(
            Rule::for_question(&q[1], RuleKind::ShareOf, " longer "),
            Ok(Rule::ShareOf {
                choice: "Longer".into()
            })
        );
        assert!(Rule::for_question(&q[1], RuleKind::ShareOf, "Never").is_err());
        assert!(Rule::for_question(&q[4], RuleKind::Mean, "").is_err());
        assert_eq!(
            Rule::for_question(&q[3], RuleKind::Mean, ""),
            Ok(Rule::Mean)
        );
        assert_eq!(
            Rule::for_question(&q[4], RuleKind::Count, ""),
            Ok(Rule::Count)
        );
    }

    #[test]
    fn the_health_template_is_a_valid_survey() {
        // Texts with the characters the notation reserves are made safe.
        let s = partnership_health(|k| format!("{k} | with a bar\nand a line"));
        let mut f = s.stored_values();
        f.insert("status".into(), "open".into());
        let parsed = Survey::parse(&f).unwrap();
        assert_eq!(parsed.questions, s.questions);
        let q = s.question_list();
        assert_eq!(q.len(), 12);
        assert_eq!(q[0].section.as_deref(), q[3].section.as_deref());
        assert!(q[0].prompt.starts_with("survey-health-trust-commitments"));
        assert_eq!(q[0].points(), vec![1, 2, 3, 4, 5]);
        assert_eq!(q[0].items.len(), 5);
        assert_eq!(q[6].kind, QuestionKind::Single);
        assert_eq!(q[10].kind, QuestionKind::Multiple);
        assert!(!q[11].required && q[11].kind == QuestionKind::Text);
        assert_eq!(s.audience, Audience::Members);
        assert_eq!(s.status, SurveyStatus::Draft);
    }
}
