//! Migration steps of the meetings module (see `super::MIGRATIONS`).
//!
//! Series, meetings, agenda items, decisions and action items are registry
//! records. The rest are plain rows written by the module's own store path
//! (`crate::meetings`), each write audited: which meeting is which occurrence
//! of its series, attendance and guests, the versions of the minutes and their
//! approval, positions on a decision (a new position supersedes the member's
//! earlier one, which stays), a decision's outcome, and the secret tokens of
//! calendar feeds.

#[allow(unused_imports)]
use super::*;

pub(super) fn steps() -> Vec<Step> {
    let add = |table: &str, col: ColumnDef| {
        Step::Alter(Box::new(
            Table::alter().table(a(table)).add_column(col).to_owned(),
        ))
    };
    let mut s = vec![
        add("bodies", opt_text("quorum")),
        add("bodies", opt_int("agenda_notice_days")),
    ];
    s.extend(record_table(
        "meeting_series",
        true,
        vec![
            int("body_id"),
            text("title"),
            text("first_start"),
            int("duration_minutes"),
            text("time_zone"),
            int("interval_weeks"),
            date("until"),
            text("place"),
            opt_text("online_url"),
        ],
        &[("body_id", "bodies")],
    ));
    s.extend(record_table(
        "meetings",
        true,
        vec![
            int("body_id"),
            text("title"),
            text("starts_at"),
            text("ends_at"),
            text("time_zone"),
            text("place"),
            opt_text("online_url"),
            text("status"),
        ],
        &[("body_id", "bodies")],
    ));
    s.push(index("meetings", &["body_id", "starts_at"], false));
    s.extend(record_table(
        "agenda_items",
        true,
        vec![
            int("meeting_id"),
            int("position"),
            text("title"),
            text("description"),
            opt_int("presenter_person_id"),
            opt_int("minutes_allotted"),
            opt_int("objective_id"),
            opt_int("indicator_id"),
            opt_int("activity_id"),
        ],
        &[
            ("meeting_id", "meetings"),
            ("presenter_person_id", "people"),
            ("objective_id", "objectives"),
            ("indicator_id", "indicators"),
            ("activity_id", "activities"),
        ],
    ));
    s.push(index("agenda_items", &["meeting_id", "position"], false));
    s.extend(record_table(
        "decisions",
        true,
        vec![
            int("body_id"),
            opt_int("meeting_id"),
            text("title"),
            text("proposal"),
            text("process"),
            opt_date("closes_on"),
            text("outcome_statement"),
            opt_date("review_on"),
            opt_int("objective_id"),
            opt_int("budget_line_id"),
            opt_int("activity_id"),
            flag("public"),
        ],
        &[
            ("body_id", "bodies"),
            ("meeting_id", "meetings"),
            ("objective_id", "objectives"),
            ("budget_line_id", "budget_lines"),
            ("activity_id", "activities"),
        ],
    ));
    s.push(index("decisions", &["body_id"], false));
    s.extend(record_table(
        "action_items",
        true,
        vec![
            int("body_id"),
            text("title"),
            opt_int("meeting_id"),
            opt_int("decision_id"),
            opt_int("owner_person_id"),
            opt_int("owner_organization_id"),
            date("due_on"),
            text("status"),
            text("notes"),
        ],
        &[
            ("body_id", "bodies"),
            ("meeting_id", "meetings"),
            ("decision_id", "decisions"),
            ("owner_person_id", "people"),
            ("owner_organization_id", "organizations"),
        ],
    ));
    s.push(index("action_items", &["body_id", "due_on"], false));
    s.push(index("action_items", &["owner_person_id"], false));

    // Which meeting is which occurrence of its series: `original_start` is the
    // local start the series gave it (its RECURRENCE-ID), kept when the
    // meeting is moved.
    s.push(tbl(Table::create()
        .table(a("series_meetings"))
        .col(
            ColumnDef::new(a("meeting_id"))
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(int("series_id"))
        .col(int("initiative_id"))
        .col(text("original_start"))
        .foreign_key(&mut fk("series_meetings", "meeting_id", "meetings"))
        .foreign_key(&mut fk("series_meetings", "series_id", "meeting_series"))
        .foreign_key(&mut fk("series_meetings", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(index(
        "series_meetings",
        &["series_id", "original_start"],
        true,
    ));

    // Attendance of members (one row per meeting and person) and guests.
    s.push(tbl(Table::create()
        .table(a("attendance"))
        .col(int("meeting_id"))
        .col(int("person_id"))
        .col(int("initiative_id"))
        .col(text("status"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .primary_key(Index::create().col(a("meeting_id")).col(a("person_id")))
        .foreign_key(&mut fk("attendance", "meeting_id", "meetings"))
        .foreign_key(&mut fk("attendance", "person_id", "people"))
        .foreign_key(&mut fk("attendance", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("attendance", "recorded_by", "users"))
        .to_owned()));
    s.push(index("attendance", &["person_id"], false));
    s.push(tbl(Table::create()
        .table(a("meeting_guests"))
        .col(id())
        .col(int("meeting_id"))
        .col(int("initiative_id"))
        .col(text("name"))
        .col(text("affiliation"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .foreign_key(&mut fk("meeting_guests", "meeting_id", "meetings"))
        .foreign_key(&mut fk("meeting_guests", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("meeting_guests", "recorded_by", "users"))
        .to_owned()));
    s.push(index("meeting_guests", &["meeting_id"], false));

    // Minutes: every saved version of the minutes of one agenda item (or of the
    // meeting as a whole when `agenda_item_id` is null), sanitised HTML.
    s.push(tbl(Table::create()
        .table(a("minutes_versions"))
        .col(id())
        .col(int("meeting_id"))
        .col(opt_int("agenda_item_id"))
        .col(int("initiative_id"))
        .col(int("version"))
        .col(text("html"))
        .col(opt_int("author_id"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("minutes_versions", "meeting_id", "meetings"))
        .foreign_key(&mut fk(
            "minutes_versions",
            "agenda_item_id",
            "agenda_items",
        ))
        .foreign_key(&mut fk("minutes_versions", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("minutes_versions", "author_id", "users"))
        .to_owned()));
    s.push(index("minutes_versions", &["meeting_id", "id"], false));
    // The minutes of a meeting, approved at a later meeting.
    s.push(tbl(Table::create()
        .table(a("minutes_approvals"))
        .col(
            ColumnDef::new(a("meeting_id"))
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(int("initiative_id"))
        .col(int("approved_at_meeting_id"))
        .col(opt_int("approved_by"))
        .col(ts("approved_at"))
        .foreign_key(&mut fk("minutes_approvals", "meeting_id", "meetings"))
        .foreign_key(&mut fk(
            "minutes_approvals",
            "approved_at_meeting_id",
            "meetings",
        ))
        .foreign_key(&mut fk("minutes_approvals", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("minutes_approvals", "approved_by", "users"))
        .to_owned()));

    // Positions on a decision. A member's new position supersedes the earlier
    // one (`superseded_at`), which stays as history: at most one live position
    // per member and decision.
    s.push(tbl(Table::create()
        .table(a("decision_positions"))
        .col(id())
        .col(int("decision_id"))
        .col(int("person_id"))
        .col(int("initiative_id"))
        .col(text("position"))
        .col(text("reason"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .col(opt_ts("superseded_at"))
        .foreign_key(&mut fk("decision_positions", "decision_id", "decisions"))
        .foreign_key(&mut fk("decision_positions", "person_id", "people"))
        .foreign_key(&mut fk(
            "decision_positions",
            "initiative_id",
            "initiatives",
        ))
        .foreign_key(&mut fk("decision_positions", "recorded_by", "users"))
        .to_owned()));
    let mut live = Index::create();
    live.name("ux_decision_positions_live")
        .table(a("decision_positions"))
        .unique()
        .col(a("decision_id"))
        .col(a("person_id"))
        .and_where(Expr::col(a("superseded_at")).is_null());
    s.push(Step::Index(Box::new(live.to_owned())));
    // How a decision ended: the tally and quorum it was closed on.
    s.push(tbl(Table::create()
        .table(a("decision_outcomes"))
        .col(
            ColumnDef::new(a("decision_id"))
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(int("initiative_id"))
        .col(text("outcome"))
        .col(text("tally"))
        .col(date("decided_on"))
        .col(opt_int("closed_by"))
        .col(ts("closed_at"))
        .foreign_key(&mut fk("decision_outcomes", "decision_id", "decisions"))
        .foreign_key(&mut fk("decision_outcomes", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("decision_outcomes", "closed_by", "users"))
        .to_owned()));

    // Secret addresses of calendar feeds: one per body, one per user.
    s.push(tbl(Table::create()
        .table(a("calendar_feeds"))
        .col(
            ColumnDef::new(a("token"))
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(opt_int("body_id"))
        .col(opt_int("user_id"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("calendar_feeds", "body_id", "bodies"))
        .foreign_key(&mut fk("calendar_feeds", "user_id", "users"))
        .to_owned()));
    s.push(index("calendar_feeds", &["body_id"], true));
    s.push(index("calendar_feeds", &["user_id"], true));
    s
}
