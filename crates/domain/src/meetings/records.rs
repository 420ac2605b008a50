//! The meetings module's registry records: series of meetings, meetings,
//! agenda items, decisions and action items. Each is versioned and audited like
//! every registry record; what a meeting accumulates (attendance, minutes'
//! versions, positions on a decision, outcomes) lives in plain rows written by
//! the module's own store path.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::resource::{Column, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

/// Longest agenda item description, proposal, outcome statement or notes
/// (as every description: [`crate::validation::MAX_TEXT`]).
pub const MAX_LONG_TEXT: usize = crate::validation::MAX_TEXT;
/// A series spans at most this many years.
pub const MAX_SERIES_YEARS: i32 = 10;

/// The form a local wall-clock time is written in: `2025-01-09T18:00`.
pub const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// Read a local wall-clock time (`2025-01-09T18:00`, seconds allowed and dropped).
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, LOCAL_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()
        .and_then(|t| t.with_second_truncated())
}

trait Truncate {
    fn with_second_truncated(self) -> Option<NaiveDateTime>;
}
impl Truncate for NaiveDateTime {
    fn with_second_truncated(self) -> Option<NaiveDateTime> {
        use chrono::Timelike;
        self.with_second(0)
    }
}

pub fn format_local(t: NaiveDateTime) -> String {
    t.format(LOCAL_FORMAT).to_string()
}

/// An IANA time zone name Backbone knows (`Asia/Jerusalem`, `Europe/London`).
pub fn parse_time_zone(s: &str) -> Option<chrono_tz::Tz> {
    s.trim().parse::<chrono_tz::Tz>().ok()
}

fn local_field(p: &mut Parser, input: &FieldMap, field: &str) -> Option<NaiveDateTime> {
    let raw = input.get(field).map(|s| s.trim()).unwrap_or("");
    if raw.is_empty() {
        p.errors
            .add(field, "required", format!("{field} is required"));
        return None;
    }
    match parse_local(raw) {
        Some(t) => Some(t),
        None => {
            p.errors.add(
                field,
                "invalid_datetime",
                format!("{field} must be a local date and time as YYYY-MM-DDTHH:MM"),
            );
            None
        }
    }
}

fn time_zone_field(p: &mut Parser, input: &FieldMap) -> String {
    let raw = input.get("time_zone").map(|s| s.trim()).unwrap_or("");
    if raw.is_empty() {
        p.errors
            .add("time_zone", "required", "time_zone is required");
        return String::new();
    }
    match parse_time_zone(raw) {
        Some(tz) => tz.name().to_string(),
        None => {
            p.errors.add(
                "time_zone",
                "unknown_time_zone",
                "time_zone must be an IANA time zone name such as Asia/Jerusalem or Europe/London",
            );
            String::new()
        }
    }
}

choices!(
    /// Where a meeting stands.
    MeetingStatus { Planned = "planned", Held = "held", Cancelled = "cancelled" }
);
choices!(
    /// How a body decides a proposal.
    Process { Consent = "consent", Consensus = "consensus", Vote = "vote" }
);
choices!(
    /// Where an action item stands.
    ActionStatus { Open = "open", Done = "done", Dropped = "dropped" }
);

/// A recurring meeting of a body: the first occurrence's local start, its
/// length, the time zone the wall-clock time is kept in, and every how many
/// weeks it recurs until a last day. Creating a series creates its meetings;
/// a meeting moved or cancelled is an exception of the series.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeetingSeries {
    pub body_id: i64,
    pub title: String,
    /// Local wall-clock time of the first occurrence (`2025-01-09T18:00`).
    pub first_start: String,
    pub duration_minutes: i64,
    pub time_zone: String,
    pub interval_weeks: i64,
    /// The last day an occurrence may fall on.
    pub until: NaiveDate,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online_url: Option<String>,
}

impl MeetingSeries {
    pub fn first_start_local(&self) -> NaiveDateTime {
        parse_local(&self.first_start).expect("a stored series has a valid first_start")
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        parse_time_zone(&self.time_zone).expect("a stored series has a known time zone")
    }
}

impl Resource for MeetingSeries {
    const KIND: &'static str = "meeting_series";
    const TABLE: &'static str = "meeting_series";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("body_id").refers("bodies"),
            Column::text("title"),
            Column::text("first_start"),
            Column::int("duration_minutes"),
            Column::text("time_zone"),
            Column::int("interval_weeks"),
            Column::date("until"),
            Column::text("place"),
            Column::opt_text("online_url"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let body_id = p.id("body_id");
        let title = p.name("title", MAX_NAME);
        let first = local_field(&mut p, input, "first_start");
        let duration_minutes = p.int("duration_minutes", 5, 24 * 60);
        let time_zone = time_zone_field(&mut p, input);
        let interval_weeks = p.int("interval_weeks", 1, 8);
        let until = p.date("until");
        if let (Some(first), Some(until)) = (first, until) {
            if until < first.date() {
                p.errors.add(
                    "until",
                    "ends_before_start",
                    "until must not be before the first meeting",
                );
            } else if until > add_years(first.date(), MAX_SERIES_YEARS) {
                p.errors.add(
                    "until",
                    "too_long",
                    format!("a series spans at most {MAX_SERIES_YEARS} years"),
                );
            }
        }
        let place = p.opt_text("place", MAX_NAME, false).unwrap_or_default();
        let online_url = p.opt_url("online_url");
        match (first, until) {
            (Some(first), Some(until)) => p.errors.finish(Self {
                body_id,
                title,
                first_start: format_local(first),
                duration_minutes,
                time_zone,
                interval_weeks,
                until,
                place,
                online_url,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(12 * years as u32))
        .unwrap_or(NaiveDate::MAX)
}

/// One meeting of a body. Times are local wall-clock times in `time_zone`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meeting {
    pub body_id: i64,
    pub title: String,
    /// `2025-01-09T18:00`, local to `time_zone`.
    pub starts_at: String,
    pub ends_at: String,
    pub time_zone: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online_url: Option<String>,
    pub status: MeetingStatus,
}

impl Meeting {
    pub fn start_local(&self) -> NaiveDateTime {
        parse_local(&self.starts_at).expect("a stored meeting has a valid start")
    }
    pub fn end_local(&self) -> NaiveDateTime {
        parse_local(&self.ends_at).expect("a stored meeting has a valid end")
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        parse_time_zone(&self.time_zone).expect("a stored meeting has a known time zone")
    }
}

impl Resource for Meeting {
    const KIND: &'static str = "meeting";
    const TABLE: &'static str = "meetings";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("body_id").refers("bodies"),
            Column::text("title"),
            Column::text("starts_at"),
            Column::text("ends_at"),
            Column::text("time_zone"),
            Column::text("place"),
            Column::opt_text("online_url"),
            Column::text("status"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let body_id = p.id("body_id");
        let title = p.name("title", MAX_NAME);
        let start = local_field(&mut p, input, "starts_at");
        let end = local_field(&mut p, input, "ends_at");
        let time_zone = time_zone_field(&mut p, input);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            p.errors.add(
                "ends_at",
                "ends_before_start",
                "ends_at must be after starts_at",
            );
        }
        let place = p.opt_text("place", MAX_NAME, false).unwrap_or_default();
        let online_url = p.opt_url("online_url");
        let status = p.choice("status", MeetingStatus::parse);
        match (start, end, status) {
            (Some(s), Some(e), Some(status)) => p.errors.finish(Self {
                body_id,
                title,
                starts_at: format_local(s),
                ends_at: format_local(e),
                time_zone,
                place,
                online_url,
                status,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        format!("{} {}", self.title, self.starts_at.replace('T', " "))
    }
}

/// One item of a meeting's agenda, in `position` order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgendaItem {
    pub meeting_id: i64,
    pub position: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub presenter_person_id: Option<i64>,
    #[serde(default)]
    pub minutes_allotted: Option<i64>,
    #[serde(default)]
    pub objective_id: Option<i64>,
    #[serde(default)]
    pub indicator_id: Option<i64>,
    #[serde(default)]
    pub activity_id: Option<i64>,
}

impl Resource for AgendaItem {
    const KIND: &'static str = "agenda_item";
    const TABLE: &'static str = "agenda_items";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("meeting_id").refers("meetings"),
            Column::int("position"),
            Column::text("title"),
            Column::text("description"),
            Column::opt_int("presenter_person_id").refers("people"),
            Column::opt_int("minutes_allotted"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::opt_int("indicator_id").refers("indicators"),
            Column::opt_int("activity_id").refers("activities"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let meeting_id = p.id("meeting_id");
        let position = p.int("position", 1, 1000);
        let title = p.name("title", MAX_NAME);
        let description = p
            .opt_text("description", MAX_LONG_TEXT, true)
            .unwrap_or_default();
        let presenter_person_id = p.opt_id("presenter_person_id");
        let minutes_allotted = p.opt_int("minutes_allotted", 1, 24 * 60);
        let objective_id = p.opt_id("objective_id");
        let indicator_id = p.opt_id("indicator_id");
        let activity_id = p.opt_id("activity_id");
        p.errors.finish(Self {
            meeting_id,
            position,
            title,
            description,
            presenter_person_id,
            minutes_allotted,
            objective_id,
            indicator_id,
            activity_id,
        })
    }
    fn label(&self) -> String {
        format!("{}. {}", self.position, self.title)
    }
}

/// A proposal put to a body, in a meeting or between meetings. Positions on it
/// and its outcome are rows of their own (`decision_positions`,
/// `decision_outcomes`): an edit of the proposal cannot change a tally.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    pub body_id: i64,
    /// The meeting it is taken in; none when it is taken between meetings.
    #[serde(default)]
    pub meeting_id: Option<i64>,
    pub title: String,
    pub proposal: String,
    pub process: Process,
    /// Between meetings: the last day positions are taken.
    #[serde(default)]
    pub closes_on: Option<NaiveDate>,
    /// What was decided, in words.
    #[serde(default)]
    pub outcome_statement: String,
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
    #[serde(default)]
    pub objective_id: Option<i64>,
    #[serde(default)]
    pub budget_line_id: Option<i64>,
    #[serde(default)]
    pub activity_id: Option<i64>,
    /// Shown in the portal's decision register once decided.
    #[serde(default)]
    pub public: bool,
}

impl Resource for Decision {
    const KIND: &'static str = "decision";
    const TABLE: &'static str = "decisions";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("body_id").refers("bodies"),
            Column::opt_int("meeting_id").refers("meetings"),
            Column::text("title"),
            Column::text("proposal"),
            Column::text("process"),
            Column::opt_date("closes_on"),
            Column::text("outcome_statement"),
            Column::opt_date("review_on"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::opt_int("budget_line_id").refers("budget_lines"),
            Column::opt_int("activity_id").refers("activities"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let body_id = p.id("body_id");
        let meeting_id = p.opt_id("meeting_id");
        let title = p.name("title", MAX_NAME);
        let proposal = match p.opt_text("proposal", MAX_LONG_TEXT, true) {
            Some(s) => s,
            None => {
                if p.errors.get("proposal").is_none() {
                    p.errors.add("proposal", "required", "proposal is required");
                }
                String::new()
            }
        };
        let process = p.choice("process", Process::parse);
        let closes_on = p.opt_date("closes_on");
        let outcome_statement = p
            .opt_text("outcome_statement", MAX_LONG_TEXT, true)
            .unwrap_or_default();
        let review_on = p.opt_date("review_on");
        let objective_id = p.opt_id("objective_id");
        let budget_line_id = p.opt_id("budget_line_id");
        let activity_id = p.opt_id("activity_id");
        let public = p.flag("public");
        match process {
            Some(process) => p.errors.finish(Self {
                body_id,
                meeting_id,
                title,
                proposal,
                process,
                closes_on,
                outcome_statement,
                review_on,
                objective_id,
                budget_line_id,
                activity_id,
                public,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// Something someone agreed to do, from a meeting or a decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionItem {
    pub body_id: i64,
    pub title: String,
    #[serde(default)]
    pub meeting_id: Option<i64>,
    #[serde(default)]
    pub decision_id: Option<i64>,
    #[serde(default)]
    pub owner_person_id: Option<i64>,
    #[serde(default)]
    pub owner_organization_id: Option<i64>,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    #[serde(default)]
    pub notes: String,
}

impl Resource for ActionItem {
    const KIND: &'static str = "action_item";
    const TABLE: &'static str = "action_items";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("body_id").refers("bodies"),
            Column::text("title"),
            Column::opt_int("meeting_id").refers("meetings"),
            Column::opt_int("decision_id").refers("decisions"),
            Column::opt_int("owner_person_id").refers("people"),
            Column::opt_int("owner_organization_id").refers("organizations"),
            Column::date("due_on"),
            Column::text("status"),
            Column::text("notes"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let body_id = p.id("body_id");
        let title = p.name("title", MAX_NAME);
        let meeting_id = p.opt_id("meeting_id");
        let decision_id = p.opt_id("decision_id");
        let owner_person_id = p.opt_id("owner_person_id");
        let owner_organization_id = p.opt_id("owner_organization_id");
        if owner_person_id.is_none()
            && owner_organization_id.is_none()
            && p.errors.get("owner_person_id").is_none()
            && p.errors.get("owner_organization_id").is_none()
        {
            p.errors.add(
                "owner_person_id",
                "owner_required",
                "an action item needs an owner: a person or an organization",
            );
        }
        let due_on = p.date("due_on");
        let status = p.choice("status", ActionStatus::parse);
        let notes = p.opt_text("notes", MAX_LONG_TEXT, true).unwrap_or_default();
        match (due_on, status) {
            (Some(due_on), Some(status)) => p.errors.finish(Self {
                body_id,
                title,
                meeting_id,
                decision_id,
                owner_person_id,
                owner_organization_id,
                due_on,
                status,
                notes,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_meeting_ending_before_it_starts_is_refused_by_field() {
        let e = Meeting::parse(&fields(&[
            ("body_id", "1"),
            ("title", "Forum"),
            ("starts_at", "2025-03-06T18:00"),
            ("ends_at", "2025-03-06T17:00"),
            ("time_zone", "Asia/Jerusalem"),
            ("status", "planned"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("ends_at").unwrap().code, "ends_before_start");
    }

    #[test]
    fn an_unknown_time_zone_is_named() {
        let e = Meeting::parse(&fields(&[
            ("body_id", "1"),
            ("title", "Forum"),
            ("starts_at", "2025-03-06T18:00"),
            ("ends_at", "2025-03-06T19:00"),
            ("time_zone", "Mars/Olympus"),
            ("status", "planned"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("time_zone").unwrap().code, "unknown_time_zone");
    }

    #[test]
    fn local_times_are_kept_to_the_minute() {
        assert_eq!(
            format_local(parse_local("2025-03-06T18:00:59").unwrap()),
            "2025-03-06T18:00"
        );
        assert!(parse_local("2025-02-30T18:00").is_none());
    }

    #[test]
    fn a_series_spans_at_most_ten_years() {
        let e = MeetingSeries::parse(&fields(&[
            ("body_id", "1"),
            ("title", "Steering Committee"),
            ("first_start", "2025-01-09T18:00"),
            ("duration_minutes", "90"),
            ("time_zone", "Asia/Jerusalem"),
            ("interval_weeks", "2"),
            ("until", "2036-01-09"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("until").unwrap().code, "too_long");
    }

    #[test]
    fn an_action_item_needs_an_owner() {
        let e = ActionItem::parse(&fields(&[
            ("body_id", "1"),
            ("title", "Draft the budget"),
            ("due_on", "2025-03-01"),
            ("status", "open"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("owner_person_id").unwrap().code, "owner_required");
    }
}
