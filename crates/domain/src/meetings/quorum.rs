//! How many members make a meeting able to decide.
//!
//! A body's quorum is written as a number of members (`5`) or a share of them
//! (`50%`). A share is rounded up: half of 9 members is 5. A body without a
//! quorum of its own needs a majority: more than half of its members.

use std::fmt;

use serde::{Deserialize, Serialize};

choices!(
    /// A member's attendance at a meeting. Only `present` counts towards quorum.
    Presence { Present = "present", Excused = "excused", Absent = "absent" }
);

/// A meeting's quorum: of `members` current members, `present` were present
/// (guests do not count) and `required` are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuorumState {
    pub members: u32,
    pub present: u32,
    pub required: u32,
    pub met: bool,
}

impl QuorumState {
    pub fn of(quorum: Quorum, members: u32, present: u32) -> QuorumState {
        QuorumState {
            members,
            present,
            required: quorum.required(members),
            met: quorum.met(present, members),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quorum {
    /// At least this many members present.
    Count(u32),
    /// At least this percentage of the members (1–100), rounded up.
    Percent(u32),
    /// More than half of the members.
    Majority,
}

impl Quorum {
    /// `5` or `50%`; `None` when it is neither (empty means [`Quorum::Majority`]).
    pub fn parse(s: &str) -> Option<Quorum> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Quorum::Majority);
        }
        if let Some(p) = s.strip_suffix('%') {
            return match p.trim().parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Some(Quorum::Percent(n)),
                _ => None,
            };
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Some(Quorum::Count(n)),
            _ => None,
        }
    }

    /// The members needed when the body has `members` members.
    pub fn required(self, members: u32) -> u32 {
        match self {
            Quorum::Count(n) => n,
            Quorum::Percent(p) => (members * p).div_ceil(100),
            Quorum::Majority => members / 2 + 1,
        }
    }

    /// Whether `present` members out of `members` make a quorum.
    pub fn met(self, present: u32, members: u32) -> bool {
        members > 0 && present >= self.required(members)
    }
}

impl fmt::Display for Quorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quorum::Count(n) => write!(f, "{n}"),
            Quorum::Percent(p) => write!(f, "{p}%"),
            Quorum::Majority => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_a_share_or_a_majority() {
        assert_eq!(Quorum::parse("5"), Some(Quorum::Count(5)));
        assert_eq!(Quorum::parse(" 50 % "), Some(Quorum::Percent(50)));
        assert_eq!(Quorum::parse(""), Some(Quorum::Majority));
        for bad in ["0", "0%", "101%", "half", "-3", "2.5"] {
            assert_eq!(Quorum::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn shares_round_up_and_a_majority_is_more_than_half() {
        assert_eq!(Quorum::Percent(50).required(9), 5);
        assert_eq!(Quorum::Percent(50).required(10), 5);
        assert_eq!(Quorum::Percent(34).required(3), 2);
        assert_eq!(Quorum::Majority.required(10), 6);
        assert_eq!(Quorum::Majority.required(9), 5);
        assert!(Quorum::Majority.met(6, 10));
        assert!(!Quorum::Majority.met(5, 10));
        assert!(!Quorum::Count(3).met(0, 0));
    }

    #[test]
    fn a_meeting_state_says_present_against_needed() {
        let q = QuorumState::of(Quorum::Majority, 12, 7);
        assert_eq!((q.members, q.present, q.required, q.met), (12, 7, 7, true));
        let q = QuorumState::of(Quorum::Percent(75), 12, 8);
        assert_eq!((q.required, q.met), (9, false));
        assert_eq!(Presence::parse("excused"), Some(Presence::Excused));
        assert_eq!(Presence::parse("late"), None);
    }
}
