//! Meetings of a partnership's bodies: series and their exceptions, agendas,
//! attendance and quorum, minutes, decisions by consent, consensus or vote,
//! action items, and the stipends that attendance accrues.
//!
//! - [`records`]: the registry records (series, meeting, agenda item, decision,
//!   action item) and how their input is read.
//! - [`recurrence`]: a series' occurrences as instants, across daylight-saving changes.
//! - [`quorum`]: how many members make a meeting able to decide.
//! - [`decision`]: positions and the outcome of each process.
//! - [`stipend`]: what attendance of paid members accrues, per person and month.
//! - [`minutes`]: the safe subset of HTML that minutes are kept in.

pub mod decision;
pub mod minutes;
pub mod quorum;
pub mod records;
pub mod recurrence;
pub mod stipend;
