//! The schema, as an ordered list of migrations that speak both engines.
//!
//! Each migration is a list of sea-query statements, rendered for the engine at
//! hand, and is applied in one transaction together with its row in
//! `schema_migrations`. Migrations are append-only: never edit one that has shipped.
//!
//! Each applied migration's row carries a checksum: the SHA-256 of its statements
//! rendered for SQLite (one rendering, whatever the engine at hand). On start a
//! migration whose statements changed since it was applied is refused by name.
//! Databases from before checksums get theirs filled in on first start (see
//! docs/decisions/0005-migration-checksums.md).

use sea_orm::sea_query::{
    Alias, ColumnDef, ConditionalStatement, Expr, ExprTrait, ForeignKey, ForeignKeyAction,
    ForeignKeyCreateStatement, Index, IndexCreateStatement, Query, Table, TableAlterStatement,
    TableCreateStatement,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

enum Step {
    Table(Box<TableCreateStatement>),
    Index(Box<IndexCreateStatement>),
    Alter(Box<TableAlterStatement>),
    /// A statement whose column types differ by engine, rendered for each.
    PerEngine {
        sqlite: String,
        postgres: String,
    },
}

/// Column type of an exact decimal kept in a registry record: text on SQLite
/// (read back exactly), `NUMERIC` on PostgreSQL.
const DECIMAL_TEXT: &str = "backbone_decimal_text";
/// Column type of a measured value and its sums: an integer in millionths on
/// SQLite (so sums stay exact in SQL), `NUMERIC` on PostgreSQL.
const DECIMAL_MICROS: &str = "backbone_decimal_micros";

/// A table with [`DECIMAL_TEXT`] or [`DECIMAL_MICROS`] columns.
fn per_engine(t: TableCreateStatement) -> Step {
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
    let fix = |sql: String, text: &str, micros: &str| {
        sql.replace(&format!("\"{DECIMAL_TEXT}\""), text)
            .replace(DECIMAL_TEXT, text)
            .replace(&format!("\"{DECIMAL_MICROS}\""), micros)
            .replace(DECIMAL_MICROS, micros)
    };
    Step::PerEngine {
        sqlite: fix(t.to_string(SqliteQueryBuilder), "text", "integer"),
        postgres: fix(t.to_string(PostgresQueryBuilder), "numeric", "numeric"),
    }
}

fn tbl(t: TableCreateStatement) -> Step {
    Step::Table(Box::new(t))
}

struct Migration {
    name: &'static str,
    steps: fn() -> Vec<Step>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_foundation",
        steps: foundation,
    },
    Migration {
        name: "0002_live_uniqueness",
        steps: live_uniqueness,
    },
    Migration {
        name: "0003_accounts",
        steps: accounts,
    },
    Migration {
        name: "0004_public_by_choice",
        steps: public_by_choice,
    },
    Migration {
        name: "0005_agenda",
        steps: agenda,
    },
    Migration {
        name: "0006_measurement",
        steps: measurement,
    },
    Migration {
        name: "0007_surveys",
        steps: surveys,
    },
    Migration {
        name: "0008_funding",
        steps: funding,
    },
    Migration {
        name: "0009_ledger",
        steps: ledger::steps,
    },
    Migration {
        name: "0010_fund",
        steps: fund::steps,
    },
    Migration {
        name: "0011_meetings",
        steps: meetings::steps,
    },
    Migration {
        name: "0012_mail",
        steps: mail::steps,
    },
    Migration {
        name: "0013_cases",
        steps: cases::steps,
    },
    Migration {
        name: "0014_initiative_time_zone",
        steps: initiative_time_zone,
    },
    Migration {
        name: "0015_password_resets",
        steps: password_resets,
    },
    Migration {
        name: "0016_partner_organization",
        steps: partner_organization,
    },
    Migration {
        name: "0017_translations",
        steps: translations,
    },
];

mod cases;
mod fund;
mod ledger;
mod mail;
mod meetings;

/// Funding's registry records (funders, commitments, budget lines, cost items,
/// what the portal publishes) and each cost item's schedule of funder shares:
/// one row per item and year with its cost, one per item, year and funder with
/// its share in basis points. A schedule is replaced whole, with one audit entry.
fn funding() -> Vec<Step> {
    let mut s = vec![];
    s.extend(record_table(
        "funders",
        true,
        vec![
            text("name"),
            int("organization_id"),
            text("keeps_own_grants"),
            text("pays_for"),
            text("priorities"),
            flag("answers_public"),
        ],
        &[("organization_id", "organizations")],
    ));
    s.extend(record_table(
        "cost_items",
        true,
        vec![
            text("name"),
            text("kind"),
            text("currency"),
            flag("recurring"),
            text("description"),
        ],
        &[],
    ));
    s.extend(record_table(
        "commitments",
        true,
        vec![
            text("title"),
            int("funder_id"),
            int("amount_minor"),
            text("currency"),
            date("starts_on"),
            date("ends_on"),
            text("status"),
            opt_date("signed_on"),
            opt_int("objective_id"),
            opt_int("activity_id"),
            opt_int("cost_item_id"),
            text("reference"),
        ],
        &[
            ("funder_id", "funders"),
            ("objective_id", "objectives"),
            ("activity_id", "activities"),
            ("cost_item_id", "cost_items"),
        ],
    ));
    s.push(live_unique_name("funders"));
    s.push(live_unique_name("cost_items"));
    s.push(index("commitments", &["funder_id"], false));
    s.extend(record_table(
        "budget_lines",
        true,
        vec![
            text("name"),
            int("year"),
            int("amount_minor"),
            text("currency"),
            opt_int("objective_id"),
            opt_int("activity_id"),
            opt_int("cost_item_id"),
        ],
        &[
            ("objective_id", "objectives"),
            ("activity_id", "activities"),
            ("cost_item_id", "cost_items"),
        ],
    ));
    s.extend(record_table(
        "funding_publications",
        true,
        vec![
            flag("publish_transitions"),
            flag("publish_book"),
            text("note"),
        ],
        &[],
    ));
    s.push(tbl(Table::create()
        .table(a("cost_item_years"))
        .col(int("cost_item_id"))
        .col(int("initiative_id"))
        .col(int("year"))
        .col(int("cost_minor"))
        .primary_key(Index::create().col(a("cost_item_id")).col(a("year")))
        .foreign_key(&mut fk("cost_item_years", "cost_item_id", "cost_items"))
        .foreign_key(&mut fk("cost_item_years", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(tbl(Table::create()
        .table(a("cost_item_shares"))
        .col(int("cost_item_id"))
        .col(int("initiative_id"))
        .col(int("year"))
        .col(int("funder_id"))
        .col(int("share_bp"))
        .col(int("position"))
        .primary_key(
            Index::create()
                .col(a("cost_item_id"))
                .col(a("year"))
                .col(a("funder_id")),
        )
        .foreign_key(&mut fk("cost_item_shares", "cost_item_id", "cost_items"))
        .foreign_key(&mut fk("cost_item_shares", "funder_id", "funders"))
        .to_owned()));
    s.push(index("cost_item_shares", &["initiative_id", "year"], false));
    s
}

/// The common agenda. Vision, spheres, objectives, ideas, rounds, activities,
/// contributions and milestones are registry records (versioned, audited);
/// a round's ideas, ballots and systems-map answers are plain rows written by
/// the agenda's own store path, each write with one audit entry.
fn agenda() -> Vec<Step> {
    let mut s = vec![];
    s.extend(record_table(
        "visions",
        true,
        vec![text("statement"), opt_date("agreed_on"), flag("public")],
        &[],
    ));
    s.extend(record_table(
        "spheres",
        true,
        vec![text("name"), opt_int("parent_id"), text("description")],
        &[("parent_id", "spheres")],
    ));
    s.extend(record_table(
        "ideas",
        true,
        vec![
            text("title"),
            text("description"),
            text("status"),
            text("source"),
            opt_int("submitted_by"),
            text("language"),
        ],
        &[("submitted_by", "users")],
    ));
    s.push(index("ideas", &["initiative_id", "status"], false));
    s.extend(record_table(
        "objectives",
        true,
        vec![
            text("title"),
            text("description"),
            opt_int("sphere_id"),
            text("status"),
            date("status_on"),
            opt_int("body_id"),
            opt_int("idea_id"),
            text("sdg"),
            flag("public"),
        ],
        &[
            ("sphere_id", "spheres"),
            ("body_id", "bodies"),
            ("idea_id", "ideas"),
        ],
    ));
    s.extend(record_table(
        "rounds",
        true,
        vec![
            text("title"),
            text("description"),
            int("picks"),
            date("opens_on"),
            date("closes_on"),
            opt_int("follows_round_id"),
            flag("public"),
        ],
        &[("follows_round_id", "rounds")],
    ));
    s.extend(record_table(
        "activities",
        true,
        vec![
            text("title"),
            text("description"),
            opt_int("sphere_id"),
            opt_int("objective_id"),
            opt_int("body_id"),
            opt_int("lead_organization_id"),
            date("start_on"),
            opt_date("end_on"),
            text("status"),
            flag("public"),
        ],
        &[
            ("sphere_id", "spheres"),
            ("objective_id", "objectives"),
            ("body_id", "bodies"),
            ("lead_organization_id", "organizations"),
        ],
    ));
    s.extend(record_table(
        "contributions",
        true,
        vec![int("activity_id"), int("organization_id"), text("note")],
        &[
            ("activity_id", "activities"),
            ("organization_id", "organizations"),
        ],
    ));
    s.push(index("contributions", &["activity_id"], false));
    s.extend(record_table(
        "milestones",
        true,
        vec![
            int("activity_id"),
            text("title"),
            date("due_on"),
            opt_date("done_on"),
        ],
        &[("activity_id", "activities")],
    ));
    s.push(index("milestones", &["activity_id"], false));
    s.push(tbl(Table::create()
        .table(a("round_ideas"))
        .col(id())
        .col(int("round_id"))
        .col(int("idea_id"))
        .foreign_key(&mut fk("round_ideas", "round_id", "rounds"))
        .foreign_key(&mut fk("round_ideas", "idea_id", "ideas"))
        .to_owned()));
    s.push(index("round_ideas", &["round_id", "idea_id"], true));
    s.push(tbl(Table::create()
        .table(a("ballots"))
        .col(id())
        .col(int("round_id"))
        .col(int("user_id"))
        .col(ts("cast_at"))
        .foreign_key(&mut fk("ballots", "round_id", "rounds"))
        .foreign_key(&mut fk("ballots", "user_id", "users"))
        .to_owned()));
    s.push(index("ballots", &["round_id", "user_id"], true));
    s.push(tbl(Table::create()
        .table(a("ballot_picks"))
        .col(id())
        .col(int("ballot_id"))
        .col(int("idea_id"))
        .foreign_key(&mut fk("ballot_picks", "ballot_id", "ballots"))
        .foreign_key(&mut fk("ballot_picks", "idea_id", "ideas"))
        .to_owned()));
    s.push(index("ballot_picks", &["ballot_id", "idea_id"], true));
    s.push(tbl(Table::create()
        .table(a("map_answers"))
        .col(id())
        .col(int("round_id"))
        .col(int("from_idea"))
        .col(int("to_idea"))
        .col(flag("influences"))
        .col(opt_int("user_id"))
        .col(ts("answered_at"))
        .foreign_key(&mut fk("map_answers", "round_id", "rounds"))
        .foreign_key(&mut fk("map_answers", "from_idea", "ideas"))
        .foreign_key(&mut fk("map_answers", "to_idea", "ideas"))
        .foreign_key(&mut fk("map_answers", "user_id", "users"))
        .to_owned()));
    s.push(index(
        "map_answers",
        &["round_id", "from_idea", "to_idea"],
        true,
    ));
    s
}

/// Accounts: API tokens that expire, server-side settings (the signing key that
/// every process shares), one counter row per throttled key so that reserving a
/// login attempt is a single conditional UPDATE, and indexes for pruning.
/// (`users.disabled_at` and `api_tokens.last_used_at` exist since 0001.)
fn measurement() -> Vec<Step> {
    let decimal = |name: &str| {
        ColumnDef::new(a(name))
            .custom(a(DECIMAL_TEXT))
            .null()
            .to_owned()
    };
    let micros = |name: &str| {
        ColumnDef::new(a(name))
            .custom(a(DECIMAL_MICROS))
            .not_null()
            .to_owned()
    };
    let mut s = vec![];
    let mut indicators = record_table(
        "indicators",
        true,
        vec![
            text("code"),
            text("name"),
            text("definition"),
            text("unit"),
            text("kind"),
            opt_text("question"),
            text("polarity"),
            text("aggregation"),
            text("period_aggregation"),
            text("frequency"),
            opt_int("numerator_id"),
            opt_int("denominator_id"),
            decimal("factor"),
            opt_int("owner_org_id"),
            text("data_source"),
            opt_text("baseline_period"),
            decimal("baseline_value"),
            text("targets"),
            text("disaggregations"),
            text("reporters"),
            opt_int("objective_id"),
            text("sdg"),
            int("due_days"),
            flag("public"),
        ],
        &[
            ("numerator_id", "indicators"),
            ("denominator_id", "indicators"),
            ("owner_org_id", "organizations"),
            ("objective_id", "objectives"),
        ],
    );
    if let Step::Table(t) = indicators.remove(0) {
        s.push(per_engine(*t));
    }
    s.extend(indicators);
    let mut live = Index::create();
    live.name("ux_indicators_code_live")
        .table(a("indicators"))
        .unique()
        .col(a("initiative_id"))
        .col(a("code"))
        .and_where(Expr::col(a("archived_at")).is_null());
    s.push(Step::Index(Box::new(live.to_owned())));
    s.push(index("indicators", &["code"], false));
    s.extend(record_table(
        "validation_rules",
        true,
        vec![text("rule"), text("description")],
        &[],
    ));
    // Volume data: append-only values with their history, batches, and the
    // running sums every dashboard reads (docs/decisions/0009-measurement.md).
    s.push(tbl(Table::create()
        .table(a("value_batches"))
        .col(id())
        .col(int("initiative_id"))
        .col(opt_int("actor_user_id"))
        .col(text("source"))
        .col(text("file_name"))
        .col(text("file_hash"))
        .col(int("added"))
        .col(int("changed"))
        .col(int("unchanged"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("value_batches", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("value_batches", "actor_user_id", "users"))
        .to_owned()));
    s.push(index("value_batches", &["initiative_id"], false));
    let value_columns = |t: &mut TableCreateStatement, name: &str| {
        t.col(int("indicator_id"))
            .col(int("initiative_id"))
            .col(text("period"))
            .col(text("subgroup"))
            .col(int("partner_id"))
            .col(micros("value"))
            .col(text("comment"))
            .col(opt_int("author_user_id"))
            .col(ts("recorded_at"))
            .col(int("batch_id"))
            .foreign_key(&mut fk(name, "indicator_id", "indicators"))
            .foreign_key(&mut fk(name, "initiative_id", "initiatives"))
            .foreign_key(&mut fk(name, "batch_id", "value_batches"));
    };
    let mut values = Table::create();
    values.table(a("indicator_values")).col(id());
    value_columns(&mut values, "indicator_values");
    s.push(per_engine(values.to_owned()));
    s.push(index(
        "indicator_values",
        &["indicator_id", "period", "subgroup", "partner_id"],
        true,
    ));
    s.push(index(
        "indicator_values",
        &["initiative_id", "period"],
        false,
    ));
    let mut history = Table::create();
    history
        .table(a("indicator_value_history"))
        .col(id())
        .col(int("value_id"))
        .col(int("replaced_by_batch"));
    value_columns(&mut history, "indicator_value_history");
    history.foreign_key(&mut fk(
        "indicator_value_history",
        "replaced_by_batch",
        "value_batches",
    ));
    s.push(per_engine(history.to_owned()));
    s.push(index("indicator_value_history", &["value_id"], false));
    s.push(index(
        "indicator_value_history",
        &["replaced_by_batch"],
        false,
    ));
    s.push(per_engine(
        Table::create()
            .table(a("measurement_cells"))
            .col(int("indicator_id"))
            .col(int("initiative_id"))
            .col(text("slice"))
            .col(text("period"))
            .col(micros("total_sum"))
            .col(int("total_count"))
            .col(micros("sub_sum"))
            .col(int("sub_count"))
            .primary_key(
                Index::create()
                    .col(a("indicator_id"))
                    .col(a("slice"))
                    .col(a("period")),
            )
            .foreign_key(&mut fk("measurement_cells", "indicator_id", "indicators"))
            .to_owned(),
    ));
    s.push(tbl(Table::create()
        .table(a("period_locks"))
        .col(id())
        .col(int("initiative_id"))
        .col(text("period"))
        .col(opt_int("locked_by"))
        .col(ts("locked_at"))
        .foreign_key(&mut fk("period_locks", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("period_locks", "locked_by", "users"))
        .to_owned()));
    s.push(index("period_locks", &["initiative_id", "period"], true));
    s
}

/// Surveys. A survey is a registry record; its responses are volume data: an
/// append-only table, one row per response with its answers as JSON text,
/// written without a per-row audit entry. The unique index holds one response
/// per responder and survey (the key is a keyed hash: it names no one).
fn surveys() -> Vec<Step> {
    let mut s = record_table(
        "surveys",
        true,
        vec![
            text("title"),
            text("description"),
            text("audience"),
            text("status"),
            opt_date("opens_on"),
            opt_date("closes_on"),
            text("questions"),
        ],
        &[],
    );
    s.push(tbl(Table::create()
        .table(a("survey_responses"))
        .col(id())
        .col(int("survey_id"))
        .col(int("initiative_id"))
        .col(text("responder_key"))
        .col(text("answers"))
        .col(date("submitted_on"))
        .foreign_key(&mut fk("survey_responses", "survey_id", "surveys"))
        .foreign_key(&mut fk("survey_responses", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(index(
        "survey_responses",
        &["survey_id", "responder_key"],
        true,
    ));
    s
}

fn accounts() -> Vec<Step> {
    vec![
        Step::Alter(Box::new(
            Table::alter()
                .table(a("api_tokens"))
                .add_column(opt_ts("expires_at"))
                .to_owned(),
        )),
        tbl(Table::create()
            .table(a("settings"))
            .col(
                ColumnDef::new(a("name"))
                    .string_len(100)
                    .not_null()
                    .primary_key(),
            )
            .col(text("value"))
            .col(ts("created_at"))
            .to_owned()),
        tbl(Table::create()
            .table(a("login_throttle"))
            .col(
                ColumnDef::new(a("key_hash"))
                    .string_len(64)
                    .not_null()
                    .primary_key(),
            )
            .col(ts("window_start"))
            .col(int("attempts"))
            .to_owned()),
        index("login_throttle", &["window_start"], false),
        index("sessions", &["expires_at"], false),
        index("sessions", &["user_id"], false),
        index("api_tokens", &["user_id"], false),
        index("login_failures", &["at"], false),
        index("invitations", &["expires_at"], false),
    ]
}

/// The portal shows only what a coordinator marked public, and names a person
/// only with that person's recorded consent. Existing records start private.
fn public_by_choice() -> Vec<Step> {
    let add = |table: &str, col: ColumnDef| {
        Step::Alter(Box::new(
            Table::alter().table(a(table)).add_column(col).to_owned(),
        ))
    };
    vec![
        add("initiatives", flag("public")),
        add("bodies", flag("public")),
        add("facts", flag("public")),
        add("stages", flag("public")),
        add("people", opt_date("public_name_consent_on")),
    ]
}

/// An initiative's own time zone: the audit log and other moments show in it.
fn initiative_time_zone() -> Vec<Step> {
    vec![Step::Alter(Box::new(
        Table::alter()
            .table(a("initiatives"))
            .add_column(opt_text("time_zone"))
            .to_owned(),
    ))]
}

/// Names, descriptions and purposes in the initiative's other languages
/// (`domain::translations`, JSON), and the currency an initiative counts in.
fn translations() -> Vec<Step> {
    let mut steps: Vec<Step> = [
        "initiatives",
        "organizations",
        "bodies",
        "locations",
        "services",
    ]
    .into_iter()
    .map(|t| Step::PerEngine {
        sqlite: format!("ALTER TABLE \"{t}\" ADD COLUMN \"translations\" TEXT NULL"),
        postgres: format!("ALTER TABLE \"{t}\" ADD COLUMN \"translations\" JSONB NULL"),
    })
    .collect();
    steps.push(Step::Alter(Box::new(
        Table::alter()
            .table(a("initiatives"))
            .add_column(opt_text("currency"))
            .to_owned(),
    )));
    steps
}

/// The database itself refuses a second live record where the rules allow one
/// (one date per stage, one organization per identifier, in an initiative); the
/// store checks first to name the field, this closes the race between two
/// simultaneous writers.
fn live_uniqueness() -> Vec<Step> {
    let live = |table: &str, cols: &[&str], name: &str| {
        let mut i = Index::create();
        i.name(name).table(a(table)).unique();
        for c in cols {
            i.col(a(c));
            i.and_where(Expr::col(a(c)).is_not_null());
        }
        i.and_where(Expr::col(a("archived_at")).is_null());
        Step::Index(Box::new(i.to_owned()))
    };
    vec![
        live("stages", &["initiative_id", "stage"], "ux_stages_live"),
        live(
            "organizations",
            &["initiative_id", "identifier"],
            "ux_organizations_identifier_live",
        ),
    ]
}

/// One-time links that set a new password (sent by email or issued by an
/// admin), stored by the SHA-256 of their secret; and when each account last
/// signed in (for the admin's list of users).
fn password_resets() -> Vec<Step> {
    vec![
        Step::Alter(Box::new(
            Table::alter()
                .table(a("users"))
                .add_column(opt_ts("last_sign_in_at"))
                .to_owned(),
        )),
        tbl(Table::create()
            .table(a("password_resets"))
            .col(id())
            .col(int("user_id"))
            .col(text("token_hash"))
            .col(opt_int("created_by"))
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .col(opt_ts("used_at"))
            .foreign_key(&mut fk("password_resets", "user_id", "users"))
            .to_owned()),
        index("password_resets", &["token_hash"], true),
        index("password_resets", &["user_id"], false),
        index("password_resets", &["expires_at"], false),
    ]
}

/// The organization a partner speaks for: on its role (what the policy reads)
/// and on the invitation that carries it into the role on acceptance.
fn partner_organization() -> Vec<Step> {
    let add = |table: &str| {
        Step::Alter(Box::new(
            Table::alter()
                .table(a(table))
                .add_column(opt_int("organization_id"))
                .to_owned(),
        ))
    };
    vec![add("role_grants"), add("invitations")]
}

/// The statements of a migration as SQL, one per line, rendered for SQLite.
fn render(m: &Migration) -> String {
    use sea_orm::sea_query::SqliteQueryBuilder;
    (m.steps)()
        .iter()
        .map(|step| match step {
            Step::Table(t) => t.to_string(SqliteQueryBuilder),
            Step::Index(i) => i.to_string(SqliteQueryBuilder),
            Step::Alter(t) => t.to_string(SqliteQueryBuilder),
            Step::PerEngine { sqlite, .. } => sqlite.clone(),
        })
        .collect::<Vec<_>>()
        .join(";\n")
}

/// SHA-256 (hex) of a migration's rendered statements.
fn checksum(m: &Migration) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(render(m).as_bytes()))
}

/// `(name, checksum)` of every migration this build knows, in order.
pub fn checksums() -> Vec<(&'static str, String)> {
    MIGRATIONS.iter().map(|m| (m.name, checksum(m))).collect()
}

/// Apply pending migrations; returns the names applied.
///
/// Everything runs in one transaction that first takes a lock (an advisory lock
/// on PostgreSQL, the write lock on SQLite), so several `backbone serve`
/// processes starting together apply each migration exactly once.
///
/// Before anything is applied, every migration already applied is compared with
/// this build's by checksum; an edited one is an error naming it, and nothing
/// changes.
pub async fn apply(db: &DatabaseConnection) -> Result<Vec<&'static str>, DbErr> {
    let backend = db.get_database_backend();
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7461001)")
            .await?;
    }
    txn.execute(
        &Table::create()
            .table(Alias::new("schema_migrations"))
            .if_not_exists()
            .col(
                ColumnDef::new(Alias::new("name"))
                    .string()
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Alias::new("applied_at"))
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(ColumnDef::new(Alias::new("checksum")).text().null())
            .to_owned(),
    )
    .await?;
    // Databases created before checksums lack the column: add it.
    let has_checksum = {
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.columns \
                 WHERE table_schema = current_schema() \
                 AND table_name = 'schema_migrations' AND column_name = 'checksum'"
            }
            _ => {
                "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
            }
        };
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(backend, sql))
            .await?;
        row.map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0)
            > 0
    };
    if !has_checksum {
        txn.execute(
            &Table::alter()
                .table(Alias::new("schema_migrations"))
                .add_column(ColumnDef::new(Alias::new("checksum")).text().null())
                .to_owned(),
        )
        .await?;
    }
    let rows = txn
        .query_all(
            &Query::select()
                .columns([Alias::new("name"), Alias::new("checksum")])
                .from(Alias::new("schema_migrations"))
                .to_owned(),
        )
        .await?;
    let mut done: Vec<(String, Option<String>)> = Vec::new();
    for r in &rows {
        done.push((r.try_get("", "name")?, r.try_get("", "checksum")?));
    }
    for (name, stored) in &done {
        let Some(m) = MIGRATIONS.iter().find(|m| m.name == name) else {
            tracing::warn!(
                migration = %name,
                "the database has a migration this build does not know (a newer version applied it?)"
            );
            continue;
        };
        let expected = checksum(m);
        match stored {
            Some(s) if *s == expected => {}
            Some(s) => {
                return Err(DbErr::Migration(format!(
                    "migration {name} was changed after it was applied to this database \
                     (checksum recorded {s}, this build's {expected}); refusing to start. \
                     Migrations are append-only: restore the original {name} and add a new migration instead"
                )));
            }
            None => {
                // Applied before checksums were recorded: trust it once, record it.
                txn.execute(
                    &Query::update()
                        .table(Alias::new("schema_migrations"))
                        .value(Alias::new("checksum"), expected)
                        .and_where(Expr::col(Alias::new("name")).eq(name.as_str()))
                        .to_owned(),
                )
                .await?;
                tracing::info!(migration = %name, "recorded the checksum of an earlier migration");
            }
        }
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        if done.iter().any(|(d, _)| d == m.name) {
            continue;
        }
        for step in (m.steps)() {
            match step {
                Step::Table(t) => txn.execute(t.as_ref()).await?,
                Step::Index(i) => txn.execute(i.as_ref()).await?,
                Step::Alter(t) => txn.execute(t.as_ref()).await?,
                Step::PerEngine { sqlite, postgres } => {
                    let sql = if backend == DbBackend::Postgres {
                        postgres
                    } else {
                        sqlite
                    };
                    txn.execute_unprepared(&sql).await?
                }
            };
        }
        txn.execute(
            &Query::insert()
                .into_table(Alias::new("schema_migrations"))
                .columns([
                    Alias::new("name"),
                    Alias::new("applied_at"),
                    Alias::new("checksum"),
                ])
                .values_panic([m.name.into(), crate::now().into(), checksum(m).into()])
                .to_owned(),
        )
        .await?;
        tracing::info!(migration = m.name, "applied migration");
        applied.push(m.name);
    }
    txn.commit().await?;
    Ok(applied)
}

/// `(name, checksum)` of the migrations recorded in the database, by name.
pub async fn recorded(db: &DatabaseConnection) -> Result<Vec<(String, Option<String>)>, DbErr> {
    let rows = db
        .query_all(
            &Query::select()
                .columns([Alias::new("name"), Alias::new("checksum")])
                .from(Alias::new("schema_migrations"))
                .order_by(Alias::new("name"), sea_orm::sea_query::Order::Asc)
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "name")?, r.try_get("", "checksum")?)))
        .collect()
}

/// Names of the migrations this build knows, in order.
pub fn known() -> Vec<&'static str> {
    MIGRATIONS.iter().map(|m| m.name).collect()
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn id() -> ColumnDef {
    ColumnDef::new(a("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().not_null().to_owned()
}
fn opt_text(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().null().to_owned()
}
fn int(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).big_integer().not_null().to_owned()
}
fn opt_int(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).big_integer().null().to_owned()
}
fn date(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).date().not_null().to_owned()
}
fn opt_date(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).date().null().to_owned()
}
fn ts(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}
fn opt_ts(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}
fn flag(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

fn fk(table: &str, col: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(a(table), a(col))
        .to(a(target), a("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &str, cols: &[&str], unique: bool) -> Step {
    let mut i = Index::create();
    i.name(format!("ix_{table}_{}", cols.join("_")))
        .table(a(table));
    for c in cols {
        i.col(a(c));
    }
    if unique {
        i.unique();
    }
    Step::Index(Box::new(i.to_owned()))
}

/// No two live records of `table` in one initiative share a name.
fn live_unique_name(table: &str) -> Step {
    let mut live = Index::create();
    live.name(format!("ux_{table}_name_live"))
        .table(a(table))
        .unique()
        .col(a("initiative_id"))
        .col(a("name"))
        .and_where(Expr::col(a("archived_at")).is_null());
    Step::Index(Box::new(live.to_owned()))
}

/// A partnership record table: id, optional initiative scope, data columns,
/// version and archive bookkeeping, timestamps.
fn record_table(
    name: &str,
    scoped: bool,
    cols: Vec<ColumnDef>,
    refs: &[(&str, &str)],
) -> Vec<Step> {
    let mut t = Table::create();
    t.table(a(name)).col(id());
    if scoped {
        t.col(int("initiative_id"));
        t.foreign_key(&mut fk(name, "initiative_id", "initiatives"));
    }
    for mut c in cols {
        t.col(&mut c);
    }
    t.col(
        ColumnDef::new(a("version"))
            .big_integer()
            .not_null()
            .default(1),
    )
    .col(opt_ts("archived_at"))
    .col(ts("created_at"))
    .col(ts("updated_at"));
    for (col, target) in refs {
        t.foreign_key(&mut fk(name, col, target));
    }
    let mut steps = vec![tbl(t.to_owned())];
    if scoped {
        steps.push(index(name, &["initiative_id"], false));
    }
    steps
}

fn foundation() -> Vec<Step> {
    // Accounts.
    let mut s = vec![tbl(Table::create()
        .table(a("users"))
        .col(id())
        .col(text("email"))
        .col(text("display_name"))
        .col(opt_text("password_hash"))
        .col(flag("is_admin"))
        .col(opt_text("language"))
        .col(ts("created_at"))
        .col(opt_ts("disabled_at"))
        .to_owned())];
    s.push(index("users", &["email"], true));
    s.push(tbl(Table::create()
        .table(a("sessions"))
        .col(
            ColumnDef::new(a("id_hash"))
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(int("user_id"))
        .col(text("csrf_token"))
        .col(ts("created_at"))
        .col(ts("expires_at"))
        .foreign_key(&mut fk("sessions", "user_id", "users"))
        .to_owned()));
    s.push(tbl(Table::create()
        .table(a("api_tokens"))
        .col(id())
        .col(int("user_id"))
        .col(text("name"))
        .col(text("token_hash"))
        .col(ts("created_at"))
        .col(opt_ts("revoked_at"))
        .col(opt_ts("last_used_at"))
        .foreign_key(&mut fk("api_tokens", "user_id", "users"))
        .to_owned()));
    s.push(index("api_tokens", &["token_hash"], true));
    s.push(tbl(Table::create()
        .table(a("login_failures"))
        .col(id())
        .col(text("key_hash"))
        .col(ts("at"))
        .to_owned()));
    s.push(index("login_failures", &["key_hash", "at"], false));
    // Partnership registry.
    s.extend(record_table(
        "networks",
        false,
        vec![text("name"), text("slug"), text("description")],
        &[],
    ));
    s.push(index("networks", &["slug"], true));
    s.extend(record_table(
        "initiatives",
        false,
        vec![
            text("name"),
            text("slug"),
            text("place"),
            text("languages"),
            text("description"),
            opt_int("network_id"),
        ],
        &[("network_id", "networks")],
    ));
    s.push(index("initiatives", &["slug"], true));
    // Bumped by every change to the initiative or anything in it, so a process can
    // tell in one indexed read whether a page it rendered earlier is still true.
    s.push(Step::Alter(Box::new(
        Table::alter()
            .table(a("initiatives"))
            .add_column(
                ColumnDef::new(a("generation"))
                    .big_integer()
                    .not_null()
                    .default(0),
            )
            .to_owned(),
    )));
    s.extend(record_table(
        "facts",
        true,
        vec![
            text("label"),
            text("value"),
            text("source"),
            opt_int("year"),
        ],
        &[],
    ));
    s.extend(record_table(
        "stages",
        true,
        vec![text("stage"), date("reached_on"), text("note")],
        &[],
    ));
    s.extend(record_table(
        "organizations",
        true,
        vec![
            text("name"),
            text("sector"),
            opt_text("identifier"),
            opt_text("website"),
            text("description"),
        ],
        &[],
    ));
    s.extend(record_table(
        "people",
        true,
        vec![
            text("name"),
            opt_text("email"),
            opt_text("phone"),
            opt_int("user_id"),
        ],
        &[("user_id", "users")],
    ));
    s.extend(record_table(
        "bodies",
        true,
        vec![
            text("name"),
            text("kind"),
            text("purpose"),
            int("cadence_min_days"),
            int("cadence_max_days"),
        ],
        &[],
    ));
    s.extend(record_table(
        "memberships",
        true,
        vec![
            int("body_id"),
            int("person_id"),
            opt_int("organization_id"),
            text("position"),
            date("start_date"),
            opt_date("end_date"),
            opt_int("stipend_hourly_cents"),
            opt_text("stipend_currency"),
        ],
        &[
            ("body_id", "bodies"),
            ("person_id", "people"),
            ("organization_id", "organizations"),
        ],
    ));
    s.push(index("memberships", &["body_id"], false));
    s.extend(record_table(
        "locations",
        true,
        vec![
            int("organization_id"),
            text("name"),
            text("address"),
            text("city"),
            text("postal_code"),
            text("country"),
        ],
        &[("organization_id", "organizations")],
    ));
    s.extend(record_table(
        "services",
        true,
        vec![
            int("organization_id"),
            opt_int("location_id"),
            text("name"),
            text("description"),
            opt_text("url"),
            opt_text("email"),
            text("status"),
        ],
        &[
            ("organization_id", "organizations"),
            ("location_id", "locations"),
        ],
    ));
    // Access.
    s.push(tbl(Table::create()
        .table(a("role_grants"))
        .col(id())
        .col(int("user_id"))
        .col(int("initiative_id"))
        .col(text("role"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("role_grants", "user_id", "users"))
        .foreign_key(&mut fk("role_grants", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(index(
        "role_grants",
        &["user_id", "initiative_id", "role"],
        true,
    ));
    s.push(tbl(Table::create()
        .table(a("network_leads"))
        .col(id())
        .col(int("user_id"))
        .col(int("network_id"))
        .col(ts("created_at"))
        .foreign_key(&mut fk("network_leads", "user_id", "users"))
        .foreign_key(&mut fk("network_leads", "network_id", "networks"))
        .to_owned()));
    s.push(index("network_leads", &["user_id", "network_id"], true));
    s.push(tbl(Table::create()
        .table(a("invitations"))
        .col(id())
        .col(text("token_hash"))
        .col(text("email"))
        .col(opt_int("initiative_id"))
        .col(opt_text("role"))
        .col(flag("admin"))
        .col(opt_int("created_by"))
        .col(ts("created_at"))
        .col(ts("expires_at"))
        .col(opt_ts("accepted_at"))
        .foreign_key(&mut fk("invitations", "initiative_id", "initiatives"))
        .to_owned()));
    s.push(index("invitations", &["token_hash"], true));
    // Audit log: append-only; the product has no path that updates or deletes it.
    s.push(tbl(Table::create()
        .table(a("audit_log"))
        .col(id())
        .col(ts("at"))
        .col(opt_int("actor_user_id"))
        .col(opt_int("initiative_id"))
        .col(text("kind"))
        .col(int("record_id"))
        .col(text("action"))
        .col(opt_text("before"))
        .col(opt_text("after"))
        .to_owned()));
    s.push(index("audit_log", &["initiative_id", "id"], false));
    s.push(index("audit_log", &["kind", "record_id"], false));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksums of shipped migrations are pinned: if this fails, either a
    /// shipped migration was edited (don't: add a new one) or an upgrade of
    /// sea-query renders the same statements differently (then every existing
    /// database would refuse to start: see docs/decisions/0005-migration-checksums.md).
    #[test]
    fn shipped_migration_checksums_are_pinned() {
        let sums = checksums();
        let pinned = [
            ("0001_foundation", PINNED_0001),
            ("0002_live_uniqueness", PINNED_0002),
        ];
        for (name, sum) in pinned {
            let now = sums
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.as_str());
            assert_eq!(now, Some(sum), "checksum of {name}");
        }
    }

    const PINNED_0001: &str = "ed8a223328908c3847aab09399b6ca71b7570e070d29bfa14aac686c5320a644";
    const PINNED_0002: &str = "97f1560334511e455e7c8f647d2ca561936d920edfc1cce909cae98697ddbf38";
}
