//! Migration steps of the cases module (see `super::MIGRATIONS`).
//!
//! People and status events are not registry records. Events are append-only
//! (a correction is a new row that `supersedes` an earlier one; the unique
//! index lets an event be superseded once, so corrections form a chain). Each
//! write goes in with its batch row and one audit entry. `case_spells` is the
//! aggregate every report and list view reads: each person's spells, replayed
//! from the events in the same transaction as every write to that person.
//! Each spell also carries its start and end as month numbers (year × 12 +
//! month − 1), its days to housing, and the population flags, so a monthly
//! report is two `GROUP BY`s over integers.
//! `case_reports` keeps the figures of submitted (frozen) monthly reports.

use super::*;

pub(super) fn steps() -> Vec<Step> {
    let mut s = vec![tbl(Table::create()
        .table(a("case_lists"))
        .col(id())
        .col(int("initiative_id"))
        .col(text("name"))
        .col(int("inactivity_days"))
        .col(text("veteran_comparator"))
        .col(opt_int("pit_count"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("case_lists", "initiative_id", "initiatives"))
        .to_owned())];
    s.push(index("case_lists", &["initiative_id", "name"], true));
    s.push(tbl(Table::create()
        .table(a("case_people"))
        .col(id())
        .col(int("list_id"))
        .col(int("initiative_id"))
        .col(opt_text("external_id"))
        .col(opt_text("first_name"))
        .col(opt_text("last_name"))
        .col(opt_date("date_of_birth"))
        .col(opt_int("veteran"))
        .col(opt_text("household_type"))
        .col(text("race"))
        .col(text("gender"))
        .col(opt_date("consent_on"))
        .col(opt_text("consent_scope"))
        .col(opt_date("consent_expires_on"))
        .col(int("triage_score"))
        .col(opt_ts("erased_at"))
        .col(ts("created_at"))
        .col(ts("updated_at"))
        .foreign_key(&mut fk("case_people", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_people", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(index("case_people", &["list_id", "id"], false));
    s.push(index("case_people", &["list_id", "external_id"], true));
    s.push(tbl(Table::create()
        .table(a("case_batches"))
        .col(id())
        .col(int("list_id"))
        .col(text("source"))
        .col(opt_text("file_name"))
        .col(opt_text("file_hash"))
        .col(int("people_added"))
        .col(int("people_changed"))
        .col(int("events_added"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .foreign_key(&mut fk("case_batches", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_batches", "recorded_by", "users"))
        .to_owned()));
    s.push(index("case_batches", &["list_id"], false));
    s.push(tbl(Table::create()
        .table(a("case_events"))
        .col(id())
        .col(int("list_id"))
        .col(int("person_id"))
        .col(date("occurred_on"))
        .col(text("kind"))
        .col(flag("chronic"))
        .col(opt_int("supersedes"))
        .col(text("source"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .col(int("batch_id"))
        .foreign_key(&mut fk("case_events", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_events", "person_id", "case_people"))
        .foreign_key(&mut fk("case_events", "supersedes", "case_events"))
        .foreign_key(&mut fk("case_events", "recorded_by", "users"))
        .foreign_key(&mut fk("case_events", "batch_id", "case_batches"))
        .to_owned()));
    s.push(index("case_events", &["list_id", "person_id", "id"], false));
    s.push(index("case_events", &["person_id", "id"], false));
    s.push(index("case_events", &["supersedes"], true));
    s.push(index("case_events", &["batch_id"], false));
    s.push(tbl(Table::create()
        .table(a("case_spells"))
        .col(int("list_id"))
        .col(int("person_id"))
        .col(int("seq"))
        .col(date("start_on"))
        .col(text("inflow"))
        .col(opt_date("end_on"))
        .col(opt_text("end_kind"))
        .col(date("last_activity_on"))
        .col(flag("chronic"))
        .col(flag("youth"))
        .col(flag("veteran"))
        .col(flag("family"))
        .col(int("start_month"))
        .col(opt_int("end_month"))
        .col(opt_int("housed_days"))
        .primary_key(Index::create().col(a("person_id")).col(a("seq")))
        .foreign_key(&mut fk("case_spells", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_spells", "person_id", "case_people"))
        .to_owned()));
    // Covering indexes for the monthly report's two GROUP BYs: each reads
    // one list's index entries in order, never the table.
    s.push(index(
        "case_spells",
        &[
            "list_id",
            "start_month",
            "inflow",
            "veteran",
            "chronic",
            "youth",
            "family",
        ],
        false,
    ));
    s.push(index(
        "case_spells",
        &[
            "list_id",
            "end_month",
            "end_kind",
            "housed_days",
            "veteran",
            "chronic",
            "youth",
            "family",
        ],
        false,
    ));
    s.push(tbl(Table::create()
        .table(a("case_reports"))
        .col(id())
        .col(int("list_id"))
        .col(text("population"))
        .col(text("month"))
        .col(int("actively_homeless"))
        .col(int("newly_identified"))
        .col(int("returned_from_housing"))
        .col(int("returned_from_inactive"))
        .col(int("housing_placements"))
        .col(int("moved_to_inactive"))
        .col(int("no_longer_meets_criteria"))
        .col(opt_int("avg_days_tenths"))
        .col(int("events_through"))
        .col(opt_int("submitted_by"))
        .col(ts("submitted_at"))
        .foreign_key(&mut fk("case_reports", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_reports", "submitted_by", "users"))
        .to_owned()));
    s.push(index(
        "case_reports",
        &["list_id", "population", "month"],
        true,
    ));
    // Triage: a list's questions with weights; a person's answers; the score
    // kept on the person (recomputed when an answer or a weight changes).
    s.push(tbl(Table::create()
        .table(a("case_triage_questions"))
        .col(id())
        .col(int("list_id"))
        .col(int("position"))
        .col(text("text"))
        .col(int("weight"))
        .col(opt_ts("archived_at"))
        .foreign_key(&mut fk("case_triage_questions", "list_id", "case_lists"))
        .to_owned()));
    s.push(index("case_triage_questions", &["list_id"], false));
    s.push(tbl(Table::create()
        .table(a("case_triage_answers"))
        .col(int("person_id"))
        .col(int("question_id"))
        .col(flag("yes"))
        .col(opt_int("answered_by"))
        .col(ts("answered_at"))
        .primary_key(Index::create().col(a("person_id")).col(a("question_id")))
        .foreign_key(&mut fk("case_triage_answers", "person_id", "case_people"))
        .foreign_key(&mut fk(
            "case_triage_answers",
            "question_id",
            "case_triage_questions",
        ))
        .foreign_key(&mut fk("case_triage_answers", "answered_by", "users"))
        .to_owned()));
    // Case conferencing: notes and next steps per person and meeting date.
    s.push(tbl(Table::create()
        .table(a("case_conference_notes"))
        .col(id())
        .col(int("list_id"))
        .col(int("person_id"))
        .col(date("conference_on"))
        .col(text("note"))
        .col(text("next_steps"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .foreign_key(&mut fk("case_conference_notes", "list_id", "case_lists"))
        .foreign_key(&mut fk("case_conference_notes", "person_id", "case_people"))
        .foreign_key(&mut fk("case_conference_notes", "recorded_by", "users"))
        .to_owned()));
    s.push(index("case_conference_notes", &["person_id", "id"], false));
    s.push(index(
        "case_conference_notes",
        &["list_id", "conference_on"],
        false,
    ));
    // Referrals (e.g. high-risk pregnancy → hospital): from and to
    // organization, the referred person's group for the equity split.
    s.push(tbl(Table::create()
        .table(a("case_referrals"))
        .col(id())
        .col(int("initiative_id"))
        .col(opt_int("person_id"))
        .col(text("referral_type"))
        .col(opt_int("from_organization_id"))
        .col(opt_int("to_organization_id"))
        .col(text("risk_level"))
        .col(opt_text("race_ethnicity"))
        .col(opt_text("neighbourhood"))
        .col(date("referred_on"))
        .col(opt_date("accepted_on"))
        .col(opt_date("first_service_on"))
        .col(opt_text("outcome"))
        .col(opt_date("closed_on"))
        .col(opt_text("closed_reason"))
        .col(opt_int("recorded_by"))
        .col(ts("created_at"))
        .col(ts("updated_at"))
        .foreign_key(&mut fk("case_referrals", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("case_referrals", "person_id", "case_people"))
        .foreign_key(&mut fk(
            "case_referrals",
            "from_organization_id",
            "organizations",
        ))
        .foreign_key(&mut fk(
            "case_referrals",
            "to_organization_id",
            "organizations",
        ))
        .foreign_key(&mut fk("case_referrals", "recorded_by", "users"))
        .to_owned()));
    s.push(index(
        "case_referrals",
        &["initiative_id", "referred_on"],
        false,
    ));
    s
}
