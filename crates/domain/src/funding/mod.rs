//! Funding: who pays for what, over time, in the open.
//!
//! - [`money`]: integer minor units per ISO 4217 currency, exact splits by shares.
//! - [`records`]: funders (with their answers to the three questions of seed
//!   004), commitments, budget lines, cost items and what the portal publishes —
//!   registry records.
//! - [`ledger`]: the append-only ledger (a correction is a reversing entry) and
//!   budget against actual — volume data, not registry records.
//! - [`transitions`]: each cost item's multi-year schedule of funder shares, the
//!   public budget's share of recurring costs, and warnings before a transition.
//! - [`fund`]: the community investment fund: calls, applications, assessment
//!   with conflicts of interest, awards, and the 360Giving export.

pub mod fund;
pub mod ledger;
pub mod money;
pub mod records;
pub mod transitions;
