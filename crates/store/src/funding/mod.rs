//! Funding's store paths. Funders, commitments, budget lines and cost items are
//! registry records and go through the generic store (`records`). The rest is
//! written here:
//! - [`ledger`]: the append-only ledger and its running totals (volume data);
//! - [`transitions`]: each cost item's schedule of funder shares;
//! - [`fund`]: the community investment fund's applications, assessments and awards.

pub mod fund;
pub mod ledger;
pub mod transitions;

pub(crate) mod demo;
