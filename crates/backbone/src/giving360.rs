//! `backbone export 360giving`: the fund's awarded grants as a 360Giving 1.4
//! JSON package (`{"grants": [...], "version": "1.4", ...}`).
//!
//! - Grant ids are `360G-backbone-{initiative slug}-{application id}`: the
//!   `360G-` prefix 360Giving asks of publishers without a registered prefix,
//!   then the product, the initiative and the application, stable across runs.
//! - `recipientOrganization[].id` is the applicant's org-id identifier; an
//!   applicant without one gets `360G-backbone-{slug}-org-{application id}`.
//!   `fundingOrganization[].id` is the identifier of the organization that runs
//!   the call (the export refuses a call whose organization has none).
//! - Amounts are JSON numbers in major units, exact from the minor units.
//! - `plannedDates` spans the payment schedule (first to last instalment);
//!   `classifications` carries the application's SDG tags (vocabulary "SDG").
//! - A package holds at least one grant: none awarded is an error.

use domain::funding::money;
use domain::partnership::Organization;
use serde_json::{Value, json};

use super::{AnyResult, DbArgs, describe, open_existing};

/// An amount in major units as an exact JSON number.
pub fn major_units(minor: i64, currency: &str) -> Value {
    let unit = 10_i64.pow(money::exponent(currency));
    if minor % unit == 0 {
        return json!(minor / unit);
    }
    // The shortest decimal that reads back as this double is the amount's own
    // decimal text (at most 18 significant digits, in practice far fewer).
    let f: f64 = money::format_minor(minor, currency)
        .parse()
        .expect("a formatted amount parses");
    json!(f)
}

pub async fn export(db: &DbArgs, initiative: &str, fund: Option<i64>) -> AnyResult {
    let store = open_existing(db).await?;
    let i = store
        .initiative_by_slug(initiative)
        .await
        .map_err(|_| format!("--initiative: no initiative {initiative}"))?;
    let slug = &i.data.slug;
    let grants = store
        .awarded_grants(i.id, fund)
        .await
        .map_err(|e| format!("--fund: {}", describe(e)))?;
    if grants.is_empty() {
        return Err(format!(
            "no awarded grant in {slug}{}: a 360Giving package holds at least one grant",
            fund.map(|f| format!(" (call {f})")).unwrap_or_default()
        )
        .into());
    }
    let mut out = vec![];
    for g in &grants {
        let call = &g.call.data;
        let org = store
            .get::<Organization>(Some(i.id), call.organization_id)
            .await
            .map_err(describe)?;
        let Some(funder_id) = org.data.identifier.clone() else {
            return Err(format!(
                "call {} is run by {}, which has no org-id identifier: add one to the organization",
                g.call.id, org.data.name
            )
            .into());
        };
        let a = &g.application.data;
        let id = g.application.id;
        let mut grant = json!({
            "id": format!("360G-backbone-{slug}-{id}"),
            "title": a.title,
            "description": a.description,
            "currency": g.award.currency,
            "amountAppliedFor": major_units(a.amount_minor, &a.currency),
            "amountAwarded": major_units(g.award.amount_minor, &g.award.currency),
            "awardDate": g.award.awarded_on.to_string(),
            "recipientOrganization": [{
                "id": a.org_identifier.clone().unwrap_or_else(|| format!("360G-backbone-{slug}-org-{id}")),
                "name": a.organization_name,
            }],
            "fundingOrganization": [{"id": funder_id, "name": org.data.name}],
            "fromOpenCall": "Yes",
            "grantProgramme": [{
                "code": format!("360G-backbone-{slug}-call-{}", g.call.id),
                "title": call.name,
            }],
        });
        if let (Some(first), Some(last)) = (g.payments.first(), g.payments.last()) {
            grant["plannedDates"] = json!([{
                "startDate": first.due_on.to_string(),
                "endDate": last.due_on.to_string(),
            }]);
        }
        let tags: Vec<Value> = a
            .sdg
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|code| {
                let title = domain::sdg::title(code, "en").map(|t| t.0).unwrap_or("");
                json!({"vocabulary": "SDG", "code": code, "title": title})
            })
            .collect();
        if !tags.is_empty() {
            grant["classifications"] = Value::Array(tags);
        }
        out.push(grant);
    }
    let package = json!({
        "grants": out,
        "version": "1.4",
        "title": format!("{} — community investment fund grants", i.data.name),
    });
    println!("{}", serde_json::to_string_pretty(&package)?);
    Ok(())
}
