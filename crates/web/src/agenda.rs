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
        let mut ideas = Vec::with_capacity(ids.len());
        for id in &ids {
            ideas.push(store.get::<Idea>(Some(initiative), *id).await?);
        }
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

    /// The explicit answer (from, to) as ideas.
    pub fn refusal(&self, c: &Contradiction) -> Refusal {
        let id = |i: usize| self.ideas[i].id;
        Refusal {
            from: id(c.from),
            to: id(c.to),
            influences: c.yes,
            because: c
                .because
                .iter()
                .map(|a| AnswerRef {
                    from: id(a.from),
                    to: id(a.to),
                    influences: a.yes,
                })
                .collect(),
        }
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
                        .map_err(|c| {
                            let id = |i: usize| ids[i];
                            Refusal {
                                from: id(c.from),
                                to: id(c.to),
                                influences: c.yes,
                                because: c
                                    .because
                                    .iter()
                                    .map(|a| AnswerRef {
                                        from: id(a.from),
                                        to: id(a.to),
                                        influences: a.yes,
                                    })
                                    .collect(),
                            }
                        })
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
