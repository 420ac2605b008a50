//! The portal's by-name list figures (`/p/{slug}/cases`), for residents
//! without an account: for each list, the last twelve complete months' counts
//! and functional zero — aggregates only, never a person, and every count
//! under 10 shown as "fewer than 10" (so are averages over fewer than 10
//! placements, and the actual counts behind functional zero).

use askama::Template;
use axum::extract::{Path, State};

use domain::cases::person::Population;
use domain::cases::report::Month;

use super::{Chrome, render};
use crate::AppState;
use crate::access::Published;
use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::Ctx;

/// Counts under this are not shown on anything public.
pub const PUBLIC_MIN_COUNT: u64 = 10;

pub fn routes(r: Routes) -> Routes {
    r.get("/p/{slug}/cases", Access::Public, page)
}

/// A count as the public may see it.
pub fn public_count(c: &Chrome, n: u64) -> String {
    if n < PUBLIC_MIN_COUNT {
        c.t("cases-portal-suppressed")
    } else {
        n.to_string()
    }
}

pub struct PublicMonth {
    pub month: String,
    pub active: String,
    pub inflow: String,
    pub housed: String,
    pub inactive: String,
    pub avg_days: String,
}

pub struct PublicZero {
    pub label: String,
    pub month: String,
    pub achieved: bool,
    pub threshold: String,
    pub actual: String,
    pub held: u32,
}

pub struct PublicList {
    pub id: i64,
    pub name: String,
    pub months: Vec<PublicMonth>,
    pub zero: Vec<PublicZero>,
}

#[derive(Template)]
#[template(path = "cases/portal.html")]
struct PortalPage {
    c: Chrome,
    slug: String,
    name: String,
    lists: Vec<PublicList>,
    from: String,
    to: String,
}

async fn page(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", ctx.tr.t("cases-portal-title"), i.data.name),
    );
    c.user = None;
    // The last twelve complete months.
    let to = Month::of(store::now().get().date_naive()).prev();
    let from = to.plus(-11);
    let mut lists = vec![];
    for l in s.store.case_lists(i.id).await? {
        let reports = s
            .store
            .case_monthly(i.id, l.id, Population::All, from, to, None)
            .await?;
        let months = reports
            .iter()
            .rev()
            .map(|r| PublicMonth {
                month: r.month.to_string(),
                active: public_count(&c, r.actively_homeless),
                inflow: public_count(&c, r.inflow()),
                housed: public_count(&c, r.housing_placements),
                inactive: public_count(&c, r.moved_to_inactive),
                avg_days: match r.avg_days_identification_to_housing {
                    Some(t) if r.housing_placements >= PUBLIC_MIN_COUNT => t.to_string(),
                    Some(_) => c.t("cases-portal-suppressed"),
                    None => "—".into(),
                },
            })
            .collect();
        let zero = s
            .store
            .case_functional_zero(i.id, l.id, to, to)
            .await?
            .into_iter()
            .flat_map(|z| {
                [
                    (c.t("cases-portal-zero-veterans"), z.month, z.veterans),
                    (c.t("cases-portal-zero-chronic"), z.month, z.chronic),
                ]
            })
            .map(|(label, month, m)| PublicZero {
                label,
                month: month.to_string(),
                achieved: m.achieved,
                threshold: m.threshold.to_string(),
                actual: public_count(&c, m.actual),
                held: m.held_months,
            })
            .collect();
        lists.push(PublicList {
            id: l.id,
            name: l.name,
            months,
            zero,
        });
    }
    render(&PortalPage {
        slug: i.data.slug.clone(),
        name: i.data.name.clone(),
        lists,
        from: from.to_string(),
        to: to.to_string(),
        c,
    })
}
