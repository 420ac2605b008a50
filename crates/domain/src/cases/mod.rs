//! By-name lists: the people a community serves, their status events, and the
//! figures Built for Zero reporting rests on.
//!
//! - [`events`]: status events, how they form spells (identified → housed,
//!   inactive or no longer meeting criteria), what does not fit, corrections,
//!   the cut-off, and the inactivity rule.
//! - [`person`]: a person's fields (HMIS categories), consent, and populations.
//! - [`report`]: the monthly report per list, population and month, and the
//!   balance check against last month's submitted report.
//! - [`zero`]: functional zero for veterans and for chronic homelessness.
//! - [`triage`]: the prioritisation tool (questions with weights → score).
//! - [`referrals`]: referrals and their measures, split by group, with equity
//!   gaps and small cells suppressed.
//!
//! Nothing here reads a name: every rule works on dates, kinds and flags, so no
//! error or figure that comes out of this module can carry personal data.

pub mod events;
pub mod person;
pub mod referrals;
pub mod report;
pub mod triage;
pub mod zero;
