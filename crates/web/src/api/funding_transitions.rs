//! Funding transitions in the JSON API: the transitions report (the same JSON
//! as `backbone report transitions`) and one cost item's schedule, read and
//! replaced whole (422 with every error located; nothing written on error).
//! The rules are in `domain::funding::transitions`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use domain::access::Action;
use domain::funding::records::CostItem;
use domain::funding::transitions::{self as rules, Schedule, YearPlan};
use domain::resource::Record;
use domain::validation::FieldErrors;
use store::funding::transitions::Transitions;

use super::extract::{ApiJson, ApiPath};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Registry};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/transitions"),
        on(Action::Read, "cost_item"),
        transitions,
    )
    .get(
        &format!("{base}/cost-items/{{id}}/schedule"),
        on(Action::Read, "cost_item"),
        get_schedule,
    )
    .put(
        &format!("{base}/cost-items/{{id}}/schedule"),
        on(Action::Update, "cost_item"),
        put_schedule,
    )
}

/// One schedule as the API shows it: each year's cost and each funder's share
/// and planned amount.
pub fn schedule_json(item: &Record<CostItem>, schedule: &Schedule, t: &Transitions) -> Value {
    json!({
        "cost_item_id": item.id,
        "name": item.data.name,
        "currency": item.data.currency,
        "years": schedule.years.iter().map(|y| json!({
            "year": y.year,
            "cost_minor": y.cost_minor,
            "public_share": y.public_share(&|f| t.is_public(f)),
            "shares": y.shares.iter().zip(y.planned()).map(|(s, (_, amount))| json!({
                "funder_id": s.funder_id,
                "funder": t.funder_name(s.funder_id),
                "public": t.is_public(s.funder_id),
                "share_bp": s.share_bp,
                "amount_minor": amount,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Read access to the cost items, then everything the views need.
pub async fn load(reg: &Registry<'_>) -> Result<Transitions, AppError> {
    reg.allow::<CostItem>(Action::Read)?;
    Ok(reg.store.transitions(reg.initiative).await?)
}

async fn transitions(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Value>> {
    let t = load(&auth.registry(&s.store)).await?;
    let report = rules::report(&t.items, &t.funders);
    Ok(Json(
        serde_json::to_value(report).map_err(|_| AppError::Internal)?,
    ))
}

async fn get_schedule(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    let item = reg.get::<CostItem>(id).await?;
    let t = load(&reg).await?;
    let schedule = t.item(id).map(|i| i.schedule.clone()).unwrap_or_default();
    Ok(Json(schedule_json(&item, &schedule, &t)))
}

/// `{"years": [{"year", "cost_minor", "shares": [{"funder_id", "share_bp"}]}]}`
/// replaces the schedule whole.
async fn put_schedule(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<CostItem>(Action::Update)?;
    let item = reg.get::<CostItem>(id).await?;
    let Value::Object(mut obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let years = obj.remove("years").ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "years",
            "required",
            "years is required: a list of {year, cost_minor, shares: [{funder_id, share_bp}]}",
        ))
    })?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "version") {
        return Err(AppError::Invalid(FieldErrors::single(
            k,
            "unknown_field",
            format!("{k} is not a field of a schedule (only years)"),
        )));
    }
    let years: Vec<YearPlan> = serde_json::from_value(years).map_err(|e| {
        AppError::Invalid(FieldErrors::single(
            "years",
            "invalid",
            format!("years must be a list of {{year, cost_minor, shares: [{{funder_id, share_bp}}]}}: {e}"),
        ))
    })?;
    s.store
        .set_schedule(reg.actor, reg.initiative, id, &Schedule { years })
        .await?;
    let t = load(&reg).await?;
    let schedule = t.item(id).map(|i| i.schedule.clone()).unwrap_or_default();
    Ok(Json(schedule_json(&item, &schedule, &t)))
}
