//! The partnership registry: who is at the table, in which body, how often it meets.
//!
//! Seed 000 (Kiryat Malachi) gives the shape: a Local Administration of all sectors
//! chaired by the mayor, an Administration Forum of about 30 people meeting every
//! four to six weeks, a Steering Committee every two to three weeks, a coordinator
//! employed by an outside body, and five stages from administration to joint
//! measurement.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::resource::{Class, Column, Duplicate, Resource, Scope};
use crate::translations::Translations;
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser, format_hundredths};

choices!(
    /// The sectors a collective impact partnership brings together.
    Sector {
        LocalGovernment = "local_government",
        NationalGovernment = "national_government",
        CivilSociety = "civil_society",
        SocialEnterprise = "social_enterprise",
        Philanthropy = "philanthropy",
        Business = "business",
        Academia = "academia",
        ResidentsGroup = "residents_group",
    }
);

choices!(
    /// Kinds of governing body.
    BodyKind {
        Assembly = "assembly",
        SteeringCommittee = "steering_committee",
        AdvisoryBoard = "advisory_board",
        ActionTeam = "action_team",
        WorkingGroup = "working_group",
    }
);

choices!(
    /// A member's position in a body.
    Position {
        Chair = "chair",
        ViceChair = "vice_chair",
        Coordinator = "coordinator",
        Member = "member",
        Observer = "observer",
    }
);

choices!(
    /// The five stages of seed 000, in order.
    Stage {
        Administration = "administration",
        DataCollection = "data_collection",
        JointObjectives = "joint_objectives",
        WorkPlans = "work_plans",
        JointMeasurement = "joint_measurement",
    }
);

choices!(
    ServiceStatus {
        Active = "active",
        Inactive = "inactive",
        Defunct = "defunct",
        TemporarilyClosed = "temporarily closed",
    }
);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    pub slug: String,
    pub description: String,
}

impl Resource for Network {
    const KIND: &'static str = "network";
    const TABLE: &'static str = "networks";
    const SCOPE: Scope = Scope::Global;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::text("slug").unique(),
            Column::text("description"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let v = Self {
            name: p.name("name", MAX_NAME),
            slug: p.slug("slug"),
            description: p.text("description"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Initiative {
    pub name: String,
    pub slug: String,
    pub place: String,
    /// Languages the initiative works in, as BCP 47 codes separated by commas ("he,en").
    pub languages: String,
    pub description: String,
    pub network_id: Option<i64>,
    /// Its public portal is published (a coordinator's choice).
    #[serde(default)]
    pub public: bool,
    /// IANA time zone its moments are shown in (`Asia/Jerusalem`); none: UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// ISO 4217 code money is counted in unless a record says otherwise
    /// (the default of every currency field); none: no default.
    #[serde(default)]
    pub currency: Option<String>,
    /// Its translatable fields in the initiative's other languages.
    #[serde(default)]
    pub translations: crate::translations::Translations,
}

impl Initiative {
    /// The language its records' main texts are in: the first it declares.
    pub fn first_language(&self) -> &str {
        self.languages.split(',').next().unwrap_or("").trim()
    }

    /// The time zone its moments are shown in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone
            .as_deref()
            .and_then(crate::meetings::records::parse_time_zone)
            .unwrap_or(chrono_tz::UTC)
    }
}

impl Resource for Initiative {
    const KIND: &'static str = "initiative";
    const TABLE: &'static str = "initiatives";
    const SCOPE: Scope = Scope::Global;
    const TRANSLATABLE: &'static [&'static str] = &["name", "description"];
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::text("slug").unique(),
            Column::text("place"),
            Column::text("languages"),
            Column::text("description"),
            Column::opt_int("network_id")
                .refers("networks")
                .class(Class::Placement),
            Column::boolean("public"),
            Column::opt_text("time_zone"),
            Column::opt_text("currency"),
            Column::translations(),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let slug = p.slug("slug");
        let place = p.name("place", MAX_NAME);
        let time_zone = p.opt_text("time_zone", 64, false);
        let time_zone = match time_zone {
            Some(tz) => match crate::meetings::records::parse_time_zone(&tz) {
                Some(z) => Some(z.name().to_string()),
                None => {
                    p.errors.add(
                        "time_zone",
                        "unknown_time_zone",
                        "time_zone must be an IANA time zone name such as Asia/Jerusalem or Europe/London",
                    );
                    None
                }
            },
            None => None,
        };
        let languages = p
            .opt_text("languages", 100, false)
            .unwrap_or_else(|| "en".into());
        let languages = normalize_languages(&languages).unwrap_or_else(|| {
            p.errors.add(
                "languages",
                "invalid_languages",
                "languages must be language codes separated by commas, such as he,en",
            );
            String::new()
        });
        let v = Self {
            name,
            slug,
            place,
            languages,
            description: p.text("description"),
            network_id: p.opt_id("network_id"),
            public: p.flag("public"),
            time_zone,
            currency: p.opt_currency("currency"),
            translations: Translations::parse(input, Self::TRANSLATABLE, &mut p.errors),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// "he, EN ,am" → "he,en,am"; `None` when a code is not a language tag.
pub fn normalize_languages(s: &str) -> Option<String> {
    let codes: Vec<String> = s
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let ok = !codes.is_empty()
        && codes.iter().all(|c| {
            let mut parts = c.split('-');
            let lang = parts.next().unwrap_or("");
            (2..=3).contains(&lang.len())
                && lang.bytes().all(|b| b.is_ascii_lowercase())
                && parts.all(|p| {
                    (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
                })
        });
    ok.then(|| codes.join(","))
}

/// A key fact about the place, with where it comes from: "population 23,500 (2016)".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
    pub source: String,
    pub year: Option<i64>,
    /// Shown on the public portal.
    #[serde(default)]
    pub public: bool,
}

impl Resource for Fact {
    const KIND: &'static str = "fact";
    const TABLE: &'static str = "facts";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("label"),
            Column::text("value"),
            Column::text("source"),
            Column::opt_int("year"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let v = Self {
            label: p.name("label", MAX_NAME),
            value: p.name("value", MAX_NAME),
            source: p.opt_text("source", 500, false).unwrap_or_default(),
            year: p.opt_int("year", 1800, 2200),
            public: p.flag("public"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.label.clone()
    }
}

/// The date an initiative reached one of the five stages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageReached {
    pub stage: Stage,
    pub reached_on: NaiveDate,
    pub note: String,
    /// Shown on the public portal.
    #[serde(default)]
    pub public: bool,
}

impl Resource for StageReached {
    const KIND: &'static str = "stage";
    const TABLE: &'static str = "stages";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("stage").unique(),
            Column::date("reached_on"),
            Column::text("note"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let stage = p.choice("stage", Stage::parse);
        let reached_on = p.date("reached_on");
        let note = p.opt_text("note", 1000, true).unwrap_or_default();
        let public = p.flag("public");
        match (stage, reached_on) {
            (Some(stage), Some(reached_on)) => p.errors.finish(Self {
                stage,
                reached_on,
                note,
                public,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.stage.as_str().to_string()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organization {
    pub name: String,
    pub sector: Sector,
    /// org-id style identifier, e.g. `IL-RA-580123456`.
    pub identifier: Option<String>,
    pub website: Option<String>,
    pub description: String,
    /// Its translatable fields in the initiative's other languages.
    #[serde(default)]
    pub translations: crate::translations::Translations,
}

impl Resource for Organization {
    const KIND: &'static str = "organization";
    const TABLE: &'static str = "organizations";
    const SCOPE: Scope = Scope::Initiative;
    const TRANSLATABLE: &'static [&'static str] = &["name", "description"];
    fn duplicates() -> &'static [Duplicate] {
        &[Duplicate::FoldedName("name")]
    }
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::text("sector"),
            Column::opt_text("identifier").unique(),
            Column::opt_text("website"),
            Column::text("description"),
            Column::translations(),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let translations = Translations::parse(input, Self::TRANSLATABLE, &mut p.errors);
        let sector = p.choice("sector", Sector::parse);
        let identifier = p.opt_org_identifier("identifier");
        let website = p.opt_url("website");
        let description = p.text("description");
        match sector {
            Some(sector) => p.errors.finish(Self {
                name,
                sector,
                identifier,
                website,
                description,
                translations,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn owner(&self, id: Option<i64>) -> Option<i64> {
        id
    }
}

/// A person at the table. Contact details are never shown on public pages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The user account of this person, when they have one.
    pub user_id: Option<i64>,
    /// The day this person agreed to be named on the public portal; without
    /// it, the portal never names them.
    #[serde(default)]
    pub public_name_consent_on: Option<NaiveDate>,
}

impl Resource for Person {
    const KIND: &'static str = "person";
    const TABLE: &'static str = "people";
    const SCOPE: Scope = Scope::Initiative;
    fn duplicates() -> &'static [Duplicate] {
        &[Duplicate::SameText("email")]
    }
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::opt_text("email").class(Class::Contact),
            Column::opt_text("phone").class(Class::Contact),
            Column::opt_int("user_id").refers("users"),
            Column::opt_date("public_name_consent_on"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let email = p.opt_email("email");
        let phone = p.opt_text("phone", 40, false);
        if let Some(ph) = &phone
            && !ph
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
        {
            p.errors.add(
                "phone",
                "invalid_phone",
                "phone may only contain digits, spaces and + - ( ) . /",
            );
        }
        let v = Self {
            name,
            email,
            phone,
            user_id: p.opt_id("user_id"),
            public_name_consent_on: p.opt_date("public_name_consent_on"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// A governing body: forum, steering committee, advisory board, action team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Body {
    pub name: String,
    pub kind: BodyKind,
    pub purpose: String,
    /// It meets every `cadence_min_days`–`cadence_max_days` days (14–21: every two to three weeks).
    pub cadence_min_days: i64,
    pub cadence_max_days: i64,
    /// Shown on the public portal, with the organizations at its table.
    #[serde(default)]
    pub public: bool,
    /// How many members make a meeting able to decide: `5` or `50%`; none
    /// means a majority (see [`crate::meetings::quorum`]).
    #[serde(default)]
    pub quorum: Option<String>,
    /// How many days before a meeting its agenda is sent to the members
    /// (none: [`DEFAULT_AGENDA_NOTICE_DAYS`]).
    #[serde(default)]
    pub agenda_notice_days: Option<i64>,
    /// Its translatable fields in the initiative's other languages.
    #[serde(default)]
    pub translations: crate::translations::Translations,
}

/// Agendas go out this many days before a meeting unless the body says otherwise.
pub const DEFAULT_AGENDA_NOTICE_DAYS: i64 = 5;

impl Body {
    pub fn quorum(&self) -> crate::meetings::quorum::Quorum {
        crate::meetings::quorum::Quorum::parse(self.quorum.as_deref().unwrap_or(""))
            .unwrap_or(crate::meetings::quorum::Quorum::Majority)
    }
    pub fn agenda_notice_days(&self) -> i64 {
        self.agenda_notice_days
            .unwrap_or(DEFAULT_AGENDA_NOTICE_DAYS)
    }
}

impl Resource for Body {
    const KIND: &'static str = "body";
    const TABLE: &'static str = "bodies";
    const SCOPE: Scope = Scope::Initiative;
    const TRANSLATABLE: &'static [&'static str] = &["name", "purpose"];
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::text("kind"),
            Column::text("purpose"),
            Column::int("cadence_min_days"),
            Column::int("cadence_max_days"),
            Column::boolean("public"),
            Column::opt_text("quorum"),
            Column::opt_int("agenda_notice_days"),
            Column::translations(),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let kind = p.choice("kind", BodyKind::parse);
        let quorum = p.opt_text("quorum", 10, false);
        let quorum = match quorum
            .as_deref()
            .map(crate::meetings::quorum::Quorum::parse)
        {
            None => None,
            Some(Some(q)) => Some(q.to_string()).filter(|s| !s.is_empty()),
            Some(None) => {
                p.errors.add(
                    "quorum",
                    "invalid_quorum",
                    "quorum must be a number of members (5) or a share of them (50%)",
                );
                None
            }
        };
        let agenda_notice_days = p.opt_int("agenda_notice_days", 0, 60);
        let purpose = p.text("purpose");
        let min = p.int("cadence_min_days", 1, 366);
        let max = p.int("cadence_max_days", 1, 366);
        if p.errors.get("cadence_min_days").is_none()
            && p.errors.get("cadence_max_days").is_none()
            && min > max
        {
            p.errors.add(
                "cadence_max_days",
                "min_greater_than_max",
                "cadence_max_days must not be less than cadence_min_days",
            );
        }
        let public = p.flag("public");
        let translations = Translations::parse(input, Self::TRANSLATABLE, &mut p.errors);
        match kind {
            Some(kind) => p.errors.finish(Self {
                name,
                kind,
                purpose,
                cadence_min_days: min,
                cadence_max_days: max,
                public,
                quorum,
                agenda_notice_days,
                translations,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// A person's seat on a body, representing an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub body_id: i64,
    pub person_id: i64,
    pub organization_id: Option<i64>,
    pub position: Position,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Stipend for residents paid for their expertise, in hundredths per hour.
    pub stipend_hourly_cents: Option<i64>,
    /// ISO 4217 code of the stipend.
    pub stipend_currency: Option<String>,
}

impl Resource for Membership {
    const KIND: &'static str = "membership";
    const TABLE: &'static str = "memberships";
    const SCOPE: Scope = Scope::Initiative;
    fn duplicates() -> &'static [Duplicate] {
        &[Duplicate::OverlappingTerm {
            same: &["body_id", "person_id"],
            start: "start_date",
            end: "end_date",
        }]
    }
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("body_id").refers("bodies"),
            Column::int("person_id").refers("people"),
            Column::opt_int("organization_id").refers("organizations"),
            Column::text("position"),
            Column::date("start_date"),
            Column::opt_date("end_date"),
            Column::opt_int("stipend_hourly_cents").class(Class::Pay),
            Column::opt_text("stipend_currency").class(Class::Pay),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let body_id = p.id("body_id");
        let person_id = p.id("person_id");
        let organization_id = p.opt_id("organization_id");
        let position = p.choice("position", Position::parse);
        let start_date = p.date("start_date");
        let end_date = p.opt_date("end_date");
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            p.errors.add(
                "end_date",
                "ends_before_start",
                "end_date must not be before start_date",
            );
        }
        // Forms send the rate as a decimal; the JSON API may send hundredths directly.
        let stipend_hourly_cents = match input
            .get("stipend_hourly_cents")
            .filter(|s| !s.trim().is_empty())
        {
            Some(_) => p.opt_int("stipend_hourly_cents", 0, 100_000_000),
            None => p.opt_money("stipend_rate"),
        };
        let currency = p
            .opt_text("stipend_currency", 3, false)
            .map(|c| c.to_ascii_uppercase());
        if let Some(c) = &currency
            && (c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            p.errors.add(
                "stipend_currency",
                "invalid_currency",
                "stipend_currency must be a three-letter code such as ILS or USD",
            );
        }
        if stipend_hourly_cents.is_some()
            && currency.is_none()
            && p.errors.get("stipend_currency").is_none()
        {
            p.errors.add(
                "stipend_currency",
                "required",
                "stipend_currency is required with a stipend",
            );
        }
        match (position, start_date) {
            (Some(position), Some(start_date)) => p.errors.finish(Self {
                body_id,
                person_id,
                organization_id,
                position,
                start_date,
                end_date,
                stipend_hourly_cents,
                stipend_currency: stipend_hourly_cents.and(currency),
            }),
            _ => Err(p.errors),
        }
    }
    fn to_fields(&self) -> FieldMap {
        let mut m = FieldMap::new();
        m.insert("body_id".into(), self.body_id.to_string());
        m.insert("person_id".into(), self.person_id.to_string());
        m.insert(
            "organization_id".into(),
            self.organization_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
        m.insert("position".into(), self.position.as_str().into());
        m.insert("start_date".into(), self.start_date.to_string());
        m.insert(
            "end_date".into(),
            self.end_date.map(|d| d.to_string()).unwrap_or_default(),
        );
        m.insert(
            "stipend_rate".into(),
            self.stipend_hourly_cents
                .map(format_hundredths)
                .unwrap_or_default(),
        );
        m.insert(
            "stipend_currency".into(),
            self.stipend_currency.clone().unwrap_or_default(),
        );
        m
    }
    fn label(&self) -> String {
        self.position.as_str().to_string()
    }
}

impl Membership {
    /// Whether the seat is held on `day` (start inclusive, end inclusive).
    pub fn is_current(&self, day: NaiveDate) -> bool {
        self.start_date <= day && self.end_date.is_none_or(|e| e >= day)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    pub organization_id: i64,
    pub name: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Its translatable fields in the initiative's other languages.
    #[serde(default)]
    pub translations: crate::translations::Translations,
}

impl Resource for Location {
    const KIND: &'static str = "location";
    const TABLE: &'static str = "locations";
    const SCOPE: Scope = Scope::Initiative;
    const TRANSLATABLE: &'static [&'static str] = &["name"];
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("organization_id").refers("organizations"),
            Column::text("name"),
            Column::text("address"),
            Column::text("city"),
            Column::text("postal_code"),
            Column::text("country"),
            Column::translations(),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let organization_id = p.id("organization_id");
        let name = p.name("name", MAX_NAME);
        let address = p.name("address", MAX_NAME);
        let city = p.name("city", MAX_NAME);
        let postal_code = p.opt_text("postal_code", 20, false).unwrap_or_default();
        let country = p.name("country", 2).to_ascii_uppercase();
        if !country.is_empty()
            && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
        {
            p.errors.add(
                "country",
                "invalid_country",
                "country must be a two-letter ISO 3166 code such as IL",
            );
        }
        let translations = Translations::parse(input, Self::TRANSLATABLE, &mut p.errors);
        p.errors.finish(Self {
            organization_id,
            name,
            address,
            city,
            postal_code,
            country,
            translations,
        })
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn owner(&self, _id: Option<i64>) -> Option<i64> {
        Some(self.organization_id)
    }
}

/// A service a partner organization offers, at one of its locations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub organization_id: i64,
    pub location_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub url: Option<String>,
    pub email: Option<String>,
    pub status: ServiceStatus,
    /// Its translatable fields in the initiative's other languages.
    #[serde(default)]
    pub translations: crate::translations::Translations,
}

impl Resource for Service {
    const KIND: &'static str = "service";
    const TABLE: &'static str = "services";
    const SCOPE: Scope = Scope::Initiative;
    const TRANSLATABLE: &'static [&'static str] = &["name", "description"];
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::int("organization_id").refers("organizations"),
            Column::opt_int("location_id").refers("locations"),
            Column::text("name"),
            Column::text("description"),
            Column::opt_text("url"),
            Column::opt_text("email"),
            Column::text("status"),
            Column::translations(),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let organization_id = p.id("organization_id");
        let location_id = p.opt_id("location_id");
        let name = p.name("name", MAX_NAME);
        let description = p.text("description");
        let url = p.opt_url("url");
        let email = p.opt_email("email");
        let mut status_input = input.clone();
        status_input
            .entry("status".into())
            .or_insert_with(|| "active".into());
        let status = Parser::new(&status_input).choice("status", ServiceStatus::parse);
        let translations = Translations::parse(input, Self::TRANSLATABLE, &mut p.errors);
        if status.is_none() {
            p.errors.add(
                "status",
                "unknown_choice",
                "status must be active, inactive, defunct or temporarily closed",
            );
        }
        match status {
            Some(status) => p.errors.finish(Self {
                organization_id,
                location_id,
                name,
                description,
                url,
                email,
                status,
                translations,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn owner(&self, _id: Option<i64>) -> Option<i64> {
        Some(self.organization_id)
    }
}

/// One row of the "who is at the table" view.
#[derive(Debug, Clone, Serialize)]
pub struct Seat {
    pub person: String,
    /// The person agreed to be named publicly.
    pub named_publicly: bool,
    pub organization: Option<String>,
    pub position: Position,
}

/// The members of one body grouped by sector, with the sectors nobody represents.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub by_sector: BTreeMap<Sector, Vec<Seat>>,
    pub missing: Vec<Sector>,
    /// Members who represent no organization (e.g. residents in their own name).
    pub unaffiliated: Vec<Seat>,
}

/// Build the table of one body from its current seats. `sector_of` gives the sector
/// of a seat's organization (a resident sitting in their own name has none).
pub fn table(seats: Vec<(Seat, Option<Sector>)>) -> Table {
    let mut by_sector: BTreeMap<Sector, Vec<Seat>> = BTreeMap::new();
    let mut unaffiliated = Vec::new();
    for (seat, sector) in seats {
        match sector {
            Some(s) => by_sector.entry(s).or_default().push(seat),
            None => unaffiliated.push(seat),
        }
    }
    for seats in by_sector.values_mut() {
        seats.sort_by(|a, b| a.position.cmp(&b.position).then(a.person.cmp(&b.person)));
    }
    let missing = Sector::ALL
        .iter()
        .copied()
        .filter(|s| !by_sector.contains_key(s))
        .collect();
    Table {
        by_sector,
        missing,
        unaffiliated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A code is read back in the spelling the JSON API answers with, so a record
    /// fetched with GET can be sent back with PUT as it is.
    #[test]
    fn choices_read_their_api_spelling() {
        let api = serde_json::to_value(ServiceStatus::TemporarilyClosed).unwrap();
        assert_eq!(api, "temporarily_closed");
        assert_eq!(
            ServiceStatus::parse(api.as_str().unwrap()),
            Some(ServiceStatus::TemporarilyClosed)
        );
        assert_eq!(
            ServiceStatus::parse("temporarily closed"),
            Some(ServiceStatus::TemporarilyClosed)
        );
        assert_eq!(ServiceStatus::parse("closed"), None);
    }

    fn map(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn body_cadence_min_must_not_exceed_max() {
        let e = Body::parse(&map(&[
            ("name", "Steering Committee"),
            ("kind", "steering_committee"),
            ("cadence_min_days", "21"),
            ("cadence_max_days", "14"),
        ]))
        .unwrap_err();
        assert_eq!(
            e.get("cadence_max_days").unwrap().code,
            "min_greater_than_max"
        );
        let ok = Body::parse(&map(&[
            ("name", "Steering Committee"),
            ("kind", "steering_committee"),
            ("cadence_min_days", "14"),
            ("cadence_max_days", "21"),
        ]))
        .unwrap();
        assert_eq!((ok.cadence_min_days, ok.cadence_max_days), (14, 21));
    }

    #[test]
    fn membership_cannot_end_before_it_starts() {
        let e = Membership::parse(&map(&[
            ("body_id", "1"),
            ("person_id", "2"),
            ("position", "member"),
            ("start_date", "2017-05-01"),
            ("end_date", "2017-04-30"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("end_date").unwrap().code, "ends_before_start");
    }

    #[test]
    fn stipend_needs_a_currency_and_round_trips() {
        let e = Membership::parse(&map(&[
            ("body_id", "1"),
            ("person_id", "2"),
            ("position", "member"),
            ("start_date", "2017-05-01"),
            ("stipend_rate", "25.5"),
        ]))
        .unwrap_err();
        assert_eq!(e.get("stipend_currency").unwrap().code, "required");
        let m = Membership::parse(&map(&[
            ("body_id", "1"),
            ("person_id", "2"),
            ("position", "member"),
            ("start_date", "2017-05-01"),
            ("stipend_rate", "25.5"),
            ("stipend_currency", "usd"),
        ]))
        .unwrap();
        assert_eq!(m.stipend_hourly_cents, Some(2550));
        assert_eq!(m.to_fields()["stipend_rate"], "25.50");
        assert_eq!(
            Membership::parse(&m.to_fields())
                .unwrap()
                .stipend_currency
                .as_deref(),
            Some("USD")
        );
    }

    #[test]
    fn organization_sector_must_be_known() {
        let e = Organization::parse(&map(&[("name", "X"), ("sector", "pirates")])).unwrap_err();
        assert_eq!(e.get("sector").unwrap().code, "unknown_choice");
    }

    #[test]
    fn table_groups_by_sector_and_lists_missing() {
        let seat = |p: &str, pos| Seat {
            person: p.into(),
            named_publicly: false,
            organization: None,
            position: pos,
        };
        let t = table(vec![
            (seat("B", Position::Member), Some(Sector::LocalGovernment)),
            (seat("A", Position::Chair), Some(Sector::LocalGovernment)),
            (seat("C", Position::Member), None),
        ]);
        assert_eq!(t.by_sector[&Sector::LocalGovernment][0].person, "A");
        assert_eq!(t.unaffiliated.len(), 1);
        assert_eq!(t.missing.len(), Sector::ALL.len() - 1);
        assert!(!t.missing.contains(&Sector::LocalGovernment));
    }

    #[test]
    fn languages_are_normalized() {
        assert_eq!(
            normalize_languages("he, EN ,am").as_deref(),
            Some("he,en,am")
        );
        assert_eq!(normalize_languages("hebrew!"), None);
    }
}
