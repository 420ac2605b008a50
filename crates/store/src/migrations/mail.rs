//! Migration steps of outgoing mail (see `super::MIGRATIONS`): the durable
//! outbox that notifications are queued in and the addresses that opted out.

#[allow(unused_imports)]
use super::*;

pub(super) fn steps() -> Vec<Step> {
    vec![]
}
