//! `backbone export ical` and `backbone export meetings`: a body's calendar
//! feed (the same text its secret address serves) and its meetings, one per
//! occurrence, as JSON or CSV.
//!
//! Each occurrence has `id`, `body_id`, `title`, `start` and `end` (RFC 3339
//! with the offset, `2025-03-27T18:00:00+02:00`), `time_zone`, `status`
//! (planned, held or cancelled), `series_id` and `original_start` (the start
//! the series gave it, RFC 3339 with the offset; null outside a series),
//! `place` and `online_url`. Cancelled occurrences are included.

use domain::meetings::recurrence::occurrence_rows;
use domain::partnership::Body;

use super::{AnyResult, DbArgs, describe, open_existing};

async fn body_feed(
    db: &DbArgs,
    initiative: &str,
    body: &str,
) -> AnyResult<domain::meetings::recurrence::FeedData> {
    let store = open_existing(db).await?;
    let i = store
        .initiative_by_slug(initiative)
        .await
        .map_err(|_| format!("no initiative {initiative}"))?;
    let bodies = store
        .list::<Body>(Some(i.id), store::records::ListOptions::all())
        .await
        .map_err(describe)?;
    let b = bodies
        .iter()
        .find(|b| b.data.name == body)
        .or_else(|| {
            bodies
                .iter()
                .find(|b| b.data.name.eq_ignore_ascii_case(body))
        })
        .ok_or_else(|| {
            let names: Vec<&str> = bodies.iter().map(|b| b.data.name.as_str()).collect();
            format!(
                "no body named {body:?} in {initiative} (its bodies: {})",
                names.join(", ")
            )
        })?;
    Ok(store.body_feed(i.id, b.id).await.map_err(describe)?)
}

/// The body's feed as iCalendar, to standard output.
pub async fn ical(db: &DbArgs, initiative: &str, body: &str) -> AnyResult {
    use std::io::Write;
    let feed = body_feed(db, initiative, body).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(interop::ical::write(&feed).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The body's meetings, one per occurrence, to standard output.
pub async fn meetings(db: &DbArgs, initiative: &str, body: &str, format: &str) -> AnyResult {
    if !matches!(format, "json" | "csv") {
        return Err(format!("unknown format {format:?}: give json or csv").into());
    }
    let feed = body_feed(db, initiative, body).await?;
    let rows = occurrence_rows(&feed);
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let headers = [
        "id",
        "body_id",
        "title",
        "start",
        "end",
        "time_zone",
        "status",
        "series_id",
        "original_start",
        "place",
        "online_url",
    ];
    let csv = interop::tabular::write_csv(
        &headers,
        rows.into_iter().map(|r| {
            vec![
                r.id.to_string(),
                r.body_id.to_string(),
                r.title,
                r.start,
                r.end,
                r.time_zone,
                r.status.as_str().to_string(),
                r.series_id.map(|s| s.to_string()).unwrap_or_default(),
                r.original_start.unwrap_or_default(),
                r.place,
                r.online_url.unwrap_or_default(),
            ]
        }),
    );
    print!("{csv}");
    Ok(())
}
