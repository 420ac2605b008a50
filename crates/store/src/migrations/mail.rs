//! Migration steps of outgoing mail (see `super::MIGRATIONS`): the durable
//! outbox that notifications are queued in and the addresses that opted out.
//!
//! A message is queued once (its `dedupe_key` is unique: "the agenda of meeting
//! 12 to person 7"), carries its Message-ID from the start (so a resend after a
//! crash is recognisably the same message), and moves from `queued` to `sent`,
//! or to `failed` after too many attempts. The sender claims due messages by
//! `(status, next_attempt_at)`.

#[allow(unused_imports)]
use super::*;

pub(super) fn steps() -> Vec<Step> {
    vec![
        tbl(Table::create()
            .table(a("mail_outbox"))
            .col(id())
            .col(opt_int("initiative_id"))
            .col(text("dedupe_key"))
            .col(text("kind"))
            .col(text("recipient_email"))
            .col(opt_int("recipient_person_id"))
            .col(opt_int("recipient_user_id"))
            .col(text("language"))
            .col(text("subject"))
            .col(text("body_text"))
            .col(opt_text("unsubscribe_url"))
            .col(opt_text("unsubscribe_token"))
            .col(ts("created_at"))
            .col(text("status"))
            .col(int("attempts"))
            .col(ts("next_attempt_at"))
            .col(opt_text("last_error"))
            .col(opt_ts("sent_at"))
            .col(text("message_id"))
            .foreign_key(&mut fk("mail_outbox", "initiative_id", "initiatives"))
            .foreign_key(&mut fk("mail_outbox", "recipient_person_id", "people"))
            .foreign_key(&mut fk("mail_outbox", "recipient_user_id", "users"))
            .to_owned()),
        index("mail_outbox", &["dedupe_key"], true),
        index("mail_outbox", &["status", "next_attempt_at", "id"], false),
        index("mail_outbox", &["initiative_id"], false),
        index("mail_outbox", &["unsubscribe_token"], false),
        tbl(Table::create()
            .table(a("mail_unsubscribes"))
            .col(text("email"))
            .col(text("kind"))
            .col(ts("created_at"))
            .primary_key(Index::create().col(a("email")).col(a("kind")))
            .to_owned()),
    ]
}
