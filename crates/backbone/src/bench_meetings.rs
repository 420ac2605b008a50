//! `backbone bench meetings`: a body with ten years of fortnightly meetings,
//! thirty members and 2,000 decisions (the sizes; change them with
//! `--years`, `--members`, `--decisions`).
//!
//! The data goes through the module's own store paths (a series scheduled with
//! its meetings, positions stated and decisions closed with their tally). Then
//! the decision register page (every page of it in turn) and a member's
//! calendar feed are requested through the router, and their server times
//! reported as p50/p95 against the target (p95 under 20 ms each), on SQLite
//! and, with `--postgres ADMIN_URL`, on a scratch PostgreSQL database.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use clap::Args;

use domain::meetings::records::{Decision, MeetingSeries, Process};
use domain::partnership::{Body, BodyKind, Initiative, Membership, Person, Position};
use store::{Engine, Store};

use super::AnyResult;

const SLUG: &str = "bench-meetings";
const TARGET_P95_MS: f64 = 20.0;
const FIRST: &str = "2017-01-05T18:00";

#[derive(Args)]
pub struct MeetingsArgs {
    /// Years of fortnightly meetings.
    #[arg(long, default_value_t = 10)]
    years: i32,
    /// Members of the body.
    #[arg(long, default_value_t = 30)]
    members: usize,
    /// Decisions of the body, spread over its meetings, each closed.
    #[arg(long, default_value_t = 2_000)]
    decisions: usize,
    /// Requests to time per page and engine.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Also run on PostgreSQL: an admin URL such as
    /// postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
    /// created there and dropped at the end.
    #[arg(long, value_name = "ADMIN_URL")]
    postgres: Option<String>,
    /// Skip SQLite (with --postgres: PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
    /// Folder for the SQLite database (default: a new one under the system's
    /// temporary folder, removed at the end).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

fn err(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    e.to_string().into()
}

struct Figures {
    engine: &'static str,
    meetings: usize,
    load_s: f64,
    register: (f64, f64),
    feed: (f64, f64),
}

struct Setup {
    /// The member whose feed is timed: a user with a seat.
    user: i64,
    meetings: usize,
}

async fn load(store: &Store, args: &MeetingsArgs) -> AnyResult<Setup> {
    let txn = store.write_txn().await.map_err(err)?;
    let i = store::records::create_in(
        &txn,
        None,
        None,
        &Initiative {
            name: "Meetings bench".into(),
            slug: SLUG.into(),
            place: String::new(),
            languages: "en".into(),
            description: String::new(),
            network_id: None,
            public: false,
            time_zone: None,
            currency: None,
            translations: Default::default(),
        },
    )
    .await
    .map_err(err)?
    .id;
    let body = store::records::create_in(
        &txn,
        None,
        Some(i),
        &Body {
            name: "Steering Committee".into(),
            kind: BodyKind::SteeringCommittee,
            purpose: String::new(),
            cadence_min_days: 14,
            cadence_max_days: 21,
            public: true,
            quorum: None,
            agenda_notice_days: None,
            translations: Default::default(),
        },
    )
    .await
    .map_err(err)?
    .id;
    let mut people = vec![];
    for m in 0..args.members {
        let person = store::records::create_in(
            &txn,
            None,
            Some(i),
            &Person {
                name: format!("Member {m:02}"),
                email: Some(format!("member{m:02}@example.org")),
                phone: None,
                user_id: None,
                public_name_consent_on: None,
            },
        )
        .await
        .map_err(err)?
        .id;
        store::records::create_in(
            &txn,
            None,
            Some(i),
            &Membership {
                body_id: body,
                person_id: person,
                organization_id: None,
                position: Position::Member,
                start_date: NaiveDate::from_ymd_opt(2016, 1, 1).ok_or("date")?,
                end_date: None,
                stipend_hourly_cents: None,
                stipend_currency: None,
            },
        )
        .await
        .map_err(err)?;
        people.push(person);
    }
    let first = domain::meetings::records::parse_local(FIRST).ok_or("date")?;
    let until = NaiveDate::from_ymd_opt(first.year() + args.years, 1, 1)
        .ok_or("date")?
        .pred_opt()
        .ok_or("date")?;
    let meetings = store::meetings::calendar::schedule_series_in(
        &txn,
        None,
        i,
        &MeetingSeries {
            body_id: body,
            title: "Steering Committee".into(),
            first_start: FIRST.into(),
            duration_minutes: 90,
            time_zone: "Asia/Jerusalem".into(),
            interval_weeks: 2,
            until,
            place: "City hall".into(),
            online_url: None,
        },
    )
    .await
    .map_err(err)?
    .meeting_ids;
    txn.commit().await.map_err(err)?;

    // Decisions, a few per meeting, each with three positions and closed;
    // written a few hundred per transaction.
    let started = Instant::now();
    let mut txn = store.write_txn().await.map_err(err)?;
    for n in 0..args.decisions {
        let meeting = meetings[n * meetings.len() / args.decisions.max(1)];
        let day = start_day(&txn, meeting).await?;
        let rec = store::records::create_in(
            &txn,
            None,
            Some(i),
            &Decision {
                body_id: body,
                meeting_id: None,
                title: format!("Decision {n:04}"),
                proposal: format!("Proposal number {n} of the bench."),
                process: if n % 3 == 0 {
                    Process::Vote
                } else {
                    Process::Consent
                },
                closes_on: None,
                outcome_statement: format!("Outcome of decision {n}."),
                review_on: None,
                objective_id: None,
                budget_line_id: None,
                activity_id: None,
                public: n % 2 == 0,
            },
        )
        .await
        .map_err(err)?;
        for k in 0..3 {
            let person = people[(n + k) % people.len()];
            store::meetings::decisions::state_position_in(
                &txn, None, i, rec.id, person, "agree", "", day,
            )
            .await
            .map_err(err)?;
        }
        store::meetings::decisions::close_decision_in(&txn, None, i, rec.id, rec.version, day)
            .await
            .map_err(err)?;
        if n % 250 == 249 {
            txn.commit().await.map_err(err)?;
            txn = store.write_txn().await.map_err(err)?;
            eprintln!(
                "  {} decisions ({:.0} s)",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    txn.commit().await.map_err(err)?;

    let user = store
        .create_user(
            "bench-member@example.org",
            "Bench member",
            Some("bench-password-123"),
            false,
        )
        .await
        .map_err(err)?;
    store
        .grant_role(None, user.id, i, domain::access::Role::Partner)
        .await
        .map_err(err)?;
    let txn = store.write_txn().await.map_err(err)?;
    let mut member = store::records::get_in::<Person>(&txn, Some(i), people[0])
        .await
        .map_err(err)?
        .ok_or("the first member")?;
    member.data.user_id = Some(user.id);
    store::records::update_in(&txn, None, Some(i), member.id, member.version, &member.data)
        .await
        .map_err(err)?;
    txn.commit().await.map_err(err)?;
    Ok(Setup {
        user: user.id,
        meetings: meetings.len(),
    })
}

async fn start_day(txn: &sea_orm::DatabaseTransaction, meeting: i64) -> AnyResult<NaiveDate> {
    let m = store::records::get_in::<domain::meetings::records::Meeting>(txn, None, meeting)
        .await
        .map_err(err)?
        .ok_or("a meeting")?;
    Ok(m.data.start_local().date())
}

/// p50 and p95 of the server time of `samples` requests, in milliseconds.
async fn times(
    router: &axum::Router,
    cookie: Option<&str>,
    samples: usize,
    uri: impl Fn(usize) -> String,
    expect: &str,
) -> AnyResult<(f64, f64)> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let mut t = vec![];
    for n in 0..=samples.max(1) {
        let mut req = Request::builder()
            .uri(uri(n))
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = req.body(Body::empty())?;
        let started = Instant::now();
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let took = started.elapsed();
        if status != 200 {
            return Err(format!("{} answered {status}", uri(n)).into());
        }
        if !String::from_utf8_lossy(&body).contains(expect) {
            return Err(format!("{} does not contain {expect:?}", uri(n)).into());
        }
        if n > 0 {
            t.push(took.as_secs_f64() * 1000.0);
        }
    }
    t.sort_by(f64::total_cmp);
    let at = |p: f64| t[((t.len() - 1) as f64 * p) as usize];
    Ok((at(0.50), at(0.95)))
}

async fn run_engine(engine: Engine, url: String, args: &MeetingsArgs) -> AnyResult<Figures> {
    eprintln!("\n== {}: {}", engine.name(), store::redact_url(&url));
    let store = Store::connect(&url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    let started = Instant::now();
    let setup = load(&store, args).await?;
    let load_s = started.elapsed().as_secs_f64();
    eprintln!(
        "  loaded {} meetings and {} decisions in {load_s:.1} s",
        setup.meetings, args.decisions
    );
    let (secret, _) = store.create_session(setup.user).await.map_err(err)?;
    let cookie = format!("bb_session={secret}");
    let token = store.user_feed_token(setup.user).await.map_err(err)?;
    let router = web::router(web::AppState::new(store.clone(), web::Config::default()));
    let pages = args.decisions.div_ceil(50).max(1);
    let register = times(
        &router,
        Some(&cookie),
        args.samples,
        |n| format!("/i/{SLUG}/decision-register?page={}", 1 + n % pages),
        "Decision",
    )
    .await?;
    let feed = times(
        &router,
        None,
        args.samples,
        |_| format!("/feeds/users/{token}.ics"),
        "RRULE:FREQ=WEEKLY",
    )
    .await?;
    store.db.clone().close().await.ok();
    Ok(Figures {
        engine: engine.name(),
        meetings: setup.meetings,
        load_s,
        register,
        feed,
    })
}

pub async fn run(args: MeetingsArgs) -> AnyResult {
    if args.members < 3 || args.years < 1 || args.decisions == 0 {
        return Err("--members must be at least 3, --years and --decisions at least 1".into());
    }
    println!(
        "Backbone meetings bench: {} years of fortnightly meetings, {} members, {} decisions",
        args.years, args.members, args.decisions
    );
    let figures = crate::bench::on_scratch_engines(
        "meetings",
        args.work_dir.as_deref(),
        args.no_sqlite,
        args.postgres.as_deref(),
        |engine, url| run_engine(engine, url, &args),
    )
    .await?;
    println!(
        "\n{:<10} {:>9} {:>9} {:>14} {:>14} {:>12} {:>12} {:>8}",
        "engine",
        "meetings",
        "load (s)",
        "register p50",
        "register p95",
        "feed p50",
        "feed p95",
        "target"
    );
    let mut all_met = true;
    for f in &figures {
        let met = f.register.1 < TARGET_P95_MS && f.feed.1 < TARGET_P95_MS;
        all_met &= met;
        println!(
            "{:<10} {:>9} {:>9.1} {:>11.2} ms {:>11.2} ms {:>9.2} ms {:>9.2} ms {:>8}",
            f.engine,
            f.meetings,
            f.load_s,
            f.register.0,
            f.register.1,
            f.feed.0,
            f.feed.1,
            if met { "met" } else { "MISSED" }
        );
    }
    println!(
        "\ndecision register (every page in turn) and a member's calendar feed, server time through the router, {} requests each: target p95 < {TARGET_P95_MS} ms each",
        args.samples
    );
    if !all_met {
        return Err("a meetings page missed its target".into());
    }
    Ok(())
}
