//! The public portal: what every resident may see without an account.
//!
//! Only what the initiative's coordinators marked public: the initiative itself
//! (its portal is published), its public bodies with the organizations at their
//! table, public facts and stages. Never people's contact details; a person's
//! name (a body's chair, as the mayor chairing the Administration in seed 000)
//! only with that person's recorded consent to be named publicly.
//!
//! Residents come for the services: the directory lists every live service
//! that is not defunct, with its organization, its location's address and the
//! service's own web address and email. A section with nothing to show is left
//! out, heading and all; the page ends with the date of the last change to
//! what it shows.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use domain::partnership::{Body, Fact, Initiative, Location, Sector, Service, ServiceStatus};
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

/// One entry of the public services directory.
pub struct PortalService {
    pub service: Record<Service>,
    /// Its organization's name as the visitor reads it, with its attributes.
    pub organization: (String, String),
    pub location: Option<Record<Location>>,
    /// The status when it is not simply active ("Temporarily closed").
    pub status: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_content.html")]
struct PortalContent<'a> {
    c: &'a Chrome,
    i: &'a Record<Initiative>,
    facts: Vec<Record<Fact>>,
    stages: Vec<(String, String, Option<String>, Option<i64>)>,
    bodies: Vec<PortalBody>,
    services: Vec<PortalService>,
    /// (organization name, website) of the organizations in the directory
    /// that have a website, each once.
    websites: Vec<((String, String), String)>,
    /// The day of the last change to anything this page shows.
    updated: Option<chrono::NaiveDate>,
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
    let mut c = Chrome::new(&ctx, String::new());
    c.title = c
        .shown(
            &i.data.translations,
            "name",
            &i.data.name,
            &i.data.languages,
        )
        .0;
    c.user = None;
    let today = chrono::Utc::now().date_naive();
    let key = format!("portal:{}:{}:{today}:{}", i.id, view.generation, c.lang());
    let content = match s.pages.get(&key) {
        Some(html) => html,
        None => {
            let facts = published.facts().await?;
            let reached = published.stages().await?;
            let table = published.bodies(today).await?;
            let directory = published.services().await?;
            let updated = std::iter::once(i.updated_at)
                .chain(facts.iter().map(|f| f.updated_at))
                .chain(reached.iter().map(|r| r.updated_at))
                .chain(table.iter().map(|(b, _)| b.updated_at))
                .chain(directory.iter().flat_map(|(s, o, l)| {
                    [
                        Some(s.updated_at),
                        Some(o.updated_at),
                        l.as_ref().map(|l| l.updated_at),
                    ]
                    .into_iter()
                    .flatten()
                }))
                .max()
                .map(|t| t.date_naive());
            let org_name = |o: &Record<domain::partnership::Organization>| {
                c.shown(
                    &o.data.translations,
                    "name",
                    &o.data.name,
                    &i.data.languages,
                )
            };
            let mut websites: Vec<((String, String), String)> = vec![];
            for (_, o, _) in &directory {
                let name = org_name(o);
                if let Some(w) = &o.data.website
                    && !websites.iter().any(|(n, _)| *n == name)
                {
                    websites.push((name, w.clone()));
                }
            }
            let services = directory
                .into_iter()
                .map(|(service, o, location)| PortalService {
                    status: (service.data.status != ServiceStatus::Active).then(|| {
                        c.t(&format!(
                            "service-status-{}",
                            service.data.status.as_str().replace(' ', "_")
                        ))
                    }),
                    service,
                    organization: org_name(&o),
                    location,
                })
                .collect();
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
                services,
                websites,
                updated,
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
