//! Positions on a decision and the outcome of each process.
//!
//! - *Consent*: members agree, abstain, disagree or block; disagreeing and
//!   blocking need a reason. The proposal passes when the quorum is met and no
//!   block stands. A disagreement does not stop it; a block withdrawn (the
//!   member's later position is not a block) no longer stands.
//! - *Consensus*: members agree, stand aside or block; standing aside and
//!   blocking need a reason. It passes when the quorum is met and every member
//!   who must take part (those present, in a meeting; every member, between
//!   meetings) agrees or stands aside.
//! - *Vote*: members vote yes (`agree`), no (`disagree`) or abstain. It passes
//!   when the quorum is met and the yes votes outnumber the no votes:
//!   abstentions are not votes, and a tie fails.
//!
//! The quorum of a decision taken in a meeting counts the members present; of
//! one taken between meetings, the members who stated a position (abstaining
//! included). Only live positions of current members count, and in a meeting
//! only those of members present: an absent member cannot block.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::quorum::Quorum;
use super::records::Process;
use crate::validation::FieldErrors;

/// The longest reason given for a position.
pub const MAX_REASON: usize = 2_000;

choices!(
    /// A member's position on a proposal. In a vote, `agree` is yes and
    /// `disagree` is no.
    Position {
        Agree = "agree",
        Abstain = "abstain",
        Disagree = "disagree",
        Block = "block",
        StandAside = "stand_aside",
    }
);

impl Position {
    /// Whether stating this position needs a reason under `process`.
    pub fn needs_reason(self, process: Process) -> bool {
        match process {
            Process::Consent => matches!(self, Position::Disagree | Position::Block),
            Process::Consensus => matches!(self, Position::StandAside | Position::Block),
            Process::Vote => false,
        }
    }
}

/// The positions a process takes, in the order forms offer them.
pub fn allowed(process: Process) -> &'static [Position] {
    match process {
        Process::Consent => &[
            Position::Agree,
            Position::Abstain,
            Position::Disagree,
            Position::Block,
        ],
        Process::Consensus => &[Position::Agree, Position::StandAside, Position::Block],
        Process::Vote => &[Position::Agree, Position::Disagree, Position::Abstain],
    }
}

/// A position as stated: checked against the process, its reason trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    pub position: Position,
    pub reason: String,
}

/// Read a position and its reason for `process`. Refused, naming the field: a
/// position the process does not take (`position`), a missing reason where one
/// is required, a reason too long or with control characters (`reason`).
pub fn check(process: Process, position: &str, reason: &str) -> Result<Stated, FieldErrors> {
    let mut errors = FieldErrors::default();
    let names = allowed(process)
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let position = match Position::parse(position.trim()) {
        Some(p) if allowed(process).contains(&p) => Some(p),
        _ if position.trim().is_empty() => {
            errors.add(
                "position",
                "required",
                format!("position is required: one of {names}"),
            );
            None
        }
        _ => {
            errors.add(
                "position",
                "not_allowed",
                format!(
                    "position must be one of {names} for a decision by {}",
                    process.as_str()
                ),
            );
            None
        }
    };
    let reason = reason.trim().to_string();
    if reason.chars().count() > MAX_REASON {
        errors.add(
            "reason",
            "too_long",
            format!("reason must be at most {MAX_REASON} characters"),
        );
    } else if reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.add(
            "reason",
            "control_characters",
            "reason must not contain control characters",
        );
    }
    if let Some(p) = position
        && p.needs_reason(process)
        && reason.is_empty()
    {
        errors.add(
            "reason",
            "reason_required",
            format!("a reason is required to {}", verb(p)),
        );
    }
    match position {
        Some(position) => errors.finish(Stated { position, reason }),
        None => Err(errors),
    }
}

fn verb(p: Position) -> &'static str {
    match p {
        Position::Agree => "agree",
        Position::Abstain => "abstain",
        Position::Disagree => "disagree",
        Position::Block => "block",
        Position::StandAside => "stand aside",
    }
}

/// Who may count towards a decision.
#[derive(Debug, Clone)]
pub struct Setting {
    pub process: Process,
    pub quorum: Quorum,
    /// Current members of the body (person ids).
    pub members: Vec<i64>,
    /// For a decision taken in a meeting: the members present (person ids).
    /// `None` between meetings.
    pub present: Option<Vec<i64>>,
}

choices!(
    /// Whether the proposal passed.
    Outcome { Passed = "passed", NotPassed = "not_passed" }
);

choices!(
    /// Why the proposal passed or did not: `passed` (quorum met and the
    /// process' rule satisfied), `no_quorum` (too few members present in a
    /// meeting, or stating a position between meetings), `blocked` (a block
    /// stands), `not_all_agree` (consensus: someone who must take part neither
    /// agreed nor stood aside), `no_majority` (vote: no more yes than no).
    Reason {
        Passed = "passed",
        NoQuorum = "no_quorum",
        Blocked = "blocked",
        NotAllAgree = "not_all_agree",
        NoMajority = "no_majority",
    }
);

/// The count a decision is closed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Counted positions by code (`agree`, `block`…), every position the
    /// process takes present, zeros included.
    pub counts: BTreeMap<String, u32>,
    /// Current members of the body.
    pub members: u32,
    pub quorum_required: u32,
    /// Members present (in a meeting) or who stated a position (between).
    pub quorum_counted: u32,
    pub quorum_met: bool,
    /// Person ids of members whose block stands.
    pub blocking: Vec<i64>,
    /// Consensus: person ids of members who must take part and neither agreed
    /// nor stood aside.
    #[serde(default)]
    pub missing: Vec<i64>,
}

/// A tally with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: Reason,
    pub tally: Tally,
}

/// The outcome of a decision, from the live positions (person id, position)
/// of everyone who stated one. Positions of people who are not current
/// members, or (in a meeting) not present, are not counted.
pub fn outcome(setting: &Setting, live: &[(i64, Position)]) -> Verdict {
    let members: BTreeSet<i64> = setting.members.iter().copied().collect();
    let present: Option<BTreeSet<i64>> = setting.present.as_ref().map(|p| {
        p.iter()
            .copied()
            .filter(|id| members.contains(id))
            .collect()
    });
    // One position per member: the last given wins.
    let mut by_member: BTreeMap<i64, Position> = BTreeMap::new();
    for (person, position) in live {
        let counts = members.contains(person)
            && present.as_ref().is_none_or(|p| p.contains(person))
            && allowed(setting.process).contains(position);
        if counts {
            by_member.insert(*person, *position);
        }
    }
    let mut counts: BTreeMap<String, u32> = allowed(setting.process)
        .iter()
        .map(|p| (p.as_str().to_string(), 0))
        .collect();
    for p in by_member.values() {
        *counts.entry(p.as_str().to_string()).or_default() += 1;
    }
    let n_members = members.len() as u32;
    let quorum_counted = match &present {
        Some(p) => p.len() as u32,
        None => by_member.len() as u32,
    };
    let quorum_required = setting.quorum.required(n_members);
    let quorum_met = setting.quorum.met(quorum_counted, n_members);
    let blocking: Vec<i64> = by_member
        .iter()
        .filter(|(_, p)| **p == Position::Block)
        .map(|(id, _)| *id)
        .collect();
    let missing: Vec<i64> = if setting.process == Process::Consensus {
        let must: Vec<i64> = match &present {
            Some(p) => p.iter().copied().collect(),
            None => members.iter().copied().collect(),
        };
        must.into_iter()
            .filter(|id| {
                !matches!(
                    by_member.get(id),
                    Some(Position::Agree | Position::StandAside)
                )
            })
            .collect()
    } else {
        vec![]
    };
    let count = |p: Position| counts.get(p.as_str()).copied().unwrap_or(0);
    let reason = if !quorum_met {
        Reason::NoQuorum
    } else {
        match setting.process {
            Process::Consent if !blocking.is_empty() => Reason::Blocked,
            Process::Consent => Reason::Passed,
            Process::Consensus if !blocking.is_empty() => Reason::Blocked,
            Process::Consensus if !missing.is_empty() => Reason::NotAllAgree,
            Process::Consensus => Reason::Passed,
            Process::Vote if count(Position::Agree) > count(Position::Disagree) => Reason::Passed,
            Process::Vote => Reason::NoMajority,
        }
    };
    let outcome = if reason == Reason::Passed {
        Outcome::Passed
    } else {
        Outcome::NotPassed
    };
    Verdict {
        outcome,
        reason,
        tally: Tally {
            counts,
            members: n_members,
            quorum_required,
            quorum_counted,
            quorum_met,
            blocking,
            missing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Position::*;

    fn between(process: Process, quorum: Quorum, members: &[i64]) -> Setting {
        Setting {
            process,
            quorum,
            members: members.to_vec(),
            present: None,
        }
    }

    fn in_meeting(process: Process, quorum: Quorum, members: &[i64], present: &[i64]) -> Setting {
        Setting {
            process,
            quorum,
            members: members.to_vec(),
            present: Some(present.to_vec()),
        }
    }

    const FIVE: &[i64] = &[1, 2, 3, 4, 5];

    #[test]
    fn each_process_takes_its_own_positions() {
        for (process, ok, refused) in [
            (
                Process::Consent,
                vec!["agree", "abstain", "disagree", "block"],
                vec!["stand_aside"],
            ),
            (
                Process::Consensus,
                vec!["agree", "stand_aside", "block"],
                vec!["abstain", "disagree"],
            ),
            (
                Process::Vote,
                vec!["agree", "disagree", "abstain"],
                vec!["block", "stand_aside"],
            ),
        ] {
            for p in ok {
                assert!(check(process, p, "because").is_ok(), "{p} in {process:?}");
            }
            for p in refused {
                let e = check(process, p, "because").unwrap_err();
                assert_eq!(e.get("position").unwrap().code, "not_allowed", "{p}");
                assert!(
                    e.get("position")
                        .unwrap()
                        .message
                        .contains(process.as_str())
                );
            }
        }
        let e = check(Process::Consent, "maybe", "").unwrap_err();
        assert_eq!(e.get("position").unwrap().code, "not_allowed");
        let e = check(Process::Consent, " ", "").unwrap_err();
        assert_eq!(e.get("position").unwrap().code, "required");
    }

    #[test]
    fn reasons_are_required_where_the_process_says() {
        let needs = |process, p: &str| {
            check(process, p, "  ")
                .err()
                .and_then(|e| e.get("reason").map(|e| e.code))
                == Some("reason_required")
        };
        assert!(needs(Process::Consent, "block"));
        assert!(needs(Process::Consent, "disagree"));
        assert!(!needs(Process::Consent, "agree"));
        assert!(!needs(Process::Consent, "abstain"));
        assert!(needs(Process::Consensus, "block"));
        assert!(needs(Process::Consensus, "stand_aside"));
        assert!(!needs(Process::Consensus, "agree"));
        for p in ["agree", "disagree", "abstain"] {
            assert!(!needs(Process::Vote, p));
        }
        let s = check(Process::Consent, "block", "  the budget is not there  ").unwrap();
        assert_eq!(s.position, Block);
        assert_eq!(s.reason, "the budget is not there");
    }

    #[test]
    fn reasons_are_bounded_and_plain() {
        let long = "x".repeat(MAX_REASON + 1);
        let e = check(Process::Vote, "agree", &long).unwrap_err();
        assert_eq!(e.get("reason").unwrap().code, "too_long");
        let e = check(Process::Vote, "agree", "a\u{0}b").unwrap_err();
        assert_eq!(e.get("reason").unwrap().code, "control_characters");
        assert!(check(Process::Vote, "agree", "line one\nline two").is_ok());
    }

    #[test]
    fn a_block_stops_consent_and_its_withdrawal_lets_it_pass() {
        let s = between(Process::Consent, Quorum::Majority, FIVE);
        let v = outcome(&s, &[(1, Agree), (2, Agree), (3, Block), (4, Disagree)]);
        assert_eq!(v.outcome, Outcome::NotPassed);
        assert_eq!(v.reason, Reason::Blocked);
        assert_eq!(v.tally.blocking, vec![3]);
        // Member 3's later position replaces the block.
        let v = outcome(
            &s,
            &[
                (1, Agree),
                (2, Agree),
                (3, Block),
                (4, Disagree),
                (3, Abstain),
            ],
        );
        assert_eq!(v.outcome, Outcome::Passed, "{v:?}");
        assert!(v.tally.blocking.is_empty());
        assert_eq!(v.tally.counts["disagree"], 1);
        assert_eq!(v.tally.counts["abstain"], 1);
        assert_eq!(v.tally.counts["block"], 0);
    }

    #[test]
    fn disagreeing_does_not_stop_consent() {
        let s = between(Process::Consent, Quorum::Majority, FIVE);
        let v = outcome(&s, &[(1, Disagree), (2, Disagree), (3, Agree)]);
        assert_eq!(v.outcome, Outcome::Passed);
    }

    #[test]
    fn between_meetings_the_quorum_counts_who_stated_a_position() {
        let s = between(Process::Consent, Quorum::Majority, FIVE);
        let v = outcome(&s, &[(1, Agree), (2, Abstain)]);
        assert_eq!(v.reason, Reason::NoQuorum);
        assert_eq!((v.tally.quorum_counted, v.tally.quorum_required), (2, 3));
        assert!(!v.tally.quorum_met);
        let v = outcome(&s, &[(1, Agree), (2, Abstain), (5, Abstain)]);
        assert_eq!(v.outcome, Outcome::Passed);
        assert!(v.tally.quorum_met);
        // A number, and a share rounded up.
        let s = between(Process::Consent, Quorum::Count(2), FIVE);
        assert_eq!(
            outcome(&s, &[(1, Agree), (2, Agree)]).outcome,
            Outcome::Passed
        );
        let s = between(Process::Consent, Quorum::Percent(50), FIVE);
        assert_eq!(
            outcome(&s, &[(1, Agree), (2, Agree)]).reason,
            Reason::NoQuorum
        );
    }

    #[test]
    fn in_a_meeting_the_quorum_counts_who_was_present() {
        let s = in_meeting(Process::Consent, Quorum::Majority, FIVE, &[1, 2]);
        let v = outcome(&s, &[(1, Agree), (2, Agree), (3, Agree)]);
        assert_eq!(v.reason, Reason::NoQuorum);
        assert_eq!(v.tally.quorum_counted, 2);
        // Three present; nobody else needs to state a position for consent.
        let s = in_meeting(Process::Consent, Quorum::Majority, FIVE, &[1, 2, 3]);
        assert_eq!(outcome(&s, &[(1, Agree)]).outcome, Outcome::Passed);
        // An absent member cannot block; a guest who is not a member is not counted.
        let s = in_meeting(Process::Consent, Quorum::Majority, FIVE, &[1, 2, 3, 99]);
        let v = outcome(&s, &[(1, Agree), (4, Block), (99, Block)]);
        assert_eq!(v.outcome, Outcome::Passed, "{v:?}");
        assert_eq!(v.tally.quorum_counted, 3);
    }

    #[test]
    fn positions_of_people_who_are_not_members_are_not_counted() {
        let s = between(Process::Vote, Quorum::Count(1), &[1, 2]);
        let v = outcome(&s, &[(1, Agree), (7, Disagree), (8, Disagree)]);
        assert_eq!(v.outcome, Outcome::Passed);
        assert_eq!(v.tally.counts["disagree"], 0);
    }

    #[test]
    fn consensus_needs_everyone_to_agree_or_stand_aside() {
        // Between meetings: every member.
        let s = between(Process::Consensus, Quorum::Majority, &[1, 2, 3]);
        let v = outcome(&s, &[(1, Agree), (2, StandAside), (3, Agree)]);
        assert_eq!(v.outcome, Outcome::Passed);
        assert_eq!(v.tally.counts["stand_aside"], 1);
        let v = outcome(&s, &[(1, Agree), (2, StandAside)]);
        assert_eq!(v.reason, Reason::NotAllAgree);
        assert_eq!(v.tally.missing, vec![3]);
        let v = outcome(&s, &[(1, Agree), (2, StandAside), (3, Block)]);
        assert_eq!(v.reason, Reason::Blocked);
        // In a meeting: every member present.
        let s = in_meeting(Process::Consensus, Quorum::Majority, FIVE, &[1, 2, 3]);
        let v = outcome(&s, &[(1, Agree), (2, StandAside), (3, Agree)]);
        assert_eq!(v.outcome, Outcome::Passed);
        let v = outcome(&s, &[(1, Agree), (2, StandAside)]);
        assert_eq!(v.reason, Reason::NotAllAgree);
        assert_eq!(v.tally.missing, vec![3]);
        // Everyone standing aside is still consensus.
        let s = between(Process::Consensus, Quorum::Majority, &[1, 2]);
        assert_eq!(
            outcome(&s, &[(1, StandAside), (2, StandAside)]).outcome,
            Outcome::Passed
        );
    }

    #[test]
    fn a_vote_needs_more_yes_than_no_and_a_tie_fails() {
        let s = between(Process::Vote, Quorum::Majority, FIVE);
        let v = outcome(&s, &[(1, Agree), (2, Agree), (3, Disagree), (4, Disagree)]);
        assert_eq!(v.reason, Reason::NoMajority);
        assert_eq!(v.outcome, Outcome::NotPassed);
        let v = outcome(
            &s,
            &[
                (1, Agree),
                (2, Agree),
                (3, Disagree),
                (4, Abstain),
                (5, Abstain),
            ],
        );
        assert_eq!(v.outcome, Outcome::Passed, "abstentions are not votes");
        let v = outcome(&s, &[(1, Abstain), (2, Abstain), (3, Abstain)]);
        assert_eq!(v.reason, Reason::NoMajority, "no yes votes at all");
        assert_eq!(v.tally.quorum_counted, 3);
    }

    #[test]
    fn a_body_without_members_never_decides() {
        for p in [Process::Consent, Process::Consensus, Process::Vote] {
            let v = outcome(&between(p, Quorum::Majority, &[]), &[(1, Agree)]);
            assert_eq!(v.reason, Reason::NoQuorum);
        }
    }

    #[test]
    fn a_tally_reads_back_as_written() {
        let s = between(Process::Consent, Quorum::Majority, FIVE);
        let v = outcome(&s, &[(1, Agree), (2, Agree), (3, Block)]);
        let json = serde_json::to_string(&v.tally).unwrap();
        let back: Tally = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v.tally);
        assert_eq!(Outcome::parse("not_passed"), Some(Outcome::NotPassed));
        assert_eq!(Reason::parse("no_quorum"), Some(Reason::NoQuorum));
    }
}
