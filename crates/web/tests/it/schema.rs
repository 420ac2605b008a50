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
        start_date: chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
        end_date: Some(chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()),
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
