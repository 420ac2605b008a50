//! The public portal: what every resident may see without an account.
//!
//! Names of bodies and of the organizations at the table, key facts and stages.
//! Never people's contact details, and no person's name except a body's chair
//! (a public role, as the mayor chairing the Administration in seed 000).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use domain::partnership::{Body, Fact, Initiative, Sector, StageReached};
use domain::resource::Record;
use store::records::ListOptions;

use super::initiative::{chair, stage_rows};
use super::{Chrome, render};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::session::Ctx;

pub struct PortalBody {
    pub body: Record<Body>,
    pub chair: Option<String>,
    /// (sector label, organization names)
    pub sectors: Vec<(String, Vec<String>)>,
    pub residents: usize,
}

#[derive(Template)]
#[template(path = "portal_content.html")]
struct PortalContent<'a> {
    c: &'a Chrome,
    i: &'a Record<Initiative>,
    facts: Vec<Record<Fact>>,
    stages: Vec<(String, String, Option<String>, Option<i64>)>,
    bodies: Vec<PortalBody>,
}

pub async fn redirect_slash(Path(slug): Path<String>) -> PageResult {
    if !domain::validation::is_slug(&slug) {
        return Err(AppError::NotFound.into());
    }
    Ok(Redirect::permanent(&format!("/p/{slug}/")).into_response())
}

/// The portal. Its content is rendered once per change of the initiative (see
/// [`crate::cache`]); a request costs one query.
pub async fn home(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let view = s.store.initiative_view(&slug, None).await?;
    let i = &view.initiative;
    let mut c = Chrome::new(&ctx, i.data.name.clone());
    c.user = None;
    let today = chrono::Utc::now().date_naive();
    let key = format!("portal:{}:{}:{today}:{}", i.id, view.generation, c.lang());
    let content = match s.pages.get(&key) {
        Some(html) => html,
        None => {
            let facts = s
                .store
                .list::<Fact>(Some(i.id), ListOptions::default())
                .await?;
            let reached = s
                .store
                .list::<StageReached>(Some(i.id), ListOptions::default())
                .await?;
            let table = s.store.at_the_table(i.id, today).await?;
            let stages = stage_rows(&c, &reached);
            let bodies = table
                .into_iter()
                .map(|(body, t)| {
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
                        chair: chair(&t),
                        body,
                        sectors,
                        residents: t.unaffiliated.len(),
                    }
                })
                .collect();
            let html = PortalContent {
                c: &c,
                i,
                facts,
                stages,
                bodies,
            }
            .render()
            .map_err(|e| {
                tracing::error!(error = %e, "template failed");
                AppError::Internal
            })?;
            s.pages.put(key, html)
        }
    };
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}
