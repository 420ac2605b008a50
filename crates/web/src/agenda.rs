//! The agenda as one caller may see and change it: a round's ideas, ballots
//! and systems map, through the policy (pages, API, portal and the command
//! line all read a round through [`RoundData`]).

use chrono::NaiveDate;
use serde::Serialize;

use domain::access::{Action, decide_record};
use domain::agenda::rounds;
use domain::agenda::systems_map::{Answer, Contradiction, Inference, SystemsMap};
use domain::agenda::{Idea, IdeaSource, IdeaStatus, Round};
use domain::resource::Record;
use domain::validation::FieldMap;
use store::Store;
use store::agenda::MapAnswer;

use crate::access::{Registry, refusal};
use crate::error::AppError;

/// A round with its ideas (in the round's order: node `i` of the map is
/// `ideas[i]`), its tally and its map answers.
pub struct RoundData {
    pub round: Record<Round>,
    pub ideas: Vec<Record<Idea>>,
    pub ballots: i64,
    /// Votes per idea, in the order of `ideas`.
    pub votes: Vec<i64>,
    pub answers: Vec<MapAnswer>,
}

/// A refused map answer, in ideas rather than node numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub from: i64,
    pub to: i64,
    pub influences: bool,
    /// The explicit earlier answers that imply the opposite.
    pub because: Vec<AnswerRef>,
}

impl Refusal {
    /// A contradiction over node numbers, told in the round's idea ids.
    fn of(ids: &[i64], c: &Contradiction) -> Refusal {
        let r = |a: &Answer| AnswerRef {
            from: ids[a.from],
            to: ids[a.to],
            influences: a.yes,
        };
        Refusal {
            from: ids[c.from],
            to: ids[c.to],
            influences: c.yes,
            because: c.because.iter().map(r).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerRef {
    pub from: i64,
    pub to: i64,
    pub influences: bool,
}

impl RoundData {
    pub async fn load(store: &Store, initiative: i64, round: i64) -> Result<RoundData, AppError> {
        let round = store.get::<Round>(Some(initiative), round).await?;
        let ids = store.round_ideas(round.id).await?;
        // One read of the initiative's ideas, not one per idea of the round.
        let mut all: std::collections::HashMap<i64, Record<Idea>> = store
            .list::<Idea>(
                Some(initiative),
                store::records::ListOptions {
                    include_archived: true,
                    ..store::records::ListOptions::all()
                },
            )
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let ideas = ids
            .iter()
            .map(|id| all.remove(id).ok_or(AppError::NotFound))
            .collect::<Result<Vec<_>, _>>()?;
        let b = store.ballots(round.id).await?;
        let votes = rounds::tally(&ids, &b.picks)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        let answers = store.map_answers(round.id).await?;
        Ok(RoundData {
            round,
            ideas,
            ballots: b.ballots,
            votes,
            answers,
        })
    }

    pub fn ids(&self) -> Vec<i64> {
        self.ideas.iter().map(|i| i.id).collect()
    }

    pub fn index_of(&self, id: i64) -> Option<usize> {
        self.ideas.iter().position(|i| i.id == id)
    }

    /// The stored answers as the domain reads them.
    pub fn domain_answers(&self) -> Vec<Answer> {
        to_domain(&self.ids(), &self.answers)
    }

    /// Everything the answers imply. Stored answers were checked one by one
    /// when given, so they are consistent; should they not be (a database
    /// edited by hand), the first contradicting answer and those after it
    /// are left out rather than failing the page.
    pub fn inference(&self) -> Inference {
        let mut inf = Inference::new(self.ideas.len());
        for a in self.domain_answers() {
            if inf.answer(a.from, a.to, a.yes).is_err() {
                break;
            }
        }
        inf
    }

    pub fn map(&self) -> SystemsMap {
        SystemsMap::from_answers(self.ideas.len(), &self.domain_answers())
    }

    /// Only what may be published: a public round's accepted ideas.
    pub fn published(&self) -> bool {
        self.round.data.public && !self.round.archived
    }
}

fn to_domain(ids: &[i64], answers: &[MapAnswer]) -> Vec<Answer> {
    let pos = |id: i64| ids.iter().position(|x| *x == id);
    answers
        .iter()
        .filter_map(|a| {
            Some(Answer {
                from: pos(a.from)?,
                to: pos(a.to)?,
                yes: a.influences,
            })
        })
        .collect()
}

impl Registry<'_> {
    /// A round, its ideas, tally and map answers.
    pub async fn round(&self, id: i64) -> Result<RoundData, AppError> {
        self.allow::<Round>(Action::Read)?;
        self.allow::<Idea>(Action::Read)?;
        let mut data = RoundData::load(self.store, self.initiative, id).await?;
        data.round = self.shown(data.round);
        data.ideas = data.ideas.into_iter().map(|i| self.shown(i)).collect();
        Ok(data)
    }

    /// Set which accepted ideas a round holds (before any ballot or answer).
    pub async fn set_round_ideas(&self, round: i64, ideas: &[i64]) -> Result<Vec<i64>, AppError> {
        self.allow::<Round>(Action::Update)?;
        Ok(self
            .store
            .set_round_ideas(self.actor, self.initiative, round, ideas)
            .await?)
    }

    fn participate(&self) -> Result<i64, AppError> {
        refusal(decide_record(
            self.grants,
            Action::Participate,
            "initiative",
        ))?;
        self.actor.ok_or(AppError::Forbidden)
    }

    /// Cast or replace the caller's ballot.
    pub async fn cast_ballot(
        &self,
        round: i64,
        picks: &[i64],
        today: NaiveDate,
    ) -> Result<(), AppError> {
        let user = self.participate()?;
        Ok(self
            .store
            .cast_ballot(user, self.initiative, round, picks, today)
            .await?)
    }

    /// The caller's own ballot in a round.
    pub async fn my_ballot(&self, round: i64) -> Result<Vec<i64>, AppError> {
        self.allow::<Round>(Action::Read)?;
        match self.actor {
            Some(u) => Ok(self.store.my_ballot(round, u).await?),
            None => Ok(vec![]),
        }
    }

    /// Answer (`Some`) or withdraw (`None`) one question of a round's map.
    /// `Ok(Err(refusal))` when earlier answers imply the opposite: nothing is
    /// stored and the refusal names them.
    pub async fn answer_map(
        &self,
        round: i64,
        from: i64,
        to: i64,
        influences: Option<bool>,
    ) -> Result<Result<(), Refusal>, AppError> {
        let user = self.participate()?;
        let outcome = self
            .store
            .answer_map(
                Some(user),
                self.initiative,
                round,
                from,
                to,
                influences,
                |ids, answers| {
                    let n = ids.len();
                    let domain = to_domain(ids, answers);
                    // The changed answer is last (a revision replaces the old one).
                    Inference::from_answers(n, &domain)
                        .map(|_| ())
                        .map_err(|c| Refusal::of(ids, &c))
                },
            )
            .await?;
        Ok(outcome)
    }

    /// A member's idea: it waits in the moderation queue like any other.
    pub async fn suggest_idea(
        &self,
        fields: &FieldMap,
        language: &str,
    ) -> Result<Record<Idea>, AppError> {
        let user = self.participate()?;
        let idea = parse_suggestion(fields, IdeaSource::Member, Some(user), language)?;
        Ok(self.shown(
            self.store
                .create(Some(user), Some(self.initiative), &idea)
                .await?,
        ))
    }

    /// Accept or reject an idea in the moderation queue.
    pub async fn moderate_idea(
        &self,
        id: i64,
        status: IdeaStatus,
    ) -> Result<Record<Idea>, AppError> {
        self.allow::<Idea>(Action::Update)?;
        let rec = self.store.get::<Idea>(Some(self.initiative), id).await?;
        if rec.data.status == status {
            return Ok(self.shown(rec));
        }
        let mut data = rec.data.clone();
        data.status = status;
        Ok(self.shown(
            self.store
                .update(self.actor, Some(self.initiative), id, rec.version, &data)
                .await?,
        ))
    }
}

/// The idea a suggestion form (in the app or on the portal) describes: only
/// a title and a description are the suggester's; the rest is set here.
pub fn parse_suggestion(
    fields: &FieldMap,
    source: IdeaSource,
    submitted_by: Option<i64>,
    language: &str,
) -> Result<Idea, AppError> {
    let mut m = FieldMap::new();
    for k in ["title", "description"] {
        if let Some(v) = fields.get(k) {
            m.insert(k.to_string(), v.clone());
        }
    }
    m.insert("status".into(), IdeaStatus::Submitted.as_str().into());
    m.insert("source".into(), source.as_str().into());
    if let Some(u) = submitted_by {
        m.insert("submitted_by".into(), u.to_string());
    }
    m.insert("language".into(), language.into());
    <Idea as domain::resource::Resource>::parse(&m).map_err(AppError::Invalid)
}

/// One idea of a round's map, as the API, the export and the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct MapNode {
    pub id: i64,
    pub title: String,
    /// 1 is the top: pure outcomes, helped by others and helping none.
    pub level: usize,
    pub driving_power: usize,
    pub dependence: usize,
    pub quadrant: &'static str,
    pub votes: i64,
}

/// What members answered (not what was inferred).
#[derive(Debug, Clone, Serialize)]
pub struct MapAnswerOut {
    pub from: i64,
    pub to: i64,
    pub influences: bool,
}

/// The systems map of a round: `backbone export systems-map`, the API and
/// the pages all show this.
#[derive(Debug, Clone, Serialize)]
pub struct MapExport {
    pub nodes: Vec<MapNode>,
    pub answers: Vec<MapAnswerOut>,
}

impl RoundData {
    pub fn nodes(&self, map: &SystemsMap) -> Vec<MapNode> {
        self.ideas
            .iter()
            .enumerate()
            .map(|(i, idea)| MapNode {
                id: idea.id,
                title: idea.data.title.clone(),
                level: map.level(i),
                driving_power: map.driving_power(i),
                dependence: map.dependence(i),
                quadrant: map.quadrant(i).as_str(),
                votes: self.votes[i],
            })
            .collect()
    }

    pub fn export(&self) -> MapExport {
        let map = self.map();
        MapExport {
            nodes: self.nodes(&map),
            answers: self
                .answers
                .iter()
                .map(|a| MapAnswerOut {
                    from: a.from,
                    to: a.to,
                    influences: a.influences,
                })
                .collect(),
        }
    }

    /// The next question members should answer, as ideas, with how many
    /// questions inference has saved so far.
    pub fn progress(&self) -> MapProgress {
        let inf = self.inference();
        let next = inf
            .next_question()
            .map(|(a, b)| (self.ideas[a].id, self.ideas[b].id));
        let total = inf.total_pairs();
        let known = inf.known_pairs();
        MapProgress {
            next,
            asked: inf.asked(),
            total_pairs: total,
            inferred: known.saturating_sub(inf.asked()),
            complete: next.is_none(),
        }
    }
}

/// How far a round's map has come.
#[derive(Debug, Clone, Serialize)]
pub struct MapProgress {
    /// (from, to): "would progress on `from` significantly help progress on `to`?"
    pub next: Option<(i64, i64)>,
    /// Questions members answered.
    pub asked: usize,
    /// n(n − 1): what asking every pair would take.
    pub total_pairs: usize,
    /// Answers inference supplied instead of asking.
    pub inferred: usize,
    pub complete: bool,
}

/// One idea in the side-by-side of votes and driving power.
#[derive(Debug, Clone, Serialize)]
pub struct PriorityRow {
    pub id: i64,
    pub title: String,
    pub votes: i64,
    /// Votes in the earlier round this one follows, when it follows one.
    pub earlier_votes: Option<i64>,
    pub level: usize,
    pub driving_power: usize,
    pub vote_rank: f64,
    pub driving_rank: f64,
}

/// Erroneous priorities: a round's votes beside its systems map.
#[derive(Debug, Clone, Serialize)]
pub struct Priorities {
    /// The round whose answers drew the map (this one, or the one it follows).
    pub map_round: i64,
    pub k: usize,
    pub rows: Vec<PriorityRow>,
    /// Spearman's ρ between votes and driving power (average ranks for ties).
    pub rho: Option<f64>,
    /// ρ for the earlier round's votes, to show how priorities moved.
    pub earlier_rho: Option<f64>,
    /// How many of the k most-voted ideas are among the k strongest drivers.
    pub overlap: usize,
    pub earlier_overlap: Option<usize>,
    /// Share of all votes that went to level-1 ideas (pure outcomes).
    pub share_top_level: Option<f64>,
    pub earlier_share_top_level: Option<f64>,
    /// Distinct ideas that received a vote ÷ k.
    pub spreadthink: f64,
    pub earlier_spreadthink: Option<f64>,
}

/// Votes of `data` re-indexed to the ideas of `map_round` (0 for an idea the
/// round did not hold).
fn votes_on(data: &RoundData, ideas: &[i64]) -> Vec<u64> {
    ideas
        .iter()
        .map(|id| {
            data.index_of(*id)
                .map(|i| data.votes[i].max(0) as u64)
                .unwrap_or(0)
        })
        .collect()
}

/// Compare `data`'s votes with the map of `map_round` (the same round, or
/// the earlier round it follows, whose votes are then shown beside).
pub fn priorities(
    data: &RoundData,
    map_round: &RoundData,
    earlier: Option<&RoundData>,
) -> Priorities {
    use domain::agenda::priorities as p;
    let map = map_round.map();
    let ids = map_round.ids();
    let n = ids.len();
    let votes = votes_on(data, &ids);
    let driving: Vec<usize> = (0..n).map(|i| map.driving_power(i)).collect();
    let levels: Vec<usize> = (0..n).map(|i| map.level(i)).collect();
    let as_f = |v: &[u64]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
    let driving_f: Vec<f64> = driving.iter().map(|d| *d as f64).collect();
    let vote_ranks = p::average_ranks(&as_f(&votes), true);
    let driving_ranks = p::average_ranks(&driving_f, true);
    let k = data.round.data.picks.max(0) as usize;
    let earlier_votes = earlier.map(|e| votes_on(e, &ids));
    let earlier_k = earlier.map(|e| e.round.data.picks.max(0) as usize);
    let rows = (0..n)
        .map(|i| PriorityRow {
            id: ids[i],
            title: map_round.ideas[i].data.title.clone(),
            votes: votes[i] as i64,
            earlier_votes: earlier_votes.as_ref().map(|v| v[i] as i64),
            level: levels[i],
            driving_power: driving[i],
            vote_rank: vote_ranks[i],
            driving_rank: driving_ranks[i],
        })
        .collect();
    Priorities {
        map_round: map_round.round.id,
        k,
        rows,
        rho: p::spearman_rho(&as_f(&votes), &driving_f),
        earlier_rho: earlier_votes
            .as_ref()
            .and_then(|v| p::spearman_rho(&as_f(v), &driving_f)),
        overlap: p::top_k_overlap(&votes, &driving, k),
        earlier_overlap: earlier_votes
            .as_ref()
            .zip(earlier_k)
            .map(|(v, k)| p::top_k_overlap(v, &driving, k)),
        share_top_level: p::share_to_top_level(&votes, &levels),
        earlier_share_top_level: earlier_votes
            .as_ref()
            .and_then(|v| p::share_to_top_level(v, &levels)),
        spreadthink: p::spreadthink(&votes, k),
        earlier_spreadthink: earlier_votes
            .as_ref()
            .zip(earlier_k)
            .map(|(v, k)| p::spreadthink(v, k)),
    }
}

impl Registry<'_> {
    /// A round's priorities beside the map that applies to it: its own, or,
    /// for a round that follows an earlier one, the earlier round's map with
    /// the earlier votes beside.
    pub async fn priorities(&self, data: &RoundData) -> Result<Priorities, AppError> {
        match data.round.data.follows_round_id {
            Some(earlier) => {
                let e = self.round(earlier).await?;
                Ok(priorities(data, &e, Some(&e)))
            }
            None => Ok(priorities(data, data, None)),
        }
    }

    /// Who changed a vision or an objective, what and when: its versions,
    /// oldest first, from the audit log (readable by everyone who reads it).
    pub async fn history<T: domain::resource::Resource>(
        &self,
        id: i64,
    ) -> Result<Vec<store::audit::Entry>, AppError> {
        self.allow::<T>(Action::Read)?;
        self.store.get::<T>(Some(self.initiative), id).await?;
        let mut entries = self
            .store
            .audit(&store::audit::Filter {
                initiative: Some(self.initiative),
                kind: Some(T::KIND.to_string()),
                record_id: Some(id),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        entries.reverse();
        Ok(entries)
    }
}
