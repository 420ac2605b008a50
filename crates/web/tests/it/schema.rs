use domain::partnership::*;
use domain::resource::Resource;
use store::records::ListOptions;
use testkit::{Engine, TestDb, both_engines};

/// The schema the migrations yield is the one the code reads and writes: every
/// column of every kind round-trips, on both engines.
async fn migrations_yield_the_schema_the_code_expects(e: Engine) {
    let db = TestDb::new(e).await;
    // Applying again is a no-op.
    assert!(db.store.migrate().await.unwrap().is_empty());
    assert!(db.store.is_empty().await.unwrap());
    assert!(db.store.load_demo().await.unwrap());
    assert!(
        !db.store.load_demo().await.unwrap(),
        "the demo loads only into an empty database"
    );
    async fn all<T: Resource>(db: &TestDb) -> usize {
        db.store
            .list::<T>(
                None,
                ListOptions {
                    include_archived: true,
                    limit: 100_000,
                    offset: 0,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", T::TABLE))
            .len()
    }
    assert_eq!(all::<Network>(&db).await, 1);
    assert_eq!(all::<Initiative>(&db).await, 2);
    assert!(all::<Organization>(&db).await >= 12);
    assert!(all::<Person>(&db).await >= 30);
    assert!(all::<Body>(&db).await >= 5);
    assert!(all::<Membership>(&db).await >= 30);
    assert!(all::<Location>(&db).await >= 2);
    assert!(all::<Service>(&db).await >= 3);
    assert!(all::<Fact>(&db).await >= 5);
    assert!(all::<StageReached>(&db).await >= 4);
    let km = db.store.initiative_by_slug("kiryat-malachi").await.unwrap();
    let forum = db
        .store
        .list::<Body>(Some(km.id), ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.data.name == "Administration Forum")
        .unwrap();
    assert_eq!(
        (forum.data.cadence_min_days, forum.data.cadence_max_days),
        (28, 42)
    );
    let members = db.store.members(km.id, Some(forum.id), None).await.unwrap();
    assert!(
        (28..=32).contains(&members.len()),
        "about 30 Forum members, got {}",
        members.len()
    );
}

async fn membership_round_trips_every_type(e: Engine) {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let km = db.store.initiative_by_slug("kiryat-malachi").await.unwrap();
    let body = db
        .store
        .list::<Body>(Some(km.id), ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    let person = db
        .store
        .list::<Person>(Some(km.id), ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    let m = Membership {
        body_id: body,
        person_id: person,
        organization_id: None,
        position: Position::Observer,
        // Long before the demo's seats, so it duplicates none of them.
        start_date: chrono::NaiveDate::from_ymd_opt(1992, 2, 29).unwrap(),
        end_date: Some(chrono::NaiveDate::from_ymd_opt(1993, 1, 1).unwrap()),
        stipend_hourly_cents: Some(2550),
        stipend_currency: Some("ILS".into()),
    };
    let rec = db.store.create(None, Some(km.id), &m).await.unwrap();
    let back = db
        .store
        .get::<Membership>(Some(km.id), rec.id)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&back.data).unwrap(),
        serde_json::to_value(&m).unwrap()
    );
    assert_eq!(back.version, 1);
    assert!(!back.archived);
    // Another initiative cannot read it.
    let rz = db.store.initiative_by_slug("riverside-zero").await.unwrap();
    assert!(matches!(
        db.store.get::<Membership>(Some(rz.id), rec.id).await,
        Err(store::StoreError::NotFound)
    ));
}

async fn unknown_database_urls_are_refused() {
    for url in [
        "mysql://root@localhost/x",
        "sqlite3:///tmp/x.db",
        "/tmp/x.db",
        "postgress://x",
    ] {
        let e = store::Store::connect(url).await.unwrap_err();
        assert!(
            e.to_string().contains("unsupported database URL"),
            "{url}: {e}"
        );
    }
}

#[tokio::test]
async fn unknown_database_url() {
    unknown_database_urls_are_refused().await
}

both_engines!(
    migrations_yield_the_schema_the_code_expects,
    membership_round_trips_every_type
);

/// Every declared kind (the registry's kinds, networks and initiatives) against
/// what the migrations built: each column exists with its declared type and
/// nullability, and a unique index stands behind every unique column.
async fn migrations_match_the_declarations(e: Engine) {
    use domain::resource::{Column, ColumnType};
    let db = TestDb::new(e).await;
    type Declared = (&'static str, &'static str, fn() -> &'static [Column]);
    let mut kinds: Vec<Declared> = web::kinds::KINDS
        .iter()
        .map(|k| (k.kind, k.table, k.columns))
        .collect();
    kinds.push((Network::KIND, Network::TABLE, Network::columns));
    kinds.push((Initiative::KIND, Initiative::TABLE, Initiative::columns));
    let mut problems = vec![];
    for (kind, table, columns) in kinds {
        let actual = db.store.table_columns(table).await.unwrap();
        assert!(!actual.is_empty(), "{kind}: no table {table}");
        let uniques = db.store.unique_indexes(table).await.unwrap();
        for c in columns() {
            let Some(a) = actual.iter().find(|a| a.name == c.name) else {
                problems.push(format!("{table}.{}: declared, not in the database", c.name));
                continue;
            };
            let types: &[&str] = match (c.ty, e) {
                (ColumnType::Text, _) => &["text"],
                (ColumnType::Int, Engine::Sqlite) => &["bigint", "integer"],
                (ColumnType::Int, Engine::Postgres) => &["bigint"],
                (ColumnType::Date, Engine::Sqlite) => &["date_text"],
                (ColumnType::Date, Engine::Postgres) => &["date"],
                (ColumnType::Bool, _) => &["boolean"],
                (ColumnType::Timestamp, Engine::Sqlite) => &["timestamp_with_timezone_text"],
                (ColumnType::Timestamp, Engine::Postgres) => &["timestamp with time zone"],
                (ColumnType::Decimal, Engine::Sqlite) => &["text"],
                (ColumnType::Decimal, Engine::Postgres) => &["numeric"],
                (ColumnType::Json, Engine::Sqlite) => &["text"],
                (ColumnType::Json, Engine::Postgres) => &["jsonb"],
            };
            if !types.contains(&a.ty.as_str()) {
                problems.push(format!(
                    "{table}.{}: declared {:?}, stored as {}",
                    c.name, c.ty, a.ty
                ));
            }
            if a.nullable != c.nullable {
                problems.push(format!(
                    "{table}.{}: declared {}, the database says {}",
                    c.name,
                    if c.nullable { "nullable" } else { "not null" },
                    if a.nullable { "nullable" } else { "not null" },
                ));
            }
            if c.unique
                && !uniques
                    .iter()
                    .any(|u| u.columns.iter().any(|col| col == c.name))
            {
                problems.push(format!(
                    "{table}.{}: declared unique, no unique index behind it",
                    c.name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the migrations do not match the declarations:\n{}",
        problems.join("\n")
    );
}

both_engines!(migrations_match_the_declarations);

/// A kind with one column of each type the next modules need: exact decimal,
/// timestamp with time zone, boolean, JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Sample {
    amount: String,
    at: String,
    flag: bool,
    data: serde_json::Value,
    note: Option<String>,
}

impl Resource for Sample {
    const KIND: &'static str = "sample";
    const TABLE: &'static str = "samples";
    const SCOPE: domain::resource::Scope = domain::resource::Scope::Global;
    fn columns() -> &'static [domain::resource::Column] {
        use domain::resource::{Column, ColumnType};
        const C: &[Column] = &[
            Column::of_type("amount", ColumnType::Decimal),
            Column::of_type("at", ColumnType::Timestamp),
            Column::boolean("flag"),
            Column::of_type("data", ColumnType::Json),
            Column::opt_text("note"),
        ];
        C
    }
    fn parse(_: &domain::validation::FieldMap) -> Result<Self, domain::validation::FieldErrors> {
        unreachable!("not parsed from forms in this test")
    }
    fn label(&self) -> String {
        self.amount.clone()
    }
}

/// Decimals stay exact (no float on the way), timestamps keep their moment,
/// booleans and JSON round-trip, on both engines.
async fn new_column_types_round_trip(e: Engine) {
    let db = TestDb::new(e).await;
    let ddl = match e {
        Engine::Postgres => {
            "CREATE TABLE samples (id BIGSERIAL PRIMARY KEY, amount NUMERIC(24,6) NOT NULL, at TIMESTAMPTZ NOT NULL, flag BOOLEAN NOT NULL, data JSONB NOT NULL, note TEXT, version BIGINT NOT NULL DEFAULT 1, archived_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"
        }
        Engine::Sqlite => {
            "CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, amount TEXT NOT NULL, at TEXT NOT NULL, flag BOOLEAN NOT NULL, data TEXT NOT NULL, note TEXT, version BIGINT NOT NULL DEFAULT 1, archived_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        }
    };
    db.store.execute_unprepared(ddl).await.unwrap();
    let v = Sample {
        amount: "12345678901234.567891".into(),
        at: "2026-03-01T08:30:00Z".into(),
        flag: true,
        data: serde_json::json!({"a": [1, 2.5, "x"], "b": null}),
        note: None,
    };
    let rec = db.store.create(None, None, &v).await.unwrap();
    let got = db.store.get::<Sample>(None, rec.id).await.unwrap();
    assert_eq!(got.data.amount, "12345678901234.567891", "exact decimal");
    assert_eq!(got.data.at, "2026-03-01T08:30:00Z");
    assert!(got.data.flag);
    assert_eq!(got.data.data, v.data);
    assert_eq!(got.data.note, None);
    // A moment given in another zone is the same moment.
    let w = Sample {
        at: "2026-03-01T10:30:00+02:00".into(),
        flag: false,
        note: Some("later".into()),
        ..v.clone()
    };
    let up = db.store.update(None, None, rec.id, 1, &w).await.unwrap();
    assert_eq!(up.data.at, "2026-03-01T08:30:00Z");
    assert!(!up.data.flag);
    assert_eq!(up.data.note.as_deref(), Some("later"));
    // A value of the wrong form is an error, never stored as NULL.
    let bad = Sample {
        at: "yesterday".into(),
        ..v.clone()
    };
    assert!(db.store.create(None, None, &bad).await.is_err());
}

both_engines!(new_column_types_round_trip);
