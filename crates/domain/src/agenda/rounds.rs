//! Prioritisation rounds: who may pick what, and the count of the picks.
//!
//! A round is open from `opens_on` through `closes_on` (both days included, by
//! the calendar date in UTC). Each participant has one ballot of at most *k*
//! distinct ideas of the round; casting again while the round is open replaces
//! the earlier ballot.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::records::Round;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Upcoming,
    Open,
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upcoming => "upcoming",
            Phase::Open => "open",
            Phase::Closed => "closed",
        }
    }
}

pub fn phase(round: &Round, today: NaiveDate) -> Phase {
    if today < round.opens_on {
        Phase::Upcoming
    } else if today > round.closes_on {
        Phase::Closed
    } else {
        Phase::Open
    }
}

/// Why a ballot is refused. Each reads as a sentence for the participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotError {
    NotOpenYet(NaiveDate),
    Closed(NaiveDate),
    Empty,
    TooMany { picked: usize, k: i64 },
    NotInRound(i64),
    Repeated(i64),
}

impl std::fmt::Display for BallotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BallotError::NotOpenYet(d) => write!(f, "the round opens on {d}"),
            BallotError::Closed(d) => write!(f, "the round closed on {d}"),
            BallotError::Empty => write!(f, "pick at least one idea"),
            BallotError::TooMany { picked, k } => {
                write!(f, "pick at most {k} ideas (you picked {picked})")
            }
            BallotError::NotInRound(id) => write!(f, "idea {id} is not part of this round"),
            BallotError::Repeated(id) => write!(f, "idea {id} is picked twice"),
        }
    }
}

/// Check a ballot against the round on `today`; the picks, as cast.
pub fn check_ballot(
    round: &Round,
    ideas_of_round: &[i64],
    picks: &[i64],
    today: NaiveDate,
) -> Result<(), BallotError> {
    match phase(round, today) {
        Phase::Upcoming => return Err(BallotError::NotOpenYet(round.opens_on)),
        Phase::Closed => return Err(BallotError::Closed(round.closes_on)),
        Phase::Open => {}
    }
    if picks.is_empty() {
        return Err(BallotError::Empty);
    }
    if picks.len() as i64 > round.picks {
        return Err(BallotError::TooMany {
            picked: picks.len(),
            k: round.picks,
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for id in picks {
        if !ideas_of_round.contains(id) {
            return Err(BallotError::NotInRound(*id));
        }
        if !seen.insert(*id) {
            return Err(BallotError::Repeated(*id));
        }
    }
    Ok(())
}

/// Votes per idea of the round (every idea listed, zero included), in the
/// order of `ideas_of_round`.
pub fn tally(ideas_of_round: &[i64], picks: &[i64]) -> Vec<(i64, i64)> {
    let mut counts: BTreeMap<i64, i64> = ideas_of_round.iter().map(|i| (*i, 0)).collect();
    for p in picks {
        if let Some(c) = counts.get_mut(p) {
            *c += 1;
        }
    }
    ideas_of_round.iter().map(|i| (*i, counts[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn round() -> Round {
        Round {
            title: "Spring".into(),
            description: String::new(),
            picks: 2,
            opens_on: d("2026-03-01"),
            closes_on: d("2026-03-31"),
            follows_round_id: None,
            public: false,
        }
    }

    #[test]
    fn both_end_days_are_open() {
        let r = round();
        assert_eq!(phase(&r, d("2026-02-28")), Phase::Upcoming);
        assert_eq!(phase(&r, d("2026-03-01")), Phase::Open);
        assert_eq!(phase(&r, d("2026-03-31")), Phase::Open);
        assert_eq!(phase(&r, d("2026-04-01")), Phase::Closed);
    }

    #[test]
    fn a_ballot_is_refused_beyond_k_after_close_and_outside_the_round() {
        let r = round();
        let ideas = [10, 11, 12];
        let open = d("2026-03-15");
        assert_eq!(check_ballot(&r, &ideas, &[10, 11], open), Ok(()));
        assert_eq!(
            check_ballot(&r, &ideas, &[10, 11, 12], open),
            Err(BallotError::TooMany { picked: 3, k: 2 })
        );
        assert_eq!(
            check_ballot(&r, &ideas, &[10], d("2026-04-01")),
            Err(BallotError::Closed(d("2026-03-31")))
        );
        assert_eq!(
            check_ballot(&r, &ideas, &[10], d("2026-02-01")),
            Err(BallotError::NotOpenYet(d("2026-03-01")))
        );
        assert_eq!(
            check_ballot(&r, &ideas, &[99], open),
            Err(BallotError::NotInRound(99))
        );
        assert_eq!(
            check_ballot(&r, &ideas, &[10, 10], open),
            Err(BallotError::Repeated(10))
        );
        assert_eq!(check_ballot(&r, &ideas, &[], open), Err(BallotError::Empty));
        assert_eq!(
            BallotError::TooMany { picked: 3, k: 2 }.to_string(),
            "pick at most 2 ideas (you picked 3)"
        );
    }

    #[test]
    fn the_tally_lists_every_idea_of_the_round() {
        assert_eq!(
            tally(&[3, 1, 2], &[1, 1, 2, 9]),
            vec![(3, 0), (1, 2), (2, 1)]
        );
    }
}
