//! The public portal: what every resident may see without an account.
//!
//! Names of bodies and of the organizations at the table, key facts and stages.
//! Never people's contact details, and no person's name except a body's chair
//! (a public role, as the mayor chairing the Administration in seed 000).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use domain::partnership::{Body, Fact, Initiative, Position, Sector, StageReached};
use domain::resource::Record;
use store::records::ListOptions;

use super::initiative::stage_rows;
use super::{Chrome, render};
use crate::AppState;
use crate::error::PageResult;
use crate::session::Ctx;

pub struct PortalBody {
    pub body: Record<Body>,
    pub chair: Option<String>,
    /// (sector label, organization names)
    pub sectors: Vec<(String, Vec<String>)>,
    pub residents: usize,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal {
    c: Chrome,
    i: Record<Initiative>,
    facts: Vec<Record<Fact>>,
    stages: Vec<(String, String, Option<String>, Option<i64>)>,
    bodies: Vec<PortalBody>,
}

pub async fn redirect_slash(Path(slug): Path<String>) -> impl IntoResponse {
    Redirect::permanent(&format!("/p/{slug}/"))
}

pub async fn home(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let i = s.store.initiative_by_slug(&slug).await?;
    let facts = s
        .store
        .list::<Fact>(Some(i.id), ListOptions::default())
        .await?;
    let reached = s
        .store
        .list::<StageReached>(Some(i.id), ListOptions::default())
        .await?;
    let today = chrono::Utc::now().date_naive();
    let table = s.store.at_the_table(i.id, today).await?;
    let mut c = Chrome::new(&ctx, i.data.name.clone());
    c.user = None;
    let stages = stage_rows(&c, &reached);
    let bodies = table
        .into_iter()
        .map(|(body, t)| {
            let chair = t
                .by_sector
                .values()
                .flatten()
                .chain(t.unaffiliated.iter())
                .find(|s| s.position == Position::Chair)
                .map(|s| s.person.clone());
            let sectors = Sector::ALL
                .iter()
                .filter_map(|sec| {
                    let seats = t.by_sector.get(sec)?;
                    let mut orgs: Vec<String> = seats
                        .iter()
                        .filter_map(|s| s.organization.clone())
                        .collect();
                    orgs.sort();
                    orgs.dedup();
                    Some((c.t(&format!("sector-{}", sec.as_str())), orgs))
                })
                .collect();
            PortalBody {
                body,
                chair,
                sectors,
                residents: t.unaffiliated.len(),
            }
        })
        .collect();
    render(&Portal {
        c,
        i,
        facts,
        stages,
        bodies,
    })
}
