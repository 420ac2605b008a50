//! `backbone export ical` and `backbone export meetings` on both engines: a
//! fortnightly series across both daylight-saving changes of 2025 in
//! Jerusalem, with one meeting skipped and one moved across the autumn change.
//! The feed, expanded by Python's `icalendar` and `dateutil` (in `zoneinfo`'s
//! zones), gives exactly the instants the JSON list gives; the cancelled
//! occurrences are exactly the feed's EXDATEs; and the feed round-trips.

use std::process::{Command, Output, Stdio};

use domain::meetings::records::MeetingSeries;
use domain::partnership::{Body, BodyKind};
use serde_json::Value;
use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");
const BODY: &str = "Calendar Test Circle";

fn backbone(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env("BACKBONE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("backbone ran")
}

fn to_utc(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn feed_and_list_agree_across_dst(e: Engine) {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let i = db.store.initiative_by_slug("kiryat-malachi").await.unwrap();
    let body = Body {
        name: BODY.into(),
        kind: BodyKind::Assembly,
        purpose: "Checks the calendar.".into(),
        cadence_min_days: 14,
        cadence_max_days: 21,
        public: false,
        quorum: None,
        agenda_notice_days: None,
        translations: Default::default(),
    };
    let body = db.store.create(None, Some(i.id), &body).await.unwrap();
    let series = MeetingSeries {
        body_id: body.id,
        title: "Circle, fortnightly".into(),
        first_start: "2025-03-06T18:00".into(),
        duration_minutes: 90,
        time_zone: "Asia/Jerusalem".into(),
        interval_weeks: 2,
        until: "2025-11-13".parse().unwrap(),
        place: "Community centre; hall B".into(),
        online_url: Some("https://meet.example.org/circle".into()),
    };
    let s = db.store.schedule_series(None, i.id, &series).await.unwrap();
    assert_eq!(s.meeting_ids.len(), 19);
    // 2025-04-03 (after the spring change) skipped; 2025-10-16 moved across
    // the autumn change to 2025-10-28 at 19:00.
    let skipped = s.meeting_ids[2];
    let moved = s.meeting_ids[16];
    db.store
        .skip_meeting(None, i.id, skipped, None)
        .await
        .unwrap();
    let m = db
        .store
        .move_meeting(
            None,
            i.id,
            moved,
            "2025-10-28T19:00",
            "2025-10-28T20:30",
            None,
        )
        .await
        .unwrap();
    assert_eq!(m.data.starts_at, "2025-10-28T19:00");

    let feed = backbone(
        &db.url,
        &[
            "export",
            "ical",
            "--initiative",
            "kiryat-malachi",
            "--body",
            BODY,
        ],
    );
    assert!(
        feed.status.success(),
        "{}",
        String::from_utf8_lossy(&feed.stderr)
    );
    let text = String::from_utf8(feed.stdout).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(text.contains("EXDATE;TZID=Asia/Jerusalem:20250403T180000\r\n"));
    assert!(text.contains("RECURRENCE-ID;TZID=Asia/Jerusalem:20251016T180000\r\n"));

    let list = backbone(
        &db.url,
        &[
            "export",
            "meetings",
            "--initiative",
            "kiryat-malachi",
            "--body",
            BODY,
            "--format",
            "json",
        ],
    );
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 19);
    let by_id = |id: i64| rows.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(
        by_id(s.meeting_ids[0])["start"],
        "2025-03-06T18:00:00+02:00"
    );
    assert_eq!(
        by_id(s.meeting_ids[3])["start"],
        "2025-04-17T18:00:00+03:00"
    );
    assert_eq!(by_id(skipped)["status"], "cancelled");
    assert_eq!(by_id(moved)["start"], "2025-10-28T19:00:00+02:00");
    assert_eq!(by_id(moved)["original_start"], "2025-10-16T18:00:00+03:00");
    assert_eq!(by_id(moved)["series_id"], s.series.id);
    for r in &rows {
        for k in [
            "id",
            "title",
            "start",
            "end",
            "status",
            "time_zone",
            "series_id",
            "original_start",
        ] {
            assert!(r.get(k).is_some(), "{k} in {r}");
        }
    }

    let csv = backbone(
        &db.url,
        &[
            "export",
            "meetings",
            "--initiative",
            "kiryat-malachi",
            "--body",
            BODY,
            "--format",
            "csv",
        ],
    );
    assert!(csv.status.success());
    assert_eq!(String::from_utf8(csv.stdout).unwrap().lines().count(), 20);

    let Some(python) = testkit::python("the feed and list agree") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "backbone-feed-{}-{:?}-{}",
        std::process::id(),
        e,
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("feed.ics");
    std::fs::write(&path, &text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/meetings_feed_check.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let mut starts: Vec<String> = rows
        .iter()
        .filter(|r| r["status"] != "cancelled")
        .map(|r| to_utc(r["start"].as_str().unwrap()))
        .collect();
    starts.sort();
    let mut ends: Vec<String> = rows
        .iter()
        .filter(|r| r["status"] != "cancelled")
        .map(|r| to_utc(r["end"].as_str().unwrap()))
        .collect();
    ends.sort();
    let mut cancelled: Vec<String> = rows
        .iter()
        .filter(|r| r["status"] == "cancelled")
        .map(|r| to_utc(r["original_start"].as_str().unwrap()))
        .collect();
    cancelled.sort();
    assert_eq!(strings(&got["starts"]), starts);
    assert_eq!(strings(&got["ends"]), ends);
    assert_eq!(strings(&got["exdates"]), cancelled);
    assert_eq!(cancelled.len(), 1);
}

async fn unknown_initiative_or_body_is_refused(e: Engine) {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let o = backbone(
        &db.url,
        &["export", "ical", "--initiative", "nowhere", "--body", "X"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no initiative nowhere"));
    let o = backbone(
        &db.url,
        &[
            "export",
            "meetings",
            "--initiative",
            "kiryat-malachi",
            "--body",
            "No Such Body",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no body named"));
}

both_engines!(
    feed_and_list_agree_across_dst,
    unknown_initiative_or_body_is_refused
);
