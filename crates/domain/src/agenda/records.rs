//! The agenda's registry records: each is versioned, archived rather than
//! deleted, and audited like every other partnership record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::resource::{Column, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

/// The longest vision statement, idea or description a form accepts.
pub const MAX_STATEMENT: usize = 5000;

choices!(
    /// Where a joint objective stands. Each change of status is dated
    /// (`status_on`) and kept in the record's history.
    ObjectiveStatus {
        Proposed = "proposed",
        Agreed = "agreed",
        Active = "active",
        Achieved = "achieved",
        Dropped = "dropped",
    }
);

choices!(
    /// Moderation: nothing a visitor writes is public before a coordinator accepts it.
    IdeaStatus {
        Submitted = "submitted",
        Accepted = "accepted",
        Rejected = "rejected",
    }
);

choices!(
    /// Who brought an idea in: a member in the app, or anyone on the portal.
    IdeaSource {
        Member = "member",
        Portal = "portal",
    }
);

choices!(
    ActivityStatus {
        Planned = "planned",
        Active = "active",
        Done = "done",
        Paused = "paused",
        Dropped = "dropped",
    }
);

/// What the partnership wants to achieve, in one statement. One per
/// initiative; its history (who changed what, when) is the audit log's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vision {
    pub statement: String,
    /// The day the partners agreed it (none while it is a draft).
    pub agreed_on: Option<NaiveDate>,
    #[serde(default)]
    pub public: bool,
}

impl Resource for Vision {
    const KIND: &'static str = "vision";
    const TABLE: &'static str = "visions";
    const SCOPE: Scope = Scope::Initiative;
    const ONE_PER_INITIATIVE: bool = true;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("statement"),
            Column::opt_date("agreed_on"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let statement = p
            .opt_text("statement", MAX_STATEMENT, true)
            .unwrap_or_default();
        if statement.is_empty() && p.errors.get("statement").is_none() {
            p.errors
                .add("statement", "required", "statement is required");
        }
        let v = Self {
            statement,
            agreed_on: p.opt_date("agreed_on"),
            public: p.flag("public"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.statement.chars().take(80).collect()
    }
}

/// An area of work (Education) or a part of one (early childhood): a small tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sphere {
    pub name: String,
    /// The sphere this one is part of; none for a top-level sphere.
    pub parent_id: Option<i64>,
    pub description: String,
}

impl Resource for Sphere {
    const KIND: &'static str = "sphere";
    const TABLE: &'static str = "spheres";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::opt_int("parent_id").refers("spheres"),
            Column::text("description"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let v = Self {
            name: p.name("name", MAX_NAME),
            parent_id: p.opt_id("parent_id"),
            description: p.text("description"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// A joint objective: what the partners agree to achieve together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Objective {
    pub title: String,
    pub description: String,
    pub sphere_id: Option<i64>,
    pub status: ObjectiveStatus,
    /// The day the current status took effect.
    pub status_on: NaiveDate,
    /// The body that owns it.
    pub body_id: Option<i64>,
    /// The idea it grew from, when it did.
    #[serde(default)]
    pub idea_id: Option<i64>,
    /// UN SDG targets or indicators, dotted codes separated by commas ("4.2,4.2.1").
    #[serde(default)]
    pub sdg: String,
    #[serde(default)]
    pub public: bool,
}

impl Resource for Objective {
    const KIND: &'static str = "objective";
    const TABLE: &'static str = "objectives";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::text("description"),
            Column::opt_int("sphere_id").refers("spheres"),
            Column::text("status"),
            Column::date("status_on"),
            Column::opt_int("body_id").refers("bodies"),
            Column::opt_int("idea_id").refers("ideas"),
            Column::text("sdg"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_NAME);
        let description = p
            .opt_text("description", MAX_STATEMENT, true)
            .unwrap_or_default();
        let sphere_id = p.opt_id("sphere_id");
        let status = p.choice("status", ObjectiveStatus::parse);
        let status_on = p.date("status_on");
        let body_id = p.opt_id("body_id");
        let idea_id = p.opt_id("idea_id");
        let sdg = crate::sdg::parse_field(&mut p, "sdg");
        let public = p.flag("public");
        match (status, status_on) {
            (Some(status), Some(status_on)) => p.errors.finish(Self {
                title,
                description,
                sphere_id,
                status,
                status_on,
                body_id,
                idea_id,
                sdg,
                public,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

impl Objective {
    /// The SDG codes it is tagged with.
    pub fn sdg_codes(&self) -> Vec<&str> {
        self.sdg.split(',').filter(|c| !c.is_empty()).collect()
    }
}

/// An idea for the agenda, from a member or a resident.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Idea {
    pub title: String,
    pub description: String,
    pub status: IdeaStatus,
    pub source: IdeaSource,
    /// The member who submitted it (none for the portal: visitors stay anonymous).
    pub submitted_by: Option<i64>,
    /// The language it was written in (BCP 47), so pages can mark it.
    #[serde(default)]
    pub language: String,
}

/// The longest idea title and description the portal and the app accept.
pub const MAX_IDEA_TITLE: usize = 200;
pub const MAX_IDEA_TEXT: usize = 2000;

impl Resource for Idea {
    const KIND: &'static str = "idea";
    const TABLE: &'static str = "ideas";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::text("description"),
            Column::text("status"),
            Column::text("source"),
            Column::opt_int("submitted_by").refers("users"),
            Column::text("language"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_IDEA_TITLE);
        let description = p
            .opt_text("description", MAX_IDEA_TEXT, true)
            .unwrap_or_default();
        let status = p.choice("status", IdeaStatus::parse);
        let source = p.choice("source", IdeaSource::parse);
        let submitted_by = p.opt_id("submitted_by");
        let language = p.opt_text("language", 20, false).unwrap_or_default();
        if !language.is_empty()
            && (language.contains(',')
                || crate::partnership::normalize_languages(&language).as_deref()
                    != Some(language.as_str()))
        {
            p.errors.add(
                "language",
                "invalid_languages",
                "language must be one language code, such as es",
            );
        }
        match (status, source) {
            (Some(status), Some(source)) => p.errors.finish(Self {
                title,
                description,
                status,
                source,
                submitted_by,
                language,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// A prioritisation round over a set of ideas: each participant picks up to
/// `picks` of them between the opening and closing dates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub title: String,
    pub description: String,
    /// How many ideas a participant may pick (*k*).
    pub picks: i64,
    pub opens_on: NaiveDate,
    /// The last day ballots are taken (inclusive).
    pub closes_on: NaiveDate,
    /// The earlier round whose ideas this one revisits after the systems map.
    pub follows_round_id: Option<i64>,
    /// Results and systems map shown on the portal.
    #[serde(default)]
    pub public: bool,
}

/// The most ideas a round may ask a participant to pick.
pub const MAX_PICKS: i64 = 50;

impl Resource for Round {
    const KIND: &'static str = "round";
    const TABLE: &'static str = "rounds";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::text("description"),
            Column::int("picks"),
            Column::date("opens_on"),
            Column::date("closes_on"),
            Column::opt_int("follows_round_id").refers("rounds"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_NAME);
        let description = p.text("description");
        let picks = p.int("picks", 1, MAX_PICKS);
        let opens_on = p.date("opens_on");
        let closes_on = p.date("closes_on");
        if let (Some(o), Some(c)) = (opens_on, closes_on)
            && c < o
        {
            p.errors.add(
                "closes_on",
                "ends_before_start",
                "closes_on must not be before opens_on",
            );
        }
        let follows_round_id = p.opt_id("follows_round_id");
        let public = p.flag("public");
        match (opens_on, closes_on) {
            (Some(opens_on), Some(closes_on)) => p.errors.finish(Self {
                title,
                description,
                picks,
                opens_on,
                closes_on,
                follows_round_id,
                public,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// A piece of a work plan: who leads what, towards which objective, when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Activity {
    pub title: String,
    pub description: String,
    pub sphere_id: Option<i64>,
    pub objective_id: Option<i64>,
    /// The team (body) whose work plan it is in.
    pub body_id: Option<i64>,
    pub lead_organization_id: Option<i64>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub status: ActivityStatus,
    #[serde(default)]
    pub public: bool,
}

impl Resource for Activity {
    const KIND: &'static str = "activity";
    const TABLE: &'static str = "activities";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::text("description"),
            Column::opt_int("sphere_id").refers("spheres"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::opt_int("body_id").refers("bodies"),
            Column::opt_int("lead_organization_id").refers("organizations"),
            Column::date("start_on"),
            Column::opt_date("end_on"),
            Column::text("status"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_NAME);
        let description = p.text("description");
        let sphere_id = p.opt_id("sphere_id");
        let objective_id = p.opt_id("objective_id");
        let body_id = p.opt_id("body_id");
        let lead_organization_id = p.opt_id("lead_organization_id");
        let start_on = p.date("start_on");
        let end_on = p.opt_date("end_on");
        if let (Some(s), Some(e)) = (start_on, end_on)
            && e < s
        {
            p.errors.add(
                "end_on",
                "ends_before_start",
                "end_on must not be before start_on",
            );
        }
        let status = p.choice("status", ActivityStatus::parse);
        let public = p.flag("public");
        match (start_on, status) {
            (Some(start_on), Some(status)) => p.errors.finish(Self {
                title,
                description,
                sphere_id,
                objective_id,
                body_id,
                lead_organization_id,
                start_on,
                end_on,
                status,
                public,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// An organization contributing to an activity that another leads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contribution {
    pub activity_id: i64,
    pub organization_id: i64,
    /// What it brings ("two youth workers", "the school's hall").
    pub note: String,
}

impl Resource for Contribution {
    const KIND: &'static str = "contribution";
    const TABLE: &'static str = "contributions";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("activity_id").refers("activities"),
            Column::int("organization_id").refers("organizations"),
            Column::text("note"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let v = Self {
            activity_id: p.id("activity_id"),
            organization_id: p.id("organization_id"),
            note: p.opt_text("note", 1000, false).unwrap_or_default(),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.note.clone()
    }
}

/// A dated step of an activity. Overdue: due before today and not done.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Milestone {
    pub activity_id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

impl Resource for Milestone {
    const KIND: &'static str = "milestone";
    const TABLE: &'static str = "milestones";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("activity_id").refers("activities"),
            Column::text("title"),
            Column::date("due_on"),
            Column::opt_date("done_on"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let activity_id = p.id("activity_id");
        let title = p.name("title", MAX_NAME);
        let due_on = p.date("due_on");
        let done_on = p.opt_date("done_on");
        match due_on {
            Some(due_on) => p.errors.finish(Self {
                activity_id,
                title,
                due_on,
                done_on,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

impl Milestone {
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.done_on.is_none() && self.due_on < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_round_closes_on_or_after_it_opens_and_asks_for_at_least_one_pick() {
        let e = Round::parse(&map(&[
            ("title", "Spring"),
            ("picks", "0"),
            ("opens_on", "2026-03-10"),
            ("closes_on", "2026-03-01"),
        ]))
        .unwrap_err();
        assert!(e.get("picks").is_some());
        assert_eq!(e.get("closes_on").unwrap().code, "ends_before_start");
        let r = Round::parse(&map(&[
            ("title", "Spring"),
            ("picks", "3"),
            ("opens_on", "2026-03-01"),
            ("closes_on", "2026-03-01"),
        ]))
        .unwrap();
        assert_eq!(r.picks, 3);
    }

    #[test]
    fn a_vision_needs_a_statement_and_refuses_a_megabyte() {
        let e = Vision::parse(&map(&[("statement", "  ")])).unwrap_err();
        assert_eq!(e.get("statement").unwrap().code, "required");
        let big = "x".repeat(1 << 20);
        let e = Vision::parse(&map(&[("statement", &big)])).unwrap_err();
        assert_eq!(e.get("statement").unwrap().code, "too_long");
    }

    #[test]
    fn a_milestone_is_overdue_only_when_past_due_and_not_done() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut m = Milestone {
            activity_id: 1,
            title: "Hall booked".into(),
            due_on: d("2026-05-01"),
            done_on: None,
        };
        assert!(!m.overdue(d("2026-05-01")));
        assert!(m.overdue(d("2026-05-02")));
        m.done_on = Some(d("2026-05-03"));
        assert!(!m.overdue(d("2026-06-01")));
    }

    #[test]
    fn an_idea_keeps_its_language_as_one_code() {
        let ok = Idea::parse(&map(&[
            ("title", "Huertos escolares"),
            ("status", "submitted"),
            ("source", "portal"),
            ("language", "es"),
        ]))
        .unwrap();
        assert_eq!(ok.language, "es");
        let e = Idea::parse(&map(&[
            ("title", "x"),
            ("status", "submitted"),
            ("source", "portal"),
            ("language", "es,en"),
        ]))
        .unwrap_err();
        assert!(e.get("language").is_some());
    }
}
