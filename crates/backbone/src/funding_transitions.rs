//! `backbone report transitions`: who pays for each cost item, year by year.

use super::{AnyResult, DbArgs};

pub async fn report(_db: &DbArgs, _initiative: &str, _format: &str) -> AnyResult {
    Err("backbone report transitions is not built yet".into())
}
