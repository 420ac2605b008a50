//! Surveys in the JSON API. The survey records themselves are the registry's
//! (`/api/v1/initiatives/{slug}/surveys`, with their questions as text); here
//! are their questions as structured data, answering, results, feeding an
//! indicator and the partnership-health template. Everything goes through
//! the policy (the methods `crate::pages::surveys` adds to the registry).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use domain::access::Action;
use domain::measurement::survey::{self, Audience, Question, RawAnswers, Survey};
use domain::resource::Resource;
use domain::validation::{FieldErrors, FieldMap};

use super::extract::{ApiJson, ApiPath, created};
use crate::AppState;
use crate::access::{ApiAuthorized, Participate, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::pages::surveys::today;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let on = |action| Access::Initiative(action, Survey::KIND);
    let one = |rest: &str| format!("/api/v1/initiatives/{{slug}}/surveys/{{id}}/{rest}");
    r.get(&one("questions"), on(Action::Read), questions)
        .post(&one("responses"), on(Action::Participate), respond)
        .get(&one("results"), on(Action::Read), results)
        .post(&one("feed"), on(Action::Update), feed)
        .post(
            "/api/v1/initiatives/{slug}/surveys/templates/partnership-health",
            on(Action::Create),
            template,
        )
}

type SurveyPath = ApiPath<(String, i64)>;

fn object(body: Value, allowed: &[&str]) -> Result<Map<String, Value>, AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut errors = FieldErrors::default();
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            errors.add(
                k,
                "unknown_field",
                format!("{k} is not a field of this request"),
            );
        }
    }
    errors.finish(obj).map_err(AppError::Invalid)
}

/// A survey's questions as data, its phase, and whether the caller answered it.
async fn questions(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((slug, id)): SurveyPath,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    let rec = reg.get::<Survey>(id).await?;
    let phase = survey::phase(&rec.data, today());
    let answered = match rec.data.audience {
        Audience::Members => Some(reg.answered_survey(id).await?),
        Audience::Public => None,
    };
    let qs: Vec<Question> = rec.data.question_list();
    Ok(Json(json!({
        "survey": rec.id,
        "title": rec.data.title,
        "audience": rec.data.audience,
        "status": rec.data.status,
        "phase": phase.as_str(),
        "archived": rec.archived,
        "opens_on": rec.data.opens_on,
        "closes_on": rec.data.closes_on,
        "public_url": (rec.data.audience == Audience::Public).then(|| format!("/p/{slug}/surveys/{id}")),
        "answered": answered,
        "questions": qs,
    })))
}

/// `{"answers": {"1": 4, "2": "Agree", "3": ["A", "B"], "4": "12.5", "5": "text"}}`:
/// one value (or a list, for a multiple choice) per question number.
fn raw_answers(body: Value) -> Result<RawAnswers, AppError> {
    let obj = object(body, &["answers"])?;
    let Some(Value::Object(answers)) = obj.get("answers") else {
        return Err(AppError::Invalid(FieldErrors::single(
            "answers",
            if obj.contains_key("answers") {
                "invalid_type"
            } else {
                "required"
            },
            "answers must be an object of question numbers to answers",
        )));
    };
    let mut raw = RawAnswers::new();
    let mut errors = FieldErrors::default();
    for (k, v) in answers {
        let Some(n) = k.parse::<usize>().ok().filter(|n| *n >= 1) else {
            errors.add(
                &format!("answers.{k}"),
                "unknown_question",
                format!("{k:?} is not a question number"),
            );
            continue;
        };
        let one = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(x) => Some(x.to_string()),
                _ => None,
            }
        };
        let values = match v {
            Value::Null => Some(vec![]),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            other => one(other).map(|s| vec![s]),
        };
        match values {
            Some(list) => {
                raw.insert(n, list);
            }
            None => errors.add(
                &survey::field_of(n),
                "invalid_type",
                "an answer is a string, a number, a list of strings (a multiple choice), or null",
            ),
        }
    }
    errors.finish(raw).map_err(AppError::Invalid)
}

async fn respond(
    State(s): State<AppState>,
    auth: ApiAuthorized<Participate>,
    ApiPath((_, id)): SurveyPath,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let raw = raw_answers(body)?;
    let response = auth.registry(&s.store).answer_survey(id, &raw).await?;
    Ok(created(json!({ "id": response, "survey": id })))
}

/// Results: counts per choice or scale point with shares, means, lowest and
/// highest; text answers for coordinators only; nothing but the count while
/// fewer than the minimum responses arrived, for those who may not see small
/// counts.
async fn results(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): SurveyPath,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    let rec = reg.get::<Survey>(id).await?;
    let shown = reg.survey_results(id).await?;
    let questions = rec.data.question_list();
    let items: Vec<Value> = shown
        .results
        .as_ref()
        .map(|r| {
            r.questions
                .iter()
                .zip(&questions)
                .map(|(r, q)| {
                    let counts: Vec<Value> = r
                        .counts
                        .iter()
                        .map(|(answer, n)| {
                            let label = answer
                                .parse::<i64>()
                                .ok()
                                .and_then(|p| q.point_label(p))
                                .filter(|_| q.kind == survey::QuestionKind::Scale);
                            json!({
                                "answer": answer,
                                "label": label,
                                "count": n,
                                "share": survey::share(*n, r.answered).map(|d| d.to_string()),
                            })
                        })
                        .collect();
                    let mut o = json!({
                        "number": r.number,
                        "kind": r.kind,
                        "prompt": r.prompt,
                        "answered": r.answered,
                        "counts": counts,
                        "mean": r.mean.map(|d| d.to_string()),
                        "min": r.min.map(|d| d.to_string()),
                        "max": r.max.map(|d| d.to_string()),
                        "stale": r.stale,
                    });
                    if shown.texts && r.kind == survey::QuestionKind::Text {
                        o["texts"] = json!(r.texts);
                    }
                    o
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "survey": rec.id,
        "responses": shown.responses,
        "shown": shown.results.is_some(),
        "min_responses_shown": survey::MIN_RESPONSES_SHOWN,
        "questions": items,
    })))
}

/// `{"question": 1, "rule": "share_at_least", "point": 4, "indicator_id": 7, "period": "2025Q1"}`
/// (`choice` instead of `point` for `share_of`; neither for `mean` and `count`).
async fn feed(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): SurveyPath,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let obj = object(
        body,
        &[
            "question",
            "rule",
            "point",
            "choice",
            "indicator_id",
            "period",
        ],
    )?;
    let mut fields = FieldMap::new();
    let mut errors = FieldErrors::default();
    for (k, v) in &obj {
        let text = match (k.as_str(), v) {
            (_, Value::Null) => Some(String::new()),
            ("question" | "indicator_id" | "point", Value::Number(n)) if n.is_i64() => {
                Some(n.to_string())
            }
            ("rule" | "choice" | "period", Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        match text {
            Some(t) => {
                fields.insert(k.clone(), t);
            }
            None => errors.add(
                k,
                "invalid_type",
                match k.as_str() {
                    "rule" | "choice" | "period" => format!("{k} must be a string"),
                    _ => format!("{k} must be a whole number"),
                },
            ),
        }
    }
    errors.finish(()).map_err(AppError::Invalid)?;
    let fed = auth.registry(&s.store).feed_indicator(id, &fields).await?;
    Ok(Json(json!({
        "value": fed.value.to_string(),
        "indicator_id": fed.indicator.id,
        "period": fed.period.to_string(),
        "batch_id": fed.report.batch_id,
        "added": fed.report.added,
        "changed": fed.report.changed,
        "unchanged": fed.report.unchanged,
    })))
}

/// `{"language": "es"}` (English when left out; not null): the partnership-health
/// survey, created as a members-only draft.
async fn template(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let obj = object(body, &["language"])?;
    let lang = match obj.get("language") {
        None => "en",
        Some(Value::String(l)) => crate::i18n::supported(l)
            .filter(|s| *s == l.as_str())
            .ok_or_else(|| {
                AppError::Invalid(FieldErrors::single(
                    "language",
                    "unknown_choice",
                    "language must be en, es or he",
                ))
            })?,
        Some(_) => {
            return Err(AppError::Invalid(FieldErrors::single(
                "language",
                "invalid_type",
                "language must be a string",
            )));
        }
    };
    let rec = auth
        .registry(&s.store)
        .create_health_survey(crate::i18n::Tr::new(lang))
        .await?;
    Ok(created(rec))
}
