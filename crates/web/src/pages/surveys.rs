//! Surveys: answering (members in the app, anyone through a public link),
//! results, opening and closing, feeding an indicator from a question's
//! results, and the partnership-health template.
//!
//! A survey's record (title, audience, status, dates, questions) is edited on
//! the registry's own pages (`/i/{slug}/surveys/…`, declared in
//! `crate::kinds`). What is particular to surveys reads and writes through
//! the policy here: the methods this module adds to [`Registry`] (shared with
//! the API), and [`published_survey`] for the portal.
//!
//! Who may do what: answering a members-only survey is taking part
//! (`Action::Participate`: every role but viewer); reading results is reading
//! (every role), but until [`MIN_RESPONSES_SHOWN`] responses arrived only
//! coordinators see them, and text answers (which can hold personal details)
//! only ever reach coordinators; creating, opening, closing and feeding an
//! indicator are coordinators' work. A public survey is answered without an
//! account at `/p/{slug}/surveys/{id}`, once per browser (see `store::survey`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};

use domain::access::{Action, decide_record};
use domain::measurement::Decimal;
use domain::measurement::indicator::{Indicator, Subgroup};
use domain::measurement::period::Period;
use domain::measurement::survey::{
    self, Audience, MIN_RESPONSES_SHOWN, Phase, Question, QuestionKind, RawAnswers, Results, Rule,
    RuleKind, Survey, SurveyStatus,
};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap, Parser};
use store::Store;
use store::measurement::{BatchReport, BatchSource, NewValue};
use store::records::ListOptions;
use store::survey::Responder;

use super::{Chrome, render_status};
use crate::AppState;
use crate::access::{Authorized, Participate, Published, Read, Registry, Write, refusal};
use crate::error::{AppError, PageResult};
use crate::i18n::Tr;
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    let on = |action| Access::Initiative(action, Survey::KIND);
    let one = |rest: &str| format!("/i/{{slug}}/surveys/{{id}}/{rest}");
    r.get(
        "/i/{slug}/surveys/templates/partnership-health",
        on(Action::Create),
        template_preview,
    )
    .post(
        "/i/{slug}/surveys/templates/partnership-health",
        on(Action::Create),
        template_create,
    )
    .get(&one("respond"), on(Action::Participate), respond_form)
    .post(&one("respond"), on(Action::Participate), respond)
    .get(&one("results"), on(Action::Read), results)
    .post(&one("status"), on(Action::Update), set_status)
    .post(&one("feed"), on(Action::Update), feed)
    .get("/p/{slug}/surveys/{id}", Access::Public, portal_form)
    .post("/p/{slug}/surveys/{id}", Access::Public, portal_respond)
}

/// The cookie that marks a browser for public surveys (a token the server
/// signed: one response per survey from it).
pub const BROWSER_COOKIE: &str = "bb_survey";
/// A year: a browser stays the same respondent for the life of a survey.
const BROWSER_COOKIE_AGE: i64 = 365 * 24 * 3600;
/// How many answers (and attempts) one address may send to one portal per
/// throttling window: enough for a room of residents sharing one network at a
/// meeting, few enough that a flood from one address stops quickly.
const PORTAL_ANSWERS_PER_WINDOW: i64 = 150;

pub(crate) fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

/// What one caller may see of a survey's results.
pub struct SurveyResults {
    pub responses: i64,
    /// `None` while withheld: fewer than [`MIN_RESPONSES_SHOWN`] responses,
    /// for someone who may not see small counts.
    pub results: Option<Results>,
    /// Whether text answers are included (coordinators).
    pub texts: bool,
}

/// A question's results written into an indicator.
pub struct Fed {
    pub value: Decimal,
    pub indicator: Record<Indicator>,
    pub period: Period,
    pub report: BatchReport,
}

/// What to write where: a question, the rule over its results, the indicator
/// and the period.
pub struct FeedRequest {
    pub question: usize,
    pub rule: Rule,
    pub indicator: i64,
    pub period: Period,
}

/// Read a feed request (`question`, `rule`, `point` or `choice`,
/// `indicator_id`, `period`) against a survey's questions.
pub fn parse_feed(questions: &[Question], f: &FieldMap) -> Result<FeedRequest, FieldErrors> {
    let mut p = Parser::new(f);
    let number = p.int("question", 1, questions.len().max(1) as i64) as usize;
    let kind = p.choice("rule", RuleKind::parse);
    let point = p.opt_text("point", 20, false).unwrap_or_default();
    let choice = p.opt_text("choice", 200, false).unwrap_or_default();
    let indicator = p.id("indicator_id");
    let period_text = p.name("period", 20);
    let period = if period_text.is_empty() {
        None
    } else {
        match Period::parse(&period_text) {
            Ok(x) => Some(x),
            Err(e) => {
                p.errors.add("period", "invalid_period", e.to_string());
                None
            }
        }
    };
    let question = questions.iter().find(|q| q.number == number);
    if p.errors.get("question").is_none() && question.is_none() {
        p.errors.add(
            "question",
            "unknown_question",
            "the survey has no such question",
        );
    }
    let rule = match (question, kind) {
        (Some(q), Some(k)) => {
            let (field, arg) = match k {
                RuleKind::ShareOf => ("choice", choice.as_str()),
                _ => ("point", point.as_str()),
            };
            match Rule::for_question(q, k, arg) {
                Ok(r) => Some(r),
                Err(e) => {
                    // A mean or a count takes no argument: the rule itself
                    // does not fit the question.
                    let field = match k {
                        RuleKind::Mean | RuleKind::Count => "rule",
                        _ => field,
                    };
                    p.errors.add(field, "invalid_rule", e);
                    None
                }
            }
        }
        _ => None,
    };
    match (rule, period) {
        (Some(rule), Some(period)) => p.errors.finish(FeedRequest {
            question: number,
            rule,
            indicator,
            period,
        }),
        _ => Err(p.errors),
    }
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid(FieldErrors::single(field, code, message))
}

/// Surveys as one caller may see and answer them, through the policy.
impl Registry<'_> {
    /// Whether the caller has answered a members-only survey.
    pub async fn answered_survey(&self, id: i64) -> Result<bool, AppError> {
        self.allow::<Survey>(Action::Read)?;
        let Some(user) = self.actor else {
            return Ok(false);
        };
        Ok(self
            .store
            .survey_responded(id, &Responder::Member(user))
            .await?)
    }

    /// Answer a members-only survey as the signed-in caller (once).
    pub async fn answer_survey(&self, id: i64, raw: &RawAnswers) -> Result<i64, AppError> {
        refusal(decide_record(
            self.grants,
            Action::Participate,
            Survey::KIND,
        ))?;
        self.allow::<Survey>(Action::Read)?;
        let user = self.actor.ok_or(AppError::Forbidden)?;
        Ok(self
            .store
            .add_survey_response(self.initiative, id, &Responder::Member(user), raw, today())
            .await?)
    }

    /// A survey's results as this caller may see them.
    pub async fn survey_results(&self, id: i64) -> Result<SurveyResults, AppError> {
        let s = self.get::<Survey>(id).await?;
        let rows = self.store.survey_responses(s.id).await?;
        let responses = rows.len() as i64;
        let all = decide_record(self.grants, Action::SeeSmallCells, Survey::KIND).allowed();
        let texts = decide_record(self.grants, Action::Update, Survey::KIND).allowed();
        let results = (all || responses >= MIN_RESPONSES_SHOWN).then(|| {
            let answers: Vec<serde_json::Value> = rows.into_iter().map(|r| r.answers).collect();
            let mut r = survey::tally(&s.data.question_list(), &answers);
            if !texts {
                for q in &mut r.questions {
                    q.texts.clear();
                }
            }
            r
        });
        Ok(SurveyResults {
            responses,
            results,
            texts,
        })
    }

    /// Open, close or return a survey to draft (a versioned update: one
    /// audit entry). Opening needs questions.
    pub async fn set_survey_status(
        &self,
        id: i64,
        version: i64,
        status: SurveyStatus,
    ) -> Result<Record<Survey>, AppError> {
        let rec = self.get::<Survey>(id).await?;
        if rec.archived {
            return Err(AppError::NotFound);
        }
        let mut fields = rec.data.to_fields();
        fields.insert("status".into(), status.as_str().into());
        let value = Survey::parse(&fields).map_err(AppError::Invalid)?;
        self.update(id, version, &fields, &value).await
    }

    /// Write the value a question's results give into an indicator for a
    /// period, as a batch of one value from the source `survey` (one audit
    /// entry, through the measurement store's volume path). Feeding the same
    /// value again changes nothing.
    pub async fn feed_indicator(&self, id: i64, fields: &FieldMap) -> Result<Fed, AppError> {
        refusal(decide_record(self.grants, Action::Update, Survey::KIND))?;
        refusal(decide_record(self.grants, Action::Report, Indicator::KIND))?;
        let s = self.get::<Survey>(id).await?;
        if s.archived {
            return Err(AppError::NotFound);
        }
        let questions = s.data.question_list();
        let req = parse_feed(&questions, fields).map_err(AppError::Invalid)?;
        let unknown = || {
            invalid(
                "indicator_id",
                "unknown_indicator",
                "no such live indicator here",
            )
        };
        let indicator = match self.get::<Indicator>(req.indicator).await {
            Ok(i) if !i.archived => i,
            Ok(_) | Err(AppError::NotFound) => return Err(unknown()),
            Err(e) => return Err(e),
        };
        if indicator.data.is_formula() {
            return Err(invalid(
                "indicator_id",
                "computed_indicator",
                "this indicator is computed by its formula and takes no values",
            ));
        }
        if req.period.frequency() != indicator.data.frequency {
            return Err(invalid(
                "period",
                "wrong_frequency",
                format!(
                    "{} is not a {} period, as the indicator reports",
                    req.period,
                    indicator.data.frequency.as_str()
                ),
            ));
        }
        let rows = self.store.survey_responses(s.id).await?;
        let answers: Vec<serde_json::Value> = rows.into_iter().map(|r| r.answers).collect();
        let results = survey::tally(&questions, &answers);
        let q = &results.questions[req.question - 1];
        let value = req.rule.value(q).ok_or_else(|| {
            invalid(
                "question",
                "no_answers",
                "nobody has answered this question yet",
            )
        })?;
        let source = BatchSource {
            source: "survey".into(),
            file_name: format!(
                "survey {}: {}, question {}",
                s.id, s.data.title, req.question
            ),
            file_hash: String::new(),
        };
        let comment = format!(
            "Survey \"{}\", question {}: {} of {} answers",
            s.data.title,
            req.question,
            req.rule.describe(),
            q.answered
        );
        let report = self
            .store
            .write_values(
                self.initiative,
                self.actor,
                &source,
                &[NewValue {
                    indicator_id: indicator.id,
                    period: req.period,
                    subgroup: Subgroup::total(),
                    partner_id: None,
                    value,
                    comment,
                }],
            )
            .await?;
        Ok(Fed {
            value,
            indicator,
            period: req.period,
            report,
        })
    }

    /// The partnership-health survey in `tr`'s language, as a draft.
    pub async fn create_health_survey(&self, tr: Tr) -> Result<Record<Survey>, AppError> {
        let s = survey::partnership_health(|k| tr.t(k));
        self.create(&s.to_fields(), &s).await
    }
}

/// What the portal may show of a survey: a live survey for the public, past
/// its draft, of an initiative whose portal is published (`p` is the proof).
/// Anything else is "not found".
pub async fn published_survey(
    store: &Store,
    p: &Published<'_>,
    id: i64,
) -> Result<Record<Survey>, AppError> {
    let rec = store
        .get::<Survey>(Some(p.initiative().id), id)
        .await
        .map_err(AppError::from)?;
    if rec.archived
        || rec.data.audience != Audience::Public
        || rec.data.status == SurveyStatus::Draft
    {
        return Err(AppError::NotFound);
    }
    Ok(rec)
}

/// The answers in a submitted form: every `qN` field, by question number.
pub fn raw_answers(pairs: &[(String, String)]) -> RawAnswers {
    let mut raw = RawAnswers::new();
    for (k, v) in pairs {
        if let Some(n) = k.strip_prefix('q').and_then(|n| n.parse::<usize>().ok()) {
            raw.entry(n).or_default().push(v.clone());
        }
    }
    raw
}

fn csrf_of(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
}

fn field_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An error in the page's language: `survey-error-{code}` when there is one.
fn error_text(tr: &Tr, e: &domain::validation::FieldError) -> String {
    let key = format!("survey-error-{}", e.code);
    if tr.has(&key) {
        tr.t(&key)
    } else {
        e.message.clone()
    }
}

/// The feed form's errors in the page's language, each naming its field.
fn feed_errors(tr: &Tr, e: &FieldErrors) -> String {
    e.0.iter()
        .map(|(field, x)| {
            let key = format!("survey-feed-error-{}", x.code);
            let label = match field.as_str() {
                "indicator_id" => tr.t("survey-feed-indicator"),
                f => tr.t(&format!("survey-feed-{f}")),
            };
            if tr.has(&key) {
                tr.t1(&key, "field", &label)
            } else {
                x.message.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One question as the answering form shows it.
pub struct FormQuestion {
    pub number: usize,
    pub field: String,
    /// Where the error summary sends the reader: the first control.
    pub anchor: String,
    pub prompt: String,
    /// `single`, `multiple`, `scale`, `number` or `text`.
    pub kind: &'static str,
    pub required: bool,
    /// The heading of a part that starts with this question.
    pub section: Option<String>,
    /// (value, label, checked) of radio buttons and checkboxes.
    pub choices: Vec<(String, String, bool)>,
    pub value: String,
    pub hint: String,
    pub error: String,
}

fn form_questions(
    tr: &Tr,
    questions: &[Question],
    raw: &RawAnswers,
    errors: &FieldErrors,
) -> Vec<FormQuestion> {
    let mut section: Option<&str> = None;
    questions
        .iter()
        .map(|q| {
            let field = survey::field_of(q.number);
            let given: Vec<&str> = raw
                .get(&q.number)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let picked = |v: &str| given.iter().any(|g| g.trim().eq_ignore_ascii_case(v));
            let choices: Vec<(String, String, bool)> = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => q
                    .items
                    .iter()
                    .map(|i| (i.clone(), i.clone(), picked(i)))
                    .collect(),
                QuestionKind::Scale => q
                    .points()
                    .iter()
                    .map(|p| {
                        let label = match q.point_label(*p) {
                            Some(l) => format!("{p} — {l}"),
                            None => p.to_string(),
                        };
                        (p.to_string(), label, picked(&p.to_string()))
                    })
                    .collect(),
                _ => vec![],
            };
            let starts = q.section.as_deref() != section;
            section = q.section.as_deref();
            let hint = match (q.kind, q.min, q.max) {
                (QuestionKind::Multiple, _, _) => tr.t("survey-hint-multiple"),
                (QuestionKind::Number, Some(lo), Some(hi)) => tr.tn(
                    "survey-hint-number-range",
                    &[("min", lo.to_string()), ("max", hi.to_string())],
                ),
                (QuestionKind::Number, _, _) => tr.t("survey-hint-number"),
                _ => String::new(),
            };
            let anchor = if choices.is_empty() {
                format!("i-{field}")
            } else {
                format!("i-{field}-1")
            };
            FormQuestion {
                number: q.number,
                anchor,
                prompt: q.prompt.clone(),
                kind: q.kind.as_str(),
                required: q.required,
                section: if starts { q.section.clone() } else { None },
                choices,
                value: given.first().map(|s| s.to_string()).unwrap_or_default(),
                hint,
                error: errors
                    .get(&field)
                    .map(|e| error_text(tr, e))
                    .unwrap_or_default(),
                field,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "surveys/respond.html")]
struct RespondPage {
    c: Chrome,
    title: String,
    description: String,
    action: String,
    /// The CSRF token of the form: the session's, or the portal's signed one.
    csrf: String,
    public: bool,
    show_form: bool,
    sent: bool,
    /// Why there is no form (closed, answered already, …).
    message: String,
    /// A link that goes with the message (the public form of a public survey).
    link: Option<String>,
    error: String,
    questions: Vec<FormQuestion>,
    /// (anchor, text) of each question refused.
    summary: Vec<(String, String)>,
}

/// The sentence for a survey that takes no answers today; empty when it does.
fn phase_message(tr: &Tr, s: &Survey) -> String {
    match survey::phase(s, today()) {
        Phase::Open => String::new(),
        Phase::Draft => tr.t("survey-state-draft"),
        Phase::Upcoming(d) => tr.t1("survey-state-upcoming", "date", &d.to_string()),
        Phase::Closed(_) => tr.t("survey-state-closed"),
    }
}

/// The survey-wide refusal in a submission's errors, in words; empty if none.
fn survey_error(tr: &Tr, e: &FieldErrors) -> String {
    ["survey", "answers"]
        .iter()
        .filter_map(|f| e.get(f))
        .map(|x| error_text(tr, x))
        .collect::<Vec<_>>()
        .join(" ")
}

fn respond_chrome(
    ctx: &Ctx,
    i: &Record<domain::partnership::Initiative>,
    g: &domain::access::Grants,
    s: &Record<Survey>,
) -> Chrome {
    let slug = &i.data.slug;
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, "surveys");
    let heading = c.t("survey-respond-title");
    let list = c.t("kind-surveys");
    let c = c
        .crumb(format!("/i/{slug}/surveys"), list)
        .crumb(
            format!("/i/{slug}/surveys/{}/results", s.id),
            s.data.title.clone(),
        )
        .crumb(String::new(), heading.clone());
    Chrome {
        title: format!("{heading}: {}", s.data.title),
        ..c
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SentQuery {
    sent: Option<String>,
}

async fn respond_form(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((_slug, id)): Path<(String, i64)>,
    Query(q): Query<SentQuery>,
) -> PageResult {
    show_respond(
        &s,
        &auth,
        id,
        RawAnswers::new(),
        FieldErrors::default(),
        q.sent.is_some(),
        StatusCode::OK,
    )
    .await
}

async fn show_respond(
    s: &AppState,
    auth: &Authorized<Participate>,
    id: i64,
    raw: RawAnswers,
    errors: FieldErrors,
    sent: bool,
    status: StatusCode,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let rec = reg.get::<Survey>(id).await?;
    if rec.archived {
        return Err(AppError::NotFound.into());
    }
    let tr = ctx.tr;
    let slug = &i.data.slug;
    let mut link = None;
    let message = if rec.data.audience == Audience::Public {
        link = Some(format!("/p/{slug}/surveys/{id}"));
        tr.t("survey-state-public")
    } else if sent {
        String::new()
    } else if reg.answered_survey(id).await? {
        tr.t("survey-state-answered")
    } else {
        phase_message(&tr, &rec.data)
    };
    let questions = form_questions(&tr, &rec.data.question_list(), &raw, &errors);
    let summary = questions
        .iter()
        .filter(|q| !q.error.is_empty())
        .map(|q| (q.anchor.clone(), format!("{}. {}", q.number, q.error)))
        .collect();
    let c = respond_chrome(ctx, i, g, &rec);
    render_status(
        status,
        &RespondPage {
            csrf: c.csrf.clone(),
            c,
            title: rec.data.title.clone(),
            description: rec.data.description.clone(),
            action: format!("/i/{slug}/surveys/{id}/respond"),
            public: false,
            show_form: message.is_empty() && !sent,
            sent,
            message,
            link,
            error: survey_error(&tr, &errors),
            questions,
            summary,
        },
    )
}

async fn respond(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    auth.ctx.check_csrf(csrf_of(&pairs))?;
    let raw = raw_answers(&pairs);
    match auth.registry(&s.store).answer_survey(id, &raw).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/i/{slug}/surveys/{id}/respond?sent=1#sent")).into_response(),
        ),
        Err(AppError::Invalid(e)) => {
            let status = if e
                .get("survey")
                .is_some_and(|x| x.code == "already_answered")
            {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            show_respond(&s, &auth, id, raw, e, false, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A survey's results, with what a coordinator does next: open or close it,
/// feed an indicator.
#[derive(Template)]
#[template(path = "surveys/results.html")]
struct ResultsPage {
    c: Chrome,
    id: i64,
    version: i64,
    title: String,
    description: String,
    state: String,
    audience: String,
    responses: String,
    /// Why results are not shown yet; empty when they are.
    withheld: String,
    questions: Vec<ResultQuestion>,
    texts_hidden: bool,
    answer_href: Option<String>,
    public_link: Option<String>,
    portal_published: bool,
    can_manage: bool,
    /// (status code, button label) of the status changes offered.
    status_actions: Vec<(&'static str, String)>,
    notice: String,
    error: String,
    feed: FeedForm,
}

/// One question's results as the page shows them.
pub struct ResultQuestion {
    pub number: usize,
    pub prompt: String,
    pub section: Option<String>,
    pub answered: String,
    /// (answer, count, share, bar width 0–100)
    pub rows: Vec<(String, i64, String, u32)>,
    /// (label, value) of mean, lowest and highest.
    pub figures: Vec<(String, String)>,
    pub texts: Vec<String>,
    pub is_text: bool,
    pub stale: String,
}

/// The feed form: its choices and what was typed.
#[derive(Default)]
pub struct FeedForm {
    /// (number, label, selected)
    pub questions: Vec<(usize, String, bool)>,
    /// (code, label, selected)
    pub rules: Vec<(&'static str, String, bool)>,
    /// (id, label, selected)
    pub indicators: Vec<(i64, String, bool)>,
    pub point: String,
    pub choice: String,
    pub period: String,
}

fn shown_decimal(d: Decimal) -> String {
    survey::round_to(d, 2).to_string()
}

fn result_questions(tr: &Tr, questions: &[Question], results: &Results) -> Vec<ResultQuestion> {
    let mut section: Option<&str> = None;
    results
        .questions
        .iter()
        .zip(questions)
        .map(|(r, q)| {
            let starts = q.section.as_deref() != section;
            section = q.section.as_deref();
            let rows = r
                .counts
                .iter()
                .map(|(answer, n)| {
                    let label = match q.kind {
                        QuestionKind::Scale => {
                            match answer.parse::<i64>().ok().and_then(|p| q.point_label(p)) {
                                Some(l) => format!("{answer} — {l}"),
                                None => answer.clone(),
                            }
                        }
                        _ => answer.clone(),
                    };
                    let share = survey::share(*n, r.answered);
                    let width = share
                        .map(|s| s.round().to_string().parse::<u32>().unwrap_or(0))
                        .unwrap_or(0)
                        .min(100);
                    (
                        label,
                        *n,
                        share
                            .map(|s| format!("{}%", shown_decimal(s)))
                            .unwrap_or_else(|| "—".into()),
                        width,
                    )
                })
                .collect();
            let mut figures = vec![];
            for (key, v) in [
                ("survey-mean", r.mean),
                ("survey-lowest", r.min),
                ("survey-highest", r.max),
            ] {
                if let Some(v) = v {
                    figures.push((tr.t(key), shown_decimal(v)));
                }
            }
            ResultQuestion {
                number: r.number,
                prompt: r.prompt.clone(),
                section: if starts { q.section.clone() } else { None },
                answered: tr.t1("survey-answered", "n", &r.answered.to_string()),
                rows,
                figures,
                texts: r.texts.clone(),
                is_text: r.kind == QuestionKind::Text,
                stale: if r.stale > 0 {
                    tr.t1("survey-stale", "n", &r.stale.to_string())
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub struct ResultsQuery {
    status: Option<String>,
}

async fn results(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_slug, id)): Path<(String, i64)>,
    Query(q): Query<ResultsQuery>,
) -> PageResult {
    let notice = match q.status.as_deref().and_then(SurveyStatus::parse) {
        Some(st) => auth.ctx.tr.t(&format!("survey-now-{}", st.as_str())),
        None => String::new(),
    };
    show_results(
        &s,
        &auth.ctx,
        &auth.view,
        &auth.user,
        id,
        notice,
        String::new(),
        FieldMap::new(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_results(
    s: &AppState,
    ctx: &Ctx,
    view: &store::partnership::InitiativeView,
    user: &store::accounts::User,
    id: i64,
    notice: String,
    error: String,
    feed_typed: FieldMap,
    status: StatusCode,
) -> PageResult {
    let reg = Registry::new(&s.store, view, Some(user));
    let (i, g) = (&view.initiative, &view.grants);
    let tr = ctx.tr;
    let rec = reg.get::<Survey>(id).await?;
    let shown = reg.survey_results(id).await?;
    let questions = rec.data.question_list();
    let slug = &i.data.slug;
    let can_manage = g.allows_on(Action::Update, Survey::KIND) && !rec.archived;
    let phase = survey::phase(&rec.data, today());
    let answer_href = (rec.data.audience == Audience::Members
        && phase == Phase::Open
        && !rec.archived
        && g.allows_on(Action::Participate, Survey::KIND))
    .then(|| format!("/i/{slug}/surveys/{id}/respond"));
    let public_link =
        (rec.data.audience == Audience::Public).then(|| format!("/p/{slug}/surveys/{id}"));
    let status_actions = if can_manage {
        let mut v = vec![];
        for st in SurveyStatus::ALL {
            if *st != rec.data.status {
                v.push((st.as_str(), tr.t(&format!("survey-make-{}", st.as_str()))));
            }
        }
        v
    } else {
        vec![]
    };
    let feed = if can_manage && g.allows_on(Action::Report, Indicator::KIND) {
        let indicators = reg
            .list::<Indicator>(ListOptions::all())
            .await?
            .into_iter()
            .filter(|x| !x.data.is_formula())
            .collect::<Vec<_>>();
        feed_form(&tr, &questions, &indicators, &feed_typed)
    } else {
        FeedForm::default()
    };
    let withheld = if shown.results.is_none() {
        tr.tn(
            "survey-withheld",
            &[
                ("min", MIN_RESPONSES_SHOWN.to_string()),
                ("n", shown.responses.to_string()),
            ],
        )
    } else {
        String::new()
    };
    let result_qs = shown
        .results
        .as_ref()
        .map(|r| result_questions(&tr, &questions, r))
        .unwrap_or_default();
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, "surveys");
    let list = c.t("kind-surveys");
    let c = c
        .crumb(format!("/i/{slug}/surveys"), list)
        .crumb(String::new(), rec.data.title.clone());
    let c = Chrome {
        title: format!("{}: {}", tr.t("survey-results"), rec.data.title),
        ..c
    };
    let state = match phase {
        Phase::Upcoming(d) => tr.t1("survey-phase-upcoming", "date", &d.to_string()),
        Phase::Closed(Some(d)) => tr.t1("survey-phase-closed-on", "date", &d.to_string()),
        p => tr.t(&format!("survey-phase-{}", p.as_str())),
    };
    render_status(
        status,
        &ResultsPage {
            c,
            id,
            version: rec.version,
            title: rec.data.title.clone(),
            description: rec.data.description.clone(),
            state,
            audience: tr.t(&format!("survey-audience-{}", rec.data.audience.as_str())),
            responses: tr.t1("survey-responses", "n", &shown.responses.to_string()),
            withheld,
            questions: result_qs,
            texts_hidden: !shown.texts,
            answer_href,
            public_link,
            portal_published: i.data.public,
            can_manage,
            status_actions,
            notice,
            error,
            feed,
        },
    )
}

fn feed_form(
    tr: &Tr,
    questions: &[Question],
    indicators: &[Record<Indicator>],
    typed: &FieldMap,
) -> FeedForm {
    let get = |k: &str| typed.get(k).cloned().unwrap_or_default();
    let feedable: Vec<&Question> = questions
        .iter()
        .filter(|q| q.kind != QuestionKind::Text)
        .collect();
    let first_scale = feedable.iter().find(|q| q.kind == QuestionKind::Scale);
    let question = match get("question") {
        v if !v.is_empty() => v,
        _ => first_scale
            .or(feedable.first())
            .map(|q| q.number.to_string())
            .unwrap_or_default(),
    };
    let rule = match get("rule") {
        v if !v.is_empty() => v,
        _ if first_scale.is_some() => "share_at_least".into(),
        _ => "share_of".into(),
    };
    let point = match get("point") {
        v if !v.is_empty() => v,
        _ => first_scale
            .and_then(|q| q.max)
            .map(|m| (m - 1).to_string())
            .unwrap_or_default(),
    };
    let indicator = get("indicator_id");
    FeedForm {
        questions: feedable
            .iter()
            .map(|q| {
                let label: String = q.prompt.chars().take(90).collect();
                (
                    q.number,
                    format!("{}. {label}", q.number),
                    q.number.to_string() == question,
                )
            })
            .collect(),
        rules: RuleKind::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str(),
                    tr.t(&format!("survey-rule-{}", r.as_str())),
                    r.as_str() == rule,
                )
            })
            .collect(),
        indicators: indicators
            .iter()
            .map(|x| (x.id, x.data.label(), x.id.to_string() == indicator))
            .collect(),
        point,
        choice: get("choice"),
        period: get("period"),
    }
}

async fn set_status(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    auth.ctx.check_csrf(csrf_of(&pairs))?;
    let status = field_of(&pairs, "status").and_then(SurveyStatus::parse);
    let Some(status) = status else {
        return Err(invalid(
            "status",
            "unknown_choice",
            "status must be draft, open or closed",
        )
        .into());
    };
    let version = field_of(&pairs, "_version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::BadRequest("the form lacks the version it was opened at".into())
        })?;
    match auth
        .registry(&s.store)
        .set_survey_status(id, version, status)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/i/{slug}/surveys/{id}/results?status={}",
            status.as_str()
        ))
        .into_response()),
        Err(AppError::Invalid(e)) => {
            let tr = auth.ctx.tr;
            let msg =
                e.0.values()
                    .map(|x| error_text(&tr, x))
                    .collect::<Vec<_>>()
                    .join(" ");
            show_results(
                &s,
                &auth.ctx,
                &auth.view,
                &auth.user,
                id,
                String::new(),
                msg,
                FieldMap::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn feed(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    auth.ctx.check_csrf(csrf_of(&pairs))?;
    let fields: FieldMap = pairs
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .cloned()
        .collect();
    let tr = auth.ctx.tr;
    let (notice, error, status) = match auth.registry(&s.store).feed_indicator(id, &fields).await {
        Ok(fed) => {
            let key = if fed.report.batch_id.is_some() {
                "survey-fed"
            } else {
                "survey-fed-unchanged"
            };
            (
                tr.tn(
                    key,
                    &[
                        ("value", fed.value.to_string()),
                        ("indicator", fed.indicator.data.label()),
                        ("period", fed.period.to_string()),
                    ],
                ),
                String::new(),
                StatusCode::OK,
            )
        }
        Err(AppError::Invalid(e)) => (
            String::new(),
            feed_errors(&tr, &e),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    show_results(
        &s, &auth.ctx, &auth.view, &auth.user, id, notice, error, fields, status,
    )
    .await
}

#[derive(Template)]
#[template(path = "surveys/template.html")]
struct TemplatePage {
    c: Chrome,
    survey: Survey,
    questions: Vec<FormQuestion>,
}

async fn template_preview(auth: Authorized<Write>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let tr = ctx.tr;
    let survey = survey::partnership_health(|k| tr.t(k));
    let questions = form_questions(
        &tr,
        &survey.question_list(),
        &RawAnswers::new(),
        &FieldErrors::default(),
    );
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, "surveys");
    let heading = c.t("survey-template-title");
    let list = c.t("kind-surveys");
    let c = c
        .crumb(format!("/i/{}/surveys", i.data.slug), list)
        .crumb(String::new(), heading.clone());
    let c = Chrome {
        title: heading,
        ..c
    };
    render_status(
        StatusCode::OK,
        &TemplatePage {
            c,
            survey,
            questions,
        },
    )
}

/// Create the template in the language it was previewed in (the form says
/// which): what the coordinator read is what they get.
async fn template_create(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    auth.ctx.check_csrf(csrf_of(&pairs))?;
    let Some(lang) = field_of(&pairs, "language").and_then(crate::i18n::supported) else {
        return Err(invalid(
            "language",
            "unknown_choice",
            "language must be one of the interface's languages",
        )
        .into());
    };
    let rec = auth
        .registry(&s.store)
        .create_health_survey(Tr::new(lang))
        .await?;
    Ok(Redirect::to(&format!("/i/{slug}/surveys/{}/results", rec.id)).into_response())
}

/// The browser a public-survey request comes from, and whether its token is
/// new (then the response sets the cookie).
async fn browser(
    store: &Store,
    headers: &HeaderMap,
) -> Result<(String, Responder, bool), AppError> {
    if let Some(token) = crate::session::cookie(headers, BROWSER_COOKIE)
        && token.len() <= 200
        && let Some(who) = store.survey_browser(token).await?
    {
        return Ok((token.to_string(), who, false));
    }
    let token = store.new_survey_browser_token().await?;
    let who = store
        .survey_browser(&token)
        .await?
        .ok_or(AppError::Internal)?;
    Ok((token, who, true))
}

fn portal_chrome(ctx: &Ctx, i: &Record<domain::partnership::Initiative>, title: &str) -> Chrome {
    let mut c = Chrome::new(ctx, title.to_string())
        .crumb(format!("/p/{}/", i.data.slug), i.data.name.clone())
        .crumb(String::new(), title.to_string());
    c.user = None;
    c
}

async fn portal_form(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<SentQuery>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    show_portal(
        &s,
        &ctx,
        &headers,
        &published,
        id,
        RawAnswers::new(),
        FieldErrors::default(),
        q.sent.is_some(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_portal(
    s: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    published: &Published<'_>,
    id: i64,
    raw: RawAnswers,
    errors: FieldErrors,
    sent: bool,
    status: StatusCode,
) -> PageResult {
    let rec = published_survey(&s.store, published, id).await?;
    let i = published.initiative();
    let tr = ctx.tr;
    let (token, who, new) = browser(&s.store, headers).await?;
    let message = if sent {
        String::new()
    } else if s.store.survey_responded(id, &who).await? {
        tr.t("survey-state-answered-here")
    } else {
        phase_message(&tr, &rec.data)
    };
    let questions = form_questions(&tr, &rec.data.question_list(), &raw, &errors);
    let summary = questions
        .iter()
        .filter(|q| !q.error.is_empty())
        .map(|q| (q.anchor.clone(), format!("{}. {}", q.number, q.error)))
        .collect();
    let c = portal_chrome(ctx, i, &rec.data.title);
    let page = RespondPage {
        csrf: ctx.pre_csrf(&s.store).await?.0.clone(),
        c,
        title: rec.data.title.clone(),
        description: rec.data.description.clone(),
        action: format!("/p/{}/surveys/{id}", i.data.slug),
        public: true,
        show_form: message.is_empty() && !sent,
        sent,
        message,
        link: None,
        error: survey_error(&tr, &errors),
        questions,
        summary,
    };
    let mut res = render_status(status, &page)?;
    if new {
        let cookie =
            crate::session::set_cookie(BROWSER_COOKIE, &token, BROWSER_COOKIE_AGE, ctx.secure);
        res.headers_mut().append(
            header::SET_COOKIE,
            cookie.parse().map_err(|_| AppError::Internal)?,
        );
    }
    Ok(super::auth::with_pre_cookie(s, ctx, res).await?)
}

/// A visitor's answers. Nothing is stored when the hidden field a person
/// never sees is filled (a robot), when the form or the browser's token was
/// not issued by this server, when the address sent too many lately, when an
/// answer is invalid, or when this browser answered already.
async fn portal_respond(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    crate::session::Peer(peer): crate::session::Peer,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let rec = published_survey(&s.store, &published, id).await?;
    ctx.check_pre_csrf(&s.store, csrf_of(&pairs)).await?;
    let who = match crate::session::cookie(&headers, BROWSER_COOKIE) {
        Some(t) if t.len() <= 200 => s.store.survey_browser(t).await?,
        _ => None,
    };
    let Some(who) = who else {
        return Err(AppError::Forbidden.into());
    };
    let raw = raw_answers(&pairs);
    let refuse = |e: FieldErrors, status| {
        show_portal(
            &s,
            &ctx,
            &headers,
            &published,
            id,
            raw.clone(),
            e,
            false,
            status,
        )
    };
    if field_of(&pairs, "website").is_some_and(|v| !v.trim().is_empty()) {
        return refuse(
            FieldErrors::single("survey", "honeypot", "this looks automated"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let i = published.initiative();
    let ip = super::auth::client_ip(&headers, peer, s.config.trust_proxy);
    let key = format!("survey:{}:{}", i.id, store::accounts::client_key(&ip));
    if !s
        .store
        .reserve_attempt(&key, PORTAL_ANSWERS_PER_WINDOW)
        .await?
    {
        return refuse(
            FieldErrors::single("survey", "throttled", "too many answers from this address"),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    match s
        .store
        .add_survey_response(i.id, rec.id, &who, &raw, today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/p/{slug}/surveys/{id}?sent=1#sent")).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            let status = if e
                .get("survey")
                .is_some_and(|x| x.code == "already_answered")
            {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            refuse(e, status).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_q_fields_only() {
        let pairs: Vec<(String, String)> = [
            ("_csrf", "x"),
            ("q1", "4"),
            ("q3", "a"),
            ("q3", "b"),
            ("question", "2"),
            ("website", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let raw = raw_answers(&pairs);
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[&3], vec!["a".to_string(), "b".to_string()]);
    }
}
