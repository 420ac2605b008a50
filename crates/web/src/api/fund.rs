//! The community investment fund in the JSON API, under
//! `/api/v1/initiatives/{slug}/fund/calls/{call}` (a call itself is a registry
//! record: `…/fund-calls`):
//!
//! - `GET …/applications`: the call's budget, assessors and applications in
//!   rank order, each with its mean weighted score (hundredths of a point) and
//!   rank; `GET …/applications/{id}`: one application with its scores,
//!   conflicts, award, payment schedule and progress reports. Contact details
//!   (name and email) only for whom the policy shows them.
//! - `POST …/assessors` (`{"email"}`, coordinators).
//! - `POST …/applications/{id}/conflict` (`{"note"}`) and `…/score`
//!   (`{"scores": {"need": 4, …}}`): for the call's assessors; anyone else,
//!   and an assessor recused by a declared conflict, is refused with 422.
//! - `POST …/applications/{id}/award` (`{"amount_minor", "awarded_on",
//!   "currency"?, "decision"?}`), `…/agreement` (`{"signed_on"}`),
//!   `…/payments` (`{"instalments": [{"date", "amount_minor"}]}`, summing to
//!   the award) and `…/reports` (`{"reported_on", "text"}`): coordinators.
//!
//! Amounts are integers in minor units. Every rule is the store's and the
//! domain's (`domain::funding::fund`), as on the pages; a refusal is 422 naming
//! the field, and nothing is written.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use domain::access::{Action, Decision, Grants, decide, decide_record};
use domain::funding::fund::{FundCall, Instalment};
use domain::resource::Class;
use domain::validation::{FieldErrors, FieldMap, Parser};
use store::StoreError;
use store::funding::fund::{ApplicationView, CallView};

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Write, refusal};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

/// The most instalments one payment schedule holds.
pub const MAX_INSTALMENTS: usize = 120;

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}/fund/calls/{call}";
    let app = |tail: &str| format!("{base}/applications/{{id}}{tail}");
    let on = Access::Initiative;
    r.get(
        &format!("{base}/applications"),
        on(Action::Read, "fund_application"),
        list,
    )
    .post(
        &format!("{base}/assessors"),
        on(Action::Update, "fund_call"),
        add_assessor,
    )
    .get(&app(""), on(Action::Read, "fund_application"), detail)
    .post(
        &app("/conflict"),
        on(Action::Read, "fund_application"),
        conflict,
    )
    .post(&app("/score"), on(Action::Read, "fund_application"), score)
    .post(
        &app("/award"),
        on(Action::Update, "fund_application"),
        award,
    )
    .post(
        &app("/agreement"),
        on(Action::Update, "fund_application"),
        agreement,
    )
    .post(
        &app("/payments"),
        on(Action::Update, "fund_application"),
        payments,
    )
    .post(
        &app("/reports"),
        on(Action::Update, "fund_application"),
        reports,
    )
}

fn sees_contact(g: &Grants) -> bool {
    decide(g, Action::Read, "fund_application", Class::Contact) == Decision::Allow
}

/// Mean weighted score in hundredths of a point (rounded half up), or null.
fn mean_json(m: domain::funding::fund::Mean) -> Value {
    json!(m.hundredths())
}

/// The call (read through the policy first: 404 for a call of another
/// initiative) with everything the views need.
async fn load_call<A: crate::access::Need>(
    s: &AppState,
    auth: &ApiAuthorized<A>,
    call: i64,
) -> Result<CallView, AppError> {
    auth.registry(&s.store).get::<FundCall>(call).await?;
    Ok(s.store.fund_call(auth.initiative().id, call).await?)
}

/// The application, which must be of `call` (else 404).
async fn load_application<A: crate::access::Need>(
    s: &AppState,
    auth: &ApiAuthorized<A>,
    call: i64,
    id: i64,
) -> Result<ApplicationView, AppError> {
    auth.registry(&s.store).get::<FundCall>(call).await?;
    let v = s.store.fund_application(auth.initiative().id, id).await?;
    if v.application.call_id != call {
        return Err(AppError::NotFound);
    }
    Ok(v)
}

fn call_json(v: &CallView) -> Value {
    let k = &v.call.data;
    json!({
        "id": v.call.id,
        "name": k.name,
        "currency": k.currency,
        "budget_minor": k.budget_minor,
        "awarded_minor": v.awarded_total(),
        "remaining_minor": k.budget_minor - v.awarded_total(),
        "criteria": k.criteria_list().iter().map(|c| json!({"key": c.key, "weight": c.weight})).collect::<Vec<_>>(),
        "opens_on": k.opens_on,
        "closes_on": k.closes_on,
    })
}

/// One application as a row of the ranking.
fn row_json(v: &CallView, app: i64, contact: bool) -> Option<Value> {
    let (_, mean, rank) = v.ranking().into_iter().find(|r| r.0 == app)?;
    let a = v.applications.iter().find(|a| a.id == app)?;
    let d = &a.data;
    Some(json!({
        "id": a.id,
        "call_id": a.call_id,
        "title": d.title,
        "organization_name": d.organization_name,
        "org_identifier": d.org_identifier,
        "contact_name": if contact { json!(d.contact_name) } else { Value::Null },
        "contact_email": if contact { json!(d.contact_email) } else { Value::Null },
        "amount_minor": d.amount_minor,
        "currency": d.currency,
        "submitted_on": a.submitted_on,
        "scores_count": v.scores.iter().filter(|s| s.application_id == app).count(),
        "mean_hundredths": mean_json(mean),
        "rank": (mean.count > 0).then_some(rank),
        "awarded_minor": v.award_of(app).map(|w| w.amount_minor),
    }))
}

fn application_json(v: &ApplicationView, contact: bool, me: i64) -> Value {
    let id = v.application.id;
    let c = &v.call;
    let keys: Vec<String> = c
        .call
        .data
        .criteria_list()
        .into_iter()
        .map(|k| k.key)
        .collect();
    let mut out = row_json(c, id, contact).unwrap_or_else(|| json!({}));
    let d = &v.application.data;
    out["description"] = json!(d.description);
    out["language"] = json!(d.language);
    out["sdg"] = json!(d.sdg);
    out["scores"] = json!(c
        .scores
        .iter()
        .filter(|x| x.application_id == id)
        .map(|x| json!({
            "user_id": x.user_id,
            "assessor": x.assessor,
            "scores": keys.iter().zip(&x.scores).map(|(k, v)| (k.clone(), json!(v))).collect::<Map<String, Value>>(),
            "weighted_hundredths": x.weighted,
        }))
        .collect::<Vec<_>>());
    out["conflicts"] = json!(
        c.conflicts
            .iter()
            .filter(|x| x.application_id == id)
            .map(|x| json!({"user_id": x.user_id, "assessor": x.assessor, "note": x.note}))
            .collect::<Vec<_>>()
    );
    out["you_assess"] = json!(c.assessors.iter().any(|x| x.0 == me));
    out["you_are_recused"] = json!(
        c.conflicts
            .iter()
            .any(|x| x.application_id == id && x.user_id == me)
    );
    out["award"] = match v.award() {
        Some(w) => json!({
            "amount_minor": w.amount_minor,
            "currency": w.currency,
            "awarded_on": w.awarded_on,
            "decision": w.decision,
            "agreement_signed_on": w.agreement_signed_on,
        }),
        None => Value::Null,
    };
    out["payments"] = json!(
        v.payments
            .iter()
            .map(|p| json!({"date": p.due_on, "amount_minor": p.amount_minor}))
            .collect::<Vec<_>>()
    );
    out["reports"] = json!(
        v.reports
            .iter()
            .map(|r| json!({"id": r.id, "reported_on": r.reported_on, "text": r.text}))
            .collect::<Vec<_>>()
    );
    out
}

/// A body's top-level fields: an object holding only `allowed`. Strings (and
/// numbers for amounts in minor units, `…_minor`) are read as form fields; the values of `structured` fields are given back as they are;
/// anything else is refused naming the field.
fn body_fields(
    body: Value,
    allowed: &[&str],
    structured: &[&str],
    what: &str,
) -> Result<(FieldMap, Map<String, Value>), AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut m = FieldMap::new();
    let mut rest = Map::new();
    let mut errors = FieldErrors::default();
    for (k, v) in obj {
        if !allowed.contains(&k.as_str()) {
            errors.add(
                &k,
                "unknown_field",
                format!("{k} is not a field of {what} (only {})", allowed.join(", ")),
            );
            continue;
        }
        if structured.contains(&k.as_str()) {
            rest.insert(k, v);
            continue;
        }
        match &v {
            Value::Null => {}
            Value::String(s) => {
                m.insert(k.clone(), s.clone());
            }
            // Amounts are the only numbers these bodies take.
            Value::Number(n) if k.ends_with("_minor") => {
                m.insert(k.clone(), n.to_string());
            }
            _ if k.ends_with("_minor") => errors.add(
                &k,
                "invalid_type",
                format!("{k} must be an integer in minor units"),
            ),
            _ => errors.add(&k, "invalid_type", format!("{k} must be a string")),
        }
    }
    errors.finish((m, rest)).map_err(AppError::Invalid)
}

/// Refuse anything but a JSON integer in `field` (amounts are integers in minor units).
fn integer_only(body: &Value, field: &str) -> Result<(), AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(AppError::Invalid(FieldErrors::single(
            field,
            "required",
            format!("{field} is required: an integer in minor units"),
        ))),
        Some(v) if v.is_i64() => Ok(()),
        Some(_) => Err(AppError::Invalid(FieldErrors::single(
            field,
            "invalid_type",
            format!("{field} must be an integer in minor units"),
        ))),
    }
}

/// Rename the fields of a refusal to the names the API takes.
fn renamed(e: StoreError, names: &[(&str, &str)]) -> AppError {
    match e {
        StoreError::Invalid(f) => AppError::Invalid(FieldErrors(
            f.0.into_iter()
                .map(|(k, v)| {
                    let k = names
                        .iter()
                        .find(|(from, _)| *from == k)
                        .map(|(_, to)| to.to_string())
                        .unwrap_or(k);
                    (k, v)
                })
                .collect(),
        )),
        e => e.into(),
    }
}

async fn list(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, call)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let v = load_call(&s, &auth, call).await?;
    let contact = sees_contact(&auth.view.grants);
    Ok(Json(json!({
        "call": call_json(&v),
        "assessors": v.assessors.iter().map(|(id, name)| json!({"user_id": id, "name": name})).collect::<Vec<_>>(),
        "items": v.ranking().iter().filter_map(|(app, _, _)| row_json(&v, *app, contact)).collect::<Vec<_>>(),
    })))
}

async fn add_assessor(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, call)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    refusal(decide_record(
        &auth.view.grants,
        Action::Update,
        "fund_call",
    ))?;
    load_call(&s, &auth, call).await?;
    let (m, _) = body_fields(body, &["email"], &[], "an assessor")?;
    let no_member = || {
        AppError::Invalid(FieldErrors::single(
            "email",
            "no_member",
            "an assessor must have an account and hold a role in this initiative",
        ))
    };
    let email = m.get("email").map(|e| e.trim()).unwrap_or_default();
    if email.is_empty() {
        return Err(AppError::Invalid(FieldErrors::single(
            "email",
            "required",
            "email is required: the assessor's account email",
        )));
    }
    let user = s.store.user_by_email(email).await?.ok_or_else(no_member)?;
    match s
        .store
        .add_fund_assessor(Some(auth.user.id), auth.initiative().id, call, user.id)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Invalid(_)) => return Err(no_member()),
        Err(e) => return Err(e.into()),
    }
    let v = load_call(&s, &auth, call).await?;
    Ok(Json(json!({
        "assessors": v.assessors.iter().map(|(id, name)| json!({"user_id": id, "name": name})).collect::<Vec<_>>(),
    })))
}

async fn detail(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
) -> ApiResult<Json<Value>> {
    let v = load_application(&s, &auth, call, id).await?;
    Ok(Json(application_json(
        &v,
        sees_contact(&auth.view.grants),
        auth.user.id,
    )))
}

/// The application as it is after a write.
async fn answer<A: crate::access::Need>(
    s: &AppState,
    auth: &ApiAuthorized<A>,
    call: i64,
    id: i64,
    status: StatusCode,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let v = load_application(s, auth, call, id).await?;
    Ok((
        status,
        Json(application_json(
            &v,
            sees_contact(&auth.view.grants),
            auth.user.id,
        )),
    ))
}

async fn conflict(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    load_application(&s, &auth, call, id).await?;
    let (m, _) = body_fields(body, &["note"], &[], "a conflict declaration")?;
    let note = m.get("note").cloned().unwrap_or_default();
    s.store
        .declare_fund_conflict(auth.initiative().id, id, auth.user.id, &note)
        .await?;
    answer(&s, &auth, call, id, StatusCode::OK).await
}

async fn score(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let v = load_application(&s, &auth, call, id).await?;
    let (_, rest) = body_fields(body, &["scores"], &["scores"], "a score")?;
    let keys: Vec<String> = v
        .call
        .call
        .data
        .criteria_list()
        .into_iter()
        .map(|k| k.key)
        .collect();
    let mut fields = FieldMap::new();
    match rest.get("scores") {
        None => {}
        Some(Value::Object(scores)) => {
            let mut errors = FieldErrors::default();
            for (k, v) in scores {
                if !keys.contains(k) {
                    errors.add(
                        &format!("scores.{k}"),
                        "unknown_criterion",
                        format!(
                            "{k} is not a criterion of this call (its criteria: {})",
                            keys.join(", ")
                        ),
                    );
                } else if let Some(n) = v.as_i64() {
                    fields.insert(format!("score_{k}"), n.to_string());
                } else {
                    errors.add(
                        &format!("scores.{k}"),
                        "invalid_type",
                        format!("scores.{k} must be an integer from 0 to 5"),
                    );
                }
            }
            errors.finish(()).map_err(AppError::Invalid)?;
        }
        Some(_) => {
            return Err(AppError::Invalid(FieldErrors::single(
                "scores",
                "invalid_type",
                "scores must be an object: criterion → integer from 0 to 5",
            )));
        }
    }
    let names: Vec<(String, String)> = keys
        .iter()
        .map(|k| (format!("score_{k}"), format!("scores.{k}")))
        .collect();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    s.store
        .score_fund_application(auth.initiative().id, id, auth.user.id, &fields)
        .await
        .map_err(|e| renamed(e, &names))?;
    answer(&s, &auth, call, id, StatusCode::OK).await
}

/// A coordinator's write on an application: the policy, then the application.
async fn coordinating(
    s: &AppState,
    auth: &ApiAuthorized<Write>,
    call: i64,
    id: i64,
) -> Result<ApplicationView, AppError> {
    refusal(decide_record(
        &auth.view.grants,
        Action::Update,
        "fund_application",
    ))?;
    load_application(s, auth, call, id).await
}

async fn award(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    coordinating(&s, &auth, call, id).await?;
    integer_only(&body, "amount_minor")?;
    let (m, _) = body_fields(
        body,
        &["amount_minor", "currency", "awarded_on", "decision"],
        &[],
        "an award",
    )?;
    s.store
        .award_fund_application(Some(auth.user.id), auth.initiative().id, id, &m)
        .await
        .map_err(|e| renamed(e, &[("amount", "amount_minor")]))?;
    answer(&s, &auth, call, id, StatusCode::CREATED).await
}

async fn agreement(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    coordinating(&s, &auth, call, id).await?;
    let (m, _) = body_fields(body, &["signed_on"], &[], "an agreement")?;
    let mut p = Parser::new(&m);
    let Some(d) = p.date("signed_on") else {
        return Err(AppError::Invalid(p.errors));
    };
    s.store
        .sign_fund_agreement(Some(auth.user.id), auth.initiative().id, id, d)
        .await?;
    answer(&s, &auth, call, id, StatusCode::OK).await
}

/// `[{"date", "amount_minor"}]`, each error named `instalments[i].field`.
fn instalments(v: Option<&Value>) -> Result<Vec<Instalment>, FieldErrors> {
    let Some(Value::Array(items)) = v else {
        return Err(FieldErrors::single(
            "instalments",
            "required",
            format!(
                "instalments is required: a list of 1 to {MAX_INSTALMENTS} {{date, amount_minor}}"
            ),
        ));
    };
    if items.is_empty() || items.len() > MAX_INSTALMENTS {
        return Err(FieldErrors::single(
            "instalments",
            "invalid",
            format!("instalments must hold 1 to {MAX_INSTALMENTS} instalments"),
        ));
    }
    let mut out = vec![];
    let mut errors = FieldErrors::default();
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("instalments[{i}].{f}");
        let Value::Object(o) = item else {
            errors.add(
                &format!("instalments[{i}]"),
                "not_an_object",
                "an instalment must be an object {date, amount_minor}",
            );
            continue;
        };
        if let Some(k) = o
            .keys()
            .find(|k| !["date", "amount_minor"].contains(&k.as_str()))
        {
            errors.add(
                &at(k),
                "unknown_field",
                format!("{k} is not a field of an instalment (only date, amount_minor)"),
            );
        }
        let date = o
            .get("date")
            .and_then(Value::as_str)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if date.is_none() {
            errors.add(
                &at("date"),
                "invalid_date",
                "date must be a date (YYYY-MM-DD)",
            );
        }
        let amount = o.get("amount_minor").and_then(Value::as_i64);
        match amount {
            Some(a) if a > 0 => {}
            Some(_) => errors.add(
                &at("amount_minor"),
                "not_positive",
                "amount_minor must be more than zero",
            ),
            None => errors.add(
                &at("amount_minor"),
                "invalid_type",
                "amount_minor must be an integer in minor units",
            ),
        }
        if let (Some(due_on), Some(amount_minor)) = (date, amount) {
            out.push(Instalment {
                due_on,
                amount_minor,
            });
        }
    }
    errors.finish(out)
}

async fn payments(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    coordinating(&s, &auth, call, id).await?;
    let (_, rest) = body_fields(
        body,
        &["instalments"],
        &["instalments"],
        "a payment schedule",
    )?;
    let schedule = instalments(rest.get("instalments")).map_err(AppError::Invalid)?;
    s.store
        .set_fund_payments(Some(auth.user.id), auth.initiative().id, id, &schedule)
        .await
        .map_err(|e| renamed(e, &[("schedule", "instalments")]))?;
    answer(&s, &auth, call, id, StatusCode::OK).await
}

async fn reports(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, call, id)): ApiPath<(String, i64, i64)>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    coordinating(&s, &auth, call, id).await?;
    let (m, _) = body_fields(body, &["reported_on", "text"], &[], "a progress report")?;
    let mut p = Parser::new(&m);
    let Some(d) = p.date("reported_on") else {
        return Err(AppError::Invalid(p.errors));
    };
    let text = m.get("text").cloned().unwrap_or_default();
    s.store
        .add_fund_report(Some(auth.user.id), auth.initiative().id, id, d, &text)
        .await?;
    answer(&s, &auth, call, id, StatusCode::CREATED).await
}
