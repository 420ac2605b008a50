//! Migration steps of the funding module's ledger (see `super::MIGRATIONS`).

#[allow(unused_imports)]
use super::*;

pub(super) fn steps() -> Vec<Step> {
    vec![]
}
