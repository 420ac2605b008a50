//! `backbone export 360giving`: the fund's awarded grants as 360Giving JSON.

use super::{AnyResult, DbArgs};

pub async fn export(_db: &DbArgs, _initiative: &str, _fund: Option<i64>) -> AnyResult {
    Err("backbone export 360giving is not built yet".into())
}
