//! How each kind of partnership record is shown and edited.
//!
//! The store handles every kind the same way; this module adds what a page needs:
//! the URL segment, the form widgets, which columns a listing shows, and how a
//! stored value reads to a person (a sector code becomes "Philanthropy", a person
//! id becomes a name).

use std::collections::HashMap;

use domain::agenda::{
    Activity, ActivityStatus, Contribution, Idea, IdeaSource, IdeaStatus, Milestone, Objective,
    ObjectiveStatus, Round, Sphere, Vision,
};
use domain::funding::records::{
    BudgetLine, Commitment, CommitmentStatus, CostItem, CostKind, Funder, FundingPublication,
};
use domain::measurement::indicator::{Indicator, ValidationRule};
use domain::measurement::survey::{Audience, Survey, SurveyStatus};
use domain::measurement::{
    Aggregation, Frequency, IndicatorKind, PerformanceQuestion, PeriodAggregation, Polarity,
};
use domain::meetings::records::{
    ActionItem, ActionStatus, AgendaItem, Decision, Meeting, MeetingStatus, Process,
};
use domain::partnership::{
    Body, BodyKind, Fact, Location, Membership, Organization, Person, Position, Sector, Service,
    ServiceStatus, Stage, StageReached,
};
use domain::resource::Resource;
use domain::validation::{FieldMap, format_hundredths};
use store::Store;

use crate::i18n::Tr;
use crate::routes::Routes;

#[derive(Clone, Copy)]
pub enum Widget {
    Text,
    TextArea,
    Email,
    Url,
    Tel,
    Date,
    /// A local date and time (`2025-01-09T18:00`).
    DateTime,
    Number,
    /// A yes/no checkbox.
    Check,
    /// A decimal amount; the stored column (named here) holds hundredths.
    Money(&'static str),
    /// An amount in the record's own `currency`; the stored column (named
    /// here) holds that currency's minor units.
    Amount(&'static str),
    /// One of a closed list; labels are `{prefix}-{code}` messages.
    Choice(fn() -> Vec<&'static str>, &'static str),
    /// The id of a record of that table in the same initiative.
    Ref(&'static str),
}

#[derive(Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub widget: Widget,
    pub required: bool,
}

const fn f(name: &'static str, widget: Widget, required: bool) -> FieldDef {
    FieldDef {
        name,
        widget,
        required,
    }
}

/// A kind of record with pages under `/i/{slug}/{PATH}`.
pub trait Kind: Resource {
    const PATH: &'static str;
    /// Its name in the OpenAPI document.
    const SCHEMA: &'static str;
    /// The column that names a record in a choice of references.
    const LABEL: &'static str = "name";
    /// Whether the initiative's navigation links to its list.
    const NAV: bool = true;
    /// Whether two records of this kind that are one can be merged.
    const MERGE: bool = false;
    /// Whether records of this kind can be imported from a spreadsheet.
    const IMPORT: bool = false;
    /// Whether its form can create the location it is at on the way
    /// (`location_id`; the new location's fields come as `new_location_*`).
    const NEW_LOCATION: bool = false;
    /// How a record is headed on its page, in the page's language.
    fn heading(&self, _tr: &Tr, _refs: &RefNames) -> String {
        self.label()
    }
    /// Fields of the form, in order.
    fn fields() -> Vec<FieldDef>;
    /// Fields a listing shows.
    fn list_fields() -> &'static [&'static str];
    /// Pages of its own module a record links to: (message key, href).
    fn links(&self, _slug: &str, _id: i64) -> Vec<(&'static str, String)> {
        vec![]
    }
    /// Pages of its own module the list links to: (message key, href).
    fn list_links(_slug: &str) -> Vec<(&'static str, String)> {
        vec![]
    }
}

fn sectors() -> Vec<&'static str> {
    Sector::ALL.iter().map(|s| s.as_str()).collect()
}
fn body_kinds() -> Vec<&'static str> {
    BodyKind::ALL.iter().map(|s| s.as_str()).collect()
}
fn positions() -> Vec<&'static str> {
    Position::ALL.iter().map(|s| s.as_str()).collect()
}
fn stages() -> Vec<&'static str> {
    Stage::ALL.iter().map(|s| s.as_str()).collect()
}
fn statuses() -> Vec<&'static str> {
    ServiceStatus::ALL.iter().map(|s| s.as_str()).collect()
}

impl Kind for Organization {
    const SCHEMA: &'static str = "Organization";
    const MERGE: bool = true;
    const IMPORT: bool = true;
    const PATH: &'static str = "organizations";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("sector", Widget::Choice(sectors, "sector"), true),
            f("identifier", Widget::Text, false),
            f("website", Widget::Url, false),
            f("description", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "sector", "identifier"]
    }
}

impl Kind for Person {
    const SCHEMA: &'static str = "Person";
    const MERGE: bool = true;
    const IMPORT: bool = true;
    const PATH: &'static str = "people";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("email", Widget::Email, false),
            f("phone", Widget::Tel, false),
            f("user_id", Widget::Ref("users"), false),
            f("public_name_consent_on", Widget::Date, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "email"]
    }
}

impl Kind for Body {
    const SCHEMA: &'static str = "Body";
    const PATH: &'static str = "bodies";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("kind", Widget::Choice(body_kinds, "body-kind"), true),
            f("purpose", Widget::TextArea, false),
            f("cadence_min_days", Widget::Number, true),
            f("cadence_max_days", Widget::Number, true),
            f("public", Widget::Check, false),
            f("quorum", Widget::Text, false),
            f("agenda_notice_days", Widget::Number, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "kind", "cadence_min_days", "cadence_max_days"]
    }
}

impl Kind for Membership {
    const SCHEMA: &'static str = "Membership";
    /// "Chair: Eli Ben-Shimon", not the stored position code.
    fn heading(&self, tr: &Tr, refs: &RefNames) -> String {
        let position = tr.t(&format!("position-{}", self.position.as_str()));
        match refs.name("people", self.person_id) {
            Some(person) => format!("{position}: {person}"),
            None => position,
        }
    }
    const LABEL: &'static str = "position";
    const PATH: &'static str = "memberships";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("body_id", Widget::Ref("bodies"), true),
            f("person_id", Widget::Ref("people"), true),
            f("organization_id", Widget::Ref("organizations"), false),
            f("position", Widget::Choice(positions, "position"), true),
            f("start_date", Widget::Date, true),
            f("end_date", Widget::Date, false),
            f("stipend_rate", Widget::Money("stipend_hourly_cents"), false),
            f("stipend_currency", Widget::Text, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &[
            "body_id",
            "person_id",
            "organization_id",
            "position",
            "start_date",
            "end_date",
        ]
    }
}

impl Kind for Location {
    const SCHEMA: &'static str = "Location";
    const PATH: &'static str = "locations";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("organization_id", Widget::Ref("organizations"), true),
            f("name", Widget::Text, true),
            f("address", Widget::Text, true),
            f("city", Widget::Text, true),
            f("postal_code", Widget::Text, false),
            f("country", Widget::Text, true),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "organization_id", "city"]
    }
}

impl Kind for Service {
    const SCHEMA: &'static str = "Service";
    const NEW_LOCATION: bool = true;
    const PATH: &'static str = "services";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("organization_id", Widget::Ref("organizations"), true),
            f("name", Widget::Text, true),
            f("location_id", Widget::Ref("locations"), false),
            f("description", Widget::TextArea, false),
            f("url", Widget::Url, false),
            f("email", Widget::Email, false),
            f("status", Widget::Choice(statuses, "service-status"), true),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "organization_id", "status"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        vec![("services-hsds-download", format!("/i/{slug}/hsds.json"))]
    }
}

impl Kind for Fact {
    const SCHEMA: &'static str = "Fact";
    const LABEL: &'static str = "label";
    const NAV: bool = false;
    const PATH: &'static str = "facts";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("label", Widget::Text, true),
            f("value", Widget::Text, true),
            f("source", Widget::Text, false),
            f("year", Widget::Number, false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["label", "value", "source", "year"]
    }
}

impl Kind for StageReached {
    const SCHEMA: &'static str = "Stage";
    fn heading(&self, tr: &Tr, _refs: &RefNames) -> String {
        tr.t(&format!("stage-{}", self.stage.as_str()))
    }
    const LABEL: &'static str = "stage";
    const NAV: bool = false;
    const PATH: &'static str = "stages";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("stage", Widget::Choice(stages, "stage"), true),
            f("reached_on", Widget::Date, true),
            f("note", Widget::TextArea, false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["stage", "reached_on"]
    }
}

fn objective_statuses() -> Vec<&'static str> {
    ObjectiveStatus::ALL.iter().map(|s| s.as_str()).collect()
}
fn idea_statuses() -> Vec<&'static str> {
    IdeaStatus::ALL.iter().map(|s| s.as_str()).collect()
}
fn idea_sources() -> Vec<&'static str> {
    IdeaSource::ALL.iter().map(|s| s.as_str()).collect()
}
fn activity_statuses() -> Vec<&'static str> {
    ActivityStatus::ALL.iter().map(|s| s.as_str()).collect()
}

impl Kind for Vision {
    const SCHEMA: &'static str = "Vision";
    const LABEL: &'static str = "statement";
    const NAV: bool = false;
    const PATH: &'static str = "visions";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("statement", Widget::TextArea, true),
            f("agreed_on", Widget::Date, false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["statement", "agreed_on"]
    }
}

impl Kind for Sphere {
    const SCHEMA: &'static str = "Sphere";
    const NAV: bool = false;
    const PATH: &'static str = "spheres";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("parent_id", Widget::Ref("spheres"), false),
            f("description", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "parent_id"]
    }
}

fn indicator_kinds() -> Vec<&'static str> {
    IndicatorKind::ALL.iter().map(|s| s.as_str()).collect()
}
fn questions() -> Vec<&'static str> {
    PerformanceQuestion::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}
fn polarities() -> Vec<&'static str> {
    Polarity::ALL.iter().map(|s| s.as_str()).collect()
}
fn aggregations() -> Vec<&'static str> {
    Aggregation::ALL.iter().map(|s| s.as_str()).collect()
}
fn period_aggregations() -> Vec<&'static str> {
    PeriodAggregation::ALL.iter().map(|s| s.as_str()).collect()
}
fn frequencies() -> Vec<&'static str> {
    Frequency::ALL.iter().map(|s| s.as_str()).collect()
}

impl Kind for Indicator {
    const SCHEMA: &'static str = "Indicator";
    const PATH: &'static str = "indicators";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("code", Widget::Text, true),
            f("name", Widget::Text, true),
            f("definition", Widget::TextArea, false),
            f("unit", Widget::Text, false),
            f(
                "kind",
                Widget::Choice(indicator_kinds, "indicator-kind"),
                true,
            ),
            f(
                "question",
                Widget::Choice(questions, "indicator-question"),
                false,
            ),
            f("polarity", Widget::Choice(polarities, "polarity"), true),
            f(
                "aggregation",
                Widget::Choice(aggregations, "aggregation"),
                true,
            ),
            f(
                "period_aggregation",
                Widget::Choice(period_aggregations, "period-aggregation"),
                true,
            ),
            f("frequency", Widget::Choice(frequencies, "frequency"), true),
            f("numerator_id", Widget::Ref("indicators"), false),
            f("denominator_id", Widget::Ref("indicators"), false),
            f("factor", Widget::Text, false),
            f("owner_org_id", Widget::Ref("organizations"), false),
            f("data_source", Widget::Text, false),
            f("baseline_period", Widget::Text, false),
            f("baseline_value", Widget::Text, false),
            f("targets", Widget::Text, false),
            f("disaggregations", Widget::Text, false),
            f("reporters", Widget::Text, false),
            f("objective_id", Widget::Ref("objectives"), false),
            f("sdg", Widget::Text, false),
            f("due_days", Widget::Number, false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["code", "name", "unit", "frequency", "aggregation"]
    }
    fn links(&self, slug: &str, _id: i64) -> Vec<(&'static str, String)> {
        vec![(
            "meas-open-indicator",
            format!("/i/{slug}/measurement/{}", self.code),
        )]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        vec![
            ("meas-title", format!("/i/{slug}/measurement")),
            (
                "measurement-import-title",
                format!("/i/{slug}/measurement/import"),
            ),
        ]
    }
}

impl Kind for ValidationRule {
    const SCHEMA: &'static str = "ValidationRule";
    const PATH: &'static str = "validation-rules";
    const LABEL: &'static str = "rule";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("rule", Widget::Text, true),
            f("description", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["rule", "description"]
    }
}

impl Kind for Objective {
    const SCHEMA: &'static str = "Objective";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    const PATH: &'static str = "objectives";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("sphere_id", Widget::Ref("spheres"), false),
            f(
                "status",
                Widget::Choice(objective_statuses, "objective-status"),
                true,
            ),
            f("status_on", Widget::Date, true),
            f("body_id", Widget::Ref("bodies"), false),
            f("idea_id", Widget::Ref("ideas"), false),
            f("sdg", Widget::Text, false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "sphere_id", "status", "status_on", "sdg"]
    }
}

impl Kind for Idea {
    const SCHEMA: &'static str = "Idea";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    const PATH: &'static str = "ideas";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("status", Widget::Choice(idea_statuses, "idea-status"), true),
            f("source", Widget::Choice(idea_sources, "idea-source"), true),
            f("submitted_by", Widget::Ref("users"), false),
            f("language", Widget::Text, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "status", "source"]
    }
}

impl Kind for Round {
    const SCHEMA: &'static str = "Round";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    const PATH: &'static str = "rounds";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("picks", Widget::Number, true),
            f("opens_on", Widget::Date, true),
            f("closes_on", Widget::Date, true),
            f("follows_round_id", Widget::Ref("rounds"), false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "picks", "opens_on", "closes_on"]
    }
}

impl Kind for Activity {
    const SCHEMA: &'static str = "Activity";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    const PATH: &'static str = "activities";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("sphere_id", Widget::Ref("spheres"), false),
            f("objective_id", Widget::Ref("objectives"), false),
            f("body_id", Widget::Ref("bodies"), false),
            f("lead_organization_id", Widget::Ref("organizations"), false),
            f("start_on", Widget::Date, true),
            f("end_on", Widget::Date, false),
            f(
                "status",
                Widget::Choice(activity_statuses, "activity-status"),
                true,
            ),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &[
            "title",
            "objective_id",
            "lead_organization_id",
            "status",
            "end_on",
        ]
    }
}

impl Kind for Contribution {
    const SCHEMA: &'static str = "Contribution";
    const LABEL: &'static str = "note";
    const NAV: bool = false;
    const PATH: &'static str = "contributions";
    /// "Youth club: two youth workers".
    fn heading(&self, _tr: &Tr, refs: &RefNames) -> String {
        match refs.name("organizations", self.organization_id) {
            Some(org) if self.note.is_empty() => org.to_string(),
            Some(org) => format!("{org}: {}", self.note),
            None => self.note.clone(),
        }
    }
    fn fields() -> Vec<FieldDef> {
        vec![
            f("activity_id", Widget::Ref("activities"), true),
            f("organization_id", Widget::Ref("organizations"), true),
            f("note", Widget::Text, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["activity_id", "organization_id", "note"]
    }
}

impl Kind for Milestone {
    const SCHEMA: &'static str = "Milestone";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    const PATH: &'static str = "milestones";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("activity_id", Widget::Ref("activities"), true),
            f("title", Widget::Text, true),
            f("due_on", Widget::Date, true),
            f("done_on", Widget::Date, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "activity_id", "due_on", "done_on"]
    }
}

fn audiences() -> Vec<&'static str> {
    Audience::ALL.iter().map(|s| s.as_str()).collect()
}
fn survey_statuses() -> Vec<&'static str> {
    SurveyStatus::ALL.iter().map(|s| s.as_str()).collect()
}

impl Kind for Survey {
    const SCHEMA: &'static str = "Survey";
    const PATH: &'static str = "surveys";
    const LABEL: &'static str = "title";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f(
                "audience",
                Widget::Choice(audiences, "survey-audience"),
                true,
            ),
            f(
                "status",
                Widget::Choice(survey_statuses, "survey-status"),
                true,
            ),
            f("opens_on", Widget::Date, false),
            f("closes_on", Widget::Date, false),
            f("questions", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "audience", "status", "closes_on"]
    }
    fn links(&self, slug: &str, id: i64) -> Vec<(&'static str, String)> {
        vec![
            (
                "survey-respond-title",
                format!("/i/{slug}/surveys/{id}/respond"),
            ),
            ("survey-results", format!("/i/{slug}/surveys/{id}/results")),
        ]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        vec![(
            "survey-template-title",
            format!("/i/{slug}/surveys/templates/partnership-health"),
        )]
    }
}

/// A kind of registry record as the rest of the product sees it. Each kind is
/// declared once, in [`KINDS`]; page routes, API routes, the OpenAPI document,
/// the navigation and reference lookups all read that one list.
pub struct KindEntry {
    pub kind: &'static str,
    pub path: &'static str,
    pub table: &'static str,
    pub label: &'static str,
    pub nav: bool,
    pub pages: fn(Routes) -> Routes,
    pub api: fn(Routes) -> Routes,
    pub openapi: fn(&mut crate::api::openapi::Doc),
    pub columns: fn() -> &'static [domain::resource::Column],
    /// Fields of the form, in order.
    pub fields: fn() -> Vec<FieldDef>,
    /// A record's heading from its JSON form (as the audit log keeps it).
    pub heading: fn(&serde_json::Value, &Tr, &RefNames) -> Option<String>,
}

fn heading_of<T: Kind>(v: &serde_json::Value, tr: &Tr, refs: &RefNames) -> Option<String> {
    serde_json::from_value::<T>(v.clone())
        .ok()
        .map(|t| t.heading(tr, refs))
}

const fn entry<T: Kind>() -> KindEntry {
    KindEntry {
        kind: T::KIND,
        path: T::PATH,
        table: T::TABLE,
        label: T::LABEL,
        nav: T::NAV,
        pages: crate::pages::records::routes::<T>,
        api: crate::api::kind_routes::<T>,
        openapi: crate::api::openapi::Doc::kind::<T>,
        columns: T::columns,
        fields: T::fields,
        heading: heading_of::<T>,
    }
}

fn commitment_statuses() -> Vec<&'static str> {
    CommitmentStatus::ALL.iter().map(|s| s.as_str()).collect()
}
fn cost_kinds() -> Vec<&'static str> {
    CostKind::ALL.iter().map(|s| s.as_str()).collect()
}

/// The funding module's own pages, linked from each of its registry lists.
fn funding_links(slug: &str) -> Vec<(&'static str, String)> {
    vec![
        ("funding-title", format!("/i/{slug}/funding")),
        ("funding-ledger-title", format!("/i/{slug}/funding/ledger")),
        (
            "funding-transitions-title",
            format!("/i/{slug}/funding/transitions"),
        ),
    ]
}

impl Kind for Funder {
    const SCHEMA: &'static str = "Funder";
    const PATH: &'static str = "funders";
    /// Reached from the funding overview, not the navigation.
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("organization_id", Widget::Ref("organizations"), true),
            f("keeps_own_grants", Widget::TextArea, false),
            f("pays_for", Widget::TextArea, false),
            f("priorities", Widget::TextArea, false),
            f("answers_public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "organization_id", "answers_public"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        funding_links(slug)
    }
}

impl Kind for Commitment {
    const SCHEMA: &'static str = "Commitment";
    const PATH: &'static str = "commitments";
    const LABEL: &'static str = "title";
    /// Reached from the funding overview, not the navigation.
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("title", Widget::Text, true),
            f("funder_id", Widget::Ref("funders"), true),
            f("currency", Widget::Text, true),
            f("amount", Widget::Amount("amount_minor"), true),
            f("starts_on", Widget::Date, true),
            f("ends_on", Widget::Date, true),
            f(
                "status",
                Widget::Choice(commitment_statuses, "commitment-status"),
                true,
            ),
            f("signed_on", Widget::Date, false),
            f("objective_id", Widget::Ref("objectives"), false),
            f("activity_id", Widget::Ref("activities"), false),
            f("cost_item_id", Widget::Ref("cost_items"), false),
            f("reference", Widget::Text, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &[
            "title",
            "funder_id",
            "amount",
            "starts_on",
            "ends_on",
            "status",
        ]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        funding_links(slug)
    }
}

impl Kind for BudgetLine {
    const SCHEMA: &'static str = "BudgetLine";
    const PATH: &'static str = "budget-lines";
    /// Reached from the funding overview, not the navigation.
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("year", Widget::Number, true),
            f("currency", Widget::Text, true),
            f("amount", Widget::Amount("amount_minor"), true),
            f("objective_id", Widget::Ref("objectives"), false),
            f("activity_id", Widget::Ref("activities"), false),
            f("cost_item_id", Widget::Ref("cost_items"), false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "year", "amount", "objective_id", "activity_id"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        funding_links(slug)
    }
}

impl Kind for CostItem {
    const SCHEMA: &'static str = "CostItem";
    const PATH: &'static str = "cost-items";
    /// Reached from the funding overview, not the navigation.
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("kind", Widget::Choice(cost_kinds, "cost-kind"), true),
            f("currency", Widget::Text, true),
            f("recurring", Widget::Check, false),
            f("description", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "kind", "currency", "recurring"]
    }
    fn links(&self, slug: &str, id: i64) -> Vec<(&'static str, String)> {
        vec![(
            "funding-schedule-title",
            format!("/i/{slug}/funding/transitions/{id}"),
        )]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        funding_links(slug)
    }
}

impl Kind for FundingPublication {
    const SCHEMA: &'static str = "FundingPublication";
    const PATH: &'static str = "funding-publication";
    const LABEL: &'static str = "note";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("publish_transitions", Widget::Check, false),
            f("publish_book", Widget::Check, false),
            f("note", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["publish_transitions", "publish_book"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        funding_links(slug)
    }
}

impl Kind for domain::funding::fund::FundCall {
    const SCHEMA: &'static str = "FundCall";
    const PATH: &'static str = "fund-calls";
    fn fields() -> Vec<FieldDef> {
        vec![
            f("name", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("currency", Widget::Text, true),
            f("budget", Widget::Amount("budget_minor"), true),
            f("criteria", Widget::Text, true),
            f("eligibility", Widget::TextArea, false),
            f("opens_on", Widget::Date, true),
            f("closes_on", Widget::Date, true),
            f("organization_id", Widget::Ref("organizations"), true),
            f("sdg", Widget::Text, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["name", "opens_on", "closes_on"]
    }
    fn links(&self, slug: &str, id: i64) -> Vec<(&'static str, String)> {
        vec![("fund-applications-title", format!("/i/{slug}/fund/{id}"))]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        vec![("fund-title", format!("/i/{slug}/fund"))]
    }
}

fn meeting_statuses() -> Vec<&'static str> {
    MeetingStatus::ALL.iter().map(|s| s.as_str()).collect()
}
fn processes() -> Vec<&'static str> {
    Process::ALL.iter().map(|s| s.as_str()).collect()
}
fn action_statuses() -> Vec<&'static str> {
    ActionStatus::ALL.iter().map(|s| s.as_str()).collect()
}
fn meetings_links(slug: &str) -> Vec<(&'static str, String)> {
    vec![
        ("meetings-title", format!("/i/{slug}/calendar")),
        ("decisions-title", format!("/i/{slug}/decision-register")),
    ]
}

impl Kind for Meeting {
    const SCHEMA: &'static str = "Meeting";
    const PATH: &'static str = "meetings";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("body_id", Widget::Ref("bodies"), true),
            f("title", Widget::Text, true),
            f("starts_at", Widget::DateTime, true),
            f("ends_at", Widget::DateTime, true),
            f("time_zone", Widget::Text, true),
            f("place", Widget::Text, false),
            f("online_url", Widget::Url, false),
            f(
                "status",
                Widget::Choice(meeting_statuses, "meeting-status"),
                true,
            ),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "body_id", "starts_at", "status"]
    }
    fn links(&self, slug: &str, id: i64) -> Vec<(&'static str, String)> {
        vec![("meeting-room", format!("/i/{slug}/meetings/{id}/room"))]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        meetings_links(slug)
    }
}

impl Kind for AgendaItem {
    const SCHEMA: &'static str = "AgendaItem";
    const PATH: &'static str = "agenda-items";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("meeting_id", Widget::Ref("meetings"), true),
            f("position", Widget::Number, true),
            f("title", Widget::Text, true),
            f("description", Widget::TextArea, false),
            f("presenter_person_id", Widget::Ref("people"), false),
            f("minutes_allotted", Widget::Number, false),
            f("objective_id", Widget::Ref("objectives"), false),
            f("indicator_id", Widget::Ref("indicators"), false),
            f("activity_id", Widget::Ref("activities"), false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["meeting_id", "position", "title"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        meetings_links(slug)
    }
}

impl Kind for Decision {
    const SCHEMA: &'static str = "Decision";
    const PATH: &'static str = "decisions";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("body_id", Widget::Ref("bodies"), true),
            f("meeting_id", Widget::Ref("meetings"), false),
            f("title", Widget::Text, true),
            f("proposal", Widget::TextArea, true),
            f(
                "process",
                Widget::Choice(processes, "decision-process"),
                true,
            ),
            f("closes_on", Widget::Date, false),
            f("outcome_statement", Widget::TextArea, false),
            f("review_on", Widget::Date, false),
            f("objective_id", Widget::Ref("objectives"), false),
            f("budget_line_id", Widget::Ref("budget_lines"), false),
            f("activity_id", Widget::Ref("activities"), false),
            f("public", Widget::Check, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "body_id", "process", "public"]
    }
    fn links(&self, slug: &str, id: i64) -> Vec<(&'static str, String)> {
        vec![(
            "decision-positions",
            format!("/i/{slug}/decisions/{id}/positions"),
        )]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        meetings_links(slug)
    }
}

impl Kind for ActionItem {
    const SCHEMA: &'static str = "ActionItem";
    const PATH: &'static str = "action-items";
    const LABEL: &'static str = "title";
    const NAV: bool = false;
    fn fields() -> Vec<FieldDef> {
        vec![
            f("body_id", Widget::Ref("bodies"), true),
            f("title", Widget::Text, true),
            f("meeting_id", Widget::Ref("meetings"), false),
            f("decision_id", Widget::Ref("decisions"), false),
            f("owner_person_id", Widget::Ref("people"), false),
            f("owner_organization_id", Widget::Ref("organizations"), false),
            f("due_on", Widget::Date, true),
            f(
                "status",
                Widget::Choice(action_statuses, "action-status"),
                true,
            ),
            f("notes", Widget::TextArea, false),
        ]
    }
    fn list_fields() -> &'static [&'static str] {
        &["title", "owner_person_id", "due_on", "status"]
    }
    fn list_links(slug: &str) -> Vec<(&'static str, String)> {
        meetings_links(slug)
    }
}

/// Every kind of registry record, in the order of the navigation.
pub const KINDS: &[KindEntry] = &[
    entry::<Body>(),
    entry::<Organization>(),
    entry::<Person>(),
    entry::<Membership>(),
    entry::<Service>(),
    entry::<Location>(),
    entry::<Fact>(),
    entry::<StageReached>(),
    entry::<Vision>(),
    entry::<Sphere>(),
    entry::<Objective>(),
    entry::<Idea>(),
    entry::<Round>(),
    entry::<Activity>(),
    entry::<Contribution>(),
    entry::<Milestone>(),
    entry::<Indicator>(),
    entry::<ValidationRule>(),
    entry::<Survey>(),
    entry::<Funder>(),
    entry::<Commitment>(),
    entry::<BudgetLine>(),
    entry::<CostItem>(),
    entry::<FundingPublication>(),
    entry::<domain::funding::fund::FundCall>(),
    entry::<Meeting>(),
    entry::<AgendaItem>(),
    entry::<Decision>(),
    entry::<ActionItem>(),
];

/// The kinds the audit log of an initiative can hold: every registry kind, the
/// initiative itself, and the grants and invitations of its access page.
pub fn audit_kinds() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = KINDS.iter().map(|k| k.kind).collect();
    v.extend(["initiative", "network", "role_grant", "invitation"]);
    // What the meetings module writes besides its registry records.
    v.extend([
        "meeting_series",
        "attendance",
        "meeting_guest",
        "agenda_order",
        "minutes",
        "minutes_approval",
        "decision_position",
        "decision_outcome",
        "body_calendar_feed",
        "user_calendar_feed",
        "mail_unsubscribe",
    ]);
    // What the by-name lists write (volume data, not registry records).
    v.extend([
        "case_list",
        "case_person",
        "case_batch",
        "case_report",
        "case_triage",
        "case_conference",
        "case_referral",
    ]);
    v
}

/// The declared kind of the given name.
pub fn by_kind(kind: &str) -> Option<&'static KindEntry> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The declared kind kept in `table`.
pub fn by_table(table: &str) -> Option<&'static KindEntry> {
    KINDS.iter().find(|k| k.table == table)
}

/// Names of the records a form may refer to, loaded once per page (one query
/// per referenced table, whatever the size of the initiative).
#[derive(Default)]
pub struct RefNames {
    /// Live records, offered in forms.
    pub by_table: HashMap<&'static str, Vec<(i64, String)>>,
    /// Archived records, named (never offered) where a record still refers to one.
    pub archived: HashMap<&'static str, Vec<(i64, String)>>,
}

impl RefNames {
    pub async fn load(
        store: &Store,
        initiative: i64,
        fields: &[FieldDef],
    ) -> Result<Self, store::StoreError> {
        let mut by_table = HashMap::new();
        let mut archived = HashMap::new();
        for fd in fields {
            if let Widget::Ref(table) = fd.widget {
                if by_table.contains_key(table) {
                    continue;
                }
                let names: Vec<(i64, String)> = match (table, self::by_table(table)) {
                    // Accounts that hold a role in this initiative.
                    ("users", _) => store
                        .initiative_users(initiative)
                        .await?
                        .into_iter()
                        .map(|(u, _)| (u.id, u.display_name))
                        .collect(),
                    (_, Some(k)) => {
                        archived.insert(
                            table,
                            store
                                .archived_names(k.table, k.label, Some(initiative))
                                .await?,
                        );
                        store.names(k.table, k.label, Some(initiative)).await?
                    }
                    (_, None) => {
                        return Err(store::StoreError::Database(store::DatabaseError::Custom(
                            format!("no kind is declared for the referenced table {table}"),
                        )));
                    }
                };
                let mut names = names;
                names.sort_by(|a, b| a.1.cmp(&b.1));
                by_table.insert(table, names);
            }
        }
        Ok(RefNames { by_table, archived })
    }

    /// The names as a reader of `reader` sees them, for tables whose records
    /// take translations (see [`localize`]).
    pub async fn localized(
        mut self,
        store: &Store,
        initiative: &domain::resource::Record<domain::partnership::Initiative>,
        reader: &str,
    ) -> Result<Self, store::StoreError> {
        let first = initiative.data.first_language();
        // A reader of the first language reads the main texts: nothing to ask.
        if reader == first {
            return Ok(self);
        }
        let tables: Vec<&'static str> = self.by_table.keys().copied().collect();
        for table in tables {
            let Some(k) = self::by_table(table)
                .filter(|k| (k.columns)().iter().any(|c| c.name == "translations"))
            else {
                continue;
            };
            // One query per table, for its live and archived names alike.
            let translated: HashMap<i64, domain::translations::Translations> = store
                .translations_of(k.table, initiative.id)
                .await?
                .into_iter()
                .collect();
            for names in [self.by_table.get_mut(table), self.archived.get_mut(table)]
                .into_iter()
                .flatten()
            {
                for (id, name) in names.iter_mut() {
                    if let Some((_, text)) = translated
                        .get(id)
                        .and_then(|t| t.pick(k.label, reader, first))
                    {
                        *name = text.to_string();
                    }
                }
                names.sort_by(|a, b| a.1.cmp(&b.1));
            }
        }
        Ok(self)
    }

    pub fn name(&self, table: &str, id: i64) -> Option<&str> {
        self.by_table
            .get(table)?
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    /// The name of an archived record of `table`.
    pub fn archived_name(&self, table: &str, id: i64) -> Option<&str> {
        self.archived
            .get(table)?
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    /// A referred record's name as a page shows it: "Name", or "Name (archived)".
    pub fn shown(&self, tr: &Tr, table: &str, id: i64) -> Option<String> {
        self.name(table, id).map(str::to_string).or_else(|| {
            self.archived_name(table, id)
                .map(|n| tr.t1("ref-archived", "name", n))
        })
    }
}

/// How a stored field reads to a person.
/// `values` are the record's stored values (see `Resource::stored_values`).
pub fn display(tr: &Tr, fd: &FieldDef, values: &FieldMap, refs: &RefNames) -> String {
    let column = match fd.widget {
        Widget::Money(column) | Widget::Amount(column) => column,
        _ => fd.name,
    };
    let raw = values.get(column).map(String::as_str).unwrap_or("");
    if raw.is_empty() {
        return String::new();
    }
    match fd.widget {
        Widget::Choice(_, prefix) => tr.t(&format!("{prefix}-{}", raw.replace(' ', "_"))),
        Widget::Ref(table) => raw
            .parse::<i64>()
            .ok()
            .and_then(|id| refs.shown(tr, table, id))
            .unwrap_or_else(|| tr.t("ref-unknown")),
        Widget::Money(_) => raw
            .parse::<i64>()
            .map(format_hundredths)
            .unwrap_or_else(|_| raw.to_string()),
        Widget::Amount(_) => {
            let currency = values.get("currency").map(String::as_str).unwrap_or("");
            raw.parse::<i64>()
                .map(|m| domain::funding::money::display(m, currency))
                .unwrap_or_else(|_| raw.to_string())
        }
        Widget::Check => tr.t(if raw == "true" { "yes" } else { "no" }),
        Widget::DateTime => raw.replace('T', " "),
        _ => raw.to_string(),
    }
}

/// One form control, ready for the template.
pub struct FormField {
    /// The control's name (`name`, or `name@es` for a translation).
    pub name: String,
    /// The language the control takes text in, when not the page's: its
    /// `lang` (with `dir="auto"`). Empty: the page's.
    pub lang: String,
    pub label: String,
    pub hint: String,
    /// "input", "textarea" or "select".
    pub control: &'static str,
    /// The input's `type` for "input".
    pub input_type: &'static str,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub required: bool,
    pub error: String,
    /// The record the submitted value would duplicate: (href, name).
    pub existing: Option<(String, String)>,
    /// Someone else changed this field too, to this (in words).
    pub clash: String,
}

impl FormField {
    /// Ids of the hint and the error that describe the control, if any.
    pub fn described_by(&self) -> String {
        let mut ids = vec![];
        if !self.hint.is_empty() {
            ids.push(format!("h-{}", self.name));
        }
        if !self.error.is_empty() {
            ids.push(format!("e-{}", self.name));
        }
        if !self.clash.is_empty() {
            ids.push(format!("c-{}", self.name));
        }
        ids.join(" ")
    }
}

pub fn form_fields(
    tr: &Tr,
    defs: &[FieldDef],
    values: &FieldMap,
    errors: &domain::validation::FieldErrors,
    refs: &RefNames,
) -> Vec<FormField> {
    defs.iter()
        .map(|fd| {
            let value = values.get(fd.name).cloned().unwrap_or_default();
            let (control, input_type, options) =
                match fd.widget {
                    Widget::Text => ("input", "text", vec![]),
                    Widget::TextArea => ("textarea", "", vec![]),
                    Widget::Email => ("input", "email", vec![]),
                    Widget::Url => ("input", "url", vec![]),
                    Widget::Tel => ("input", "tel", vec![]),
                    Widget::Date => ("input", "date", vec![]),
                    Widget::DateTime => ("input", "datetime-local", vec![]),
                    Widget::Number => ("input", "number", vec![]),
                    Widget::Money(_) | Widget::Amount(_) => ("input", "text", vec![]),
                    Widget::Check => ("checkbox", "checkbox", vec![]),
                    Widget::Choice(codes, prefix) => {
                        let mut o: Vec<(String, String, bool)> = if fd.required {
                            vec![]
                        } else {
                            vec![(String::new(), "—".into(), value.is_empty())]
                        };
                        if fd.required && value.is_empty() {
                            o.push((String::new(), tr.t("form-choose"), true));
                        }
                        o.extend(codes().into_iter().map(|c| {
                            (
                                c.to_string(),
                                tr.t(&format!("{prefix}-{}", c.replace(' ', "_"))),
                                value == c,
                            )
                        }));
                        ("select", "", o)
                    }
                    Widget::Ref(table) => {
                        let mut o = vec![(
                            String::new(),
                            if fd.required {
                                tr.t("form-choose")
                            } else {
                                "—".into()
                            },
                            value.is_empty(),
                        )];
                        if let Some(names) = refs.by_table.get(table) {
                            o.extend(names.iter().map(|(id, n)| {
                                (id.to_string(), n.clone(), value == id.to_string())
                            }));
                        }
                        // A record archived since it was chosen stays chosen (and
                        // named), so saving the form does not drop it.
                        if let Some(name) = value
                            .parse::<i64>()
                            .ok()
                            .filter(|id| refs.name(table, *id).is_none())
                            .and_then(|id| refs.archived_name(table, id))
                        {
                            o.push((value.clone(), tr.t1("ref-archived", "name", name), true));
                        }
                        ("select", "", o)
                    }
                };
            let hint_key = format!("hint-{}", fd.name);
            FormField {
                name: fd.name.to_string(),
                lang: String::new(),
                label: tr.t(&format!("field-{}", fd.name)),
                hint: if tr.has(&hint_key) {
                    tr.t(&hint_key)
                } else {
                    String::new()
                },
                control,
                input_type,
                value,
                options,
                required: fd.required,
                error: errors
                    .get(fd.name)
                    .map(|e| translate_error(tr, fd.name, e))
                    .unwrap_or_default(),
                existing: None,
                clash: String::new(),
            }
        })
        .collect()
}

/// Show a record's values to a reader of `reader`: each translatable field
/// becomes its translation into the reader's language, when it has one and
/// that is not the initiative's first (`languages` as declared: "he,en"),
/// which the main text is in. Gives the language of each field so replaced.
pub fn localize(values: &mut FieldMap, reader: &str, languages: &str) -> HashMap<String, String> {
    let mut shown_in = HashMap::new();
    let Some(t) = values
        .get("translations")
        .and_then(|j| serde_json::from_str::<domain::translations::Translations>(j).ok())
    else {
        return shown_in;
    };
    let first = languages.split(',').next().unwrap_or("").trim();
    let fields: std::collections::BTreeSet<&String> = t.0.values().flat_map(|m| m.keys()).collect();
    for field in fields {
        if let Some((lang, text)) = t.pick(field, reader, first) {
            values.insert(field.clone(), text.to_string());
            shown_in.insert(field.clone(), lang.to_string());
        }
    }
    shown_in
}

/// The translation controls of a form: for each language `languages`
/// declares after the first (the main fields are in the first), (code, its
/// name, one control per translatable field of `defs`), named
/// `{field}@{code}` (see `domain::translations`).
pub fn translation_fields(
    tr: &Tr,
    defs: &[FieldDef],
    translatable: &[&str],
    languages: &str,
    values: &FieldMap,
    errors: &domain::validation::FieldErrors,
) -> Vec<(String, String, Vec<FormField>)> {
    if translatable.is_empty() {
        return vec![];
    }
    languages
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .skip(1)
        .map(|code| {
            let language = crate::i18n::language_name(code);
            let fields = defs
                .iter()
                .filter(|d| translatable.contains(&d.name))
                .map(|d| {
                    let name = domain::translations::form_key(d.name, code);
                    let label = tr.tn(
                        "translation-label",
                        &[
                            ("field", tr.t(&format!("field-{}", d.name))),
                            ("language", language.clone()),
                        ],
                    );
                    let error = errors
                        .get(&name)
                        .map(|e| translate_error_as(tr, &label, e))
                        .unwrap_or_default();
                    let textarea = matches!(d.widget, Widget::TextArea);
                    FormField {
                        value: values.get(&name).cloned().unwrap_or_default(),
                        name,
                        lang: code.to_string(),
                        label,
                        hint: String::new(),
                        control: if textarea { "textarea" } else { "input" },
                        input_type: if textarea { "" } else { "text" },
                        options: vec![],
                        required: false,
                        error,
                        existing: None,
                        clash: String::new(),
                    }
                })
                .collect();
            (code.to_string(), language, fields)
        })
        .collect()
}

/// Where a record of `kind` is shown in initiative `slug`.
pub fn record_href(slug: &str, kind: &str, id: i64) -> Option<String> {
    KINDS
        .iter()
        .find(|k| k.kind == kind)
        .map(|k| format!("/i/{slug}/{}/{id}", k.path))
}

/// Link each refused field to the record it would duplicate.
pub fn link_existing(
    fields: &mut [FormField],
    errors: &domain::validation::FieldErrors,
    slug: &str,
) {
    for f in fields {
        if let Some(e) = errors.get(&f.name).and_then(|e| e.existing.as_ref()) {
            f.existing = record_href(slug, e.kind, e.id).map(|href| (href, e.name.clone()));
        }
    }
}

/// A field error in the page's language, naming the field.
pub fn translate_error(tr: &Tr, field: &str, e: &domain::validation::FieldError) -> String {
    translate_error_as(tr, &tr.t(&format!("field-{field}")), e)
}

/// [`translate_error`] for a field known by its `label` ("Name (Español)").
pub fn translate_error_as(tr: &Tr, label: &str, e: &domain::validation::FieldError) -> String {
    let key = format!("error-{}", e.code);
    if tr.has(&key) {
        tr.t1(&key, "field", label)
    } else {
        e.message.clone()
    }
}

/// Every field error of a submission as one sentence, for forms that show a
/// single message (account, invitation, access).
pub fn errors_text(tr: &Tr, errors: &domain::validation::FieldErrors) -> String {
    errors
        .0
        .iter()
        .map(|(f, e)| translate_error(tr, f, e))
        .collect::<Vec<_>>()
        .join(" ")
}
