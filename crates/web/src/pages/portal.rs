//! The public portal: what every resident may see without an account.
//!
//! Only what the initiative's coordinators marked public: the initiative itself
//! (its portal is published), its public bodies with the organizations at their
//! table, public facts and stages. Never people's contact details; a person's
//! name (a body's chair, as the mayor chairing the Administration in seed 000)
//! only with that person's recorded consent to be named publicly.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use domain::partnership::{Body, Fact, Initiative, Sector};
use domain::resource::Record;

use super::initiative::{chair, stage_rows};
use super::{Chrome, render};
use crate::AppState;
use crate::access::Published;
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
    let published = Published::open(&s.store, &slug).await?;
    let view = &published.view;
    let i = &view.initiative;
    let mut c = Chrome::new(&ctx, i.data.name.clone());
    c.user = None;
    let today = chrono::Utc::now().date_naive();
    let key = format!("portal:{}:{}:{today}:{}", i.id, view.generation, c.lang());
    let content = match s.pages.get(&key) {
        Some(html) => html,
        None => {
            let facts = published.facts().await?;
            let reached = published.stages().await?;
            let table = published.bodies(today).await?;
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
