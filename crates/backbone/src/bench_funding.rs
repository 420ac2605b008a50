//! `backbone bench funding`: the open book with a million ledger entries.

use super::AnyResult;

#[derive(clap::Args)]
pub struct FundingArgs {}

pub async fn run(_args: FundingArgs) -> AnyResult {
    Err("backbone bench funding is not built yet".into())
}
