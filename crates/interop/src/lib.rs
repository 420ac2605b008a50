//! Backbone's open formats.
//!
//! A partnership's data should leave Backbone in the shapes other tools already
//! read, so that a services directory, a funder or a statistics office does not
//! have to learn Backbone's own API. Each format is a module of pure functions:
//! records come in, a document in the open format comes out; nothing here reads a
//! database or writes a file.
//!
//! - [`hsds`]: the services directory as Open Referral HSDS 3.0 (organizations,
//!   services and where each service is offered).
//! - [`ical`]: calendar feeds as RFC 5545 iCalendar (series as RRULE with
//!   their exceptions, VTIMEZONE included).
//! - [`tabular`]: uploaded spreadsheets (CSV or XLSX) read into rows of text for
//!   the imports, and CSV written for exports and templates.
//!
//! - [`hmis`]: HMIS CSV FY2024 exports read into people and their status
//!   events for by-name lists, or refused with every error located.
//!
//! Next: OCDS and 360Giving.

pub mod hmis;
pub mod hsds;
pub mod ical;
pub mod tabular;
