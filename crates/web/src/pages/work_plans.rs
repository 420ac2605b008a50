//! Work plans: activities per sphere, milestones, and the division of labour;
//! and the common agenda as the public portal shows it.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use chrono::NaiveDate;

use domain::access::Action;
use domain::agenda::work_plan::{ActivityParts, Part, matrix};
use domain::agenda::{
    Activity, ActivityStatus, Contribution, Milestone, Objective, ObjectiveStatus, Sphere,
};
use domain::partnership::{Body, Organization};
use domain::resource::Record;
use store::records::ListOptions;

use super::{Chrome, render};
use crate::AppState;
use crate::access::{Authorized, Published, Read};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    r.get(
        "/i/{slug}/work-plans",
        Access::Initiative(Action::Read, "initiative"),
        work_plans,
    )
    .get("/p/{slug}/agenda", Access::Public, portal_agenda)
}

/// Spheres in tree order: top-level spheres (and those whose parent is not
/// among them) by name, each followed by the spheres under it. Returns
/// (index into `spheres`, depth). A cycle of parents cannot hide a sphere.
fn tree_order(spheres: &[(i64, String, Option<i64>)]) -> Vec<(usize, usize)> {
    let ids: HashSet<i64> = spheres.iter().map(|s| s.0).collect();
    let mut by_name: Vec<usize> = (0..spheres.len()).collect();
    by_name.sort_by(|a, b| {
        spheres[*a]
            .1
            .cmp(&spheres[*b].1)
            .then(spheres[*a].0.cmp(&spheres[*b].0))
    });
    let mut out = vec![];
    let mut seen = HashSet::new();
    let is_root = |i: usize| {
        spheres[i]
            .2
            .is_none_or(|p| !ids.contains(&p) || p == spheres[i].0)
    };
    let roots: Vec<usize> = by_name.iter().copied().filter(|i| is_root(*i)).collect();
    let rest: Vec<usize> = by_name.iter().copied().filter(|i| !is_root(*i)).collect();
    for start in roots.into_iter().chain(rest) {
        let mut stack = vec![(start, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            out.push((i, depth));
            // Children pushed in reverse name order, so they pop by name.
            for child in by_name.iter().rev() {
                let s = &spheres[*child];
                if s.2 == Some(spheres[i].0) && s.0 != spheres[i].0 && !seen.contains(child) {
                    stack.push((*child, depth + 1));
                }
            }
        }
    }
    out
}

/// Names by id.
fn names<T>(records: &[Record<T>], name: impl Fn(&T) -> &str) -> HashMap<i64, String> {
    records
        .iter()
        .map(|r| (r.id, name(&r.data).to_string()))
        .collect()
}

fn lookup(names: &HashMap<i64, String>, id: Option<i64>) -> Option<(i64, String)> {
    let id = id?;
    names.get(&id).map(|n| (id, n.clone()))
}

/// "2026-01-01 – 2026-06-30", or "from 2026-01-01" when open-ended.
fn dates(c: &Chrome, start: NaiveDate, end: Option<NaiveDate>) -> String {
    match end {
        Some(e) => format!("{start} – {e}"),
        None => c.t1("plans-from", "date", &start.to_string()),
    }
}

struct MilestoneRow {
    id: i64,
    title: String,
    due_on: String,
    done_on: Option<String>,
    overdue: bool,
}

struct ActivityRow {
    id: i64,
    title: String,
    objective: Option<(i64, String)>,
    team: Option<(i64, String)>,
    lead: Option<(i64, String)>,
    /// (organization id, name, what it brings)
    contributors: Vec<(i64, String, String)>,
    dates: String,
    status: String,
    milestones: Vec<MilestoneRow>,
}

struct SphereBlock {
    /// None for the activities in no (live) sphere.
    id: Option<i64>,
    name: String,
    /// The heading's id.
    anchor: String,
    /// Heading level: 3 for a top-level sphere, deeper for the spheres under it.
    level: usize,
    activities: Vec<ActivityRow>,
}

struct MatrixRow {
    id: i64,
    name: String,
    /// (class, text) per objective column; both empty where it takes no part.
    cells: Vec<(&'static str, String)>,
}

struct MatrixView {
    objectives: Vec<(i64, String)>,
    rows: Vec<MatrixRow>,
    gaps: Vec<(i64, String)>,
    /// (objective id, title, the organizations leading it)
    overlaps: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "work_plans_content.html")]
struct WorkPlansContent<'a> {
    c: &'a Chrome,
    slug: &'a str,
    blocks: Vec<SphereBlock>,
    activities: usize,
    matrix: MatrixView,
}

/// Everything the work-plans page shows, read through the policy.
struct PlanData {
    spheres: Vec<Record<Sphere>>,
    objectives: Vec<Record<Objective>>,
    activities: Vec<Record<Activity>>,
    contributions: Vec<Record<Contribution>>,
    milestones: Vec<Record<Milestone>>,
    bodies: Vec<Record<Body>>,
    organizations: Vec<Record<Organization>>,
}

impl PlanData {
    async fn load(reg: &crate::access::Registry<'_>) -> Result<PlanData, AppError> {
        Ok(PlanData {
            spheres: reg.list(ListOptions::all()).await?,
            objectives: reg.list(ListOptions::all()).await?,
            activities: reg.list(ListOptions::all()).await?,
            contributions: reg.list(ListOptions::all()).await?,
            milestones: reg.list(ListOptions::all()).await?,
            bodies: reg.list(ListOptions::all()).await?,
            organizations: reg.list(ListOptions::all()).await?,
        })
    }

    fn blocks(&self, c: &Chrome, today: NaiveDate) -> Vec<SphereBlock> {
        let objectives = names(&self.objectives, |o| &o.title);
        let bodies = names(&self.bodies, |b| &b.name);
        let orgs = names(&self.organizations, |o| &o.name);
        let row = |a: &Record<Activity>| {
            let mut contributors: Vec<(i64, String, String)> = self
                .contributions
                .iter()
                .filter(|k| k.data.activity_id == a.id)
                .filter_map(|k| {
                    let (id, name) = lookup(&orgs, Some(k.data.organization_id))?;
                    Some((id, name, k.data.note.clone()))
                })
                .collect();
            contributors.sort_by(|x, y| x.1.cmp(&y.1));
            let mut milestones: Vec<&Record<Milestone>> = self
                .milestones
                .iter()
                .filter(|m| m.data.activity_id == a.id)
                .collect();
            milestones.sort_by_key(|m| (m.data.due_on, m.id));
            ActivityRow {
                id: a.id,
                title: a.data.title.clone(),
                objective: lookup(&objectives, a.data.objective_id),
                team: lookup(&bodies, a.data.body_id),
                lead: lookup(&orgs, a.data.lead_organization_id),
                contributors,
                dates: dates(c, a.data.start_on, a.data.end_on),
                status: activity_status(c, a.data.status),
                milestones: milestones
                    .into_iter()
                    .map(|m| MilestoneRow {
                        id: m.id,
                        title: m.data.title.clone(),
                        due_on: m.data.due_on.to_string(),
                        done_on: m.data.done_on.map(|d| d.to_string()),
                        overdue: m.data.overdue(today),
                    })
                    .collect(),
            }
        };
        let mut activities: Vec<&Record<Activity>> = self.activities.iter().collect();
        activities.sort_by(|a, b| {
            (a.data.start_on, &a.data.title, a.id).cmp(&(b.data.start_on, &b.data.title, b.id))
        });
        let tree: Vec<(i64, String, Option<i64>)> = self
            .spheres
            .iter()
            .map(|s| (s.id, s.data.name.clone(), s.data.parent_id))
            .collect();
        let mut blocks: Vec<SphereBlock> = tree_order(&tree)
            .into_iter()
            .map(|(i, depth)| SphereBlock {
                id: Some(tree[i].0),
                name: tree[i].1.clone(),
                anchor: format!("sphere-{}", tree[i].0),
                level: (3 + depth).min(6),
                activities: activities
                    .iter()
                    .filter(|a| a.data.sphere_id == Some(tree[i].0))
                    .map(|a| row(a))
                    .collect(),
            })
            .collect();
        let live: HashSet<i64> = tree.iter().map(|s| s.0).collect();
        let elsewhere: Vec<ActivityRow> = activities
            .iter()
            .filter(|a| a.data.sphere_id.is_none_or(|s| !live.contains(&s)))
            .map(|a| row(a))
            .collect();
        if !elsewhere.is_empty() {
            blocks.push(SphereBlock {
                id: None,
                name: c.t("plans-no-sphere"),
                anchor: "sphere-none".into(),
                level: 3,
                activities: elsewhere,
            });
        }
        blocks
    }

    /// Organizations × objectives, leaving out dropped objectives and
    /// activities, and organizations or objectives no longer live.
    fn matrix(&self, c: &Chrome) -> MatrixView {
        let orgs = names(&self.organizations, |o| &o.name);
        let mut objectives: Vec<(i64, String)> = self
            .objectives
            .iter()
            .filter(|o| o.data.status != ObjectiveStatus::Dropped)
            .map(|o| (o.id, o.data.title.clone()))
            .collect();
        objectives.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let ids: Vec<i64> = objectives.iter().map(|o| o.0).collect();
        let parts: Vec<ActivityParts> = self
            .activities
            .iter()
            .filter(|a| a.data.status != ActivityStatus::Dropped)
            .map(|a| ActivityParts {
                objective_id: a.data.objective_id.filter(|o| ids.contains(o)),
                lead: a.data.lead_organization_id.filter(|o| orgs.contains_key(o)),
                contributors: self
                    .contributions
                    .iter()
                    .filter(|k| k.data.activity_id == a.id)
                    .map(|k| k.data.organization_id)
                    .filter(|o| orgs.contains_key(o))
                    .collect(),
            })
            .collect();
        let m = matrix(&ids, &parts);
        let mut rows: Vec<MatrixRow> = orgs
            .iter()
            .filter(|(id, _)| ids.iter().any(|o| m.cells.contains_key(&(**id, *o))))
            .map(|(id, name)| MatrixRow {
                id: *id,
                name: name.clone(),
                cells: ids
                    .iter()
                    .map(|o| match m.cells.get(&(*id, *o)) {
                        Some(Part::Leads) => ("leads", c.t("plans-leads")),
                        Some(Part::Contributes) => ("contributes", c.t("plans-contributes")),
                        None => ("", String::new()),
                    })
                    .collect(),
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let title = |id: &i64| {
            objectives
                .iter()
                .find(|o| o.0 == *id)
                .map(|o| o.1.clone())
                .unwrap_or_default()
        };
        let gaps = m.gaps.iter().map(|o| (*o, title(o))).collect();
        let overlaps = m
            .overlaps
            .iter()
            .map(|o| {
                let leads: Vec<&str> = rows
                    .iter()
                    .filter(|r| m.cells.get(&(r.id, *o)) == Some(&Part::Leads))
                    .map(|r| r.name.as_str())
                    .collect();
                (*o, title(o), leads.join(", "))
            })
            .collect();
        MatrixView {
            objectives,
            rows,
            gaps,
            overlaps,
        }
    }
}

fn activity_status(c: &Chrome, s: ActivityStatus) -> String {
    c.t(&format!("plans-activity-status-{}", s.as_str()))
}

fn objective_status(c: &Chrome, s: ObjectiveStatus) -> String {
    c.t(&format!("plans-objective-status-{}", s.as_str()))
}

/// The work plans of an initiative: activities by sphere with their
/// milestones, then who leads and who contributes towards each objective.
/// Rendered once per change of the initiative and day (overdue milestones).
pub async fn work_plans(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, ctx.tr.t("plans-title")).in_initiative(i, g, "work-plans");
    let today = chrono::Utc::now().date_naive();
    let key = format!("work-plans:{today}:{}", c.lang());
    let content = super::cached_part(&s, &auth.view, key, async {
        let data = PlanData::load(&auth.registry(&s.store)).await?;
        let blocks = data.blocks(&c, today);
        super::render_part(&WorkPlansContent {
            c: &c,
            slug: &i.data.slug,
            activities: data.activities.len(),
            matrix: data.matrix(&c),
            blocks,
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}

struct PublicObjective {
    title: String,
    description: String,
    /// "Agreed since 2017-05-01"
    status: String,
    /// (code, title, ` lang=… dir=…` when the title is not in the page's language)
    sdg: Vec<(String, &'static str, &'static str)>,
}

struct ObjectiveGroup {
    /// "Education › Early childhood"; none for objectives in no sphere.
    heading: Option<String>,
    objectives: Vec<PublicObjective>,
}

struct PublicActivity {
    title: String,
    lead: Option<String>,
    dates: String,
    status: String,
}

#[derive(Template)]
#[template(path = "portal_agenda_content.html")]
struct PortalAgendaContent<'a> {
    c: &'a Chrome,
    i: &'a Record<domain::partnership::Initiative>,
    /// (statement, agreed on)
    vision: Option<(String, Option<String>)>,
    groups: Vec<ObjectiveGroup>,
    activities: Vec<PublicActivity>,
}

/// ` lang=… dir=…` for an SDG title in `used` on a page in `page`.
fn sdg_lang(page: &str, used: &str) -> &'static str {
    match (used == page, page == "he", used) {
        (true, _, _) => "",
        (false, true, "es") => " lang=\"es\" dir=\"ltr\"",
        (false, true, _) => " lang=\"en\" dir=\"ltr\"",
        (false, false, "es") => " lang=\"es\"",
        (false, false, _) => " lang=\"en\"",
    }
}

/// The common agenda on the public portal: what the coordinators marked
/// public and nothing else (see [`Published::agenda`]).
pub async fn portal_agenda(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", ctx.tr.t("portal-agenda-title"), i.data.name),
    );
    c.user = None;
    let key = format!("portal-agenda:{}", c.lang());
    let content = super::cached_part(&s, &published.view, key, async {
        let a = published.agenda().await?;
        let order = tree_order(&a.spheres);
        let path = |id: i64| {
            let mut names = vec![];
            let mut at = Some(id);
            while let Some(s) = at.and_then(|x| a.spheres.iter().find(|s| s.0 == x)) {
                if names.len() > a.spheres.len() {
                    break;
                }
                names.push(s.1.clone());
                at = s.2;
            }
            names.reverse();
            names.join(" › ")
        };
        let mut objectives: Vec<_> = a.objectives.iter().collect();
        objectives.sort_by(|x, y| x.data.title.cmp(&y.data.title));
        let shown = |o: &Record<Objective>| PublicObjective {
            title: o.data.title.clone(),
            description: o.data.description.clone(),
            status: c.tr.tn(
                "portal-agenda-status-since",
                &[
                    ("status", objective_status(&c, o.data.status)),
                    ("date", o.data.status_on.to_string()),
                ],
            ),
            sdg: o
                .data
                .sdg_codes()
                .into_iter()
                .filter_map(|code| {
                    let (title, used) = domain::sdg::title(code, c.lang())?;
                    Some((code.to_string(), title, sdg_lang(c.lang(), used)))
                })
                .collect(),
        };
        let mut groups: Vec<ObjectiveGroup> = order
            .iter()
            .map(|(idx, _)| {
                let id = a.spheres[*idx].0;
                ObjectiveGroup {
                    heading: Some(path(id)),
                    objectives: objectives
                        .iter()
                        .filter(|o| o.data.sphere_id == Some(id))
                        .map(|o| shown(o))
                        .collect(),
                }
            })
            .filter(|g| !g.objectives.is_empty())
            .collect();
        let elsewhere: Vec<PublicObjective> = objectives
            .iter()
            .filter(|o| {
                o.data
                    .sphere_id
                    .is_none_or(|s| !a.spheres.iter().any(|x| x.0 == s))
            })
            .map(|o| shown(o))
            .collect();
        if !elsewhere.is_empty() {
            groups.push(ObjectiveGroup {
                heading: (!groups.is_empty()).then(|| c.t("portal-agenda-no-sphere")),
                objectives: elsewhere,
            });
        }
        let mut acts: Vec<_> = a.activities.iter().collect();
        acts.sort_by(|x, y| {
            (x.data.start_on, &x.data.title, x.id).cmp(&(y.data.start_on, &y.data.title, y.id))
        });
        let activities = acts
            .into_iter()
            .map(|r| PublicActivity {
                title: r.data.title.clone(),
                lead: r
                    .data
                    .lead_organization_id
                    .and_then(|id| a.organizations.iter().find(|o| o.0 == id))
                    .map(|o| o.1.clone()),
                dates: dates(&c, r.data.start_on, r.data.end_on),
                status: activity_status(&c, r.data.status),
            })
            .collect();
        super::render_part(&PortalAgendaContent {
            c: &c,
            i,
            vision: a.vision.as_ref().map(|v| {
                (
                    v.data.statement.clone(),
                    v.data.agreed_on.map(|d| d.to_string()),
                )
            }),
            groups,
            activities,
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spheres_come_in_tree_order_and_a_cycle_hides_none() {
        let s = |id, name: &str, parent| (id, name.to_string(), parent);
        let spheres = vec![
            s(1, "Health", None),
            s(2, "Early childhood", Some(3)),
            s(3, "Education", None),
            s(4, "Excellence", Some(3)),
            s(5, "Orphan", Some(99)),
            s(6, "A", Some(7)),
            s(7, "B", Some(6)),
        ];
        let order: Vec<(i64, usize)> = tree_order(&spheres)
            .into_iter()
            .map(|(i, d)| (spheres[i].0, d))
            .collect();
        assert_eq!(
            order,
            vec![(3, 0), (2, 1), (4, 1), (1, 0), (5, 0), (6, 0), (7, 1)]
        );
    }
}
