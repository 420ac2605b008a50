//! The agenda in the JSON API: which ideas a round holds, a member's ballot,
//! the results, the systems map and its answers, members' suggestions and
//! their moderation. Everything goes through [`crate::agenda`], which asks the
//! policy; bodies are checked field by field, so anything malformed is a 4xx
//! naming what is wrong.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use domain::access::Action;
use domain::agenda::{Idea, IdeaStatus, Round};
use domain::resource::Record;
use domain::validation::{FieldErrors, FieldMap};

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::access::{ApiAuthorized, Participate, Read, Write};
use crate::agenda::{Refusal, RoundData};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    let round = |rest: &str| format!("{base}/rounds/{{id}}/{rest}");
    r.get(&round("ideas"), on(Action::Read, "round"), round_ideas)
        .put(
            &round("ideas"),
            on(Action::Update, "round"),
            set_round_ideas,
        )
        .get(&round("ballot"), on(Action::Read, "round"), my_ballot)
        .put(
            &round("ballot"),
            on(Action::Participate, "initiative"),
            cast_ballot,
        )
        .get(&round("results"), on(Action::Read, "round"), results)
        .get(
            &round("systems-map"),
            on(Action::Read, "round"),
            systems_map,
        )
        .post(
            &round("systems-map/answers"),
            on(Action::Participate, "initiative"),
            answer_map,
        )
        .post(
            &format!("{base}/ideas/suggestions"),
            on(Action::Participate, "initiative"),
            suggest_idea,
        )
        .post(
            &format!("{base}/ideas/{{id}}/moderation"),
            on(Action::Update, "idea"),
            moderate_idea,
        )
}

/// A request body as an object of known fields: 400 when it is not an object;
/// 422 naming every unknown, missing or mistyped field (all at once).
struct Body {
    obj: Map<String, Value>,
    errors: FieldErrors,
}

impl Body {
    fn new(body: Value, allowed: &[&str]) -> Result<Body, AppError> {
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
        Ok(Body { obj, errors })
    }

    fn required(&mut self, name: &str) -> Option<&Value> {
        if !self.obj.contains_key(name) {
            self.errors
                .add(name, "required", format!("{name} is required"));
        }
        self.obj.get(name)
    }

    fn wrong(&mut self, name: &str, want: &str) {
        self.errors
            .add(name, "invalid_type", format!("{name} must be {want}"));
    }

    /// A required list of record ids.
    fn ids(&mut self, name: &str) -> Vec<i64> {
        let list = match self.required(name) {
            None => return vec![],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_i64().filter(|n| *n >= 1))
                .collect::<Option<Vec<i64>>>(),
            Some(_) => None,
        };
        list.unwrap_or_else(|| {
            self.wrong(name, "a list of ids (whole numbers from 1)");
            vec![]
        })
    }

    /// A required record id.
    fn id(&mut self, name: &str) -> i64 {
        match self.required(name).map(|v| v.as_i64().filter(|n| *n >= 1)) {
            None => 0,
            Some(Some(n)) => n,
            Some(None) => {
                self.wrong(name, "an id (a whole number from 1)");
                0
            }
        }
    }

    /// A required yes/no that may be null.
    fn nullable_bool(&mut self, name: &str) -> Option<bool> {
        match self.required(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.wrong(name, "true, false or null");
                None
            }
        }
    }

    /// Text: `None` when absent (or null, with `nullable`).
    fn text(&mut self, name: &str, nullable: bool) -> Option<String> {
        match self.obj.get(name) {
            None => None,
            Some(Value::Null) if nullable => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                let want = if nullable {
                    "a string or null"
                } else {
                    "a string"
                };
                self.wrong(name, want);
                None
            }
        }
    }

    fn finish<T>(self, value: T) -> Result<T, AppError> {
        self.errors.finish(value).map_err(AppError::Invalid)
    }
}

type RoundPath = ApiPath<(String, i64)>;

/// `{"idea_ids": [...]}`, the body of a round's ideas and of a ballot.
fn idea_ids(body: Value) -> Result<Vec<i64>, AppError> {
    let mut b = Body::new(body, &["idea_ids"])?;
    let ids = b.ids("idea_ids");
    b.finish(ids)
}

async fn round_ideas(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): RoundPath,
) -> ApiResult<Json<Value>> {
    let round = auth.registry(&s.store).round(id).await?;
    Ok(Json(json!({ "idea_ids": round.ids() })))
}

async fn set_round_ideas(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): RoundPath,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let ids = idea_ids(body)?;
    let set = auth.registry(&s.store).set_round_ideas(id, &ids).await?;
    Ok(Json(json!({ "idea_ids": set })))
}

async fn my_ballot(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): RoundPath,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    // The round must be this initiative's before anything about it is said.
    reg.get::<Round>(id).await?;
    Ok(Json(json!({ "idea_ids": reg.my_ballot(id).await? })))
}

async fn cast_ballot(
    State(s): State<AppState>,
    auth: ApiAuthorized<Participate>,
    ApiPath((_, id)): RoundPath,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let picks = idea_ids(body)?;
    let reg = auth.registry(&s.store);
    let today = store::now().get().date_naive();
    reg.cast_ballot(id, &picks, today).await?;
    Ok(Json(json!({ "idea_ids": reg.my_ballot(id).await? })))
}

async fn results(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): RoundPath,
) -> ApiResult<Json<Value>> {
    let d = auth.registry(&s.store).round(id).await?;
    // Most votes first; ties keep the round's order.
    let mut order: Vec<usize> = (0..d.ideas.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(d.votes[*i]));
    let ideas: Vec<Value> = order
        .into_iter()
        .map(|i| {
            json!({
                "id": d.ideas[i].id,
                "title": d.ideas[i].data.title,
                "votes": d.votes[i],
            })
        })
        .collect();
    Ok(Json(json!({
        "round": d.round.id,
        "picks": d.round.data.picks,
        "ballots": d.ballots,
        "ideas": ideas,
    })))
}

/// The systems map of a round as the API shows it: nodes, the answers given
/// and how far the questions have come.
fn map_document(d: &RoundData) -> Value {
    let export = d.export();
    let p = d.progress();
    json!({
        "nodes": export.nodes,
        "answers": export.answers,
        "progress": {
            "next": p.next.map(|(from, to)| json!({ "from": from, "to": to })),
            "asked": p.asked,
            "total_pairs": p.total_pairs,
            "inferred": p.inferred,
            "complete": p.complete,
        },
    })
}

async fn systems_map(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): RoundPath,
) -> ApiResult<Json<Value>> {
    let d = auth.registry(&s.store).round(id).await?;
    Ok(Json(map_document(&d)))
}

/// 422 for an answer that earlier answers contradict, naming them.
fn contradiction(r: Refusal) -> Response {
    let word = |yes: bool| if yes { "helps" } else { "does not help" };
    let because: Vec<String> = r
        .because
        .iter()
        .map(|a| format!("idea {} {} idea {}", a.from, word(a.influences), a.to))
        .collect();
    let message = format!(
        "earlier answers imply the opposite of \"idea {} {} idea {}\": {}; revise or withdraw one of them first",
        r.from,
        word(r.influences),
        r.to,
        because.join("; ")
    );
    let body = json!({ "error": "contradiction", "message": message, "contradiction": r });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn answer_map(
    State(s): State<AppState>,
    auth: ApiAuthorized<Participate>,
    ApiPath((_, id)): RoundPath,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let mut b = Body::new(body, &["from", "to", "influences"])?;
    let from = b.id("from");
    let to = b.id("to");
    let influences = b.nullable_bool("influences");
    b.finish(())?;
    let reg = auth.registry(&s.store);
    if let Err(refused) = reg.answer_map(id, from, to, influences).await? {
        return Ok(contradiction(refused));
    }
    let d = reg.round(id).await?;
    Ok(Json(map_document(&d)).into_response())
}

/// A language tag exactly as an idea stores it ("es", "pt-br"). Stricter than
/// the idea's own rule on one point: an empty string sent on purpose is refused,
/// not read as "no language".
fn is_language(s: &str) -> bool {
    s.len() <= 20
        && !s.contains(',')
        && domain::partnership::normalize_languages(s).as_deref() == Some(s)
}

async fn suggest_idea(
    State(s): State<AppState>,
    auth: ApiAuthorized<Participate>,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let mut b = Body::new(body, &["title", "description", "language"])?;
    let mut fields = FieldMap::new();
    match b.required("title") {
        None => {}
        Some(Value::String(t)) => {
            fields.insert("title".into(), t.clone());
        }
        Some(_) => b.wrong("title", "a string"),
    }
    if let Some(d) = b.text("description", true) {
        fields.insert("description".into(), d);
    }
    let language = match b.text("language", true) {
        Some(l) if is_language(&l) => l,
        Some(_) => {
            b.errors.add(
                "language",
                "invalid_languages",
                "language must be one language code, such as es",
            );
            String::new()
        }
        // The initiative's first language.
        None => auth
            .initiative()
            .data
            .languages
            .split(',')
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("en")
            .to_string(),
    };
    b.finish(())?;
    let idea: Record<Idea> = auth
        .registry(&s.store)
        .suggest_idea(&fields, &language)
        .await?;
    Ok((StatusCode::CREATED, Json(idea)).into_response())
}

async fn moderate_idea(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Idea>>> {
    let mut b = Body::new(body, &["status"])?;
    // A refused status is named in the errors; `Submitted` only fills the gap.
    let status = match b.required("status") {
        None => IdeaStatus::Submitted,
        Some(Value::String(code)) => match IdeaStatus::ALL.iter().find(|c| c.as_str() == code) {
            Some(c) => *c,
            None => {
                let codes: Vec<&str> = IdeaStatus::ALL.iter().map(|c| c.as_str()).collect();
                b.errors.add(
                    "status",
                    "unknown_choice",
                    format!("status must be one of: {}", codes.join(", ")),
                );
                IdeaStatus::Submitted
            }
        },
        Some(_) => {
            b.wrong("status", "a string");
            IdeaStatus::Submitted
        }
    };
    let status = b.finish(status)?;
    Ok(Json(
        auth.registry(&s.store).moderate_idea(id, status).await?,
    ))
}
