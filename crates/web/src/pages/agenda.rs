//! The agenda's pages: vision and objectives, ideas and their moderation,
//! rounds, ballots and the systems map.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use domain::access::Action;
use domain::agenda::rounds::{Phase, phase};
use domain::agenda::systems_map::SystemsMap;
use domain::agenda::{Idea, IdeaStatus, Objective, Round, Sphere, Vision};
use domain::resource::Record;
use store::records::ListOptions;

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Participate, Read, Write};
use crate::agenda::{MapNode, MapProgress, Priorities, Refusal, RoundData};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let on = |action, kind| Access::Initiative(action, kind);
    r.get("/i/{slug}/agenda", on(Action::Read, "initiative"), agenda)
        .get(
            "/i/{slug}/ideas/suggest",
            on(Action::Participate, "initiative"),
            suggest_form,
        )
        .post(
            "/i/{slug}/ideas/suggest",
            on(Action::Participate, "initiative"),
            suggest,
        )
        .post(
            "/i/{slug}/ideas/{id}/moderate",
            on(Action::Update, "idea"),
            moderate,
        )
        .post(
            "/i/{slug}/ideas/{id}/objective",
            on(Action::Create, "objective"),
            idea_to_objective,
        )
        .get(
            "/i/{slug}/visions/{id}/history",
            on(Action::Read, "vision"),
            history::<Vision>,
        )
        .get(
            "/i/{slug}/objectives/{id}/history",
            on(Action::Read, "objective"),
            history::<Objective>,
        )
        .get(
            "/i/{slug}/rounds/{id}/ideas",
            on(Action::Update, "round"),
            round_ideas_form,
        )
        .post(
            "/i/{slug}/rounds/{id}/ideas",
            on(Action::Update, "round"),
            set_round_ideas,
        )
        .get(
            "/i/{slug}/rounds/{id}/vote",
            on(Action::Participate, "initiative"),
            ballot_form,
        )
        .post(
            "/i/{slug}/rounds/{id}/vote",
            on(Action::Participate, "initiative"),
            vote,
        )
        .get(
            "/i/{slug}/rounds/{id}/results",
            on(Action::Read, "round"),
            results,
        )
        .get(
            "/i/{slug}/rounds/{id}/map",
            on(Action::Read, "round"),
            map_page,
        )
        .post(
            "/i/{slug}/rounds/{id}/map",
            on(Action::Participate, "initiative"),
            answer,
        )
        .get("/p/{slug}/ideas", Access::Public, portal_ideas)
        .post("/p/{slug}/ideas", Access::Public, portal_suggest)
        .get("/p/{slug}/systems-map", Access::Public, portal_map)
}

/// The message naming a round's phase.
fn phase_key(phase: Phase) -> &'static str {
    match phase {
        Phase::Upcoming => "round-phase-upcoming",
        Phase::Open => "round-phase-open",
        Phase::Closed => "round-phase-closed",
    }
}

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

/// An SDG tag as a page shows it: code, title, and the title's language when
/// it is not the page's (Hebrew pages show English titles).
pub struct SdgTag {
    pub code: String,
    pub title: String,
    pub lang: Option<&'static str>,
}

pub fn sdg_tags(c: &Chrome, codes: &[&str]) -> Vec<SdgTag> {
    codes
        .iter()
        .map(|code| {
            let (title, lang) = domain::sdg::title(code, c.lang()).unwrap_or(("", "en"));
            SdgTag {
                code: code.to_string(),
                title: title.to_string(),
                lang: (lang != c.lang()).then_some(lang),
            }
        })
        .collect()
}

/// A sphere with its objectives, and its sub-spheres (one level down).
pub struct SphereBlock {
    pub sphere: Option<Record<Sphere>>,
    pub depth: usize,
    pub objectives: Vec<(Record<Objective>, Vec<SdgTag>)>,
}

/// Spheres in tree order (each followed by its sub-spheres), each with its
/// objectives; objectives without a sphere come last.
pub fn sphere_blocks(
    c: &Chrome,
    spheres: &[Record<Sphere>],
    objectives: &[Record<Objective>],
) -> Vec<SphereBlock> {
    fn walk(
        c: &Chrome,
        parent: Option<i64>,
        depth: usize,
        spheres: &[Record<Sphere>],
        objectives: &[Record<Objective>],
        out: &mut Vec<SphereBlock>,
    ) {
        if depth > 8 {
            return;
        }
        for s in spheres.iter().filter(|s| s.data.parent_id == parent) {
            out.push(SphereBlock {
                sphere: Some(s.clone()),
                depth,
                objectives: objectives
                    .iter()
                    .filter(|o| o.data.sphere_id == Some(s.id))
                    .map(|o| (o.clone(), sdg_tags(c, &o.data.sdg_codes())))
                    .collect(),
            });
            walk(c, Some(s.id), depth + 1, spheres, objectives, out);
        }
    }
    let mut out = vec![];
    walk(c, None, 0, spheres, objectives, &mut out);
    let known: Vec<i64> = spheres.iter().map(|s| s.id).collect();
    let loose: Vec<_> = objectives
        .iter()
        .filter(|o| o.data.sphere_id.is_none_or(|id| !known.contains(&id)))
        .map(|o| (o.clone(), sdg_tags(c, &o.data.sdg_codes())))
        .collect();
    if !loose.is_empty() {
        out.push(SphereBlock {
            sphere: None,
            depth: 0,
            objectives: loose,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "agenda.html")]
struct AgendaPage {
    c: Chrome,
    vision: Option<Record<Vision>>,
    blocks: Vec<SphereBlock>,
    queue: Vec<Record<Idea>>,
    accepted: Vec<Record<Idea>>,
    rounds: Vec<(Record<Round>, &'static str)>,
    can_participate: bool,
    can_moderate: bool,
}

async fn agenda(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, ctx.tr.t("agenda-title")).in_initiative(i, g, "agenda");
    let reg = auth.registry(&s.store);
    let vision = reg
        .list::<Vision>(ListOptions::all())
        .await?
        .into_iter()
        .next();
    let spheres = reg.list::<Sphere>(ListOptions::all()).await?;
    let objectives = reg.list::<Objective>(ListOptions::all()).await?;
    let ideas = reg.list::<Idea>(ListOptions::all()).await?;
    let today = today();
    let rounds = reg
        .list::<Round>(ListOptions::all())
        .await?
        .into_iter()
        .map(|r| {
            let p = phase(&r.data, today).as_str();
            (r, p)
        })
        .collect();
    let (queue, rest): (Vec<_>, Vec<_>) = ideas
        .into_iter()
        .partition(|i| i.data.status == IdeaStatus::Submitted);
    let accepted = rest
        .into_iter()
        .filter(|i| i.data.status == IdeaStatus::Accepted)
        .collect();
    render(&AgendaPage {
        blocks: sphere_blocks(&c, &spheres, &objectives),
        can_participate: g.allows_on(Action::Participate, "initiative"),
        can_moderate: g.allows_on(Action::Update, "idea"),
        c,
        vision,
        queue,
        accepted,
        rounds,
    })
}

#[derive(Template)]
#[template(path = "idea_suggest.html")]
struct SuggestPage {
    c: Chrome,
    title: String,
    description: String,
    error: String,
}

async fn suggest_form(auth: Authorized<Participate>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, ctx.tr.t("idea-suggest-title"))
        .in_initiative(i, g, "agenda")
        .crumb(
            format!("/i/{}/agenda", i.data.slug),
            ctx.tr.t("agenda-title"),
        );
    render(&SuggestPage {
        c,
        title: String::new(),
        description: String::new(),
        error: String::new(),
    })
}

async fn suggest(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    ctx.check_csrf(sub.csrf.as_deref())?;
    match auth
        .registry(&s.store)
        .suggest_idea(&sub.fields, ctx.tr.lang)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/i/{}/agenda?suggested=1", i.data.slug)).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let c = Chrome::new(ctx, ctx.tr.t("idea-suggest-title")).in_initiative(i, g, "agenda");
            let error = crate::kinds::errors_text(&c.tr, &errors);
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SuggestPage {
                    c,
                    title: sub.fields.get("title").cloned().unwrap_or_default(),
                    description: sub.fields.get("description").cloned().unwrap_or_default(),
                    error,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn moderate(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let status = sub
        .fields
        .get("status")
        .and_then(|s| IdeaStatus::parse(s))
        .ok_or_else(|| AppError::BadRequest("status must be accepted or rejected".into()))?;
    auth.registry(&s.store).moderate_idea(id, status).await?;
    Ok(Redirect::to(&format!("/i/{slug}/agenda#queue-h")).into_response())
}

/// An accepted idea becomes a proposed objective; the coordinator then
/// completes it on the objective's form.
async fn idea_to_objective(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let reg = auth.registry(&s.store);
    let idea = reg.get::<Idea>(id).await?;
    if idea.data.status != IdeaStatus::Accepted {
        return Err(
            AppError::BadRequest("only an accepted idea can become an objective".into()).into(),
        );
    }
    let mut fields = domain::validation::FieldMap::new();
    fields.insert("title".into(), idea.data.title.clone());
    fields.insert("description".into(), idea.data.description.clone());
    fields.insert("status".into(), "proposed".into());
    fields.insert("status_on".into(), today().to_string());
    fields.insert("idea_id".into(), id.to_string());
    let value =
        <Objective as domain::resource::Resource>::parse(&fields).map_err(AppError::Invalid)?;
    let rec = reg.create(&fields, &value).await?;
    Ok(Redirect::to(&format!("/i/{slug}/objectives/{}/edit", rec.id)).into_response())
}

/// One version in a history: when, who, and the fields it changed (label, value).
type Version = (String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "agenda_history.html")]
struct HistoryPage {
    c: Chrome,
    heading: String,
    rows: Vec<Version>,
}

async fn history<T: crate::kinds::Kind>(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let rec = reg.get::<T>(id).await?;
    let entries = reg.history::<T>(id).await?;
    let c = Chrome::new(ctx, ctx.tr.t("history-title"))
        .in_initiative(i, g, "agenda")
        .crumb(format!("/i/{slug}/agenda"), ctx.tr.t("agenda-title"))
        .crumb(format!("/i/{slug}/{}/{id}", T::PATH), rec.data.label());
    let fields: Vec<&'static str> = T::columns().iter().map(|c| c.name).collect();
    let rows = entries
        .into_iter()
        .map(|e| {
            let after = e.after.unwrap_or_default();
            let before = e.before.unwrap_or_default();
            let changed = fields
                .iter()
                .filter(|f| before.get(**f) != after.get(**f))
                .map(|f| {
                    let v = match after.get(*f) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => "—".into(),
                        Some(v) => v.to_string(),
                    };
                    (c.t(&format!("field-{f}")), v)
                })
                .collect();
            (
                e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                e.actor_name.unwrap_or_else(|| "—".into()),
                changed,
            )
        })
        .collect();
    render(&HistoryPage {
        heading: c.t1("history-of", "name", &rec.data.label()),
        c,
        rows,
    })
}

fn round_chrome(
    auth: &Authorized<impl crate::access::Need>,
    data: &RoundData,
    key: &str,
) -> Chrome {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let slug = &i.data.slug;
    Chrome::new(ctx, ctx.tr.t(key))
        .in_initiative(i, g, "agenda")
        .crumb(format!("/i/{slug}/agenda"), ctx.tr.t("agenda-title"))
        .crumb(
            format!("/i/{slug}/rounds/{}", data.round.id),
            data.round.data.title.clone(),
        )
}

#[derive(Template)]
#[template(path = "round_ideas.html")]
struct RoundIdeasPage {
    c: Chrome,
    data: RoundData,
    /// (idea, in the round)
    choices: Vec<(Record<Idea>, bool)>,
    error: String,
}

async fn round_ideas_form(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_slug, id)): Path<(String, i64)>,
) -> PageResult {
    show_round_ideas(&s, &auth, id, String::new(), StatusCode::OK).await
}

async fn show_round_ideas(
    s: &AppState,
    auth: &Authorized<Write>,
    id: i64,
    error: String,
    status: StatusCode,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let data = reg.round(id).await?;
    let ids = data.ids();
    let choices = reg
        .list::<Idea>(ListOptions::all())
        .await?
        .into_iter()
        .filter(|i| i.data.status == IdeaStatus::Accepted)
        .map(|i| {
            let chosen = ids.contains(&i.id);
            (i, chosen)
        })
        .collect();
    let c = round_chrome(auth, &data, "round-ideas-title");
    render_status(
        status,
        &RoundIdeasPage {
            c,
            data,
            choices,
            error,
        },
    )
}

fn idea_ids(pairs: &[(String, String)]) -> Result<Vec<i64>, AppError> {
    pairs
        .iter()
        .filter(|(k, _)| k == "idea")
        .map(|(_, v)| {
            v.parse::<i64>()
                .map_err(|_| AppError::BadRequest("idea must be an idea's number".into()))
        })
        .collect()
}

async fn set_round_ideas(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let ideas = idea_ids(&pairs)?;
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    match auth.registry(&s.store).set_round_ideas(id, &ideas).await {
        Ok(_) => Ok(Redirect::to(&format!("/i/{slug}/rounds/{id}/results")).into_response()),
        Err(AppError::Invalid(e)) => {
            let msg = crate::kinds::errors_text(&auth.ctx.tr, &e);
            show_round_ideas(&s, &auth, id, msg, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "round_vote.html")]
struct VotePage {
    c: Chrome,
    data: RoundData,
    state_key: &'static str,
    open: bool,
    /// (idea, picked by me)
    choices: Vec<(Record<Idea>, bool)>,
    error: String,
    voted: bool,
}

async fn ballot_form(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((_slug, id)): Path<(String, i64)>,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let mine = reg.my_ballot(id).await?;
    let voted = !mine.is_empty();
    show_vote(&s, &auth, id, (mine, voted), String::new(), StatusCode::OK).await
}

async fn show_vote(
    s: &AppState,
    auth: &Authorized<Participate>,
    id: i64,
    // The ideas to show ticked, and whether a ballot is stored already.
    (mine, voted): (Vec<i64>, bool),
    error: String,
    status: StatusCode,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let data = reg.round(id).await?;
    let phase = phase(&data.round.data, today());
    let choices = data
        .ideas
        .iter()
        .map(|i| (i.clone(), mine.contains(&i.id)))
        .collect();
    let c = round_chrome(auth, &data, "round-vote-title");
    render_status(
        status,
        &VotePage {
            c,
            data,
            state_key: phase_key(phase),
            open: phase == Phase::Open,
            choices,
            error,
            voted,
        },
    )
}

async fn vote(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let ideas = idea_ids(&pairs)?;
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    match auth
        .registry(&s.store)
        .cast_ballot(id, &ideas, today())
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/i/{slug}/rounds/{id}/results?voted=1")).into_response())
        }
        Err(AppError::Invalid(e)) => {
            let msg = crate::kinds::errors_text(&auth.ctx.tr, &e);
            let voted = !auth.registry(&s.store).my_ballot(id).await?.is_empty();
            show_vote(
                &s,
                &auth,
                id,
                (ideas, voted),
                msg,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "round_results.html")]
struct ResultsPage {
    c: Chrome,
    data: RoundData,
    state_key: &'static str,
    open: bool,
    /// (idea, votes), most votes first.
    tally: Vec<(Record<Idea>, i64)>,
    priorities: Option<Priorities>,
    can_participate: bool,
    can_edit_round: bool,
}

async fn results(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_slug, id)): Path<(String, i64)>,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let data = reg.round(id).await?;
    let mut tally: Vec<(Record<Idea>, i64)> = data
        .ideas
        .iter()
        .cloned()
        .zip(data.votes.iter().copied())
        .collect();
    tally.sort_by_key(|t| std::cmp::Reverse(t.1));
    let has_map = !data.answers.is_empty() || data.round.data.follows_round_id.is_some();
    let priorities = if has_map && !data.ideas.is_empty() {
        Some(reg.priorities(&data).await?)
    } else {
        None
    };
    let phase = phase(&data.round.data, today());
    let g = auth.grants();
    let c = round_chrome(&auth, &data, "round-results-title");
    render(&ResultsPage {
        can_participate: g.allows_on(Action::Participate, "initiative"),
        can_edit_round: g.allows_on(Action::Update, "round"),
        c,
        data,
        state_key: phase_key(phase),
        open: phase == Phase::Open,
        tally,
        priorities,
    })
}

/// The drawing of a map: boxes per level (level 1 at the top, root drivers
/// at the bottom) and arrows from each component to those it helps directly.
pub struct Drawing {
    pub width: usize,
    pub height: usize,
    /// (x, y, label, full titles, level)
    pub boxes: Vec<(usize, usize, String, String, usize)>,
    /// (x1, y1, x2, y2)
    pub arrows: Vec<(usize, usize, usize, usize)>,
    /// (y, label) of each level's row.
    pub rows: Vec<(usize, usize)>,
}

pub const BOX_W: usize = 190;
pub const BOX_H: usize = 44;

pub fn drawing(data: &RoundData, map: &SystemsMap) -> Drawing {
    let layout = map.layout();
    let (gap_x, gap_y, margin_x) = (24, 56, 70);
    let widest = layout.iter().map(|r| r.len()).max().unwrap_or(1).max(1);
    let width = margin_x + widest * (BOX_W + gap_x);
    let height = 20 + layout.len().max(1) * (BOX_H + gap_y);
    let mut pos = std::collections::HashMap::new();
    let mut boxes = vec![];
    let mut rows = vec![];
    for (li, row) in layout.iter().enumerate() {
        let y = 10 + li * (BOX_H + gap_y);
        rows.push((y + BOX_H / 2, li + 1));
        let offset = margin_x + (widest - row.len()) * (BOX_W + gap_x) / 2;
        for (ci, comp) in row.iter().enumerate() {
            let x = offset + ci * (BOX_W + gap_x);
            pos.insert(*comp, (x, y));
            let members = &map.components()[*comp];
            let titles: Vec<String> = members
                .iter()
                .map(|m| data.ideas[*m].data.title.clone())
                .collect();
            let numbers: Vec<String> = members.iter().map(|m| format!("#{}", m + 1)).collect();
            let first: String = titles[0].chars().take(18).collect();
            let label = if members.len() > 1 {
                format!("{} ⇄", numbers.join(" "))
            } else if titles[0].chars().count() > 18 {
                format!("{} {first}…", numbers[0])
            } else {
                format!("{} {first}", numbers[0])
            };
            boxes.push((x, y, label, titles.join(" · "), li + 1));
        }
    }
    let arrows = map
        .edges()
        .iter()
        .filter_map(|(from, to)| {
            let (fx, fy) = pos.get(from)?;
            let (tx, ty) = pos.get(to)?;
            Some((fx + BOX_W / 2, *fy, tx + BOX_W / 2, ty + BOX_H + 6))
        })
        .collect();
    Drawing {
        width,
        height,
        boxes,
        arrows,
        rows,
    }
}

#[derive(Template)]
#[template(path = "round_map.html")]
struct MapPage {
    c: Chrome,
    data: RoundData,
    nodes: Vec<MapNode>,
    progress: MapProgress,
    drawing: Drawing,
    /// The next question as (from, to) ideas.
    question: Option<(Record<Idea>, Record<Idea>)>,
    /// (from, to, answer, who) as answered.
    answered: Vec<(String, String, i64, i64, bool)>,
    refusal: Option<(String, Vec<String>)>,
    can_participate: bool,
}

async fn map_page(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_slug, id)): Path<(String, i64)>,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let data = reg.round(id).await?;
    let g = auth.grants().clone();
    let c = round_chrome(&auth, &data, "round-map-title");
    show_map(
        c,
        data,
        None,
        g.allows_on(Action::Participate, "initiative"),
        StatusCode::OK,
    )
}

fn show_map(
    c: Chrome,
    data: RoundData,
    refusal: Option<Refusal>,
    can_participate: bool,
    status: StatusCode,
) -> PageResult {
    let map = data.map();
    let nodes = data.nodes(&map);
    let progress = data.progress();
    let title = |id: i64| {
        data.index_of(id)
            .map(|i| data.ideas[i].data.title.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let question = progress.next.map(|(a, b)| {
        (
            data.ideas[data.index_of(a).unwrap_or(0)].clone(),
            data.ideas[data.index_of(b).unwrap_or(0)].clone(),
        )
    });
    let answered = data
        .answers
        .iter()
        .map(|a| (title(a.from), title(a.to), a.from, a.to, a.influences))
        .collect();
    let sentence = |from: i64, to: i64, yes: bool| {
        c.tr.tn(
            if yes {
                "map-helps"
            } else {
                "map-does-not-help"
            },
            &[("from", title(from)), ("to", title(to))],
        )
    };
    let refusal = refusal.map(|r| {
        (
            sentence(r.from, r.to, r.influences),
            r.because
                .iter()
                .map(|a| sentence(a.from, a.to, a.influences))
                .collect(),
        )
    });
    let drawing = drawing(&data, &map);
    render_status(
        status,
        &MapPage {
            c,
            nodes,
            progress,
            drawing,
            question,
            answered,
            refusal,
            can_participate,
            data,
        },
    )
}

async fn answer(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let num = |k: &str| {
        sub.fields
            .get(k)
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| AppError::BadRequest(format!("{k} must be an idea's number")))
    };
    let (from, to) = (num("from")?, num("to")?);
    let influences = match sub.fields.get("answer").map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some("withdraw") => None,
        _ => return Err(AppError::BadRequest("answer must be yes, no or withdraw".into()).into()),
    };
    let reg = auth.registry(&s.store);
    match reg.answer_map(id, from, to, influences).await? {
        Ok(()) => {
            Ok(Redirect::to(&format!("/i/{slug}/rounds/{id}/map#question-h")).into_response())
        }
        Err(refusal) => {
            let data = reg.round(id).await?;
            let c = round_chrome(&auth, &data, "round-map-title");
            show_map(
                c,
                data,
                Some(refusal),
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// How many ideas one address may send to one portal per throttling window.
const PORTAL_IDEAS_PER_WINDOW: i64 = 5;

/// A published round: the round, its ideas with their votes, the number of ballots.
type PublishedRound = (Record<Round>, Vec<(Record<Idea>, i64)>, i64);

#[derive(Template)]
#[template(path = "portal_ideas.html")]
struct PortalIdeas {
    c: Chrome,
    slug: String,
    pre: String,
    title: String,
    description: String,
    error: String,
    sent: bool,
    /// Published rounds: (round, ideas with votes, most first).
    rounds: Vec<PublishedRound>,
}

fn portal_chrome(
    ctx: &crate::session::Ctx,
    i: &Record<domain::partnership::Initiative>,
    key: &str,
) -> Chrome {
    let mut c = Chrome::new(ctx, ctx.tr.t(key))
        .crumb(format!("/p/{}/", i.data.slug), i.data.name.clone())
        .crumb(String::new(), ctx.tr.t(key));
    c.user = None;
    c
}

#[derive(serde::Deserialize, Default)]
pub struct SentQuery {
    sent: Option<String>,
    round: Option<i64>,
}

async fn portal_ideas(
    State(s): State<AppState>,
    ctx: crate::session::Ctx,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SentQuery>,
) -> PageResult {
    show_portal_ideas(
        &s,
        &ctx,
        &slug,
        Default::default(),
        String::new(),
        q.sent.is_some(),
        StatusCode::OK,
    )
    .await
}

async fn show_portal_ideas(
    s: &AppState,
    ctx: &crate::session::Ctx,
    slug: &str,
    typed: (String, String),
    error: String,
    sent: bool,
    status: StatusCode,
) -> PageResult {
    let published = crate::access::Published::open(&s.store, slug).await?;
    let i = published.initiative().clone();
    let rounds = published
        .rounds()
        .await?
        .into_iter()
        .map(|d| {
            let mut t: Vec<(Record<Idea>, i64)> = d
                .ideas
                .iter()
                .cloned()
                .zip(d.votes.iter().copied())
                .collect();
            t.sort_by_key(|x| std::cmp::Reverse(x.1));
            (d.round, t, d.ballots)
        })
        .collect();
    let c = portal_chrome(ctx, &i, "portal-ideas-title");
    let res = render_status(
        status,
        &PortalIdeas {
            c,
            slug: i.data.slug.clone(),
            pre: ctx.pre_csrf(&s.store).await?.0.clone(),
            title: typed.0,
            description: typed.1,
            error,
            sent,
            rounds,
        },
    )?;
    Ok(super::auth::with_pre_cookie(s, ctx, res).await?)
}

/// A visitor's idea. Nothing is stored when the hidden field a person never
/// sees is filled (a robot), when the address sent too many lately, or when
/// the text is invalid; a valid idea waits in the moderation queue.
async fn portal_suggest(
    State(s): State<AppState>,
    ctx: crate::session::Ctx,
    headers: axum::http::HeaderMap,
    crate::session::Peer(peer): crate::session::Peer,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let published = crate::access::Published::open(&s.store, &slug).await?;
    ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
    let typed = (
        sub.fields.get("title").cloned().unwrap_or_default(),
        sub.fields.get("description").cloned().unwrap_or_default(),
    );
    let refuse =
        |msg: String, status| show_portal_ideas(&s, &ctx, &slug, typed.clone(), msg, false, status);
    if sub
        .fields
        .get("website")
        .is_some_and(|v| !v.trim().is_empty())
    {
        return refuse(
            ctx.tr.t("portal-idea-honeypot"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let idea = match crate::agenda::parse_suggestion(
        &sub.fields,
        domain::agenda::IdeaSource::Portal,
        None,
        ctx.tr.lang,
    ) {
        Ok(idea) => idea,
        Err(AppError::Invalid(e)) => {
            let msg = crate::kinds::errors_text(&ctx.tr, &e);
            return refuse(msg, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e.into()),
    };
    let ip = super::auth::client_ip(&headers, peer, s.config.trust_proxy);
    let key = format!(
        "idea:{}:{}",
        published.initiative().id,
        store::accounts::client_key(&ip)
    );
    if !s
        .store
        .reserve_attempt(&key, PORTAL_IDEAS_PER_WINDOW)
        .await?
    {
        return refuse(
            ctx.tr.t("portal-idea-throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    published.suggest(&idea).await?;
    Ok(Redirect::to(&format!("/p/{slug}/ideas?sent=1#sent")).into_response())
}

#[derive(Template)]
#[template(path = "portal_map.html")]
struct PortalMap {
    c: Chrome,
    /// Published rounds with a map: (id, title).
    choices: Vec<(i64, String)>,
    shown: Option<(RoundData, Vec<MapNode>, Drawing)>,
}

async fn portal_map(
    State(s): State<AppState>,
    ctx: crate::session::Ctx,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SentQuery>,
) -> PageResult {
    let published = crate::access::Published::open(&s.store, &slug).await?;
    let i = published.initiative().clone();
    let rounds: Vec<RoundData> = published
        .rounds()
        .await?
        .into_iter()
        .filter(|d| !d.answers.is_empty())
        .collect();
    let choices = rounds
        .iter()
        .map(|d| (d.round.id, d.round.data.title.clone()))
        .collect();
    let wanted = match q.round {
        Some(id) => Some(
            rounds
                .into_iter()
                .find(|d| d.round.id == id)
                .ok_or(AppError::NotFound)?,
        ),
        None => rounds.into_iter().next(),
    };
    let shown = wanted.map(|d| {
        let map = d.map();
        let nodes = d.nodes(&map);
        let drawing = drawing(&d, &map);
        (d, nodes, drawing)
    });
    let c = portal_chrome(&ctx, &i, "portal-map-title");
    render(&PortalMap { c, choices, shown })
}
