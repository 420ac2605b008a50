//! One indicator across a network: each site's total for a period beside the
//! network's, by the rules of `store::measurement::Store::rollup`.
//!
//! The comparison names every site, so it is shown only to someone who may see
//! every initiative it lists (an admin, the network's leads); someone who sees
//! only some of them is refused (403): `crate::measurement::network_rollup`
//! decides, for this page and the API alike.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use domain::measurement::Decimal;
use domain::measurement::period::Period;
use domain::partnership::Network;

use super::{Chrome, render};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    r.get("/networks/{id}/measurement", Access::Account, compare)
}

#[derive(Deserialize)]
pub struct CompareQuery {
    indicator: Option<String>,
    period: Option<String>,
}

/// One bar: a site's name, its value as text, and the bar's length (0–100).
struct Bar {
    name: String,
    value: String,
    width: u32,
}

#[derive(Template)]
#[template(path = "network_measurement.html")]
struct ComparePage {
    c: Chrome,
    network_id: i64,
    codes: Vec<String>,
    indicator: String,
    period: String,
    error: String,
    bars: Vec<Bar>,
    total: String,
    shown: bool,
}

fn text(v: Option<Decimal>) -> String {
    v.map(|d| d.round_dp(2).normalize().to_string())
        .unwrap_or_else(|| "—".into())
}

async fn compare(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> PageResult {
    let user = ctx.user()?.clone();
    let network = s.store.get::<Network>(None, id).await?;
    if network.archived {
        return Err(AppError::NotFound.into());
    }
    let visible = s.store.initiatives_of_networks(&user, &[id]).await?;
    let seen = crate::measurement::sites_seen(&user, &visible)?;
    // The codes the caller's sites measure, for the choice.
    let ids: Vec<i64> = visible.iter().map(|i| i.id).collect();
    let codes = s.store.indicator_codes(&ids).await?;
    let tr = &ctx.tr;
    let mut page = ComparePage {
        c: Chrome::new(
            &ctx,
            tr.t1("network-compare-title", "network", &network.data.name),
        )
        .crumb("/networks", tr.t("networks-title")),
        network_id: id,
        codes,
        indicator: q.indicator.clone().unwrap_or_default(),
        period: q.period.clone().unwrap_or_default(),
        error: String::new(),
        bars: Vec::new(),
        total: String::new(),
        shown: false,
    };
    let (Some(code), Some(period)) = (
        q.indicator.filter(|c| !c.is_empty()),
        q.period.filter(|p| !p.is_empty()),
    ) else {
        return render(&page);
    };
    let period = match Period::parse(&period) {
        Ok(p) => p,
        Err(e) => {
            page.error = e.to_string();
            return render(&page);
        }
    };
    let r = crate::measurement::network_rollup(&s.store, &seen, id, &code, period).await?;
    if r.sites.is_empty() {
        page.error = tr.t1("network-compare-none", "code", &code);
        return render(&page);
    }
    let max = r
        .sites
        .iter()
        .filter_map(|site| site.value)
        .map(|v| v.abs())
        .max()
        .unwrap_or_default();
    page.bars = r
        .sites
        .iter()
        .map(|site| Bar {
            name: site.name.clone(),
            value: text(site.value),
            width: match site.value {
                Some(v) if !max.is_zero() => {
                    let share = (v.abs() / max * Decimal::from(100)).round();
                    u32::try_from(share.mantissa()).unwrap_or(0).min(100)
                }
                _ => 0,
            },
        })
        .collect();
    page.total = text(r.total);
    page.shown = true;
    render(&page)
}
