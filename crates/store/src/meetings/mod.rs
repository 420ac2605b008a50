//! Persistence of the meetings module. Series, meetings, agenda items,
//! decisions and action items are registry records (`crate::records`); what
//! a meeting accumulates is kept by the submodules here, each write audited.
//!
//! - [`calendar`]: scheduling a series (its meetings created in one
//!   transaction), occurrences and exceptions, what a calendar feed holds, the
//!   feeds' secret tokens, and the cadence warning.
//! - [`room`]: agendas in order, attendance and guests, quorum, minutes'
//!   versions and their approval, stipends accrued.
//! - [`decisions`]: positions and their history, closing a decision, the
//!   register, action items (a member's own list, overdue ones).
//! - [`demo`]: a year of the Kiryat Malachi Forum and Steering Committee.

pub mod calendar;
pub mod decisions;
pub mod demo;
pub mod room;
