//! `backbone report transitions`: who pays for each cost item, year by year.
//!
//! Per live cost item (by name) and year (ascending): the item's cost, each
//! funder's planned amount in minor units (the cost split exactly by the
//! shares), whether the funder is public, and the public share from 0 to 1 —
//! the public funders' planned amounts over the cost, or their shares when the
//! cost is zero (see `domain::funding::transitions`). The API's
//! `GET /api/v1/initiatives/{slug}/transitions` answers the same JSON.

use super::{AnyResult, DbArgs, open_existing};

pub async fn report(db: &DbArgs, initiative: &str, format: &str) -> AnyResult {
    if format != "json" {
        return Err(format!("--format {format} is not supported: use --format json").into());
    }
    let store = open_existing(db).await?;
    let i = store
        .initiative_by_slug(initiative)
        .await
        .map_err(|_| format!("--initiative: no initiative {initiative}"))?;
    let t = store.transitions(i.id).await?;
    let report = domain::funding::transitions::report(&t.items, &t.funders);
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
